package conformance

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

// readByID reads record identifier tag of SFI sfi with Le.
func readByID(sfi, tag, le byte) []byte { return apduLe(0, 0xB2, tag, sfi<<3, le) }

var readCases = []*Case{
	{
		ID: "SSSE-READ-001", Title: "READ RECORD by identifier with SFI (P2=SFI<<3) right after SELECT SSSE",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("read EF05 record 01")
			s.Expect(readByID(5, 0x01, 0x12), OK(), Data(record(s, "EF05", 0x01)))
		},
	},
	{
		ID: "SSSE-READ-002", Title: "READ RECORD by number with SFI (P2=SFI<<3|4)",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			n := recordNumber(s, "EF05", 0x07)
			s.Step("read EF05 record number %d", n)
			s.Expect(apduLe(0, 0xB2, n, 5<<3|4, 0x00), OK(), Data(record(s, "EF05", 0x07)))
		},
	},
	{
		ID: "SSSE-READ-003", Title: "READ RECORD by number in the current EF (P2=04)",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select EF05")
			s.Must("00A4020002EF05", OK())
			s.Step("read record 3")
			s.Expect(apduLe(0, 0xB2, 3, 0x04, 0x00), OK(), Data(records(s)["EF05"][2]))
		},
	},
	{
		ID: "SSSE-READ-004", Title: "READ RECORD by identifier in the current EF (P2=00)",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select EF05")
			s.Must("00A4020002EF05", OK())
			s.Step("read record 06")
			s.Expect(apduLe(0, 0xB2, 0x06, 0x00, 0x00), OK(), Data(record(s, "EF05", 0x06)))
		},
	},
	{
		ID: "SSSE-READ-005", Title: "Le larger than the record returns the whole record with 9000",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(readByID(5, 0x07, 0x0E), OK(), Data(record(s, "EF05", 0x07)))
		},
	},
	{
		ID: "SSSE-READ-006", Title: "Le smaller than the record answers 6Cxx with the record's length",
		Clause: iso4 + " §5.6; " + cardT0, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			want := record(s, "EF05", 0x01)
			s.Expect(readByID(5, 0x01, 0x04), SW(iso7816.SWWrongLe|iso7816.Status(len(want))), NoData())
		},
	},
	{
		ID: "SSSE-READ-007", Title: "Le=00 returns the whole record",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(readByID(5, 0x05, 0x00), OK(), Data(record(s, "EF05", 0x05)))
		},
	},
	{
		ID: "SSSE-READ-008", Title: "An absent record identifier answers 6A83",
		Clause: iso4 + " §11.3.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(readByID(5, 0x7E, 0x00), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-READ-009", Title: "A record number past the last answers 6A83",
		Clause: iso4 + " §11.3.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			n := byte(len(records(s)["EF05"]) + 1)
			s.Expect(apduLe(0, 0xB2, n, 5<<3|4, 0x00), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-READ-010", Title: "READ RECORD with an absent SFI answers 6A82",
		Clause: iso4 + " §11.3.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(apduLe(0, 0xB2, 0x01, 0x1E<<3|4, 0x00), SW(iso7816.SWFileNotFound))
		},
	},
	{
		ID: "SSSE-READ-011", Title: "READ RECORD with no current EF and no SFI answers 6986",
		Clause: iso4 + " §11.3.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(apduLe(0, 0xB2, 0x01, 0x04, 0x00), SW(iso7816.SWCommandNotAllowedNoEF))
		},
	},
	{
		ID: "SSSE-READ-012", Title: "Each EF05 data item reads back as the profile declares",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			for _, rec := range records(s)["EF05"] {
				s.Step("read EF05 record %02X", rec[0])
				s.Expect(readByID(5, rec[0], byte(len(rec))), OK(), Data(rec))
			}
		},
	},
	{
		ID: "SSSE-READ-013", Title: "READ RECORD identifiers do not leak across files: EF05 has no record 08",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(readByID(5, 0x08, 0x00), SW(iso7816.SWRecordNotFound))
		},
	},
}
