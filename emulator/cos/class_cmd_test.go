package cos_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
)

// TestCmdClassAndInstructionErrors covers the errors of the class and
// instruction bytes and of malformed APDUs (ISO/IEC 7816-4 §5.1, §5.4.1,
// §5.6), and checks that none of them changes anything: NVM, current DF,
// security state, PIN state, the pending challenge.
func TestCmdClassAndInstructionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, apdu, want string
	}{
		{"unknown INS", "00CA9F7900", "6D00"},
		{"unknown INS 00", "0000000000", "6D00"},
		{"unknown INS FF", "00FF000000", "6D00"},
		{"ERASE BINARY", "000E000000", "6D00"},
		{"unknown INS, CLA 80", "80CA9F7900", "6D00"},
		{"PSAM DELIVER KEY", "801A0A0308" + "0102030405060708", "6D00"},
		{"CLA FF", "FFB2012800", "6E00"},
		{"CLA 20", "20B2012800", "6E00"},
		{"CLA A0", "A0B2012800", "6E00"},
		{"CLA C0", "C0B2012800", "6E00"},
		{"CLA E0", "E0B2012800", "6E00"},
		{"CLA 90", "90B2012800", "6E00"},
		{"CLA 80 on an interindustry command", "80B2012800", "6E00"},
		{"CLA 84 on an interindustry command", "84B2012800", "6E00"},
		{"CLA 80 VERIFY", "8020000003123456", "6E00"},
		{"chaining", "10B2012800", "6884"},
		{"chaining with SM", "14B2012800", "6884"},
		{"chaining SELECT", "10A4040C0F" + cmdAID, "6884"},
		{"chaining, further interindustry", "50B2012800", "6884"},
		{"ISO SM 08", "08B2012800", "6882"},
		{"ISO SM 0C", "0CB2012800", "6882"},
		{"ISO SM 88", "88B2012800", "6882"},
		{"ISO SM 8C", "8CDC0728 0F 0709413135393231363232 11223344", "6882"},
		{"SM on a plain command", "04B2012800", "6882"},
		{"closed channel with ISO SM", "0BB2012800", "6881"},
		{"3 bytes", "00B201", "6700"},
		{"1 byte", "00", "6700"},
		{"no bytes", "", "6700"},
		{"Lc longer than the data", "00A4040C0F7378", "6700"},
		{"Lc shorter than the data", "00A4040C05 7378312E73682E", "6700"},
		{"Lc 02, one data byte", "00DC07280201", "6700"},
		{"truncated extended Le", "00B201280000", "6700"},
		{"extended Lc 0000", "00B2012C00000000", "6700"},
		{"extended case 2", "00B2012C000100", "6700"},
		{"extended case 3", "00A4040C00000F" + cmdAID, "6700"},
		{"extended case 4", "00A4040000000F" + cmdAID + "0000", "6700"},
		{"extended UPDATE RECORD", "00DC072800000B 0709413135393231363232", "6700"},
	}
	s, c := cardtest.Session(t, "activated")
	cmdOK(t, "extauth 0A", s.ExternalAuthenticate(terminal.KeyRKSSSE))
	cmdOK(t, "extauth 04", s.ExternalAuthenticate(terminal.KeyEF05))
	cardtest.Expect(t, c, cmdVerifyWrong, "63C2")
	// A MACed command built over a challenge taken before the errors.
	mac := cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x02, 0x28, cardtest.Hex("020139"))
	before := c.Cells()
	for _, tc := range tests {
		cardtest.Expect(t, c, tc.apdu, tc.want)
	}
	cmdSameCells(t, c, before, "class, instruction and length errors")
	cmdRun(t, c, []cmdStep{
		{"00200000", "63C2"},               // no try spent, none restored
		{"00B2013400", g2EF06[0] + "9000"}, // key 0A still holds
	})
	if got := cmdSend(t, c, mac); got != "9000" {
		t.Errorf("MACed command after the errors: %s, want 9000", got)
	}
	cmdRun(t, c, []cmdStep{
		{"00B2022800", "020139 9000"},
		{"00DC022803 020132", "9000"}, // key 04 still holds
		{"00B2022800", "020132 9000"},
		// The current DF stays as it is, DF04 here.
		{"00A4000C02DF04", "9000"},
	})
	for _, tc := range tests {
		cardtest.Expect(t, c, tc.apdu, tc.want)
	}
	cmdRun(t, c, []cmdStep{
		{"00B2012C00", "6982"}, // DF04 EF05 needs the PIN
		{"00A4030400", fcpSSSE + "9000"},
	})
}

// TestCmdExtendedLength runs extended-length APDUs on a card whose profile
// accepts them.
func TestCmdExtendedLength(t *testing.T) {
	t.Parallel()
	path := cmdProfile(t, `{"schema": 1, "name": "extended gen2", "extends": "gen2", "extendedLength": true}`)
	s, c := cardtest.Session(t, path)
	data := strings.Repeat("5A", 300)
	cmdRunSession(t, s, c, []cmdStep{
		{"00B2012C000000", g2EF05[0] + "9000"},
		{"00A4040000000F" + cmdAID + "0000", "6F16840F" + cmdAID + "A50388010B 9000"},
		{"00B0880000 1000", "6982"},
		{cmdVerifyPIN, "9000"},
		{"00B08800001000", strings.Repeat("00", 4096) + "9000"},
		{"EXTAUTH 0D", "9000"},
		{"00D68800 00012C" + data, "9000"},
		{"00B08800 00012C", data + "9000"},
		{"00B08800 000130", data + "00000000 9000"},
	})
	// No MAC over an extended command.
	raw := cmdSecureAPDU(t, s, terminal.KeyEF06Wr, 0xDC, 0x0B, 0x30, cardtest.Hex("0B0102"))
	cmd, err := iso7816.ParseCommand(raw)
	cmdOK(t, "parse", err)
	cmd.Extended = true
	ext, err := cmd.Bytes()
	cmdOK(t, "encode", err)
	if got := cmdSend(t, c, ext); got != "6988" {
		t.Errorf("extended MACed UPDATE RECORD: %s, want 6988", got)
	}
	cardtest.Expect(t, c, "00B20B3000", "0B0101 9000")
}
