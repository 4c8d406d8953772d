package paysuite

import (
	"bytes"
	"errors"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// e2e is the clause of the end-to-end transactions.
const e2e = "CARD.md §5 (end to end), " + book3 + " §10"

// corruptSDAD is a reader that damages the card's fDDA signature on its
// way to the kernel: one bit of 9F4B in the GPO answer.
type corruptSDAD struct{ card terminal.Transport }

func (c corruptSDAD) Transmit(cmd []byte) ([]byte, error) {
	resp, err := c.card.Transmit(cmd)
	if err != nil || len(cmd) < 2 || cmd[1] != 0xA8 {
		return resp, err
	}
	return flipTLV(resp, emv.TagSDAD), nil
}

// flipTLV returns a response APDU whose template (77 or 70) has the last
// byte of its data object t flipped; other responses come back as they
// are. Deliberately wrong cards are built with it.
func flipTLV(resp []byte, t emv.Tag) []byte {
	if len(resp) < 2 {
		return resp
	}
	data, sw := resp[:len(resp)-2], resp[len(resp)-2:]
	p := iso7816.NewParser(data)
	var tmpl emv.Tag
	var v []byte
	if !p.ReadTLV(&tmpl, &v) || (tmpl != emv.TagRMTF2 && tmpl != emv.TagRecord) || !p.Empty() {
		return resp
	}
	var inner iso7816.Builder
	found := false
	q := iso7816.NewParser(v)
	for !q.Empty() {
		var tag emv.Tag
		var val []byte
		if !q.ReadTLV(&tag, &val) {
			return resp
		}
		if tag == t && len(val) > 0 && !found {
			val = append([]byte(nil), val...)
			val[len(val)-1] ^= 0x01
			found = true
		}
		inner.AddTLV(tag, val)
	}
	body, err := inner.Bytes()
	if err != nil || !found {
		return resp
	}
	var out iso7816.Builder
	out.AddTLV(tmpl, body)
	b, err := out.Bytes()
	if err != nil {
		return resp
	}
	return append(b, sw...)
}

var e2eCases = []*conformance.Case{
	{
		ID: "PAY-E2E-001", Title: "Offline electronic cash approval: qUICS, fDDA verified by the kernel, balance debited",
		Clause: e2e + ", " + quics, Requires: needBalance(2),
		Restores: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			selectApp(s, app(s))
			before := balance(s)
			k, _ := kernel(s, sm)
			r, err := transact(s, k, emv.Transaction{Amount: 1, Contactless: true})
			if r.Outcome != emv.ApprovedOffline || err != nil {
				s.Fatalf("outcome %s, %v; want approved offline", r.Outcome, err)
			}
			if r.ODA != emv.FDDA || !r.ODAOK || r.SM != sm {
				s.Errorf("ODA %q verified %v SM %v; want fDDA verified on the %s path", r.ODA, r.ODAOK, r.SM, pathName(sm))
			}
			if r.Cryptogram != emv.TC || !r.TSI.Has(emv.TSIODA) {
				s.Errorf("cryptogram %s, TSI %s", r.Cryptogram, r.TSI)
			}
			selectApp(s, app(s))
			if after := balance(s); after != before-1 || r.ECBalance != int64(after) {
				s.Errorf("balance %d before, %d after, the kernel saw %d", before, after, r.ECBalance)
			}
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-E2E-002", Title: "Electronic cash insufficient: qUICS goes online, the issuer recomputes the ARQC and approves",
		Clause: e2e + ", " + quics, Requires: needECash,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			before := balance(s)
			k, is := kernel(s, pay(s).HasSM())
			r, err := transact(s, k, emv.Transaction{Amount: before + 1, Contactless: true})
			if r.Outcome != emv.ApprovedOnline || err != nil {
				s.Fatalf("outcome %s, %v; want approved online", r.Outcome, err)
			}
			if c := is.Checks(); len(c) != 1 || !c[0].OK || c[0].Cryptogram != emv.ARQC {
				s.Errorf("issuer host checks %+v", c)
			}
			selectApp(s, app(s))
			if after := balance(s); after != before {
				s.Errorf("balance %d after an online transaction, was %d", after, before)
			}
		},
	},
	{
		ID: "PAY-E2E-003", Title: "A blocked application is left out at selection on both interfaces: no transaction with it",
		Clause: e2e + ", Book 1 §12.3.3, §12.4", Requires: needPay, Restores: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			blockOnline(s, sm, appBlock)
			var kinds []bool
			if isContactless(s) {
				kinds = append(kinds, true)
			}
			kinds = append(kinds, false)
			for _, cl := range kinds {
				k, _ := kernel(s, sm)
				r, err := transact(s, k, emv.Transaction{Amount: 1, Contactless: cl})
				switch {
				case bytes.Equal(r.AID, app(s)):
					s.Errorf("contactless %v: the kernel transacted with the blocked application %X (outcome %s, %v)", cl, r.AID, r.Outcome, err)
				case len(r.AID) == 0 && !errors.Is(err, emv.ErrAppBlocked):
					s.Errorf("contactless %v: no application and %v; want the blocked application's 6283 reported", cl, err)
				case len(r.AID) == 0 && (r.Outcome == emv.ApprovedOffline || r.Outcome == emv.ApprovedOnline):
					s.Errorf("contactless %v: outcome %s without an application", cl, r.Outcome)
				}
			}
			unblock(s, sm)
		},
	},
	{
		ID: "PAY-E2E-004", Title: "A blocked card is declined",
		Clause: e2e, Requires: needPay, Destructive: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			blockOnline(s, sm, cardBlock)
			k, _ := kernel(s, sm)
			r, err := transact(s, k, emv.Transaction{Amount: 1, Contactless: isContactless(s)})
			if r.Outcome != emv.DeclinedOffline || !errors.Is(err, emv.ErrCardBlocked) {
				s.Errorf("outcome %s, %v; want declined offline, card blocked", r.Outcome, err)
			}
		},
	},
	{
		ID: "PAY-E2E-005", Title: "A wrong offline PIN is counted by the card and reported by the kernel",
		Clause: e2e + ", " + book3 + " §10.5", Requires: needPINTries(2), Restores: true,
		Run: func(s *conformance.S) {
			left := *pay(s).PIN.TriesLeft
			entries := 0
			k, _ := kernel(s, pay(s).HasSM(), func(c *emv.Config) {
				c.Capabilities[1] = 0xA8 // plaintext offline PIN, signature, no CVM: no online PIN
				c.PIN = func(int) (string, bool) {
					entries++
					if entries > 1 {
						return "", false
					}
					return wrongPIN(pay(s).PIN.Value), true
				}
			})
			r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true})
			if r.PINTriesLeft != left-1 {
				s.Errorf("the kernel reports %d PIN tries left, want %d (outcome %s, %v)", r.PINTriesLeft, left-1, r.Outcome, err)
			}
			if !r.TVR.Has(emv.TVRPINNotEntered) || !r.TSI.Has(emv.TSICVM) {
				s.Errorf("TVR %s (%v), TSI %s", r.TVR, r.TVR.Bits(), r.TSI)
			}
			selectApp(s, app(s))
			s.Step("PIN try counter")
			s.Expect("80CA9F1700", conformance.OK(), conformance.Data([]byte{0x9F, 0x17, 0x01, byte(left - 1)}))
			right, _ := emv.PlainPINBlock(pay(s).PIN.Value)
			s.Step("VERIFY the right PIN")
			s.Expect(append([]byte{0x00, 0x20, 0x00, 0x80, 0x08}, right...), conformance.OK())
		},
	},
	{
		ID: "PAY-E2E-006", Title: "A damaged fDDA signature is detected by the kernel and declined",
		Clause: e2e + ", " + quics, Requires: conformance.RequireAll(needBalance(2), needODA("dda")),
		Restores: true,
		Run: func(s *conformance.S) {
			k, _ := kernel(s, pay(s).HasSM())
			r, err := k.Run(corruptSDAD{s.Card()}, emv.Transaction{Amount: 1, Contactless: true})
			if r.Outcome != emv.DeclinedOffline || !errors.Is(err, emv.ErrODAFailed) {
				s.Errorf("outcome %s, %v; want declined offline, ODA failed", r.Outcome, err)
			}
			if !r.TVR.Has(emv.TVRDDAFailed) || r.ODAOK {
				s.Errorf("TVR %s (%v), ODA verified %v", r.TVR, r.TVR.Bits(), r.ODAOK)
			}
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-E2E-007", Title: "A contact transaction goes online: ARQC recomputed, ARPC accepted, second GENERATE AC TC",
		Clause: e2e, Requires: needPay,
		Run: func(s *conformance.S) {
			k, is := kernel(s, pay(s).HasSM())
			r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true})
			if r.Outcome != emv.ApprovedOnline || err != nil {
				s.Fatalf("outcome %s, %v; want approved online", r.Outcome, err)
			}
			if c := is.Checks(); len(c) != 1 || !c[0].OK {
				s.Errorf("issuer host checks %+v", c)
			}
			for _, b := range []emv.TSIBit{emv.TSICVM, emv.TSICardRisk, emv.TSITerminalRisk, emv.TSIIssuerAuth} {
				if !r.TSI.Has(b) {
					s.Errorf("TSI %s (%v) lacks bit %02X", r.TSI, r.TSI.Bits(), byte(b))
				}
			}
			if !r.TVR.Has(emv.TVRMerchantForced) || r.TVR.Has(emv.TVRIssuerAuthFailed) {
				s.Errorf("TVR %s (%v)", r.TVR, r.TVR.Bits())
			}
		},
	},
	{
		ID: "PAY-E2E-008", Title: "The ATC grows by one with every transaction, contact and contactless",
		Clause: e2e + ", " + book3 + " Annex A (9F36)", Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			prev := atc(s)
			for i, cl := range []bool{false, true, false, true} {
				if cl && !isContactless(s) {
					continue
				}
				k, _ := kernel(s, pay(s).HasSM())
				r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true, Contactless: cl})
				a := r.DB.Get(emv.TagATC)
				if len(a) != 2 {
					s.Fatalf("transaction %d: no ATC (%s, %v)", i+1, r.Outcome, err)
				}
				got := uint16(a[0])<<8 | uint16(a[1])
				if got != prev+1 {
					s.Errorf("transaction %d (contactless %v): ATC %d after %d", i+1, cl, got, prev)
				}
				prev = got
			}
		},
	},
}
