package trace

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestDescribeCommand(t *testing.T) {
	for _, c := range []struct{ apdu, want string }{
		{"00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "SELECT by name 7378312E73682EC9E7BBE1B1A3D5CF (SSSE)"},
		{"00A4040C0E315041592E5359532E444446303100", "SELECT by name 315041592E5359532E4444463031 (PSE), no data"},
		{"00A4000000", "SELECT MF"},
		{"00A40000023F00", "SELECT FID 3F00 (MF)"},
		{"00A4020C02EF05", "SELECT EF EF05, no data"},
		{"00A4040208A00000033301010100", "SELECT by name A000000333010101 (UnionPay debit), next occurrence"},
		{"00A4080404DDF1EF0500", "SELECT by path DDF1EF05, FCP"},
		{"00B2012C00", "READ RECORD 1 of SFI 05 (EF05)"},
		{"00B2082812", "READ RECORD identifier 08 of SFI 05 (EF05) (first)"},
		{"00B2010400", "READ RECORD 1 of current EF"},
		{"00B0851010", "READ BINARY of SFI 05 (EF05) at 16"},
		{"00B0010020", "READ BINARY at 256"},
		{"0020000000", "VERIFY reference 00: tries left?"},
		{"002000000312345600", "VERIFY reference 00, 3 bytes"},
		{"0084000008", "GET CHALLENGE, 8 bytes"},
		{"00C000001E", "GET RESPONSE, 30 bytes"},
		{"0082000110" + strings.Repeat("00", 16), "EXTERNAL AUTHENTICATE key 01"},
		{"0070000001", "MANAGE CHANNEL open"},
		{"0070800100", "MANAGE CHANNEL close 1"},
		{"002A9E9A20" + strings.Repeat("11", 32) + "00", "PERFORM SECURITY OPERATION: COMPUTE DIGITAL SIGNATURE"},
		{"002A808605" + strings.Repeat("11", 5) + "00", "PERFORM SECURITY OPERATION: DECIPHER"},
		{"80A80000028300", "GET PROCESSING OPTIONS"},
		{"80AE900002000000", "GENERATE AC asking ARQC with CDA"},
		{"80AE000002000000", "GENERATE AC asking AAC"},
		{"80CA9F3600", "GET DATA 9F36"},
		{"841E000004AABBCCDD", "APPLICATION BLOCK, with secure messaging"},
		{"801A010008" + strings.Repeat("00", 8), "DELIVER KEY"},
		{"8040000008C0020012", "malformed APDU (INS 40)"},
		{"01B2012C00", "READ RECORD 1 of SFI 05 (EF05), channel 1"},
		{"0CB2012C00", "READ RECORD 1 of SFI 05 (EF05), with secure messaging"},
		{"FFCA000000", "reader command (PC/SC pseudo-APDU)"},
		{"00FE000000", "INS FE"},
		{"00", "malformed APDU"},
		{"", "malformed APDU"},
		{"00B2", "malformed APDU (INS B2)"},
	} {
		b, err := hex.DecodeString(c.apdu)
		if err != nil {
			t.Fatalf("%s: %v", c.apdu, err)
		}
		if got := DescribeCommand(b); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.apdu, got, c.want)
		}
	}
}

func TestDescribeResponse(t *testing.T) {
	for _, c := range []struct{ rapdu, want string }{
		{"9000", "normal processing"},
		{"611E", "30 response bytes still available"},
		{"63C2", "verification failed, 2 tries left"},
		{"01029000", "normal processing, 2 data bytes"},
		{"6A82", "file or application not found"},
		{"90", "malformed response"},
		{"", "malformed response"},
	} {
		b, _ := hex.DecodeString(c.rapdu)
		if got := DescribeResponse(b); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.rapdu, got, c.want)
		}
	}
}

// FuzzDescribe: any bytes are described, never a panic, always one line.
func FuzzDescribe(f *testing.F) {
	for _, s := range []string{"00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "80AE900002000000", "00B2012C00", "611E", "", "FF"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []string{DescribeCommand(b), DescribeResponse(b)} {
			if s == "" || strings.ContainsAny(s, "\r\n") {
				t.Fatalf("% X described as %q", b, s)
			}
		}
	})
}
