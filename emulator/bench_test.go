package emulator_test

import (
	"runtime"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/profile"
)

// selectSSSE is SELECT by DF name of the SSSE with the FCI asked for.
var selectSSSE = cardtest.Hex("00A40400 0F 7378312E73682EC9E7BBE1B1A3D5CF 00")

// readEF05Rec1 is READ RECORD number 1 of SFI 5 (EF05), all of it.
var readEF05Rec1 = cardtest.Hex("00B2012C00")

// benchCard opens persona and selects the SSSE.
func benchCard(b *testing.B, persona string) *emulator.Card {
	b.Helper()
	c := cardtest.Card(b, persona)
	if r, err := c.Transmit(selectSSSE); err != nil || len(r) < 2 || r[len(r)-2] != 0x90 {
		b.Fatalf("selecting SSSE: %X %v", r, err)
	}
	return c
}

// BenchmarkReadRecord is the in-process round trip of the commonest
// command: READ RECORD 1 of EF05 by SFI.
func BenchmarkReadRecord(b *testing.B) {
	b.Run("Transmit", func(b *testing.B) {
		c := benchCard(b, "activated")
		b.ReportAllocs()
		for b.Loop() {
			r, err := c.Transmit(readEF05Rec1)
			if err != nil || len(r) != 20 {
				b.Fatalf("%X %v", r, err)
			}
		}
	})
	b.Run("TransmitAppend", func(b *testing.B) {
		c := benchCard(b, "activated")
		buf := make([]byte, 0, 258)
		b.ReportAllocs()
		for b.Loop() {
			r, err := c.TransmitAppend(buf[:0], readEF05Rec1)
			if err != nil || len(r) != 20 {
				b.Fatalf("%X %v", r, err)
			}
			buf = r
		}
	})
}

// BenchmarkSelect selects the SSSE by name, FCI included.
func BenchmarkSelect(b *testing.B) {
	c := benchCard(b, "activated")
	buf := make([]byte, 0, 258)
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.TransmitAppend(buf[:0], selectSSSE)
		if err != nil || len(r) < 2 || r[len(r)-2] != 0x90 {
			b.Fatalf("%X %v", r, err)
		}
		buf = r
	}
}

// BenchmarkVerify presents the right PIN: two NVM transactions (the try
// counter decremented, then restored).
func BenchmarkVerify(b *testing.B) {
	c := benchCard(b, "activated")
	verify := cardtest.Hex("0020000003123456")
	buf := make([]byte, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.TransmitAppend(buf[:0], verify)
		if err != nil || len(r) != 2 || r[0] != 0x90 {
			b.Fatalf("%X %v", r, err)
		}
		buf = r
	}
}

// BenchmarkExternalAuthSM4 is the terminal-side flow of one external
// authentication with RKSSSE: GET CHALLENGE on the card, the cryptogram
// from the PSAM, EXTERNAL AUTHENTICATE (and the key delivery to the PSAM).
func BenchmarkExternalAuthSM4(b *testing.B) {
	s, _ := cardtest.Session(b, "activated")
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ExternalAuthenticate(terminal.KeyRKSSSE); err != nil {
			b.Fatal(err)
		}
	}
}

// idleCards is the number of cards BenchmarkIdleCards keeps alive.
const idleCards = 10_000

// heapPerCard builds n cards of persona from one loaded profile and returns
// the heap they hold, in bytes per card.
func heapPerCard(tb testing.TB, persona string, n int) float64 {
	tb.Helper()
	p, err := profile.Load(persona)
	if err != nil {
		tb.Fatal(err)
	}
	// The layout shared by all cards is built once, before measuring.
	if _, err := emulator.New(p); err != nil {
		tb.Fatal(err)
	}
	return heapOf(tb, n, func() (*emulator.Card, error) { return emulator.New(p) })
}

// heapOf makes n cards and returns the heap they hold, in bytes per card.
func heapOf(tb testing.TB, n int, build func() (*emulator.Card, error)) float64 {
	tb.Helper()
	cards := make([]*emulator.Card, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range cards {
		var err error
		if cards[i], err = build(); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(cards)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkIdleCards reports the heap held by one idle `default` card when
// 10,000 of them share one loaded profile (target: at most 64 KiB a card).
func BenchmarkIdleCards(b *testing.B) {
	var perCard float64
	for b.Loop() {
		perCard = heapPerCard(b, "default", idleCards)
	}
	b.ReportMetric(perCard, "B/card")
}

// TestIdleCardMemory asserts a generous bound on the same measure; the
// figure itself is the benchmark's.
func TestIdleCardMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates thousands of cards")
	}
	const bound = 64 << 10
	if got := heapPerCard(t, "default", 2000); got > bound {
		t.Errorf("an idle card holds %.0f heap bytes, want at most %d", got, bound)
	}
}

// BenchmarkLoadedCards reports the heap held by one card loaded from a
// card image when 1,000 are loaded from images of one profile: they share
// its template as cards built from the profile do.
func BenchmarkLoadedCards(b *testing.B) {
	c, err := emulator.Open("activated")
	if err != nil {
		b.Fatal(err)
	}
	img := c.Image()
	var perCard float64
	for b.Loop() {
		perCard = heapOf(b, 1000, func() (*emulator.Card, error) { return emulator.FromImage(img) })
	}
	b.ReportMetric(perCard, "B/card")
}
