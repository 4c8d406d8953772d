package paysuite

import (
	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

var dataCases = []*conformance.Case{
	{
		ID: "PAY-DATA-001", Title: "GET DATA returns the declared electronic cash balance and limits",
		Clause: ecash + ", " + book3 + " §6.5.7", Requires: needECash,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			e := pay(s).ECash
			for _, c := range []struct {
				t    emv.Tag
				want int64
			}{{emv.TagECBalance, e.Balance}, {emv.TagECBalanceLimit, e.BalanceLimit}, {emv.TagECSingleLimit, e.SingleLimit},
				{emv.TagECResetThresh, e.ResetThreshold}, {0x9F6B, e.CVMLimit}} {
				s.Step("GET DATA %s", c.t)
				s.Expect([]byte{0x80, 0xCA, byte(c.t >> 8), byte(c.t), 0x00}, conformance.OK(),
					conformance.Data(tlvOf(s, c.t, amountBytes(uint64(c.want)))))
			}
		},
	},
	{
		ID: "PAY-DATA-002", Title: "GET DATA 9F17 returns the declared PIN try counter",
		Clause: book3 + " §6.5.7", Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			s.Expect("80CA9F1700", conformance.OK(), conformance.Data([]byte{0x9F, 0x17, 0x01, byte(*pay(s).PIN.TriesLeft)}))
		},
	},
	{
		ID: "PAY-DATA-003", Title: "GET DATA 9F36 and 9F13 return 2-byte counters, the last online ATC not above the ATC",
		Clause: book3 + " §10.6.3", Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			a := atc(s)
			l := getData(s, emv.TagLastOnlineATC)
			if len(l) != 2 {
				s.Fatalf("last online ATC of %d bytes", len(l))
			}
			if last := uint16(l[0])<<8 | uint16(l[1]); last > a {
				s.Errorf("last online ATC %d above the ATC %d", last, a)
			}
		},
	},
	{
		ID: "PAY-DATA-004", Title: "GET DATA of a tag the card does not give answers 6A88; CLA 00 answers 6E00",
		Clause: book3 + " §6.5.7, " + iso4, Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			s.Step("GET DATA 9F50")
			s.Expect("80CA9F5000", conformance.SW(iso7816.SWRefDataNotFound))
			s.Step("GET DATA 9F36 with CLA 00")
			s.Expect("00CA9F3600", conformance.SW(iso7816.SWCLANotSupported))
		},
	},
}

var pinCases = []*conformance.Case{
	{
		ID: "PAY-PIN-001", Title: "VERIFY with the declared offline PIN answers 9000",
		Clause: book3 + " §6.5.12", Requires: needPINTries(1),
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			block, err := emv.PlainPINBlock(pay(s).PIN.Value)
			s.OK(err, "PIN block")
			s.Expect(append([]byte{0x00, 0x20, 0x00, 0x80, 0x08}, block...), conformance.OK())
		},
	},
	{
		ID: "PAY-PIN-002", Title: "A wrong offline PIN is counted (63Cx, 9F17), the right one resets the counter",
		Clause: book3 + " §6.5.12", Requires: needPINTries(2), Restores: true,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			left := *pay(s).PIN.TriesLeft
			block, err := emv.PlainPINBlock(wrongPIN(pay(s).PIN.Value))
			s.OK(err, "PIN block")
			s.Step("VERIFY a wrong PIN")
			s.Expect(append([]byte{0x00, 0x20, 0x00, 0x80, 0x08}, block...), conformance.SW(iso7816.SWVerifyFailed|iso7816.Status(left-1)))
			s.Step("PIN try counter")
			s.Expect("80CA9F1700", conformance.OK(), conformance.Data([]byte{0x9F, 0x17, 0x01, byte(left - 1)}))
			right, _ := emv.PlainPINBlock(pay(s).PIN.Value)
			s.Step("VERIFY the right PIN")
			s.Expect(append([]byte{0x00, 0x20, 0x00, 0x80, 0x08}, right...), conformance.OK())
			s.Step("PIN try counter")
			s.Expect("80CA9F1700", conformance.OK(), conformance.Data([]byte{0x9F, 0x17, 0x01, byte(pay(s).PIN.MaxTries)}))
		},
	},
	{
		ID: "PAY-PIN-003", Title: "A malformed PIN block answers 6A80 and spends no try",
		Clause: book3 + " §6.5.12.2, " + modelPay, Requires: needPINTries(1),
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			s.Step("VERIFY with control field 1")
			s.Expect("002000800814123456FFFFFFFF", conformance.SW(iso7816.SWWrongData))
			s.Step("VERIFY with a letter in the PIN")
			s.Expect("00200080082412A4FFFFFFFFFF", conformance.SW(iso7816.SWWrongData))
			s.Step("PIN try counter")
			s.Expect("80CA9F1700", conformance.OK(), conformance.Data([]byte{0x9F, 0x17, 0x01, byte(*pay(s).PIN.TriesLeft)}))
		},
	},
}

