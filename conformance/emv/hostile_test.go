package emv

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// tamper passes commands to a card and rewrites the answers to the
// commands it matches.
type tamper struct {
	card    terminal.Transport
	match   func(cmd []byte) bool
	rewrite func(resp []byte) ([]byte, error)
}

func (t *tamper) Transmit(cmd []byte) ([]byte, error) {
	resp, err := t.card.Transmit(cmd)
	if err != nil || !t.match(cmd) {
		return resp, err
	}
	return t.rewrite(resp)
}

// Matchers by command.
func isINS(ins byte) func([]byte) bool {
	return func(c []byte) bool { return len(c) > 1 && c[1] == ins }
}

func isRecord(sfi, n byte) func([]byte) bool {
	return func(c []byte) bool { return len(c) > 3 && c[1] == 0xB2 && c[2] == n && c[3] == sfi<<3|4 }
}

func isSelect(name []byte) func([]byte) bool {
	return func(c []byte) bool { return len(c) > 5 && c[1] == 0xA4 && bytes.Equal(c[5:5+int(c[4])], name) }
}

func isGenAC(n int) func([]byte) bool {
	count := 0
	return func(c []byte) bool {
		if len(c) > 1 && c[1] == 0xAE {
			count++
			return count == n
		}
		return false
	}
}

// Rewrites.
func answer(hexResp string) func([]byte) ([]byte, error) {
	return func([]byte) ([]byte, error) { return mustHex(hexResp), nil }
}

func dataOK(data []byte) func([]byte) ([]byte, error) {
	return func([]byte) ([]byte, error) { return ok(data), nil }
}

// replaceTLV replaces the value of every top-level object t inside the
// response's template (70, 77, 6F/A5...) found by path.
func editTLV(f func(v []byte) []byte, path ...Tag) func([]byte) ([]byte, error) {
	return func(resp []byte) ([]byte, error) {
		data := resp[:len(resp)-2]
		return ok(rebuild(data, path, f)), nil
	}
}

func rebuild(b []byte, path []Tag, f func([]byte) []byte) []byte {
	var out iso7816.Builder
	p := iso7816.NewParser(b)
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			break
		}
		if t == path[0] {
			if len(path) == 1 {
				v = f(v)
			} else {
				v = rebuild(v, path[1:], f)
			}
		}
		out.AddTLV(t, v)
	}
	r, _ := out.Bytes()
	return r
}

func flipLast(v []byte) []byte {
	c := append([]byte(nil), v...)
	if len(c) > 0 {
		c[len(c)-1] ^= 0x01
	}
	return c
}

