// Package cardtest has the helpers the emulator's tests share: hex
// literals, exchanges checked against expected bytes, and cards with their
// PSAM ready for the flows that need keys.
package cardtest

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
)

// Hex decodes a hex literal that may contain spaces; it panics on a typo
// in a test's own literal.
func Hex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(fmt.Sprintf("cardtest.Hex(%q): %v", s, err))
	}
	return b
}

// Send transmits a hex command and returns the response as upper-case hex.
func Send(t testing.TB, tr terminal.Transport, capdu string) string {
	t.Helper()
	r, err := tr.Transmit(Hex(capdu))
	if err != nil {
		t.Fatalf("%s: %v", capdu, err)
	}
	return fmt.Sprintf("%X", r)
}

// Expect transmits a hex command and checks the whole response (hex, spaces
// ignored).
func Expect(t testing.TB, tr terminal.Transport, capdu, want string) {
	t.Helper()
	got := Send(t, tr, capdu)
	if w := strings.ToUpper(strings.ReplaceAll(want, " ", "")); got != w {
		t.Errorf("%s\n got  %s\n want %s", capdu, got, w)
	}
}

// ExpectSW transmits a hex command and checks only its status word.
func ExpectSW(t testing.TB, tr terminal.Transport, capdu, sw string) {
	t.Helper()
	got := Send(t, tr, capdu)
	if len(got) < 4 || got[len(got)-4:] != strings.ToUpper(sw) {
		t.Errorf("%s: got %s, want SW %s", capdu, got, sw)
	}
}

// Card opens a persona with a fixed seed.
func Card(t testing.TB, persona string) *emulator.Card {
	t.Helper()
	c, err := emulator.Open(persona, emulator.WithSeed(1))
	if err != nil {
		t.Fatalf("opening %s: %v", persona, err)
	}
	return c
}

// Session opens a persona and the built-in PSAM and returns a terminal
// session on the card with the SSSE selected.
func Session(t testing.TB, persona string) (*terminal.SSC, *emulator.Card) {
	t.Helper()
	c := Card(t, persona)
	p := Card(t, "psam")
	ps := &terminal.PSAM{T: p}
	if err := ps.Select(); err != nil {
		t.Fatal(err)
	}
	s := &terminal.SSC{T: c, PSAM: ps}
	if err := s.Open(); err != nil {
		t.Fatalf("opening SSSE of %s: %v", persona, err)
	}
	return s, c
}
