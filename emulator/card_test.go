package emulator_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors"
)

// profiles caches loaded personas: cards of one profile share its layout,
// which keeps the tests that build hundreds of cards fast.
var profiles sync.Map // persona name -> *profile.Profile

// loadPersona returns the loaded profile of a built-in persona.
func loadPersona(tb testing.TB, name string) *profile.Profile {
	tb.Helper()
	if p, ok := profiles.Load(name); ok {
		return p.(*profile.Profile)
	}
	p, err := profile.Load(name)
	if err != nil {
		tb.Fatalf("loading persona %s: %v", name, err)
	}
	v, _ := profiles.LoadOrStore(name, p)
	return v.(*profile.Profile)
}

// newCard builds a card of a persona with a fixed seed.
func newCard(tb testing.TB, persona string, seed uint64) *emulator.Card {
	tb.Helper()
	c, err := emulator.New(loadPersona(tb, persona), emulator.WithSeed(seed))
	if err != nil {
		tb.Fatalf("building %s: %v", persona, err)
	}
	return c
}

// newSession builds a card of persona and a PSAM, both with fixed seeds,
// and opens a terminal session on the card (SSSE selected, card identifier
// read). The same seed gives the same session, byte for byte.
func newSession(tb testing.TB, persona string, seed uint64) (*terminal.SSC, *emulator.Card) {
	tb.Helper()
	c := newCard(tb, persona, seed)
	ps := &terminal.PSAM{T: newCard(tb, "psam", seed)}
	if err := ps.Select(); err != nil {
		tb.Fatal(err)
	}
	s := &terminal.SSC{T: c, PSAM: ps}
	if err := s.Open(); err != nil {
		tb.Fatalf("opening the SSSE of %s: %v", persona, err)
	}
	return s, c
}

// cardPersonas are the built-in personas that are social security cards.
func cardPersonas(tb testing.TB) []string {
	var out []string
	for _, n := range vectors.Personas() {
		if loadPersona(tb, n).Kind == profile.KindCard {
			out = append(out, n)
		}
	}
	return out
}

// transmit sends raw and returns the response, failing the test on a
// transport error.
func transmit(tb testing.TB, c *emulator.Card, raw []byte) []byte {
	tb.Helper()
	r, err := c.Transmit(raw)
	if err != nil {
		tb.Fatalf("%X: %v", raw, err)
	}
	return r
}

func TestNewEveryPersona(t *testing.T) {
	for _, name := range vectors.Personas() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := loadPersona(t, name)
			c, err := emulator.New(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.Profile() != p {
				t.Error("Profile() is not the profile the card was built from")
			}
			if !c.Powered() {
				t.Error("a new card is not powered")
			}
			atr := c.ATR()
			if len(atr) < 2 || atr[0] != 0x3B {
				t.Errorf("ATR %X", atr)
			}
			atr[0] = 0
			if c.ATR()[0] != 0x3B {
				t.Error("ATR() returns the card's own buffer")
			}
			// The MF answers a SELECT on every card.
			cardtest.ExpectSW(t, c, "00A4000C023F00", "9000")
		})
	}
}

func TestPowerCycle(t *testing.T) {
	c := newCard(t, "activated", 1)
	cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "611E")
	c.PowerOff()
	if c.Powered() {
		t.Fatal("powered after PowerOff")
	}
	if _, err := c.Transmit(readEF05Rec1); !errors.Is(err, emulator.ErrNoPower) {
		t.Fatalf("Transmit while off: %v, want ErrNoPower", err)
	}
	if _, err := c.TransmitAppend(nil, readEF05Rec1); !errors.Is(err, emulator.ErrNoPower) {
		t.Fatalf("TransmitAppend while off: %v, want ErrNoPower", err)
	}
	if atr := c.PowerOn(); !bytes.Equal(atr, c.ATR()) {
		t.Errorf("PowerOn answered %X, want the ATR %X", atr, c.ATR())
	}
	// The selection was lost with the power: EF05 is not under the MF.
	cardtest.ExpectSW(t, c, "00B2012C00", "6A82")
	// PowerOff disarms a pending tear.
	c.TearAfter(1)
	c.PowerOff()
	c.PowerOn()
	cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "611E")
	cardtest.ExpectSW(t, c, "002000000365432F", "63C2")
}

