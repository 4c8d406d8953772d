package paysuite

import (
	"bytes"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
)

// cdolData builds data for a card's CDOL with a terminal's values.
func cdolData(s *conformance.S, c *cardData, t emv.Tag, amount uint64) []byte {
	d, err := emv.ParseDOL(c.get(s, t))
	if err != nil {
		s.Fatalf("%s: %v", t, err)
	}
	db := emv.NewDB()
	db.Set(emv.TagAmount, amountBytes(amount))
	db.Set(emv.TagAmountOther, amountBytes(0))
	db.Set(emv.TagTermCountry, []byte{0x01, 0x56})
	db.Set(emv.TagCurrency, []byte{0x01, 0x56})
	n := today()
	db.Set(emv.TagTxDate, []byte{bcd(n.Year() % 100), bcd(int(n.Month())), bcd(n.Day())})
	db.Set(emv.TagTxTime, []byte{0x12, 0x00, 0x00})
	db.Set(emv.TagTxType, []byte{0x00})
	db.Set(emv.TagUN, []byte{0x12, 0x34, 0x56, 0x78})
	db.Set(emv.TagARC, []byte("00"))
	return d.Build(db)
}

func amountBytes(v uint64) []byte {
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	return out
}

func genAC(p1 byte, data []byte) []byte {
	out := []byte{0x80, 0xAE, p1, 0x00, byte(len(data))}
	out = append(out, data...)
	return append(out, 0x00)
}

// acOf decodes a GENERATE AC answer of either format: CID, ATC, AC, IAD.
func acOf(s *conformance.S, r iso7816.Response) (cid byte, atc, ac, iad []byte) {
	if v, ok := iso7816.Find(r.Data, emv.TagRMTF1); ok {
		if len(v) < 11 {
			s.Fatalf("format 1 answer of %d bytes", len(v))
		}
		return v[0], v[1:3], v[3:11], v[11:]
	}
	cidB := field(s, r.Data, emv.TagRMTF2, emv.TagCID)
	return cidB[0], field(s, r.Data, emv.TagRMTF2, emv.TagATC), field(s, r.Data, emv.TagRMTF2, emv.TagAC), field(s, r.Data, emv.TagRMTF2, emv.TagIAD)
}

// issuerCheck runs a transaction through the kernel and its issuer host
// and checks the host recomputed the cryptogram it was sent.
func issuerCheck(s *conformance.S, sm bool, tx emv.Transaction) {
	k, is := kernel(s, sm)
	r, err := transact(s, k, tx)
	checks := is.Checks()
	if len(checks) != 1 {
		s.Fatalf("the issuer host got %d requests (outcome %s, %v)", len(checks), r.Outcome, err)
	}
	c := checks[0]
	want := emv.AlgDES
	if sm {
		want = emv.AlgSM4
	}
	if c.Alg != want {
		s.Errorf("the cryptogram is on the %s path, want %s", c.Alg, want)
	}
	if !c.OK {
		s.Errorf("the issuer host does not recompute the card's cryptogram: %v (input %X)", c.Err, c.Input)
	}
	if r.Outcome != emv.ApprovedOnline {
		s.Errorf("outcome %s: %v", r.Outcome, err)
	}
}

