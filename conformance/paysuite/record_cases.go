package paysuite

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// readAFL reads every record an AFL lists and returns their data objects;
// a record that is not a 70 template is a failure.
func readAFL(s *conformance.S, afl []byte) map[emv.Tag][]byte {
	entries, err := emv.ParseAFL(afl)
	if err != nil {
		s.Fatalf("AFL % X: %v", afl, err)
	}
	out := map[emv.Tag][]byte{}
	for _, e := range entries {
		for n := int(e.First); n <= int(e.Last); n++ {
			s.Step("READ RECORD SFI %d record %d", e.SFI, n)
			r := s.Expect([]byte{0x00, 0xB2, byte(n), e.SFI<<3 | 4, 0x00}, conformance.OK())
			v, ok := iso7816.Find(r.Data, emv.TagRecord)
			if !ok {
				s.Errorf("SFI %d record %d is not a 70 template: % X", e.SFI, n, r.Data)
				continue
			}
			p := iso7816.NewParser(v)
			for !p.Empty() {
				var t emv.Tag
				var val []byte
				if !p.ReadTLV(&t, &val) {
					s.Errorf("SFI %d record %d: malformed TLV", e.SFI, n)
					break
				}
				if _, dup := out[t]; dup {
					s.Errorf("SFI %d record %d repeats %s", e.SFI, n, t)
				}
				out[t] = val
			}
		}
	}
	return out
}

// yymmdd converts a profile date YYYYMMDD to the EMV n6 date.
func yymmdd(s *conformance.S, d string) []byte { return mustHex(s, d[2:]) }

// panField is the PAN as 5A holds it: BCD, F-padded to whole bytes.
func panField(s *conformance.S) []byte {
	p := panDigits(s)
	if len(p)%2 == 1 {
		p += "F"
	}
	return mustHex(s, p)
}

// caIndex returns the index of the CA key a chain names.
func caIndex(s *conformance.S, ca string) byte {
	keys, err := testpay.CAPublicKeys()
	if err != nil {
		s.Fatalf("CA keys: %v", err)
	}
	for _, k := range keys {
		if k.Key == ca+".key.pem" {
			return mustHex(s, k.Index)[0]
		}
	}
	s.Fatalf("no CA public key for %s in vectors/pay", ca)
	return 0
}

func recordValues(s *conformance.S, sm bool) {
	contactGPOQuiet(s, sm)
	got := readAFL(s, wantAFL(s, sm))
	p := pay(s)
	want := map[emv.Tag][]byte{
		emv.TagPAN: panField(s), emv.TagExpiry: yymmdd(s, p.ExpiryDate), emv.TagEffective: yymmdd(s, p.EffectiveDate),
		emv.TagPSN: mustHex(s, p.PSN), emv.TagIssuerCountry: mustHex(s, "0"+p.Country), emv.TagAUC: mustHex(s, p.AUC),
		emv.TagCVMList: mustHex(s, p.CVMList), emv.TagIACDefault: mustHex(s, p.IACDefault),
		emv.TagIACDenial: mustHex(s, p.IACDenial), emv.TagIACOnline: mustHex(s, p.IACOnline),
		emv.TagAppCurrency: mustHex(s, "0"+p.Currency), emv.TagLCOL: {byte(*p.LowerOfflineLimit)},
		emv.TagUCOL: {byte(*p.UpperOfflineLimit)}, emv.TagServiceCode: mustHex(s, "0"+p.ServiceCode),
		emv.TagSDATagList: {0x82},
	}
	if isECash(p) {
		want[emv.TagECIssuerAuth] = []byte("ECC001")
	}
	chain := p.RSA
	if sm {
		chain = p.SM2
	}
	want[emv.TagCAIndex] = []byte{caIndex(s, chain.CA)}
	for t, w := range want {
		if g, ok := got[t]; !ok {
			s.Errorf("no %s (%s) in the records", t, emv.TagName(t))
		} else if !bytes.Equal(g, w) {
			s.Errorf("%s (%s) is %X, the profile declares %X", t, emv.TagName(t), g, w)
		}
	}
	for _, t := range []emv.Tag{emv.TagTrack2, emv.TagCDOL1, emv.TagCDOL2, emv.TagDDOL, emv.TagIssuerCert, emv.TagICCCert} {
		if _, ok := got[t]; !ok {
			s.Errorf("no %s (%s) in the records", t, emv.TagName(t))
		}
	}
	if !sm {
		for _, t := range []emv.Tag{emv.TagIssuerExp, emv.TagICCExp} {
			if !bytes.Equal(got[t], []byte{0x01, 0x00, 0x01}) {
				s.Errorf("%s is %X, want 010001", t, got[t])
			}
		}
	}
}