func TestTransmitDoesNotAlias(t *testing.T) {
	c := newCard(t, "activated", 1)
	transmit(t, c, selectSSSE)
	r1 := transmit(t, c, readEF05Rec1)
	want := slices.Clone(r1)
	r1[2] ^= 0xFF
	if r2 := transmit(t, c, readEF05Rec1); !bytes.Equal(r2, want) {
		t.Errorf("second read %X, want %X: the response aliases card state", r2, want)
	}
	buf := []byte{0xAA, 0xBB}
	out, err := c.TransmitAppend(buf, readEF05Rec1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[:2], []byte{0xAA, 0xBB}) || !bytes.Equal(out[2:], want) {
		t.Errorf("TransmitAppend gave %X, want AABB%X", out, want)
	}
}

// sessionScript runs a session a terminal would run on a card and returns
// what it saw, so that parallel runs can be compared with a serial one.
func sessionScript(tb testing.TB, persona string, seed uint64) string {
	tb.Helper()
	s, c := newSession(tb, persona, seed)
	var log bytes.Buffer
	for id := byte(1); id <= 7; id++ {
		r, err := terminal.ReadRecord(c, 5, id)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&log, "%X %s\n", r.Data, r.SW)
	}
	for _, pin := range []string{"000000", "123456", ""} {
		var sw any
		if pin == "" {
			sw = cardtest.Send(tb, c, "0020000000")
		} else if v, err := s.Verify(pin); err != nil {
			tb.Fatal(err)
		} else {
			sw = v
		}
		fmt.Fprintf(&log, "verify %q: %v\n", pin, sw)
	}
	err := s.ExternalAuthenticate(terminal.KeyRKSSSE)
	fmt.Fprintf(&log, "external authentication: %v\n", err)
	r, err := terminal.ReadRecord(c, 6, 0x08)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(&log, "EF06: %X %s\n", r.Data, r.SW)
	fmt.Fprintf(&log, "writes %d\n", c.NVMWrites())
	return log.String()
}

// TestParallelCards runs a session on every card persona, many times over,
// in parallel subtests: cards share profiles and layouts but no state.
func TestParallelCards(t *testing.T) {
	for _, name := range cardPersonas(t) {
		if name == "default" || loadPersona(t, name).SSSE.Blocked {
			continue // sessions need an active application
		}
		want := sessionScript(t, name, 1)
		for i := range 4 {
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				t.Parallel()
				for range 5 {
					if got := sessionScript(t, name, 1); got != want {
						t.Fatalf("session differs from the serial run:\n got %s\nwant %s", got, want)
					}
				}
			})
		}
	}
}

