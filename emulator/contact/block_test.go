package contact

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestCRC16(t *testing.T) {
	// The catalogue check value of this CRC (CRC-16/MCRF4XX: reflected
	// 0x1021, initial FFFF, no final XOR) over "123456789".
	if got := crc16([]byte("123456789")); got != 0x6F91 {
		t.Errorf("crc16(123456789) = %04X, want 6F91", got)
	}
	if lrc(h("00 00 05 00 B2 01 2C 00")) != 0x9A {
		t.Errorf("lrc = %02X", lrc(h("00 00 05 00 B2 01 2C 00")))
	}
}

func TestBlockRoundTrip(t *testing.T) {
	for _, crc := range []bool{false, true} {
		for _, tc := range []struct {
			pcb  byte
			inf  []byte
			name string
		}{
			{IPCB(0, false), h("00A40400"), "I(0)"},
			{IPCB(1, true), h("01"), "I(1)+"},
			{IPCB(0, false), nil, "I(0)"},
			{IPCB(1, false), bytes.Repeat([]byte{0xAA}, MaxINF), "I(1)"},
			{RPCB(1, RErrNone), nil, "R(1)"},
			{RPCB(0, RErrEDC), nil, "R(0) EDC error"},
			{RPCB(1, RErrOther), nil, "R(1) other error"},
			{SPCB(SResynch, false), nil, "S(RESYNCH request)"},
			{SPCB(SResynch, true), nil, "S(RESYNCH response)"},
			{SPCB(SIFS, false), h("FE"), "S(IFS request) FE"},
			{SPCB(SIFS, true), h("01"), "S(IFS response) 01"},
			{SPCB(SAbort, false), nil, "S(ABORT request)"},
			{SPCB(SWTX, false), h("03"), "S(WTX request) 03"},
			{SPCB(SWTX, true), h("FF"), "S(WTX response) FF"},
		} {
			raw := AppendBlock(nil, 0, tc.pcb, tc.inf, crc)
			if len(raw) != 3+len(tc.inf)+EDCLen(crc) {
				t.Fatalf("%s: %d bytes", tc.name, len(raw))
			}
			b, err := ParseBlock(raw, crc)
			if err != nil {
				t.Fatalf("%s (crc %v): %v", tc.name, crc, err)
			}
			if b.PCB != tc.pcb || !bytes.Equal(b.INF, tc.inf) || b.Name() != tc.name || BlockName(raw, crc) != tc.name {
				t.Errorf("%s: got %+v %q", tc.name, b, b.Name())
			}
		}
	}
	b, _ := ParseBlock(AppendBlock(nil, 0, IPCB(1, true), nil, false), false)
	if b.Kind() != KindI || b.NS() != 1 || !b.More() {
		t.Errorf("I(1)+: %+v", b)
	}
	b, _ = ParseBlock(AppendBlock(nil, 0, RPCB(1, RErrEDC), nil, false), false)
	if b.Kind() != KindR || b.NR() != 1 || b.RErr() != RErrEDC {
		t.Errorf("R(1) EDC: %+v", b)
	}
}

// withEDC appends the right LRC, so that a hostile block fails for its
// structure and not its EDC.
func withEDC(s string) []byte { b := h(s); return append(b, lrc(b)) }

func TestParseBlockHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		crc  bool
		want error
	}{
		{"empty", nil, false, ErrBlock},
		{"one byte", h("00"), false, ErrBlock},
		{"prologue only", h("000000"), false, ErrBlock},
		{"prologue only crc", h("00000000"), true, ErrBlock},
		{"LEN FF", withEDC("0000FF"), false, ErrBlock},
		{"LEN says more", withEDC("000005 00A4"), false, ErrBlock},
		{"LEN says less", withEDC("000001 00A4"), false, ErrBlock},
		{"LEN 2 with 254 after", append(withEDC("000002 0000"), make([]byte, 254)...), false, ErrBlock},
		{"wrong LRC", h("000001 00 02"), false, ErrEDC},
		{"wrong CRC", h("000001 00 0000"), true, ErrEDC},
		{"LRC block read as CRC", AppendBlock(nil, 0, 0, h("0102"), false), true, ErrBlock},
		{"I reserved bit", withEDC("000100"), false, ErrBlock},
		{"I reserved bit 2", withEDC("001000"), false, ErrBlock},
		{"S(WTX response) 00", withEDC("00E30100"), false, ErrBlock},
		{"R bit 6", withEDC("00A000"), false, ErrBlock},
		{"R error 3", withEDC("008300"), false, ErrBlock},
		{"R error F", withEDC("008F00"), false, ErrBlock},
		{"R with INF", withEDC("00800100"), false, ErrBlock},
		{"S reserved function", withEDC("00C400"), false, ErrBlock},
		{"S reserved function 1F", withEDC("00DF00"), false, ErrBlock},
		{"S(IFS) without INF", withEDC("00C100"), false, ErrBlock},
		{"S(IFS) 00", withEDC("00C10100"), false, ErrBlock},
		{"S(IFS) FF", withEDC("00C101FF"), false, ErrBlock},
		{"S(IFS) two bytes", withEDC("00C1022020"), false, ErrBlock},
		{"S(WTX) 00", withEDC("00C30100"), false, ErrBlock},
		{"S(WTX) empty", withEDC("00C300"), false, ErrBlock},
		{"S(RESYNCH) with INF", withEDC("00C00100"), false, ErrBlock},
		{"S(ABORT) with INF", withEDC("00E20100"), false, ErrBlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBlock(tc.in, tc.crc)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseBlock(%X) = %v, want %v", tc.in, err, tc.want)
			}
			if BlockName(tc.in, tc.crc) == "" {
				t.Error("no name")
			}
		})
	}
}

