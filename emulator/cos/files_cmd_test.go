package cos_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// Records of the gen2 persona (CARD.md §2), as READ RECORD returns them.
var (
	g2EF05 = []string{
		"0110 110100D156000005 013202AD9A3C5E71",
		"020132",
		"0304 322E3030",
		"040C 110000000000000000000001",
		"0504 20150601",
		"0604 20250601",
		"0709 423132333435363738",
	}
	// EF06: social security number, name (00-padded GBK), name extension
	// (FF-padded), sex, ethnic group, birthplace, birth date.
	g2EF06 = []string{
		"0812 313130313035313934393132333130303258",
		"091E D5C5C8FD" + strings.Repeat("00", 26),
		"4E14" + strings.Repeat("FF", 20),
		"0A0131",
		"0B0101",
		"0C03110105",
		"0D0419491231",
	}
	// A 64-byte record for DF02 EF05 (linear variable, 64 bytes at most).
	rec64 = "3C3E" + strings.Repeat("A5", 62)
)

// TestCmdReadBinary covers READ BINARY (ISO/IEC 7816-4 §11.2.3) by SFI and
// by current EF, with the access rules of EF07/EF08 per generation.
func TestCmdReadBinary(t *testing.T) {
	t.Parallel()
	zeros16 := strings.Repeat("00", 16)
	cmdRunCases(t, []cmdCase{
		{"gen2 EF07 needs the PIN", "gen2", []cmdStep{
			{"00B0870010", "6982"},
			{"00A4020C02EF07", "9000"},
			{"00B0000010", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00B0870010", zeros16 + "9000"},
			{"00B0880010", zeros16 + "9000"},
			{"00B0000010", zeros16 + "9000"},
		}},
		{"3.00 EF07/EF08 need RKSSSE, not the PIN", "activated", []cmdStep{
			{"00B0870010", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00B0880010", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B0870010", zeros16 + "9000"},
			{"00B0880010", zeros16 + "9000"},
		}},
		{"Le=00 reads 256 bytes", "gen2", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"00B0880000", strings.Repeat("00", 256) + "9000"},
			// Without Le: 6Cxx with what there is, at most FF.
			{"00B08800", "6CFF"},
			{"00B0880000", strings.Repeat("00", 256) + "9000"},
		}},
		{"by current EF, offsets", "gen2", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"EXTAUTH 0D", "9000"},
			{"00A4020C02EF07", "9000"},
			{"00D603FC0411223344", "9000"},
			{"00B003F810", "0000000011223344 6282"}, // Le past the end
			{"00B003FC04", "11223344 9000"},
			{"00B003FF01", "44 9000"},
			{"00B0040001", "6B00"}, // offset at the end
			{"00B0040110", "6B00"}, // offset beyond the end
			{"00B07FFF01", "6B00"},
			// The same by SFI: the offset is P2 only.
			{"00B087FF01", "00 9000"},
		}},
		{"no current EF", "gen2", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00B0000010", "6986"},
			{"00D60000020102", "6986"},
		}},
		{"record EF", "gen2", []cmdStep{
			{"00B0850010", "6981"},
			{"00B0860010", "6981"},
			{"00A4020C02EF05", "9000"},
			{"00B0000010", "6981"},
			{"EXTAUTH 04", "9000"},
			{"00D685000101", "6981"},
		}},
		{"bad P1, unknown SFI, data", "gen2", []cmdStep{
			{"00B0890010", "6A82"}, // SFI 9
			{"00B0800010", "6A86"}, // SFI 0
			{"00B09F0010", "6A86"}, // SFI 31
			{"00B0A70010", "6A86"}, // b7-b6 not zero
			{"00B087000100", "6700"},
		}},
	})
}

