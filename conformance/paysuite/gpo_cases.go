package paysuite

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// AFLs of the two paths (package emulator/pay).
var (
	aflDES = []byte{0x08, 0x01, 0x02, 0x00, 0x10, 0x01, 0x04, 0x02, 0x18, 0x01, 0x05, 0x00, 0x20, 0x01, 0x01, 0x00}
	aflSM  = []byte{0x08, 0x01, 0x02, 0x00, 0x10, 0x01, 0x04, 0x02, 0x20, 0x01, 0x01, 0x00, 0x28, 0x01, 0x04, 0x00}
)

// wantAIP is the AIP the profile declares: its override, else cardholder
// verification, terminal risk management, issuer authentication and the
// ODA methods.
func wantAIP(s *conformance.S) []byte {
	if a := pay(s).AIP; a != "" {
		return mustHex(s, a)
	}
	b := byte(0x1C)
	for m, bit := range map[string]byte{"sda": 0x40, "dda": 0x20, "cda": 0x01} {
		if slices.Contains(pay(s).ODA, m) {
			b |= bit
		}
	}
	return []byte{b, 0x00}
}

func wantAFL(s *conformance.S, sm bool) []byte {
	switch {
	case sm:
		return aflSM
	case pay(s).AFL != "":
		return mustHex(s, pay(s).AFL)
	}
	return aflDES
}

// contactGPO checks the contact path's answer: format 1 or 2 as declared,
// AIP and AFL.
func contactGPO(s *conformance.S, sm bool) {
	r := gpo(s, gpoOpts{amount: 100, sm: sm})
	if !s.Check(r, conformance.OK()) {
		return
	}
	want := append(append([]byte(nil), wantAIP(s)...), wantAFL(s, sm)...)
	if pay(s).ResponseFormat == 1 {
		s.Check(r, conformance.Data(tlvOf(s, emv.TagRMTF1, want)))
		return
	}
	s.Check(r, conformance.TLVValue(wantAIP(s), emv.TagRMTF2, emv.TagAIP), conformance.TLVValue(wantAFL(s, sm), emv.TagRMTF2, emv.TagAFL))
}

