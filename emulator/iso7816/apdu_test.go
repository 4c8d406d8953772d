package iso7816

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var validCommands = []struct {
	name string
	in   string
	want Command
	cas  int
}{
	{"case 1", "00A40400", Command{INS: 0xA4, P1: 0x04}, 1},
	{"case 2S Le=10", "00B0000010", Command{INS: 0xB0, Ne: 16}, 2},
	{"case 2S Le=00 means 256", "00B0000000", Command{INS: 0xB0, Ne: 256}, 2},
	{"case 2S PC/SC get UID", "FFCA000000", Command{CLA: 0xFF, INS: 0xCA, Ne: 256}, 2},
	{"case 3S", "00A40200 02 EF05", Command{INS: 0xA4, P1: 0x02, Data: h("EF05")}, 3},
	{"case 3S Lc=FF", "00DC0000 FF" + strings255(), Command{INS: 0xDC, Data: bytes.Repeat([]byte{0x5A}, 255)}, 3},
	{"case 4S", "00A40400 07 A0000003330101 00", Command{INS: 0xA4, P1: 0x04, Data: h("A0000003330101"), Ne: 256}, 4},
	{"case 4S Le=0E", "00B20128 01 AA 0E", Command{INS: 0xB2, P1: 0x01, P2: 0x28, Data: h("AA"), Ne: 14}, 4},
	{"case 2E", "00B00000 000100", Command{INS: 0xB0, Ne: 256, Extended: true}, 2},
	{"case 2E Le=0000 means 65536", "00B00000 000000", Command{INS: 0xB0, Ne: 65536, Extended: true}, 2},
	{"case 2E Le=FFFF", "00B00000 00FFFF", Command{INS: 0xB0, Ne: 65535, Extended: true}, 2},
	{"case 3E small", "00DA0000 000001 AA", Command{INS: 0xDA, Data: h("AA"), Extended: true}, 3},
	{"case 3E 256 bytes", "00D60000 000100" + strings256(), Command{INS: 0xD6, Data: bytes.Repeat([]byte{0xA5}, 256), Extended: true}, 3},
	{"case 4E Le=0000", "002A9E9A 000003 010203 0000", Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: h("010203"), Ne: 65536, Extended: true}, 4},
	{"case 4E Le=0100", "002A9E9A 000003 010203 0100", Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: h("010203"), Ne: 256, Extended: true}, 4},
}

func strings255() string { return strings.Repeat("5A", 255) }
func strings256() string { return strings.Repeat("A5", 256) }

var cmpCommand = cmpopts.EquateEmpty()

func TestParseCommandValid(t *testing.T) {
	for _, tc := range validCommands {
		t.Run(tc.name, func(t *testing.T) {
			in := h(tc.in)
			got, err := ParseCommand(in)
			if err != nil {
				t.Fatalf("ParseCommand(%s): %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, got, cmpCommand); d != "" {
				t.Errorf("ParseCommand(%s) mismatch (-want +got):\n%s", tc.in, d)
			}
			if c := got.Case(); c != tc.cas {
				t.Errorf("Case() = %d, want %d", c, tc.cas)
			}
			enc, err := got.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			if !bytes.Equal(enc, in) {
				t.Errorf("Bytes() = %X, want %X", enc, in)
			}
			again, err := ParseCommand(enc)
			if err != nil || !cmp.Equal(again, got, cmpCommand) {
				t.Errorf("re-parse = %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

func TestParseCommandAliases(t *testing.T) {
	in := h("00A40400 02 3F00 00")
	c, err := ParseCommand(in)
	if err != nil {
		t.Fatal(err)
	}
	if &c.Data[0] != &in[5] {
		t.Error("Data does not alias the input")
	}
	if cap(c.Data) != len(c.Data) {
		t.Errorf("cap(Data) = %d, want %d so appends cannot clobber Le", cap(c.Data), len(c.Data))
	}
	_ = append(c.Data, 0xEE)
	if in[7] != 0x00 {
		t.Errorf("append to Data overwrote Le: %X", in)
	}
}

func TestParseCommandMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"1 byte", "00"},
		{"3 bytes", "00A404"},
		{"extended marker then 1 byte", "00A40400 00 01"},
		{"extended marker then 1 byte 00", "00A40400 00 00"},
		{"short Lc beyond body", "00A40400 05 0102"},
		{"short Lc=2 one data byte", "00A40400 02 01"},
		{"short body 2 bytes past Lc", "00A40400 02 0102 0000"},
		{"short body many bytes past Lc", "00A40400 01 01 020304"},
		{"extended Lc=0000 with body", "00A40400 000000 01"},
		{"extended Lc=0000 with Le", "00A40400 000000 0000"},
		{"extended Lc beyond body", "00A40400 000005 0102"},
		{"extended Lc=0100 with 255 bytes", "00D60000 000100" + strings255()},
		{"extended Le truncated", "00A40400 000002 0102 00"},
		{"extended trailing bytes", "00A40400 000002 0102 000000"},
		{"extended Lc=0002 one data byte", "00A40400 000002 01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCommand(h(tc.in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseCommand(%s) = %+v, %v; want ErrMalformed", tc.in, c, err)
			}
			if !cmp.Equal(c, Command{}, cmpCommand) {
				t.Errorf("ParseCommand(%s) returned non-zero command %+v with error", tc.in, c)
			}
		})
	}
}

func TestParseCommandNoAlloc(t *testing.T) {
	inputs := [][]byte{h("00A40400"), h("00A40400 02 3F00 00"), h("002A9E9A 000003 010203 0000"), h("00"), h("00A40400 000005 0102")}
	for _, in := range inputs {
		if n := testing.AllocsPerRun(100, func() { _, _ = ParseCommand(in) }); n != 0 {
			t.Errorf("ParseCommand(%X) allocates %v times, want 0", in, n)
		}
	}
}

func TestCommandEncode(t *testing.T) {
	tests := []struct {
		name string
		c    Command
		want string
	}{
		{"case 1", Command{CLA: 0x80, INS: 0xCA, P1: 0x9F, P2: 0x79}, "80CA9F79"},
		{"case 1 extended flag ignored", Command{INS: 0x84, Extended: true}, "00840000"},
		{"case 2S Ne=8", Command{INS: 0x84, Ne: 8}, "0084000008"},
		{"case 2S Ne=256", Command{INS: 0xB0, Ne: 256}, "00B0000000"},
		{"case 2E by Ne=257", Command{INS: 0xB0, Ne: 257}, "00B00000000101"},
		{"case 2E Ne=65536", Command{INS: 0xB0, Ne: 65536}, "00B00000000000"},
		{"case 2E by flag", Command{INS: 0xB0, Ne: 16, Extended: true}, "00B00000000010"},
		{"case 3S", Command{INS: 0x20, Data: h("03123456")}, "0020000004" + "03123456"},
		{"case 3E by length", Command{INS: 0xD6, Data: bytes.Repeat([]byte{0xA5}, 256)}, "00D60000000100" + strings256()},
		{"case 3E by flag", Command{INS: 0xDA, Data: h("AA"), Extended: true}, "00DA0000000001AA"},
		{"case 4S", Command{INS: 0xA4, P1: 4, Data: h("3F00"), Ne: 256}, "00A40400023F0000"},
		{"case 4E by Ne", Command{INS: 0xA4, P1: 4, Data: h("3F00"), Ne: 300}, "00A40400000002" + "3F00" + "012C"},
		{"case 4E by length", Command{INS: 0x2A, Data: bytes.Repeat([]byte{0xA5}, 256), Ne: 256}, "002A0000000100" + strings256() + "0100"},
		{"empty non-nil data is absent", Command{INS: 0x84, Data: []byte{}, Ne: 8}, "0084000008"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte{0xEE}
			got, err := tc.c.Append(prefix)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			want := append([]byte{0xEE}, h(tc.want)...)
			if !bytes.Equal(got, want) {
				t.Errorf("Append = %X, want %X", got, want)
			}
			back, err := ParseCommand(got[1:])
			if err != nil {
				t.Fatalf("ParseCommand(Append): %v", err)
			}
			if back.Case() != tc.c.Case() || back.Ne != tc.c.Ne || !bytes.Equal(back.Data, tc.c.Data) {
				t.Errorf("round trip = %+v, want %+v", back, tc.c)
			}
		})
	}
}

func TestCommandEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Command
	}{
		{"data too long", Command{Data: make([]byte, 65536)}},
		{"negative Ne", Command{Ne: -1}},
		{"Ne too large", Command{Ne: 65537}},
		{"Ne too large with data", Command{Data: h("01"), Ne: 1 << 20}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte{1, 2}
			got, err := tc.c.Append(dst)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Append error = %v, want ErrMalformed", err)
			}
			if !bytes.Equal(got, []byte{1, 2}) {
				t.Errorf("Append changed dst on error: %X", got)
			}
			if _, err := tc.c.Bytes(); !errors.Is(err, ErrMalformed) {
				t.Errorf("Bytes error = %v, want ErrMalformed", err)
			}
			if s := tc.c.String(); !strings.Contains(s, "malformed APDU") {
				t.Errorf("String() = %q, want the reason", s)
			}
		})
	}
}

func TestCommandString(t *testing.T) {
	c := Command{INS: 0xA4, P1: 0x04, Data: h("A000000003000000")}
	if got, want := c.String(), "00A4040008A000000003000000"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestResponse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		data []byte
		sw   Status
	}{
		{"status only", "9000", nil, SWOK},
		{"error status", "6982", nil, SWSecurityNotSatisfied},
		{"data", "0104312E30309000", h("0104312E3030"), SWOK},
		{"data with warning", "AABB6282", h("AABB"), SWWarnEOF},
		{"one data byte", "0161 18", h("01"), 0x6118},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := h(tc.in)
			r, err := ParseResponse(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Data, tc.data) || (tc.data == nil) != (r.Data == nil) || r.SW != tc.sw {
				t.Errorf("ParseResponse(%s) = %X %04X, want %X %04X", tc.in, r.Data, uint16(r.SW), tc.data, uint16(tc.sw))
			}
			if cap(r.Data) != len(r.Data) {
				t.Errorf("cap(Data) = %d, want %d", cap(r.Data), len(r.Data))
			}
			if !bytes.Equal(r.Bytes(), in) {
				t.Errorf("Bytes() = %X, want %X", r.Bytes(), in)
			}
			if r.String() != strings.ToUpper(hex.EncodeToString(in)) {
				t.Errorf("String() = %q", r.String())
			}
			if (r.Err() == nil) != (tc.sw == SWOK) {
				t.Errorf("Err() = %v for %04X", r.Err(), uint16(tc.sw))
			}
		})
	}
}

func TestParseResponseMalformed(t *testing.T) {
	for _, in := range []string{"", "90"} {
		if r, err := ParseResponse(h(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseResponse(%q) = %+v, %v; want ErrMalformed", in, r, err)
		}
	}
}

func BenchmarkParseCommand(b *testing.B) {
	in := h("00A40400 0F 7378312E73682EC9E7BBE1B1A3D5CF 00")
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseCommand(in); err != nil {
			b.Fatal(err)
		}
	}
}