// TestCmdUpdateBinary covers UPDATE BINARY (ISO/IEC 7816-4 §11.2.5) with
// external authentication and with a MAC.
func TestCmdUpdateBinary(t *testing.T) {
	t.Parallel()
	cmdRunCases(t, []cmdCase{
		{"gen2 EF07 needs key 0D", "gen2", []cmdStep{
			{"00D687000401020304", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00D687000401020304", "6982"}, // the PIN is not enough
			{"EXTAUTH 04", "9000"},
			{"00D687000401020304", "6982"}, // nor another key
			{"EXTAUTH 0D", "9000"},
			{"00D687000401020304", "9000"},
			{"00B0870006", "010203040000 9000"},
			{"00A4020C02EF07", "9000"},
			{"00D6000204AABBCCDD", "9000"},
			{"00B0000008", "0102AABBCCDD0000 9000"},
			{"00D6800004AABBCCDD", "6A86"},
		}},
		{"3.00 EF08 with keys 0D and 0A", "activated", []cmdStep{
			{"00D688000201 02", "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00D6880A020102", "9000"},
			{"00B0880A02", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B0880802", "0000 9000"},
			{"00B0880A02", "0102 9000"},
		}},
		{"lengths and offsets", "gen2", []cmdStep{
			{"EXTAUTH 0D", "9000"},
			{"00A4020C02EF07", "9000"},
			{"00D603FE03010203", "6700"},       // past the end
			{"00D6040102 0102", "6B00"},        // offset beyond the end
			{"00D6000004010203 04 00", "6700"}, // Le present
			{"00D60000", "6700"},               // no data
			{"00D603FD03010203", "9000"},       // up to the last byte
		}},
	})
}

// TestCmdUpdateBinarySM writes EF07 of a 3.00 card with CLA 84 and a MAC
// instead of external authentication.
func TestCmdUpdateBinarySM(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	r := cmdSecure(t, s, terminal.KeyEF06Wr, 0xD6, 0x87, 0x10, []byte{0xCA, 0xFE})
	if r.SW != 0x9000 {
		t.Fatalf("84 D6 with key 0D: %s", r)
	}
	// A MAC with the wrong key changes nothing.
	before := c.Cells()
	r = cmdSecure(t, s, terminal.KeyEF05, 0xD6, 0x87, 0x10, []byte{0xBA, 0xD0})
	if r.SW != 0x6988 {
		t.Errorf("84 D6 with key 04: %s, want 6988", r)
	}
	cmdSameCells(t, c, before, "UPDATE BINARY with a wrong MAC")
	cmdRunSession(t, s, c, []cmdStep{
		{"EXTAUTH 0A", "9000"},
		{"00B0870F04", "00CAFE00 9000"},
	})
}

// TestCmdReadRecord covers READ RECORD (ISO/IEC 7816-4 §11.3.3) in the four
// addressing forms of CARD.md §2, the occurrence modes and the Le rules.
func TestCmdReadRecord(t *testing.T) {
	t.Parallel()
	ok := func(rec string) string { return rec + "9000" }
	cmdRunCases(t, []cmdCase{
		{"P2=04 number in the current EF", "gen2", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4020C02EF05", "9000"},
			{"00B2010400", ok(g2EF05[0])},
			{"00B2070400", ok(g2EF05[6])},
			{"00A4020C02EF06", "9000"},
			{"00B2010400", ok(g2EF06[0])},
			{"00B2030400", ok(g2EF06[2])},
			// Reading by number leaves the record pointer undefined (ISO/IEC
			// 7816-4 Annex C), so there is no current record yet.
			{"00B2000400", "6A83"},
			{"00B24E0000", ok(g2EF06[2])}, // by identifier: the pointer moves
			{"00B2000400", ok(g2EF06[2])}, // P1=00: the current record
		}},
		{"P2=SFI<<3|4 number by SFI", "gen2", []cmdStep{
			{"00B2012C00", ok(g2EF05[0])},
			{"00B2022C00", ok(g2EF05[1])},
			{"00B2052C00", ok(g2EF05[4])},
			{"00B2063400", ok(g2EF06[5])},
			{"00B2073400", ok(g2EF06[6])},
			{"00B2003400", "6A83"}, // by SFI: the record pointer is reset
		}},
		{"P2=00 identifier in the current EF", "gen2", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4020C02EF06", "9000"},
			{"00B2090000", ok(g2EF06[1])},
			{"00B20A0000", ok(g2EF06[3])},
			{"00B24E0000", ok(g2EF06[2])},
			{"00A4020C02EF05", "9000"},
			{"00B2070000", ok(g2EF05[6])},
		}},
		{"P2=SFI<<3 identifier by SFI", "gen2", []cmdStep{
			{"00B2012800", ok(g2EF05[0])},
			{"00B2032800", ok(g2EF05[2])},
			{"00B2083000", ok(g2EF06[0])},
			{"00B20D3000", ok(g2EF06[6])},
		}},
		{"by SFI right after selecting the SSSE", "gen2", []cmdStep{
			{cmdSelectMF, "9000"},
			{"00B2012800", "6A82"},
			{cmdSelectSSSE, "9000"},
			{"00B2072800", ok(g2EF05[6])},
			{cmdSelectSSSE, "9000"},
			{"00B2063400", ok(g2EF06[5])},
		}},
		{"first, last, next, previous", "gen2", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4020C02EF05", "9000"},
			{"00B2030000", ok(g2EF05[2])}, // identifier 03: the pointer is on record 3
			{"00B2000200", ok(g2EF05[3])}, // next
			{"00B2000200", ok(g2EF05[4])},
			{"00B2000300", ok(g2EF05[3])}, // previous
			{"00B2000100", ok(g2EF05[6])}, // last
			{"00B2000200", "6A83"},        // nothing after the last
			{"00B2000000", ok(g2EF05[0])}, // first
			{"00B2000300", "6A83"},        // nothing before the first
			{"00B2000400", ok(g2EF05[0])}, // still on record 1
			{"00B2060200", ok(g2EF05[5])}, // next with identifier 06
			{"00B2020200", "6A83"},        // no identifier 02 after record 6
			{"00B2020300", ok(g2EF05[1])}, // but before it
			{"00B2070100", ok(g2EF05[6])},
			{"00B2002A00", ok(g2EF05[0])}, // by SFI the pointer is reset: next is the first
		}},
		{"no current record in another EF", "gen2", []cmdStep{
			{"00B2032C00", ok(g2EF05[2])},
			{"00B2633400", "6A83"},
			// EF06 is current now, with no current record: next is record 1,
			// previous is the last record.
			{"00B2003200", ok(g2EF06[0])},
			{"00B2033400", ok(g2EF06[2])},
			{"00B2002C00", "6A83"}, // back to EF05: no current record there
			{"00B2002B00", ok(g2EF05[6])},
		}},
		{"Le is a maximum", "gen2", []cmdStep{
			{"00B2072820", ok(g2EF05[6])}, // larger than the record
			{"00B207280B", ok(g2EF05[6])}, // exact
			{"00B2072805", "6C0B"},        // shorter: the record's length
			{"00B2072801", "6C0B"},
			{"00B20728", "6C0B"}, // no Le
			{"00B2072800", ok(g2EF05[6])},
			{"00B2093000", ok(g2EF06[1])},
			{"00B209301F", "6C20"},
		}},
		{"errors", "gen2", []cmdStep{
			{"00B2082C00", "6A83"}, // no record 8
			{"00B2992800", "6A83"}, // no identifier 99
			{"00B2014C00", "6A82"}, // SFI 9
			{"00B201FC00", "6A86"}, // SFI 31
			{"00B201FD00", "6A86"},
			{"00B2012D00", "6A86"}, // P2 b3-b1 = 101
			{"00B2012E00", "6A86"},
			{"00B2012F00", "6A86"},
			{"00B2013C00", "6981"}, // EF07 is transparent
			{"00B2012C0101", "6700"},
			{cmdSelectSSSE, "9000"},
			{"00B2010400", "6986"}, // no current EF
			{"00B2010000", "6986"},
		}},
		{"3.00 EF06 and EF0D need RKSSSE", "activated", []cmdStep{
			{"00B2012C00", ok(recCardID3)},
			{"00B2013400", "6982"},
			{"00B2EA6800", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00B2013400", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B2013400", ok(g2EF06[0])},
			{"00B2EA6800", ok("EA0C 313130313030303030303031")},
			{"00B2EB6800", ok("EB03 110105")},
			{"00B2026C00", ok("EB03 110105")},
		}},
	})
}