func TestAppendBlockPanicsOnOversize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for 255 bytes")
		}
	}()
	AppendBlock(nil, 0, 0, make([]byte, 255), false)
}

func TestPPSCodec(t *testing.T) {
	v := byte(0x96)
	for _, tc := range []struct {
		pps PPS
		raw string
	}{
		{PPS{T: 0}, "FF 00 FF"},
		{PPS{T: 1}, "FF 01 FE"},
		{PPS{T: 1, PPS1: &v}, "FF 11 96 78"},
	} {
		raw := tc.pps.Bytes()
		if !bytes.Equal(raw, h(tc.raw)) {
			t.Errorf("%+v: %X, want %s", tc.pps, raw, tc.raw)
		}
		back, err := ParsePPS(raw)
		if err != nil || back.T != tc.pps.T || (back.PPS1 == nil) != (tc.pps.PPS1 == nil) {
			t.Errorf("ParsePPS(%X) = %+v %v", raw, back, err)
		}
	}
	p, err := ParsePPS(h("FF 71 96 01 02 1B"))
	if err != nil || *p.PPS1 != 0x96 || *p.PPS2 != 0x01 || *p.PPS3 != 0x02 {
		t.Errorf("all three: %+v %v", p, err)
	}
	for _, bad := range []string{"", "FF", "FF00", "FE 00 FE", "FF 80 7F", "FF 0F F0", "FF 10 EF", "FF 11 96", "FF 11 96 00", "FF 01 FE 00", "FF 00 00"} {
		if _, err := ParsePPS(h(bad)); !errors.Is(err, ErrPPS) {
			t.Errorf("ParsePPS(%s) = %v, want ErrPPS", bad, err)
		}
	}
	if PPSName(h("FF 11 96 78"), false) != "PPS request T=1 Fi/Di 96" || PPSName(h("FF"), true) != "malformed PPS response" {
		t.Errorf("names %q %q", PPSName(h("FF 11 96 78"), false), PPSName(h("FF"), true))
	}
}

func TestTiming(t *testing.T) {
	r := InitialRate(DefaultClockHz)
	if got := r.ETUs(1); got != 104166 {
		t.Errorf("1 etu = %v", got)
	}
	if got := r.ETUs(0); got != 0 {
		t.Errorf("0 etu = %v", got)
	}
	// WT with WI 10 and Fi 372 at 3.5712 MHz is exactly 960 × 10 × 372
	// cycles = 1 s.
	if got := r.WT(10, 372); got != time.Second {
		t.Errorf("WT = %v", got)
	}
	// BWT = 11 etu + 2^4 × 960 × 372 / f = 1.6 s + 11 etu.
	if got, want := r.BWT(4), 1600*time.Millisecond+r.ETUs(11); got != want {
		t.Errorf("BWT(4) = %v, want %v", got, want)
	}
	if got, want := r.CWT(13), r.ETUs(11+8192); got != want {
		t.Errorf("CWT(13) = %v, want %v", got, want)
	}
	fast := Rate{ClockHz: DefaultClockHz, F: 512, D: 32}
	if got := fast.ETUs(32); got != 143369 { // 512/3.5712 MHz
		t.Errorf("32 etu at F 512 D 32 = %v", got)
	}
	if got := r.Clocks(DefaultClockHz); got != time.Second {
		t.Errorf("f clocks = %v", got)
	}
	if f, d := FD(0x96); f != 512 || d != 32 {
		t.Errorf("FD(96) = %d %d", f, d)
	}
	if f, d := FD(0x7F); f != 0 || d != 0 {
		t.Errorf("FD(7F) = %d %d, want reserved", f, d)
	}
	// No overflow for the longest waits.
	if got := r.BWT(9); got <= 0 {
		t.Errorf("BWT(9) = %v", got)
	}
	if got := (Rate{ClockHz: 1, F: 2048, D: 1}).ETUs(1 << 30); got <= 0 {
		t.Errorf("huge = %v", got)
	}
}

func TestLRCWords(t *testing.T) {
	for n := 0; n < 40; n++ {
		b := make([]byte, n)
		var want byte
		for i := range b {
			b[i] = byte(i*37 + 11)
			want ^= b[i]
		}
		if got := lrc(b); got != want {
			t.Errorf("lrc of %d bytes = %02X, want %02X", n, got, want)
		}
	}
}
