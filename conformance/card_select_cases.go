package conformance

import (
	"fmt"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

var selectCases = []*Case{
	{
		ID: "SSSE-SEL-001", Title: "SELECT SSSE by name over T=0 answers 61xx, GET RESPONSE returns the FCI",
		Clause: cardSSSE + "; " + cardT0, Requires: needSSC,
		Run: func(s *S) {
			r := s.Expect(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SWClass(0x61), NoData())
			if r.SW.SW1() != 0x61 {
				return
			}
			g := s.Expect(apduLe(0, 0xC0, 0, 0, r.SW.SW2()), OK(), DataLen(int(r.SW.SW2())))
			s.Check(g, TLVValue(terminal.SSSEAID, 0x6F, 0x84), HasTLV(0x6F, 0xA5, 0x88))
		},
	},
	{
		ID: "SSSE-SEL-002", Title: "SELECT SSSE as a case 4 command returns the FCI (directly or through 61xx)",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: terminal.SSSEAID, Ne: 256})
			s.Check(r, OK(), TLVValue(terminal.SSSEAID, 0x6F, 0x84))
		},
	},
	{
		ID: "SSSE-SEL-003", Title: "The FCI of a 3.00 card announces its algorithm (9F0C 86)",
		Clause: "CARD.md §1", Requires: needGen("3.00"),
		Run: func(s *S) {
			r := selectSSSE(s)
			// 9F0C is primitive; its value holds the TLV 86 01 <alg>.
			s.Check(r, DataWhere("9F0C 03 86 01 <alg> in the FCI", func(d []byte) error {
				v, ok := iso7816.Find(d, 0x6F, 0xA5, 0x9F0C)
				if !ok {
					return fmt.Errorf("no 9F0C")
				}
				if a, ok := iso7816.Find(v, 0x86); !ok || len(a) != 1 || a[0] != byte(alg(s)) {
					return fmt.Errorf("9F0C is %X, want 86 01 %02X", v, byte(alg(s)))
				}
				return nil
			}))
		},
	},
	{
		ID: "SSSE-SEL-004", Title: "SELECT SSSE with P2=0C answers 9000 without data",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), OK(), NoData())
		},
	},
	{
		ID: "SSSE-SEL-005", Title: "SELECT EF05 by FID with P1=02 answers a plain 9000",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select EF05")
			s.Expect("00A4020002EF05", OK(), NoData())
		},
	},
	{
		ID: "SSSE-SEL-006", Title: "SELECT EF05 by FID with P1=00 answers a plain 9000",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select EF05")
			s.Expect("00A4000002EF05", OK(), NoData())
		},
	},
	{
		ID: "SSSE-SEL-007", Title: "SELECT of an absent AID answers 6A82",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00A4040008A0000000FFFFFFFF", SW(iso7816.SWFileNotFound), NoData())
		},
	},
	{
		ID: "SSSE-SEL-008", Title: "A failed SELECT leaves the SSSE current",
		Clause: iso4 + " §7.2", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select an absent EF")
			s.Expect("00A4020002EF7F", SW(iso7816.SWFileNotFound))
			s.Step("read EF05 record 01 by SFI")
			s.Expect(apduLe(0, 0xB2, 0x01, 5<<3, 0x00), OK(), Data(record(s, "EF05", 0x01)))
		},
	},
	{
		ID: "SSSE-SEL-009", Title: "SELECT EF with P2=04 returns an FCP with the file's SFI and life cycle",
		Clause: iso4 + " §7.4", Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select EF05 with FCP")
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x04, Data: []byte{0xEF, 0x05}, Ne: 256})
			s.Check(r, OK(), TLVValue([]byte{0xEF, 0x05}, 0x62, 0x83), TLVValue([]byte{5 << 3}, 0x62, 0x88), TLVValue([]byte{0x05}, 0x62, 0x8A))
		},
	},
	{
		ID: "SSSE-SEL-010", Title: "SELECT by a partial DF name finds the SSSE",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID[:7]), OK())
		},
	},
	{
		ID: "SSSE-SEL-011", Title: "SELECT MF by FID 3F00 answers 9000",
		Clause: iso4 + " §7.2", Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00A4000C023F00", OK(), NoData())
		},
	},
	{
		ID: "SSSE-SEL-012", Title: "SELECT with an unknown P1 answers 6A86",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00A4070002EF05", SW(iso7816.SWWrongP1P2))
		},
	},
}