// TestCmdUpdateRecord covers UPDATE RECORD (ISO/IEC 7816-4 §11.3.5) by
// identifier and by number, after external authentication.
func TestCmdUpdateRecord(t *testing.T) {
	t.Parallel()
	newNo := "0709 413135393231363232" // card number A15921622
	cmdRunCases(t, []cmdCase{
		{"EF05 by identifier after key 04", "activated", []cmdStep{
			{"00DC07280B" + newNo, "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00DC07280B" + newNo, "6982"}, // key 0D is for EF06
			{"EXTAUTH 04", "9000"},
			{"00DC07280B" + newNo, "9000"},
			{"00B2072800", newNo + "9000"},
			{"00B2012800", recCardID3 + "9000"},
		}},
		{"EF05 by number after key 04", "activated", []cmdStep{
			{"EXTAUTH 04", "9000"},
			{"00DC022C03 020139", "9000"},
			{"00B2022C00", "020139 9000"},
			{"00A4020C02EF05", "9000"},
			{"00DC050406 050420240401", "9000"},
			{"00B2050400", "050420240401 9000"},
			// Addressing by number leaves the record pointer undefined
			// (ISO/IEC 7816-4 Annex C); an identifier sets it.
			{"00DC000406 050420240402", "6A83"},
			{"00B2050000", "050420240401 9000"},
			{"00DC000406 050420240402", "9000"}, // P1=00: current record
			{"00B2052800", "050420240402 9000"},
			{"00DC050006 050420240403", "9000"}, // identifier, current EF
			{"00B2052800", "050420240403 9000"},
		}},
		{"EF06 by identifier after key 0D", "activated", []cmdStep{
			{"00DC0A3003 0A0132", "6982"},
			{"EXTAUTH 04", "9000"},
			{"00DC0A3003 0A0132", "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00DC0A3003 0A0132", "9000"},
			{"00B20A3000", "6982"}, // writing is not reading
			{"EXTAUTH 0A", "9000"},
			{"00B20A3000", "0A0132 9000"},
			{"00B2043400", "0A0132 9000"},
		}},
		{"EF0D after key 0D", "activated", []cmdStep{
			{"EXTAUTH 0D", "9000"},
			{"00DCEB6805 EB03330106", "9000"},
			{"EXTAUTH 0A", "9000"},
			{"00B2EB6800", "EB03330106 9000"},
		}},
		{"gen2 EF06 after key 0D", "gen2", []cmdStep{
			{"00DC0B3003 0B0102", "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00DC0B3003 0B0102", "9000"},
			{"00B20B3000", "0B0102 9000"},
		}},
		{"wrong length, TLV, identifier", "activated", []cmdStep{
			{"EXTAUTH 04", "9000"},
			{"00DC07280A 0708 4131353932313632", "6700"},      // 10 bytes, the record is 11
			{"00DC07280C 070A 41313539323136323233", "6700"},  // 12 bytes
			{"00DC07280B 0708 413135393231363232", "6A80"},    // inner length 8
			{"00DC07280B 0609 413135393231363232", "6A80"},    // tag 06 for identifier 07
			{"00DC99280B 9909 413135393231363232", "6A83"},    // no identifier 99
			{"00DC082C0B 0709 413135393231363232", "6A83"},    // no record 8
			{"00DC07280B 0709 413135393231363232 00", "6700"}, // Le present
			{"00DC0728", "6700"},
			{"00DC07FC0B 0709 413135393231363232", "6A86"}, // SFI 31
			{"00DC074C0B 0709 413135393231363232", "6A82"}, // SFI 9
			{"00DC013C0101", "6981"},                       // EF07 is transparent
			{"00B2072800", "0709 423132333435363738 9000"},
		}},
		{"cyclic records are appended, not updated", "activated", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"00A4000C02DF04", "9000"},
			{"00E2003010 71000000000000000000000000000001", "9000"},
			{"00DC013410 72000000000000000000000000000002", "6981"},
			{"00B2013400", "71000000000000000000000000000001 9000"},
		}},
		{"sub-application file", "activated", []cmdStep{
			{"00A4000C02DF01", "9000"},
			{"00DC012C08 2A06313130313036", "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00DC012C07 2A053131303130", "6700"}, // linear fixed: 8 bytes
			{"00DC012C08 2A06313130313036", "9000"},
			{"00B2012C00", "2A06313130313036 9000"},
		}},
	})
}