var acCases = []*conformance.Case{
	{
		ID: "PAY-AC-001", Title: "GENERATE AC before GPO answers 6985",
		Clause: book3 + " §6.5.5, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			s.Expect(genAC(0x80, make([]byte, 52)), conformance.SW(iso7816.SWConditionsNotSatisfied))
		},
	},
	{
		ID: "PAY-AC-002", Title: "GENERATE AC with CDOL1 data of the wrong length answers 6700",
		Clause: book3 + " §6.5.5, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			c := readCard(s, pay(s).HasSM())
			d := cdolData(s, c, emv.TagCDOL1, 100)
			s.Step("GENERATE AC with %d bytes (%d asked)", len(d)-1, len(d))
			s.Expect(genAC(0x80, d[:len(d)-1]), conformance.SW(iso7816.SWWrongLength))
			s.Step("GENERATE AC with %d bytes (%d asked)", len(d)+1, len(d))
			s.Expect(genAC(0x80, append(d, 0)), conformance.SW(iso7816.SWWrongLength))
		},
	},
	{
		ID: "PAY-AC-003", Title: "GENERATE AC with P1 C0 (RFU cryptogram type) answers 6A86",
		Clause: book3 + " §6.5.5.2", Requires: needPay,
		Run: func(s *conformance.S) {
			c := readCard(s, pay(s).HasSM())
			s.Expect(genAC(0xC0, cdolData(s, c, emv.TagCDOL1, 100)), conformance.SW(iso7816.SWWrongP1P2))
		},
	},
	{
		ID: "PAY-AC-004", Title: "An ARQC on the DES path is recomputed by the issuer host (CDOL1 data, AIP, ATC, CVR)",
		Clause: book2 + " Annex A1, " + modelPay, Requires: needPath(false),
		Run: func(s *conformance.S) { issuerCheck(s, false, emv.Transaction{Amount: 100, ForceOnline: true}) },
	},
	{
		ID: "PAY-AC-005", Title: "An ARQC on the SM path is recomputed by the issuer host with SM4",
		Clause: modelPay, Requires: needPath(true),
		Run: func(s *conformance.S) { issuerCheck(s, true, emv.Transaction{Amount: 100, ForceOnline: true}) },
	},
	{
		ID: "PAY-AC-006", Title: "A qUICS ARQC is recomputed by the issuer host from the PDOL data",
		Clause: quics + ", " + modelPay, Requires: needContactless,
		Run: func(s *conformance.S) {
			for _, sm := range paths(s) {
				issuerCheck(s, sm, emv.Transaction{Amount: 1, Contactless: true, ForceOnline: true})
			}
		},
	},
	{
		ID: "PAY-AC-007", Title: "The TC of a qUICS offline approval is recomputed by the issuer host",
		Clause: quics + ", " + modelPay, Requires: needECash,
		Restores: true,
		Run: func(s *conformance.S) {
			k, is := kernel(s, pay(s).HasSM(), func(c *emv.Config) { c.Host = nil })
			r, err := transact(s, k, emv.Transaction{Amount: 1, Contactless: true})
			if r.Outcome != emv.ApprovedOffline {
				s.Fatalf("outcome %s: %v", r.Outcome, err)
			}
			c := is.VerifyCryptogram(r.AuthRequest())
			if !c.OK || c.Cryptogram != emv.TC {
				s.Errorf("the issuer host does not recompute the TC: %v (type %s)", c.Err, c.Cryptogram)
			}
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-AC-008", Title: "The second GENERATE AC's TC is recomputed over the CDOL2 data",
		Clause: book3 + " §10.11, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			k, is := kernel(s, sm)
			r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true})
			if r.Outcome != emv.ApprovedOnline || r.Cryptogram != emv.TC {
				s.Fatalf("outcome %s, cryptogram %s: %v", r.Outcome, r.Cryptogram, err)
			}
			var cdol2 []byte
			for _, e := range r.Log {
				if e.Step == "GENERATE AC 2" && len(e.Command) > 5 {
					cdol2 = e.Command[5 : 5+int(e.Command[4])]
				}
			}
			iad, atcV := r.DB.Get(emv.TagIAD), r.DB.Get(emv.TagATC)
			if len(iad) < 8 {
				s.Fatalf("IAD % X", iad)
			}
			in := append(append(append(append([]byte(nil), cdol2...), r.DB.Get(emv.TagAIP)...), atcV...), iad[3:7]...)
			want, err := is.ComputeAC(emv.Alg(iad[2]), panDigits(s), psn(s), atcV, in)
			s.OK(err, "issuer cryptogram")
			if !bytes.Equal(want, r.AC) {
				s.Errorf("second cryptogram %X, the issuer computes %X", r.AC, want)
			}
			if cid := r.DB.Get(emv.TagCID); len(cid) != 1 || cid[0]&0xC0 != byte(emv.TC) {
				s.Errorf("CID % X after an approval", cid)
			}
		},
	},
	{
		ID: "PAY-AC-009", Title: "GENERATE AC gives what is asked: AAC for AAC, ARQC for ARQC, with the GPO's ATC",
		Clause: book3 + " §6.5.5, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			for _, want := range []byte{0x00, 0x80} {
				c := readCard(s, pay(s).HasSM())
				before := atc(s)
				s.Step("GENERATE AC asking %02X", want)
				r := s.Expect(genAC(want, cdolData(s, c, emv.TagCDOL1, 100)), conformance.OK())
				if s.Failed() {
					return
				}
				cid, atcV, _, _ := acOf(s, r)
				if cid&0xC0 != want {
					s.Errorf("asked %02X, got CID %02X", want, cid)
				}
				if got := uint16(atcV[0])<<8 | uint16(atcV[1]); got != before {
					s.Errorf("GENERATE AC ATC %d, the GPO's %d", got, before)
				}
			}
		},
	},
	{
		ID: "PAY-AC-010", Title: "EXTERNAL AUTHENTICATE: the issuer's ARPC is accepted; a wrong one answers 6300, then 6985",
		Clause: book3 + " §6.5.4, " + book2 + " §8.2.1", Requires: needPay,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			k, _ := kernel(s, sm)
			r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true})
			if r.Online == nil || r.Online.IssuerAuth == nil || !*r.Online.IssuerAuth {
				s.Errorf("the card did not accept the issuer's ARPC (outcome %s, %v)", r.Outcome, err)
			}
			c := readCard(s, sm)
			s.Step("GENERATE AC asking ARQC")
			s.Must(genAC(0x80, cdolData(s, c, emv.TagCDOL1, 100)), conformance.OK())
			s.Step("EXTERNAL AUTHENTICATE with a wrong ARPC")
			s.Expect("008200000A0123456789ABCDEF3030", conformance.SW(iso7816.Status(0x6300)))
			s.Step("EXTERNAL AUTHENTICATE again")
			s.Expect("008200000A0123456789ABCDEF3030", conformance.SW(iso7816.SWConditionsNotSatisfied))
		},
	},
	{
		ID: "PAY-AC-011", Title: "GENERATE AC after a qUICS GPO answers 6985",
		Clause: quics, Requires: needContactless,
		Run: func(s *conformance.S) {
			c := readCard(s, pay(s).HasSM())
			d := cdolData(s, c, emv.TagCDOL1, 1)
			s.Check(gpo(s, gpoOpts{amount: 1, quics: true, sm: pay(s).HasSM(), ttq: [4]byte{0x26, 0x80, 0, 0}}), conformance.OK())
			s.Step("GENERATE AC")
			s.Expect(genAC(0x80, d), conformance.SW(iso7816.SWConditionsNotSatisfied))
		},
	},
	{
		ID: "PAY-AC-012", Title: "A second GENERATE AC asking ARQC answers 6A86",
		Clause: book3 + " §6.5.5, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			c := readCard(s, pay(s).HasSM())
			s.Step("GENERATE AC asking ARQC")
			s.Must(genAC(0x80, cdolData(s, c, emv.TagCDOL1, 100)), conformance.OK())
			s.Step("second GENERATE AC asking ARQC")
			s.Expect(genAC(0x80, cdolData(s, c, emv.TagCDOL2, 100)), conformance.SW(iso7816.SWWrongP1P2))
		},
	},
}