// TestHostileCard runs transactions against a card with one answer made
// wrong: the kernel must end declined or terminated, with an error, and
// never approve.
func TestHostileCard(t *testing.T) {
	errCut := errors.New("the reader lost the card")
	tests := []struct {
		name        string
		contactless bool
		amount      uint64
		card        func(c *simCard)
		match       func([]byte) bool
		rewrite     func([]byte) ([]byte, error)
		want        Outcome
		errIs       error
		// tolerate: a card error the kernel may absorb; it must not
		// crash, and whatever it decides must be consistent.
		tolerate bool
	}{
		{name: "PPSE answer of one byte", contactless: true, match: isSelect(PPSEName), rewrite: answer("90"), want: Terminated, errIs: ErrTransport},
		{name: "PPSE answer empty", contactless: true, match: isSelect(PPSEName), rewrite: answer(""), want: Terminated, errIs: ErrTransport},
		{name: "transport error", contactless: true, match: isINS(0xA8), rewrite: func([]byte) ([]byte, error) { return nil, errCut }, want: Terminated, errIs: errCut},
		{name: "PPSE not found", contactless: true, match: isSelect(PPSEName), rewrite: answer("6A82"), want: Terminated, errIs: ErrNoApplication},
		{name: "PPSE FCI without BF0C", contactless: true, match: isSelect(PPSEName), rewrite: dataOK(mustHex("6F04A5025000")), want: Terminated, errIs: ErrCardData},
		{name: "PPSE FCI truncated", contactless: true, match: isSelect(PPSEName), rewrite: dataOK(mustHex("6F30840E32")), want: Terminated, errIs: ErrCardData},
		{name: "PPSE lists a foreign AID", contactless: true, match: isSelect(PPSEName),
			rewrite: dataOK(mustHex("6F10A50EBF0C0B61094F07A0000000031010")), want: Terminated, errIs: ErrNoApplication},
		{name: "PPSE directory entry malformed", contactless: true, match: isSelect(PPSEName),
			rewrite: dataOK(mustHex("6F0AA508BF0C05610A4F03A0")), want: Terminated, errIs: ErrCardData},
		{name: "FCI names another AID", contactless: true, match: isSelect(simAID),
			rewrite: editTLV(func([]byte) []byte { return mustHex("A000000333010102") }, TagFCI, TagDFName), want: Terminated, errIs: ErrCardData},
		{name: "FCI without A5", contactless: true, match: isSelect(simAID), rewrite: dataOK(mustHex("6F0A8408A000000333010101")), want: Terminated, errIs: ErrCardData},
		{name: "PDOL tag without length", contactless: true, match: isSelect(simAID),
			rewrite: editTLV(func([]byte) []byte { return mustHex("9F66049F37") }, TagFCI, TagFCIProp, TagPDOL), want: Terminated, errIs: ErrCardData},
		{name: "PDOL asking for 300 bytes", contactless: true, match: isSelect(simAID),
			rewrite: editTLV(func([]byte) []byte { return mustHex("9F66049F02709F03709F0470") }, TagFCI, TagFCIProp, TagPDOL), want: Terminated, errIs: ErrCardData},
		{name: "PDOL without TTQ on qUICS", contactless: true, match: isSelect(simAID),
			rewrite: editTLV(func([]byte) []byte { return mustHex("9F0206") }, TagFCI, TagFCIProp, TagPDOL), want: Terminated, errIs: ErrTryAnotherInterface},
		{name: "GPO 6985 on qUICS", contactless: true, match: isINS(0xA8), rewrite: answer("6985"), want: Terminated, errIs: ErrTryAnotherInterface},
		{name: "GPO 6A80", contactless: true, match: isINS(0xA8), rewrite: answer("6A80"), want: Terminated, errIs: ErrNotAccepted},
		{name: "GPO format 1 on qUICS", contactless: true, match: isINS(0xA8), rewrite: dataOK(mustHex("80067D0008010100")), want: Terminated, errIs: ErrTryAnotherInterface},
		{name: "GPO without AIP", contactless: true, match: isINS(0xA8), rewrite: dataOK(mustHex("7706940408010100")), want: Terminated, errIs: ErrCardData},
		{name: "GPO with bytes after the template", contactless: true, match: isINS(0xA8),
			rewrite: func(r []byte) ([]byte, error) { return ok(cat(r[:len(r)-2], []byte{0x01})), nil }, want: Terminated, errIs: ErrCardData},
		{name: "GPO AFL with SFI 0", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(func([]byte) []byte { return mustHex("00010100") }, TagRMTF2, TagAFL), want: Terminated, errIs: ErrCardData},
		{name: "GPO AFL with 250 records", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(func([]byte) []byte { return mustHex("0801FA00") }, TagRMTF2, TagAFL), want: Terminated, errIs: ErrCardData},
		{name: "GPO CID 11", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(func([]byte) []byte { return []byte{0xC0} }, TagRMTF2, TagCID), want: Terminated, errIs: ErrCardData},
		{name: "GPO cryptogram of 7 bytes", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(func(v []byte) []byte { return v[:7] }, TagRMTF2, TagAC), want: Terminated, errIs: ErrCardData},
		{name: "GPO repeats a tag", contactless: true, match: isINS(0xA8),
			rewrite: func(r []byte) ([]byte, error) {
				v, _ := template(r[:len(r)-2], TagRMTF2)
				return ok(tlv(TagRMTF2, cat(v, tlv(TagATC, []byte{0, 9})))), nil
			}, want: Terminated, errIs: ErrCardData},
		{name: "fDDA signature over another amount", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(flipLast, TagRMTF2, TagSDAD), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "fDDA ICC dynamic number not the 9F69 one", contactless: true, match: isINS(0xA8),
			rewrite: editTLV(func(v []byte) []byte { c := append([]byte(nil), v...); c[1] ^= 0xFF; return c }, TagRMTF2, TagCardAuthData),
			want:    DeclinedOffline, errIs: ErrODAFailed},
		{name: "fDDA signature missing", contactless: true, match: isINS(0xA8),
			rewrite: func(r []byte) ([]byte, error) {
				v, _ := template(r[:len(r)-2], TagRMTF2)
				return ok(tlv(TagRMTF2, rebuildWithout(v, TagSDAD))), nil
			}, want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "record 6A83", contactless: true, match: isRecord(2, 1), rewrite: answer("6A83"), want: Terminated, errIs: ErrCardData},
		{name: "record not a 70 template", contactless: true, match: isRecord(2, 1), rewrite: dataOK(mustHex("7103010101")), want: Terminated, errIs: ErrCardData},
		{name: "record truncated", contactless: true, match: isRecord(2, 1),
			rewrite: func(r []byte) ([]byte, error) { return ok(r[:len(r)-5]), nil }, want: Terminated, errIs: ErrCardData},
		{name: "record repeats a tag", contactless: true, match: isRecord(2, 2),
			rewrite: func([]byte) ([]byte, error) { return ok(tlv(TagRecord, tlv(TagPAN, panBytes))), nil }, want: Terminated, errIs: ErrCardData},
		{name: "track 2 differs from the GPO's", contactless: true, match: isRecord(1, 1),
			rewrite: editTLV(flipLast, TagRecord, TagTrack2), want: Terminated, errIs: ErrCardData},
		{name: "static data changed after signing", contactless: true, match: isRecord(2, 1),
			rewrite: editTLV(func(v []byte) []byte { return mustHex("311231") }, TagRecord, TagExpiry), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "issuer certificate corrupted", contactless: true, match: isRecord(5, 2),
			rewrite: editTLV(flipLast, TagRecord, TagIssuerCert), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "unknown CA index", contactless: true, match: isRecord(5, 1),
			rewrite: editTLV(func([]byte) []byte { return []byte{0x99} }, TagRecord, TagCAIndex), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "CA index of two bytes", contactless: true, match: isRecord(5, 1),
			rewrite: editTLV(func([]byte) []byte { return []byte{0xF2, 0xF2} }, TagRecord, TagCAIndex), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "61xx for ever", contactless: true, match: func(c []byte) bool { return len(c) > 1 && (c[1] == 0xA4 || c[1] == 0xC0) },
			rewrite: answer("61FF"), want: Terminated, errIs: ErrTransport},
		{name: "no PAN", contactless: true, match: func(c []byte) bool { return isINS(0xA8)(c) || isINS(0xB2)(c) },
			rewrite: func(r []byte) ([]byte, error) {
				t, v, okT := responseTemplate(r[:len(r)-2])
				if !okT {
					t = TagRecord
					v, _ = template(r[:len(r)-2], TagRecord)
				}
				return ok(tlv(t, rebuildWithout(rebuildWithout(v, TagPAN), TagTrack2))), nil
			},
			want: Terminated, errIs: ErrCardData},

		{name: "PSE record with a malformed entry falls back, then GPO fails", match: isINS(0xA8), rewrite: answer("6A88"), want: Terminated, errIs: ErrNotAccepted},
		{name: "PSE card blocked", match: isSelect(PSEName), rewrite: answer("6A81"), want: DeclinedOffline, errIs: ErrCardBlocked},
		{name: "GPO format 1 of one byte", match: isINS(0xA8), rewrite: dataOK(mustHex("80017D")), want: Terminated, errIs: ErrCardData},
		{name: "GPO 6985 on the only application", match: isINS(0xA8), rewrite: answer("6985"), want: Terminated, errIs: ErrNotAccepted},
		{name: "mandatory CDOL1 missing", match: isRecord(2, 3),
			rewrite: func([]byte) ([]byte, error) { return ok(tlv(TagRecord, tlv(TagCDOL2, mustHex("8A02")))), nil }, want: Terminated, errIs: ErrCardData},
		{name: "CDOL1 malformed", match: isRecord(2, 3),
			rewrite: editTLV(func([]byte) []byte { return mustHex("9F02") }, TagRecord, TagCDOL1), want: Terminated, errIs: ErrCardData},
		{name: "GENERATE AC TC to an ARQC request", amount: 90000, card: func(c *simCard) { c.format2 = true }, match: isGenAC(1),
			rewrite: func([]byte) ([]byte, error) {
				return ok(tlv(TagRMTF1, cat([]byte{0x40, 0x00, 0x01}, make([]byte, 8)))), nil
			}, want: Terminated, errIs: ErrCardData},
		{name: "GENERATE AC format 1 too short", match: isGenAC(1), rewrite: dataOK(mustHex("800540000100")), want: Terminated, errIs: ErrCardData},
		{name: "GENERATE AC format 2 without CID", match: isGenAC(1), rewrite: dataOK(mustHex("77049F360201")), want: Terminated, errIs: ErrCardData},
		{name: "GENERATE AC IAD of 40 bytes", match: isGenAC(1),
			rewrite: dataOK(tlv(TagRMTF2, cat(mustHex("9F2701409F360200019F260811223344556677889F1028"), make([]byte, 40)))), want: Terminated, errIs: ErrCardData},
		{name: "GENERATE AC 6985", match: isGenAC(1), rewrite: answer("6985"), want: Terminated, errIs: ErrNotAccepted},
		{name: "CDA signature corrupted", match: isGenAC(1), rewrite: editTLV(flipLast, TagRMTF2, TagSDAD), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "CDA response without signature", match: isGenAC(1),
			rewrite: func(r []byte) ([]byte, error) {
				v, _ := template(r[:len(r)-2], TagRMTF2)
				return ok(tlv(TagRMTF2, rebuildWithout(v, TagSDAD))), nil
			}, want: Terminated, errIs: ErrCardData},
		{name: "CDA CID differs from the signed one", match: isGenAC(1),
			rewrite: editTLV(func([]byte) []byte { return []byte{0x80} }, TagRMTF2, TagCID), want: DeclinedOffline, errIs: ErrODAFailed},
		{name: "CDA answer turned AAC without a cryptogram", match: isGenAC(1),
			rewrite: editTLV(func([]byte) []byte { return []byte{0x00} }, TagRMTF2, TagCID), want: Terminated, errIs: ErrCardData},
		{name: "second GENERATE AC garbage", amount: 90000, match: isGenAC(2), rewrite: dataOK(mustHex("FFFF")), want: Terminated, errIs: ErrCardData},
		{name: "second GENERATE AC AAC after approval", amount: 90000, match: isGenAC(2),
			rewrite: func([]byte) ([]byte, error) {
				return ok(tlv(TagRMTF1, cat([]byte{0x00, 0x00, 0x01}, make([]byte, 8)))), nil
			}, want: DeclinedOnline, errIs: ErrDeclined},
		{name: "GET DATA balance garbage on e-cash goes online", match: isINS(0xCA), rewrite: dataOK(mustHex("9F79")), tolerate: true},
		{name: "VERIFY answers 6A80", match: isINS(0x20), rewrite: answer("6A80"), tolerate: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := newSimCard(t)
			if tc.card != nil {
				tc.card(card)
			}
			cfg, _ := simConfig(t)
			cfg.PIN = func(int) (string, bool) { return "1234", true }
			amount := tc.amount
			if amount == 0 {
				amount = 100
			}
			r, err := New(cfg).Run(&tamper{card: card, match: tc.match, rewrite: tc.rewrite}, Transaction{Amount: amount, Contactless: tc.contactless})
			if tc.tolerate {
				if (err == nil) != (r.Outcome.Approved() || r.Outcome == OnlineRequest) {
					t.Errorf("outcome %s with error %v", r.Outcome, err)
				}
				return
			}
			if r.Outcome != tc.want {
				t.Errorf("outcome %s (%v), want %s\n%s", r.Outcome, err, tc.want, logText(r))
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tc.errIs != nil && !errors.Is(err, tc.errIs) {
				t.Errorf("error %v, want %v", err, tc.errIs)
			}
			if r.Outcome.Approved() {
				t.Error("a hostile card got an approval")
			}
		})
	}
}

func rebuildWithout(b []byte, drop Tag) []byte {
	var out []byte
	p := iso7816.NewParser(b)
	for !p.Empty() {
		before := p.Rest()
		var t Tag
		if !p.ReadTLV(&t, nil) {
			break
		}
		if t != drop {
			out = append(out, before[:len(before)-len(p.Rest())]...)
		}
	}
	return out
}