// TestCmdUpdateRecordSM writes records with CLA 84 and CLA 04 and a MAC
// computed by the PSAM, in place of external authentication.
func TestCmdUpdateRecordSM(t *testing.T) {
	t.Parallel()
	body := cardtest.Hex("0709 413135393231363232")
	t.Run("CLA 84", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "activated")
		if r := cmdSecure(t, s, terminal.KeyEF05, 0xDC, 0x07, 0x28, body); r.SW != 0x9000 {
			t.Fatalf("84 DC: %s", r)
		}
		cardtest.Expect(t, c, "00B2072800", "0709 413135393231363232 9000")
		// Only the MACed command was allowed: plain writing still needs
		// external authentication.
		cardtest.Expect(t, c, "00DC07280B 0709 423132333435363738", "6982")
	})
	t.Run("CLA 04", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "gen2")
		cmdOK(t, "deliver", s.PSAM.Deliver(terminal.KeyEF06Wr, s.Alg, s.Factor()))
		chal, err := terminal.GetChallenge(c, s.Alg.BlockSize())
		cmdOK(t, "challenge", err)
		data := cardtest.Hex("0B0102")
		mac, err := s.PSAM.MAC(chal, append([]byte{0x04, 0xDC, 0x0B, 0x30, byte(len(data) + 4)}, data...))
		cmdOK(t, "mac", err)
		cardtest.Expect(t, c, cmdHexOf(append([]byte{0x04, 0xDC, 0x0B, 0x30, 7}, append(data, mac...)...)), "9000")
		cardtest.Expect(t, c, "00B20B3000", "0B0102 9000")
	})
	t.Run("wrong MAC, wrong key, replay", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "activated")
		before := c.Cells()
		raw := cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x07, 0x28, body)
		bad := append([]byte(nil), raw...)
		bad[len(bad)-1] ^= 0x01
		if got := cmdSend(t, c, bad); got != "6988" {
			t.Errorf("wrong MAC: %s, want 6988", got)
		}
		// The challenge was spent: the right MAC fails now too.
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("right MAC after a failure: %s, want 6988", got)
		}
		// A MAC with key 0D where key 04 rules.
		raw = cmdSecureAPDU(t, s, terminal.KeyEF06Wr, 0xDC, 0x07, 0x28, body)
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("MAC with key 0D: %s, want 6988", got)
		}
		// Without a challenge at all.
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("no challenge: %s, want 6988", got)
		}
		cmdSameCells(t, c, before, "UPDATE RECORD with bad MACs")
		cardtest.Expect(t, c, "00B2072800", "0709 423132333435363738 9000")
		// An accepted command replayed.
		raw = cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x07, 0x28, body)
		if got := cmdSend(t, c, raw); got != "9000" {
			t.Fatalf("MACed UPDATE RECORD: %s", got)
		}
		after := c.Cells()
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("replayed MACed UPDATE RECORD: %s, want 6988", got)
		}
		cmdSameCells(t, c, after, "replayed UPDATE RECORD")
		// A good MAC over bad data is checked for the data afterwards.
		raw = cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x07, 0x28, cardtest.Hex("0708 413135393231363232"))
		if got := cmdSend(t, c, raw); got != "6A80" {
			t.Errorf("MACed UPDATE RECORD with a bad TLV: %s, want 6A80", got)
		}
		cmdSameCells(t, c, after, "UPDATE RECORD with a bad TLV")
	})
}

