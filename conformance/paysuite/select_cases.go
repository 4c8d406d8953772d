package paysuite

import (
	"bytes"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// entry is the directory entry the profile declares for an application.
func entry(s *conformance.S, a profile.PayApp) []byte {
	var b iso7816.Builder
	b.AddConstructed(emv.TagDirEntry, func(b *iso7816.Builder) {
		b.AddTLV(emv.TagAID, mustHex(s, a.AID))
		b.AddTLV(emv.TagLabel, []byte(a.Label))
		b.AddTLV(emv.TagPriority, []byte{byte(a.Priority)})
	})
	out, err := b.Bytes()
	if err != nil {
		s.Fatalf("directory entry: %v", err)
	}
	return out
}

func selectName(name []byte, next bool) []byte {
	p2 := byte(0x00)
	if next {
		p2 = 0x02
	}
	out := []byte{0x00, 0xA4, 0x04, p2, byte(len(name))}
	out = append(out, name...)
	return append(out, 0x00)
}

var selectCases = []*conformance.Case{
	{
		ID: "PAY-SEL-001", Title: "SELECT 1PAY.SYS.DDF01 answers the PSE's FCI with its directory SFI",
		Clause: book1 + ", " + cardPay, Requires: needPay,
		Run: func(s *conformance.S) {
			s.Step("SELECT PSE")
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: emv.PSEName, Ne: 256})
			s.Check(r, conformance.OK(), conformance.TLVValue(emv.PSEName, emv.TagFCI, emv.TagDFName),
				conformance.TLVValue([]byte{0x01}, emv.TagFCI, emv.TagFCIProp, emv.TagSFI))
		},
	},
	{
		ID: "PAY-SEL-002", Title: "The PSE directory has one record per application, as declared, then 6A83",
		Clause: book1 + " §12.2.3, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			s.Step("SELECT PSE")
			s.Must(selectName(emv.PSEName, false), conformance.OK())
			apps := pay(s).Applications
			for i, a := range apps {
				s.Step("READ RECORD PSE %d", i+1)
				s.Expect([]byte{0x00, 0xB2, byte(i + 1), 0x0C, 0x00}, conformance.OK(),
					conformance.Data(tlvOf(s, emv.TagRecord, entry(s, a))))
			}
			s.Step("READ RECORD PSE %d (past the last)", len(apps)+1)
			s.Expect([]byte{0x00, 0xB2, byte(len(apps) + 1), 0x0C, 0x00}, conformance.SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "PAY-SEL-003", Title: "SELECT 2PAY.SYS.DDF01 lists the contactless applications in BF0C",
		Clause: "EMV Book B §3.3, " + quics, Requires: needContactless,
		Run: func(s *conformance.S) {
			var want []byte
			for _, a := range pay(s).Applications {
				if a.Contactless != nil && *a.Contactless {
					want = append(want, entry(s, a)...)
				}
			}
			s.Step("SELECT PPSE")
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: emv.PPSEName, Ne: 256})
			s.Check(r, conformance.OK(), conformance.TLVValue(emv.PPSEName, emv.TagFCI, emv.TagDFName),
				conformance.TLVValue(want, emv.TagFCI, emv.TagFCIProp, emv.TagFCIDiscret))
		},
	},
	{
		ID: "PAY-SEL-004", Title: "Each application's FCI names it and carries its label, priority and PDOL",
		Clause: book3 + " §6.5.11, " + modelPay, Requires: needPay,
		Run: func(s *conformance.S) {
			pdol := mustHex(s, pay(s).PDOL)
			if pay(s).HasSM() {
				pdol = append(pdol, 0xDF, 0x69, 0x01)
			}
			for _, a := range pay(s).Applications {
				aid := mustHex(s, a.AID)
				r := selectApp(s, aid)
				s.Check(r, conformance.TLVValue(aid, emv.TagFCI, emv.TagDFName),
					conformance.TLVValue([]byte(a.Label), emv.TagFCI, emv.TagFCIProp, emv.TagLabel),
					conformance.TLVValue([]byte{byte(a.Priority)}, emv.TagFCI, emv.TagFCIProp, emv.TagPriority),
					conformance.TLVValue(pdol, emv.TagFCI, emv.TagFCIProp, emv.TagPDOL))
			}
		},
	},
	{
		ID: "PAY-SEL-005", Title: "Partial selection by the RID finds every application, then 6A82",
		Clause: iso4 + " §11.2.2, " + book1 + " §12.3.3", Requires: needPay,
		Run: func(s *conformance.S) {
			var want [][]byte
			for _, a := range pay(s).Applications {
				if aid := mustHex(s, a.AID); bytes.HasPrefix(aid, emv.UnionPay[:]) {
					want = append(want, aid)
				}
			}
			var got [][]byte
			for i := 0; i <= len(want); i++ {
				s.Step("SELECT A000000333 occurrence %d", i+1)
				r := s.Send(selectName(emv.UnionPay[:], i > 0))
				if r.SW == iso7816.SWFileNotFound {
					break
				}
				if !s.Check(r, conformance.OK()) {
					return
				}
				got = append(got, field(s, r.Data, emv.TagFCI, emv.TagDFName))
			}
			if len(got) != len(want) {
				s.Errorf("partial selection found %d applications, the profile declares %d", len(got), len(want))
			}
			for _, w := range want {
				found := false
				for _, g := range got {
					found = found || bytes.Equal(g, w)
				}
				if !found {
					s.Errorf("partial selection never found %X", w)
				}
			}
		},
	},
	{
		ID: "PAY-SEL-006", Title: "SELECT of an AID the card does not have answers 6A82",
		Clause: iso4 + " §11.2.2", Requires: needPay,
		Run: func(s *conformance.S) {
			s.Expect(selectName([]byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x7F}, false), conformance.SW(iso7816.SWFileNotFound))
		},
	},
}

// tlvOf encodes one data object.
func tlvOf(s *conformance.S, t emv.Tag, v []byte) []byte {
	var b iso7816.Builder
	b.AddTLV(t, v)
	out, err := b.Bytes()
	if err != nil {
		s.Fatalf("encoding %s: %v", t, err)
	}
	return out
}