// wrongPIN returns another PIN of the same length.
func wrongPIN(p string) string {
	b := []byte(p)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// quicsGPO sends a qUICS GPO and returns the answer's CID.
func quicsGPO(s *conformance.S, o gpoOpts) (byte, iso7816.Response) {
	o.quics = true
	r := gpo(s, o)
	if !s.Check(r, conformance.OK()) {
		s.Fatalf("qUICS GPO refused")
	}
	cid := field(s, r.Data, emv.TagRMTF2, emv.TagCID)
	if len(cid) != 1 {
		s.Fatalf("CID % X", cid)
	}
	return cid[0], r
}

// ecashDecision checks the card's qUICS decision and that the balance
// moves only with a TC.
func ecashDecision(s *conformance.S, o gpoOpts, want emv.Cryptogram) {
	selectApp(s, app(s))
	before := balance(s)
	o.sm = pay(s).HasSM()
	cid, r := quicsGPO(s, o)
	if emv.Cryptogram(cid&0xC0) != want {
		s.Errorf("the card answered %s, want %s", emv.Cryptogram(cid&0xC0), want)
	}
	after := balance(s)
	switch {
	case want == emv.TC && after != before-o.amount:
		s.Errorf("balance %d after a TC of %d from %d", after, o.amount, before)
	case want != emv.TC && after != before:
		s.Errorf("balance moved from %d to %d without a TC", before, after)
	}
	if v, ok := iso7816.Find(r.Data, emv.TagRMTF2, emv.TagOfflineAmount); ok && amountOf(s, v) != after {
		s.Errorf("9F5D says %d, GET DATA 9F79 %d", amountOf(s, v), after)
	}
}

// needBalance: the declared balance allows the amount.
func needBalance(min int64) func(*profile.Profile) string {
	return conformance.RequireAll(needECash, func(p *profile.Profile) string {
		if p.Pay.ECash.Balance < min {
			return "the declared electronic cash balance is too low"
		}
		return ""
	})
}

var ecashCases = []*conformance.Case{
	{
		ID: "PAY-EC-001", Title: "qUICS within the balance and limits: TC, the balance debited, 9F5D the new balance",
		Clause: ecash + ", " + quics, Requires: needBalance(2),
		Restores: true,
		Run: func(s *conformance.S) {
			ecashDecision(s, gpoOpts{amount: 1}, emv.TC)
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-EC-002", Title: "qUICS above the single transaction limit: ARQC, balance untouched",
		Clause: ecash, Requires: needECash,
		Run: func(s *conformance.S) {
			ecashDecision(s, gpoOpts{amount: uint64(pay(s).ECash.SingleLimit) + 1}, emv.ARQC)
		},
	},
	{
		ID: "PAY-EC-003", Title: "qUICS above the balance: ARQC, balance untouched",
		Clause: ecash, Requires: needECash,
		Run: func(s *conformance.S) { ecashDecision(s, gpoOpts{amount: uint64(pay(s).ECash.Balance) + 1}, emv.ARQC) },
	},
	{
		ID: "PAY-EC-004", Title: "qUICS with an other amount (cashback): ARQC",
		Clause: ecash, Requires: needBalance(2),
		Run: func(s *conformance.S) { ecashDecision(s, gpoOpts{amount: 1, other: 1}, emv.ARQC) },
	},
	{
		ID: "PAY-EC-005", Title: "qUICS in another currency than the application's: ARQC",
		Clause: ecash, Requires: needBalance(2),
		Run: func(s *conformance.S) {
			ecashDecision(s, gpoOpts{amount: 1, currency: []byte{0x08, 0x40}}, emv.ARQC)
		},
	},
	{
		ID: "PAY-EC-006", Title: "qUICS on an offline-only reader above the balance: AAC",
		Clause: ecash + ", " + quics, Requires: needECash,
		Run: func(s *conformance.S) {
			ecashDecision(s, gpoOpts{amount: uint64(pay(s).ECash.Balance) + 1, ttq: [4]byte{0x2E, 0x00, 0x00, 0x00}}, emv.AAC)
		},
	},
	{
		ID: "PAY-EC-007", Title: "qUICS with 'online cryptogram required' in the TTQ: ARQC",
		Clause: quics, Requires: needBalance(2),
		Run: func(s *conformance.S) {
			ecashDecision(s, gpoOpts{amount: 1, ttq: [4]byte{0x26, 0x80, 0x00, 0x00}}, emv.ARQC)
		},
	},
	{
		ID: "PAY-EC-008", Title: "qUICS leaving less than the reset threshold on an online reader: ARQC",
		Clause:  ecash,
		Persona: "pay-sm",
		Requires: conformance.RequireAll(needECash, func(p *profile.Profile) string {
			if p.Pay.ECash.ResetThreshold == 0 || p.Pay.ECash.Balance <= p.Pay.ECash.ResetThreshold {
				return "no reset threshold below the declared balance"
			}
			return ""
		}),
		Run: func(s *conformance.S) {
			e := pay(s).ECash
			ecashDecision(s, gpoOpts{amount: uint64(e.Balance-e.ResetThreshold) + 1}, emv.ARQC)
		},
	},
	{
		ID: "PAY-EC-009", Title: "A CVM limit exceeded asks for online PIN in the CTQ and goes online",
		Clause:  quics + ", " + modelPay,
		Persona: "pay-sm",
		Requires: conformance.RequireAll(needECash, func(p *profile.Profile) string {
			if p.Pay.ECash.CVMLimit >= p.Pay.ECash.Balance {
				return "the declared CVM limit is not below the balance"
			}
			return ""
		}),
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			_, r := quicsGPO(s, gpoOpts{amount: uint64(pay(s).ECash.CVMLimit) + 1, sm: pay(s).HasSM()})
			ctq := field(s, r.Data, emv.TagRMTF2, emv.TagCTQ)
			if len(ctq) != 2 || ctq[0]&0x80 == 0 {
				s.Errorf("CTQ % X lacks 'online PIN required'", ctq)
			}
			if cid := field(s, r.Data, emv.TagRMTF2, emv.TagCID); cid[0]&0xC0 != byte(emv.ARQC) {
				s.Errorf("CID %02X, want ARQC", cid[0])
			}
		},
	},
}
