package contactless

import (
	"testing"
	"time"
)

func TestTimes(t *testing.T) {
	for _, c := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"FWT(0) = 4096/fc", FWT(0), 302064 * time.Nanosecond},
		{"FWT(4)", FWT(4), 4833038 * time.Nanosecond},
		{"FWT(14) ≈ 4949 ms", FWT(14), 4949031268 * time.Nanosecond},
		{"FWT(15) reads as FWT(4)", FWT(15), FWT(4)},
		{"SFGT(0) none", SFGT(0), 0},
		{"SFGT(15) RFU, none", SFGT(15), 0},
		{"SFGT(1)", SFGT(1), 604129 * time.Nanosecond},
		{"FWT activation 71680/fc", FWTActivation, 5286135 * time.Nanosecond},
		{"etu at 106", Rate106.ETU(), 9439 * time.Nanosecond},
		{"etu at 848", Rate848.ETU(), 1179 * time.Nanosecond},
		// REQA: start bit, 7 bits, end bit = 9 etu.
		{"REQA", FrameDuration(TypeA, 1, 7, Rate106, false), Cycles(9 * 128)},
		// ATQA: start, 2 × 9, end.
		{"ATQA", FrameDuration(TypeA, 2, 0, Rate106, true), Cycles(20 * 128)},
		// The same at 848: an etu of 16 cycles.
		{"ATQA at 848", FrameDuration(TypeA, 2, 0, Rate848, true), Cycles(20 * 16)},
		// REQB: SOF 12 + 5 characters × 10 + EOF 10 etu.
		{"REQB", FrameDuration(TypeB, 5, 0, Rate106, false), Cycles(72 * 128)},
		{"ATQB with TR1", FrameDuration(TypeB, 14, 0, Rate106, true), Cycles(162*128 + 1280)},
		{"no frame", FrameDuration(TypeA, 0, 0, Rate106, false), 0},
		// FDT after REQA (last bit 0x26 b7 = 0) and after WUPA (0x52 b7 = 1).
		{"FDT after REQA", ResponseDelay(TypeA, Tx{Data: []byte{REQA}, LastBits: 7}), Cycles(1172)},
		{"FDT after WUPA", ResponseDelay(TypeA, Tx{Data: []byte{WUPA}, LastBits: 7}), Cycles(1236)},
		{"TR0", ResponseDelay(TypeB, Tx{}), Cycles(1024)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	for code, size := range map[int]int{-1: 256, 0: 16, 5: 64, 8: 256, 12: 4096, 13: 256} {
		if got := FrameSize(code); got != size {
			t.Errorf("FrameSize(%d) = %d, want %d", code, got, size)
		}
	}
	if FrameSizeCode(300) != 8 || FrameSizeCode(16) != 0 || FrameSizeCode(4096) != 12 {
		t.Error("FrameSizeCode")
	}
	for _, r := range AllRates {
		if RateOfCode(r.Code()) != r || !r.Valid() {
			t.Errorf("rate %v", r)
		}
	}
	if BitRate(100).Valid() || BitRate(0).ETU() != Rate106.ETU() {
		t.Error("invalid rates")
	}
}

// Parity: the last bit of a standard frame is the odd parity bit of its
// last byte.
func TestLastBit(t *testing.T) {
	for _, c := range []struct {
		b   byte
		one bool
	}{{0x00, true}, {0x01, false}, {0x03, true}, {0xFF, true}, {0xFE, false}} {
		if got := lastBitOne(&Tx{Data: []byte{c.b}}); got != c.one {
			t.Errorf("parity of %02X: %v", c.b, got)
		}
	}
}