// TestManyCardsGoroutines drives many cards of one profile from plain
// goroutines at once.
func TestManyCardsGoroutines(t *testing.T) {
	const workers, rounds = 32, 20
	want := sessionScript(t, "activated", 9)
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for range workers {
		wg.Go(func() {
			for range rounds / 4 {
				if got := sessionScript(t, "activated", 9); got != want {
					errs <- got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("a concurrent session differs:\n got %s\nwant %s", got, want)
	}
}

// TestOneCardManyGoroutines uses one card from several goroutines at once,
// each on its own logical channel, while others present wrong PINs and read
// the card's state: commands are serialised, so every answer is one a card
// could give and the try counter counts every wrong PIN exactly once.
func TestOneCardManyGoroutines(t *testing.T) {
	c := newCard(t, "activated", 1)
	for ch := 1; ch <= 3; ch++ {
		cardtest.Expect(t, c, "0070000001", fmt.Sprintf("%02X9000", ch))
	}
	transmit(t, c, selectSSSE)
	want := transmit(t, c, readEF05Rec1)
	wantDF01 := []byte{0x2A, 0x06, '1', '1', '0', '1', '0', '5', 0x90, 0x00}

	const rounds = 300
	var wg sync.WaitGroup
	fail := make(chan string, 64)
	report := func(format string, args ...any) {
		select {
		case fail <- fmt.Sprintf(format, args...):
		default:
		}
	}
	for ch := byte(0); ch <= 3; ch++ {
		wg.Go(func() {
			sel := append([]byte{ch}, cardtest.Hex("A404000F7378312E73682EC9E7BBE1B1A3D5CF00")...)
			selDF01 := append([]byte{ch}, cardtest.Hex("A4040006D1560000050000")...)
			read := []byte{ch, 0xB2, 0x01, 0x2C, 0x00}
			for i := range rounds {
				r, err := c.Transmit(sel)
				if err != nil || len(r) < 2 || r[len(r)-2] != 0x90 {
					report("channel %d select: %X %v", ch, r, err)
					return
				}
				if r, err = c.Transmit(read); err != nil || !bytes.Equal(r, want) {
					report("channel %d read: %X %v, want %X", ch, r, err, want)
					return
				}
				if i%3 == 0 {
					// DF01 has its own EF05 (SFI 5): which one a read gets
					// depends on this channel's selection only.
					if r, err = c.Transmit(selDF01); err != nil || r[len(r)-2] != 0x90 {
						report("channel %d select DF01: %X %v", ch, r, err)
						return
					}
					if r, err = c.Transmit(read); err != nil || !bytes.Equal(r, wantDF01) {
						report("channel %d read DF01: %X %v, want %X", ch, r, err, wantDF01)
						return
					}
				}
			}
		})
	}
	// Wrong PINs from three goroutines on the basic channel, whose current
	// DF stays under the SSSE.
	sws := make(chan string, 3)
	for range 3 {
		wg.Go(func() {
			r, err := c.Transmit(cardtest.Hex("0020000003654321"))
			if err != nil {
				report("verify: %v", err)
				return
			}
			sws <- fmt.Sprintf("%X", r)
		})
	}
	// Readers of the card's state.
	wg.Go(func() {
		for range rounds {
			_ = c.Cells()
			_ = c.NVMWrites()
			_ = c.Powered()
			if _, err := emulator.FromImage(c.Image()); err != nil {
				report("image: %v", err)
				return
			}
		}
	})
	wg.Wait()
	close(fail)
	for f := range fail {
		t.Error(f)
	}
	close(sws)
	var got []string
	for sw := range sws {
		got = append(got, sw)
	}
	slices.Sort(got)
	if want := []string{"63C0", "63C1", "63C2"}; !slices.Equal(got, want) {
		t.Errorf("three concurrent wrong PINs answered %v, want %v", got, want)
	}
	if w := c.NVMWrites(); w != 3*4 {
		t.Errorf("%d NVM writes, want 12 (three one-cell transactions)", w)
	}
	cardtest.ExpectSW(t, c, "0020000000", "6983")
}

// TestOpenProfileFile opens a card from a user's profile file, given by
// path where a persona name would go.
func TestOpenProfileFile(t *testing.T) {
	c, err := emulator.Open("testdata/user-card.json", emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Profile().Name; n != "user-card" {
		t.Errorf("profile %q", n)
	}
	cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
	cardtest.Expect(t, c, "00B2072800", "0709 453132333435363730 9000") // card number E12345670
	cardtest.Expect(t, c, "00B2032C00", "0304 322E3030 9000")           // "2.00", from gen2
	cardtest.ExpectSW(t, c, "00200000022580", "9000")
	// The image of such a card carries the merged profile: it loads
	// without the file.
	l, err := emulator.FromImage(c.Image())
	if err != nil {
		t.Fatal(err)
	}
	if l.Profile().Name != "user-card" {
		t.Errorf("loaded profile %q", l.Profile().Name)
	}
	for _, bad := range []string{"testdata/missing.json", "no-such-persona"} {
		if _, err := emulator.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

// TransmitCount counts the NVM writes of the command it ran, and only
// those: none for a read, the PIN decrement's for a wrong VERIFY (as
// NVMWrites sees them), the torn ones when the power goes.
func TestTransmitCount(t *testing.T) {
	c := newCard(t, "activated", 1)
	selectSSSE := []byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF, 0x00}
	wrongPIN := []byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21}
	if _, n, err := c.TransmitCount(nil, selectSSSE); err != nil || n != 0 {
		t.Fatalf("SELECT: %d writes, %v; want 0", n, err)
	}
	if r, n, err := c.TransmitCount(nil, readEF05Rec1); err != nil || n != 0 || len(r) < 2 {
		t.Fatalf("READ RECORD: %X, %d writes, %v; want 0 writes", r, n, err)
	}
	w0 := c.NVMWrites()
	r, n, err := c.TransmitCount([]byte{0xAA}, wrongPIN)
	if err != nil || n == 0 || n != c.NVMWrites()-w0 {
		t.Fatalf("wrong VERIFY: %d writes (NVMWrites moved %d), %v", n, c.NVMWrites()-w0, err)
	}
	if !bytes.Equal(r, []byte{0xAA, 0x63, 0xC2}) {
		t.Errorf("wrong VERIFY appended %X to AA, want AA63C2", r)
	}
	c.TearAfter(1)
	if r, n, err := c.TransmitCount(nil, wrongPIN); !errors.Is(err, emulator.ErrPowerLost) || n != 1 || r != nil {
		t.Fatalf("torn VERIFY: %X, %d writes, %v; want none, 1 write, ErrPowerLost", r, n, err)
	}
	if _, n, err := c.TransmitCount(nil, selectSSSE); !errors.Is(err, emulator.ErrNoPower) || n != 0 {
		t.Fatalf("after the tear: %d writes, %v; want ErrNoPower", n, err)
	}
}