// TestCmdAppendRecord covers APPEND RECORD (ISO/IEC 7816-4 §11.3.6) on the
// linear variable DF02 EF05 and the cyclic DF04 EF06.
func TestCmdAppendRecord(t *testing.T) {
	t.Parallel()
	cmdRunCases(t, []cmdCase{
		{"linear variable until full", "activated", []cmdStep{
			{"00A4000C02DF02", "9000"},
			{"00E2002803 3C0131", "6982"},
			{"EXTAUTH 0D", "9000"},
			{"00E2002803 3C0131", "9000"},
			{"00E2002840" + rec64, "9000"},
			{"00E2002841" + rec64 + "A5", "6700"}, // longer than a record
			{"00E2002801 3C", "9000"},
			{"00E2002803 3C0132", "6A84"}, // 4 records: full
			{"00B2012C00", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B2012C00", "3C0A31313031303030303031 9000"},
			{"00B2022C00", "3C0131 9000"},
			{"00B2032C00", rec64 + "9000"},
			{"00B2042C00", "3C 9000"},
			{"00B2052C00", "6A83"},
		}},
		{"by current EF, P1-P2, Le", "activated", []cmdStep{
			{"EXTAUTH 0D", "9000"},
			{"00A4000C02DF02", "9000"},
			{"00A4020C02EF05", "9000"},
			{"00E2010003 3C0131", "6A86"}, // P1 not 00
			{"00E2000403 3C0131", "6A86"}, // P2 b3-b1 not 000
			{"00E2002C03 3C0131", "6A86"},
			{"00E2000003 3C0131 00", "6700"},
			{"00E20000", "6700"},
			{"00E2000003 3C0131", "9000"},
			{"00B2000400", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00B2000400", "3C0131 9000"}, // the new record is current
			{"00B2020400", "3C0131 9000"},
		}},
		{"fixed SSSE files are full", "activated", []cmdStep{
			{"EXTAUTH 04", "9000"},
			{"00E2002803 020131", "6A84"},
			{"00E2003803 010203", "6981"},
		}},
		{"cyclic: record 1 is the newest", "activated", cyclicSteps()},
	})
}

// cyclicSteps appends 11 records to the cyclic DF04 EF06 (10 records) and
// checks the order: record 1 the newest, the oldest overwritten.
func cyclicSteps() []cmdStep {
	rec := func(i int) string { return strings.Repeat(string("0123456789ABCDEF"[i]), 2) + strings.Repeat("00", 15) }
	steps := []cmdStep{
		{"00A4000C02DF04", "9000"},
		{"00E2003010" + rec(1), "6982"}, // needs the PIN
		{"00B2013400", "6982"},
		{cmdVerifyPIN, "9000"},
		{"00B2013400", "6A83"},               // empty
		{"00E200300F" + rec(1)[:30], "6700"}, // cyclic records are 16 bytes
	}
	for i := 1; i <= 11; i++ {
		steps = append(steps, cmdStep{"00E2003010" + rec(i), "9000"})
		steps = append(steps, cmdStep{"00B2013400", rec(i) + "9000"})
	}
	// Records 1..10 are appends 11..2; the first append is gone.
	for n := 1; n <= 10; n++ {
		steps = append(steps, cmdStep{"00B2" + string("0123456789ABCDEF"[n/16]) + string("0123456789ABCDEF"[n%16]) + "3400", rec(12-n) + "9000"})
	}
	steps = append(steps,
		cmdStep{"00B20B3400", "6A83"},
		cmdStep{"00B2003100", rec(2) + "9000"},  // last: the oldest
		cmdStep{"00B2BB3000", rec(11) + "9000"}, // first with identifier BB
		cmdStep{"00B2333000", rec(3) + "9000"},
		cmdStep{"00B2113000", "6A83"}, // the first append is gone
	)
	return steps
}