var gpoCases = []*conformance.Case{
	{
		ID: "PAY-GPO-001", Title: "GPO on the contact DES/RSA path answers the declared AIP and the path's AFL",
		Clause: book3 + " §6.5.8, " + modelPay, Requires: needPath(false),
		Run: func(s *conformance.S) { contactGPO(s, false) },
	},
	{
		ID: "PAY-GPO-002", Title: "GPO with DF69 01 takes the SM path: the SM AFL",
		Clause: cardPay + " (DF69), " + modelPay, Requires: needPath(true),
		Run: func(s *conformance.S) { contactGPO(s, true) },
	},
	{
		ID: "PAY-GPO-003", Title: "GPO with PDOL data one byte short or long answers 6700 and changes nothing",
		Clause: book3 + " §6.5.8.4, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			before := atc(s)
			d := gpoData(s, gpoOpts{amount: 100, sm: pay(s).HasSM()})
			s.Step("GPO with %d bytes of PDOL data (%d asked)", len(d)-1, len(d))
			s.Expect(gpoCommand(d[:len(d)-1]), conformance.SW(iso7816.SWWrongLength))
			s.Step("GPO with %d bytes of PDOL data (%d asked)", len(d)+1, len(d))
			s.Expect(gpoCommand(append(d, 0x00)), conformance.SW(iso7816.SWWrongLength))
			s.Step("GPO with an empty 83 template")
			s.Expect(gpoCommand(nil), conformance.SW(iso7816.SWWrongLength))
			if after := atc(s); after != before {
				s.Errorf("the refused GPOs moved the ATC from %d to %d", before, after)
			}
		},
	},
	{
		ID: "PAY-GPO-004", Title: "GPO without the 83 template, or with an amount that is not BCD, answers 6A80",
		Clause: book3 + " §6.5.8, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			d := gpoData(s, gpoOpts{amount: 100, sm: pay(s).HasSM()})
			s.Step("GPO with template 84")
			bad := gpoCommand(d)
			bad[5] = 0x84
			s.Expect(bad, conformance.SW(iso7816.SWWrongData))
			off, ok := offsetOf(pdolOf(s), emv.TagAmount)
			if !ok {
				return
			}
			s.Step("GPO with amount %X", bytes.Repeat([]byte{0xAA}, 6))
			d2 := append([]byte(nil), d...)
			copy(d2[off:off+6], bytes.Repeat([]byte{0xAA}, 6))
			s.Expect(gpoCommand(d2), conformance.SW(iso7816.SWWrongData))
		},
	},
	{
		ID: "PAY-GPO-005", Title: "A second GPO in one transaction answers 6985",
		Clause: book3 + " §6.5.8, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			r := gpo(s, gpoOpts{amount: 100, sm: pay(s).HasSM()})
			if !s.Check(r, conformance.OK()) {
				return
			}
			s.Step("second GPO")
			s.Expect(gpoCommand(gpoData(s, gpoOpts{amount: 100, sm: pay(s).HasSM()})), conformance.SW(iso7816.SWConditionsNotSatisfied))
		},
	},
	{
		ID: "PAY-GPO-006", Title: "Each GPO increments the ATC by one (ATC monotonic)",
		Clause: book3 + " Annex A (9F36), " + modelPay, Requires: needContactless,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			prev := atc(s)
			for i := range 3 {
				r := gpo(s, gpoOpts{amount: 1, quics: true, sm: pay(s).HasSM(), ttq: [4]byte{0x26, 0x80, 0x00, 0x00}})
				if !s.Check(r, conformance.OK()) {
					return
				}
				v := field(s, r.Data, emv.TagRMTF2, emv.TagATC)
				got := uint16(v[0])<<8 | uint16(v[1])
				if got != prev+1 {
					s.Errorf("transaction %d: ATC %d after %d", i+1, got, prev)
				}
				if now := atc(s); now != got {
					s.Errorf("GET DATA 9F36 says %d, the GPO answer %d", now, got)
				}
				prev = got
			}
		},
	},
	{
		ID: "PAY-GPO-007", Title: "A qUICS GPO answers template 77 with the transaction's data objects",
		Clause: quics, Requires: needContactless,
		Run: func(s *conformance.S) {
			r := gpo(s, gpoOpts{amount: 1, quics: true, sm: pay(s).HasSM()})
			if !s.Check(r, conformance.OK()) {
				return
			}
			must := []emv.Tag{emv.TagAIP, emv.TagAFL, emv.TagATC, emv.TagCID, emv.TagAC, emv.TagIAD, emv.TagTrack2, emv.TagPSN, emv.TagCTQ}
			if isECash(pay(s)) {
				must = append(must, emv.TagOfflineAmount)
			}
			cid := field(s, r.Data, emv.TagRMTF2, emv.TagCID)
			if len(cid) == 1 && cid[0] == byte(emv.TC) && slices.Contains(pay(s).ODA, "dda") {
				must = append(must, emv.TagCardAuthData, emv.TagSDAD)
			}
			for _, t := range must {
				s.Check(r, conformance.HasTLV(emv.TagRMTF2, t))
			}
			s.Check(r, conformance.TLVValue(wantAIP(s), emv.TagRMTF2, emv.TagAIP),
				conformance.TLVValue(mustHex(s, pay(s).PSN), emv.TagRMTF2, emv.TagPSN),
				conformance.DataWhere("8-byte cryptogram", func([]byte) error {
					if ac := field(s, r.Data, emv.TagRMTF2, emv.TagAC); len(ac) != 8 {
						return fmt.Errorf("%d bytes", len(ac))
					}
					return nil
				}),
				conformance.DataWhere("track 2 begins with the PAN", func([]byte) error {
					t2 := fmt.Sprintf("%X", field(s, r.Data, emv.TagRMTF2, emv.TagTrack2))
					if len(t2) < len(panDigits(s))+1 || t2[:len(panDigits(s))] != panDigits(s) || t2[len(panDigits(s))] != 'D' {
						return fmt.Errorf("track 2 %s, PAN %s", t2, panDigits(s))
					}
					return nil
				}))
		},
	},
	{
		ID: "PAY-GPO-008", Title: "The issuer application data is 07 DKI CVN CVR ALG with the path's CVN",
		Clause: modelPay, Requires: needContactless,
		Run: func(s *conformance.S) {
			for _, sm := range paths(s) {
				r := gpo(s, gpoOpts{amount: 1, quics: true, sm: sm})
				if !s.Check(r, conformance.OK()) {
					return
				}
				iad := field(s, r.Data, emv.TagRMTF2, emv.TagIAD)
				cvn := byte(0x01)
				if sm {
					cvn = 0x04
				}
				switch {
				case len(iad) != 19:
					s.Errorf("IAD of %d bytes, want 19: % X", len(iad), iad)
				case iad[0] != 0x07 || iad[1] != mustHex(s, pay(s).DKI)[0] || iad[2] != cvn || iad[3] != 0x03 || iad[7] != cvn:
					s.Errorf("IAD % X: want 07 %s %02X 03 .. .. .. %02X", iad, pay(s).DKI, cvn, cvn)
				case iad[8] != 0x0A || iad[9] != 0x01:
					s.Errorf("IAD % X: want 0A 01 and the balance after byte 8", iad)
				}
			}
		},
	},
	{
		ID: "PAY-GPO-009", Title: "A card with only the SM path answers GPO without SM with 6985",
		Clause:  cardPay + " (DF69), " + modelPay,
		Persona: "pay-sm",
		Requires: conformance.RequireAll(needPay, func(p *profile.Profile) string {
			if p.Pay.HasDES() {
				return "the card has the DES/RSA path"
			}
			return ""
		}),
		Run: func(s *conformance.S) {
			s.Check(gpo(s, gpoOpts{amount: 100}), conformance.SW(iso7816.SWConditionsNotSatisfied))
		},
	},
}

// paths returns the paths the card offers: false DES/RSA, true SM.
func paths(s *conformance.S) []bool {
	var out []bool
	if pay(s).HasDES() {
		out = append(out, false)
	}
	if pay(s).HasSM() {
		out = append(out, true)
	}
	return out
}

func isECash(p *profile.Pay) bool {
	a := p.Applications[0]
	return a.ECash != nil && *a.ECash
}

// offsetOf returns where a tag's value starts in DOL data.
func offsetOf(d emv.DOL, t emv.Tag) (int, bool) {
	off := 0
	for _, e := range d {
		if e.Tag == t {
			return off, true
		}
		off += e.Len
	}
	return 0, false
}