// contactGPOQuiet selects the first application and runs a contact GPO
// on a path, ending the case unless 9000.
func contactGPOQuiet(s *conformance.S, sm bool) {
	s.Check(gpo(s, gpoOpts{amount: 100, sm: sm}), conformance.OK())
	if s.Failed() {
		s.Fatalf("GPO refused")
	}
}

var recordCases = []*conformance.Case{
	{
		ID: "PAY-REC-001", Title: "The records of the DES/RSA path are 70 templates holding the declared data",
		Clause: book3 + " §10.2, " + modelPay, Requires: needPath(false),
		Run: func(s *conformance.S) { recordValues(s, false) },
	},
	{
		ID: "PAY-REC-002", Title: "The records of the SM path are 70 templates holding the declared data",
		Clause: book3 + " §10.2, " + modelPay, Requires: needPath(true),
		Run: func(s *conformance.S) { recordValues(s, true) },
	},
	{
		ID: "PAY-REC-003", Title: "READ RECORD: 6A83 past the last record, 6A82 for an absent SFI, 6A86 for another P2",
		Clause: iso4 + " §11.3.3, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			s.Step("record 3 of SFI 1 (two records)")
			s.Expect("00B2030C00", conformance.SW(iso7816.SWRecordNotFound))
			s.Step("SFI 30")
			s.Expect("00B201F400", conformance.SW(iso7816.SWFileNotFound))
			s.Step("P2 = SFI<<3 (by identifier)")
			s.Expect("00B2010800", conformance.SW(iso7816.SWWrongP1P2))
		},
	},
	{
		ID: "PAY-REC-004", Title: "The transaction log has the declared format and grows with a TC",
		Clause: "JR/T 0025.5 (transaction log), " + modelPay, Requires: needECash,
		Restores: true,
		Run: func(s *conformance.S) {
			selectApp(s, app(s))
			format := getData(s, 0x9F4F)
			d, err := emv.ParseDOL(format)
			if err != nil {
				s.Fatalf("log format: %v", err)
			}
			s.Check(iso7816.Response{SW: iso7816.SWOK, Data: format}, conformance.DataWhere("log format asks for the ATC and the amount", func([]byte) error {
				if !d.Has(emv.TagATC) || !d.Has(emv.TagAmount) {
					return fmt.Errorf("log format %X", format)
				}
				return nil
			}))
			k, _ := kernel(s, pay(s).HasSM())
			if r, err := transact(s, k, emv.Transaction{Amount: 1, Contactless: true}); !r.Outcome.Approved() {
				s.Fatalf("the transaction was not approved: %v", err)
			}
			selectApp(s, app(s))
			s.Step("READ RECORD SFI 11 record 1")
			r := s.Expect("00B2015C00", conformance.OK(), conformance.DataLen(d.DataLen()))
			if s.Failed() {
				return
			}
			v, _ := d.Split(r.Data)
			if a := v[emv.TagAmount]; len(a) == 6 && amountOf(s, a) != 1 {
				s.Errorf("the log records amount %X, the transaction was 0.01", a)
			}
			if !strings.HasPrefix(fmt.Sprintf("%X", v[emv.TagATC]), fmt.Sprintf("%04X", atc(s))) {
				s.Errorf("the log records ATC %X, the card's is %04X", v[emv.TagATC], atc(s))
			}
			restoreBalance(s)
		},
	},
}
