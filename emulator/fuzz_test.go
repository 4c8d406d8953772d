package emulator_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
)

// fuzzPersonas are the cards FuzzCardAPDUs drives, chosen by the first
// byte of the input.
var fuzzPersonas = []string{"activated", "default", "pin-blocked", "gen2", "trace-1.00", "psam", "expired"}

// fuzzSeed is the seed of the fuzzed cards; the recorded sessions that seed
// the corpus were made with it, so their MACs and cryptograms are right.
const fuzzSeed = 1

// maxFuzzAPDUs bounds the commands of one fuzz input.
const maxFuzzAPDUs = 256

// The APDU stream of FuzzCardAPDUs: after the persona byte, each command is
// a length byte L and L bytes; L >= 0xF0 takes a second length byte, for
// lengths (L-0xF0)<<8 | next up to 4095; L = 0 is a warm reset instead.
const (
	streamReset = 0x00
	streamLong  = 0xF0
)

// encodeStream builds a FuzzCardAPDUs input; a nil APDU is a reset.
func encodeStream(persona byte, apdus ...[]byte) []byte {
	out := []byte{persona}
	for _, a := range apdus {
		switch {
		case a == nil:
			out = append(out, streamReset)
		case len(a) > 0 && len(a) < streamLong:
			out = append(out, byte(len(a)))
		default:
			out = append(out, streamLong|byte(len(a)>>8), byte(len(a)))
		}
		out = append(out, a...)
	}
	return out
}

// decodeStream splits a FuzzCardAPDUs input; a nil APDU is a reset.
func decodeStream(data []byte) (persona byte, apdus [][]byte) {
	if len(data) == 0 {
		return 0, nil
	}
	persona, data = data[0], data[1:]
	for len(data) > 0 && len(apdus) < maxFuzzAPDUs {
		n := int(data[0])
		data = data[1:]
		switch {
		case n == streamReset:
			apdus = append(apdus, nil)
			continue
		case n >= streamLong:
			if len(data) == 0 {
				return persona, apdus
			}
			n = (n-streamLong)<<8 | int(data[0])
			data = data[1:]
		}
		n = min(n, len(data))
		apdus = append(apdus, append([]byte{}, data[:n]...))
		data = data[n:]
	}
	return persona, apdus
}

// recorder keeps every command sent through it.
type recorder struct {
	t     terminal.Transport
	apdus [][]byte
}

func (r *recorder) Transmit(c []byte) ([]byte, error) {
	r.apdus = append(r.apdus, slices.Clone(c))
	return r.t.Transmit(c)
}

// recordSession runs flow on a fresh card of persona (seeded with
// fuzzSeed) with a PSAM and returns the commands the card received: a
// realistic seed whose MACs are right for a fuzzed card.
func recordSession(tb testing.TB, persona string, flow func(s *terminal.SSC, c terminal.Transport) error) [][]byte {
	tb.Helper()
	c := newCard(tb, persona, fuzzSeed)
	rec := &recorder{t: c}
	ps := &terminal.PSAM{T: newCard(tb, "psam", fuzzSeed)}
	if err := ps.Select(); err != nil {
		tb.Fatal(err)
	}
	s := &terminal.SSC{T: rec, PSAM: ps}
	if err := s.Open(); err != nil {
		tb.Fatal(err)
	}
	if err := flow(s, rec); err != nil {
		tb.Fatalf("recording a %s session: %v", persona, err)
	}
	return rec.apdus
}

func personaIndex(name string) byte {
	return byte(slices.Index(fuzzPersonas, name))
}

func hexes(hs ...string) [][]byte {
	var out [][]byte
	for _, h := range hs {
		if h == "" {
			out = append(out, nil)
			continue
		}
		out = append(out, cardtest.Hex(h))
	}
	return out
}

// addCardSeeds adds realistic command sequences to the corpus.
func addCardSeeds(f *testing.F) {
	const sel = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"
	plain := map[string][][]byte{
		"activated": hexes(sel, "00B2012C00", "00B2022C00", "00B2072812", "00B2083400", "0020000003123456",
			"0020000000", "0084000008", "00820000A1000000000000000000000000000000", "00820000A10102030405060708090A0B0C0D0E0F10",
			"0070000001", "01A404000F7378312E73682EC9E7BBE1B1A3D5CF", "01C0000020", "0070800100",
			"00A4040006D1560000050300", "0020000003123456", "00E200301000112233445566778899AABBCCDDEEFF",
			"00B2013400", "00B2010C00", "", "00A40000023F00", "00A4000C02DDF1", "00A4020C02EF05", "00B2010400",
			"00B2000400", "00B2010600", "00B0870010", "84D6870008A1A2A3A4"),
		"default": hexes(sel, "00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF", "0020000003123456", "00B2012C00",
			"0084000010", "8444000004AABBCCDD", "00A40404"+"0F7378312E73682EC9E7BBE1B1A3D5CF00"),
		"pin-blocked": hexes(sel, "0020000000", "0020000003123456", "805E010007123456FF654321", "842400000411223344"),
		"gen2":        hexes(sel, "00B2012C00", "00B2083000", "00B0870000", "0020000002123F", "00A4080004DDF1EF0500"),
		"trace-1.00":  hexes(sel, "00C0000018", "00B2012812", "00B203280E", "00B2032806", "00B2083014", "00B20A3003"),
		"psam": hexes("00A4040006D1560000059000", "00B0960006", "801A04030801160185D3A5C7E9", "80FA000010000102030405060708090A0B0C0D0E0F10",
			"80FA050014000102030405060708090A0B0C0D0E0F1011121314"),
	}
	for _, name := range slices.Sorted(maps.Keys(plain)) {
		f.Add(encodeStream(personaIndex(name), plain[name]...))
	}
	// Sessions recorded with the reference terminal: their secured
	// commands carry right MACs for a card seeded as the fuzzed cards are.
	flows := []struct {
		persona string
		flow    func(s *terminal.SSC, c terminal.Transport) error
	}{
		{"activated", func(s *terminal.SSC, c terminal.Transport) error {
			if err := s.ExternalAuthenticate(terminal.KeyRKSSSE); err != nil {
				return err
			}
			if _, err := terminal.ReadRecord(c, terminal.SFIEF06, 0x09); err != nil {
				return err
			}
			if err := s.InternalAuthenticate(terminal.KeyIntAuth, cardtest.Hex("0102030405060708")); err != nil {
				return err
			}
			if _, err := s.ChangePIN("123456", "2468"); err != nil {
				return err
			}
			_, err := s.LifeCycle(0x1E)
			return err
		}},
		{"activated", func(s *terminal.SSC, c terminal.Transport) error {
			_, err := s.LifeCycle(0x04)
			return err
		}},
		{"default", func(s *terminal.SSC, c terminal.Transport) error {
			_, err := s.LifeCycle(0x44)
			return err
		}},
		{"pin-blocked", func(s *terminal.SSC, c terminal.Transport) error {
			if _, err := s.ReloadPIN("2468"); err != nil {
				return err
			}
			_, err := s.UnblockPIN()
			return err
		}},
		{"gen2", func(s *terminal.SSC, c terminal.Transport) error {
			if err := s.ExternalAuthenticate(terminal.KeyEF05); err != nil {
				return err
			}
			_, err := terminal.Exchange(c, iso7816.Command{CLA: 0, INS: 0xDC, P1: 0x07, P2: 0x28, Data: cardtest.Hex("0709433837363534333231")})
			return err
		}},
	}
	for _, fl := range flows {
		f.Add(encodeStream(personaIndex(fl.persona), recordSession(f, fl.persona, fl.flow)...))
	}
}

// FuzzCardAPDUs drives a sequence of arbitrary commands (and warm resets)
// into a card: the card never panics, answers every command with at least a
// status word and at most a short APDU's worth of data, never fails
// without an armed tear, and its image reloads to the same state.
func FuzzCardAPDUs(f *testing.F) {
	addCardSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pi, apdus := decodeStream(data)
		persona := fuzzPersonas[int(pi)%len(fuzzPersonas)]
		c := newCard(t, persona, fuzzSeed)
		buf := make([]byte, 0, 300)
		for i, a := range apdus {
			if a == nil {
				c.Reset()
				continue
			}
			var r []byte
			var err error
			if i%2 == 0 {
				r, err = c.Transmit(a)
			} else {
				// Every other command through the buffer-reusing path.
				buf, err = c.TransmitAppend(buf[:0], a)
				r = buf
			}
			if err != nil {
				t.Fatalf("%X: %v", a, err)
			}
			if len(r) < 2 || len(r) > 256+2 {
				t.Fatalf("%X: answered %d bytes %X", a, len(r), r)
			}
			if sw1 := r[len(r)-2]; sw1&0xF0 != 0x60 && sw1&0xF0 != 0x90 || sw1 == 0x60 {
				t.Fatalf("%X: status %X is not an ISO status word", a, r[len(r)-2:])
			}
		}
		img := c.Image()
		d, err := emulator.FromImage(img)
		if err != nil {
			t.Fatalf("reloading the card's own image: %v", err)
		}
		if !equalCells(d.Cells(), c.Cells()) {
			t.Fatalf("the reloaded card differs in cells %v", diffCells(d.Cells(), c.Cells()))
		}
		if !bytes.Equal(d.Image(), img) {
			t.Fatal("the reloaded card's image differs")
		}
	})
}

// withChecksum replaces the last 32 bytes of b by the SHA-256 of the rest,
// so that mutations reach the decoder past the checksum.
func withChecksum(b []byte) []byte {
	if len(b) < sha256.Size {
		return b
	}
	out := slices.Clone(b)
	end := len(out) - sha256.Size
	sum := sha256.Sum256(out[:end])
	copy(out[end:], sum[:])
	return out
}

// probeCommands are sent to every card FuzzCardImage manages to load.
var probeCommands = hexes(
	"00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "00A404040F7378312E73682EC9E7BBE1B1A3D5CF00",
	"00B2012C00", "00B2013400", "00B2016C00", "00B0870010", "0020000000", "0020000003123456",
	"805E010007123456FF654321", "0084000008", "008200000A0102030405060708090A0B0C0D0E0F10",
	"00A4040006D1560000050300", "00B2013400", "00B2013000", "00E200301000112233445566778899AABBCCDDEEFF",
	"00B2023000", "00A4040006D1560000050100", "00E20028053C03414243", "00B2022C00",
	"00A4040006D1560000059000", "00B0960006", "00A40004023F0000",
)

// FuzzCardImage loads arbitrary bytes as a card image: FromImage never
// panics, and a card it accepts works. Each input is also tried with its
// checksum made right, so that mutations reach the decoder and the layout
// checks. Images are kilobytes: fuzz with a short -fuzzminimizetime (3s).
func FuzzCardImage(f *testing.F) {
	for _, name := range []string{"activated", "default", "pin-blocked", "gen2", "trace-1.00", "psam"} {
		c := newCard(f, name, fuzzSeed)
		img := c.Image()
		f.Add(img)
		f.Add(img[:len(img)/2])
		flipped := slices.Clone(img)
		flipped[len(flipped)/3] ^= 0x20
		f.Add(flipped)
		f.Add(withChecksum(flipped))
	}
	s, c := newSession(f, "activated", fuzzSeed)
	if _, err := s.ChangePIN("123456", "2468"); err != nil {
		f.Fatal(err)
	}
	cardtest.Send(f, c, "0020000003654321")
	cardtest.Send(f, c, "00A4040006D1560000050300")
	cardtest.Send(f, c, "00200000022468")
	for range 12 {
		cardtest.Send(f, c, "00E200301000112233445566778899AABBCCDDEEFF")
	}
	f.Add(c.Image())
	f.Add([]byte(nvm.ImageMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, img := range [][]byte{data, withChecksum(data)} {
			c, err := emulator.FromImage(img, emulator.WithSeed(fuzzSeed))
			if err != nil {
				if !errors.Is(err, nvm.ErrImage) {
					t.Fatalf("FromImage: %v does not wrap nvm.ErrImage", err)
				}
				continue
			}
			for _, a := range probeCommands {
				r, err := c.Transmit(a)
				if err != nil || len(r) < 2 {
					t.Fatalf("%X: %X %v", a, r, err)
				}
			}
			if _, err := emulator.FromImage(c.Image()); err != nil {
				t.Fatalf("reloading a loaded card's image: %v", err)
			}
		}
	})
}

func TestStreamRoundTrip(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 300)
	in := [][]byte{cardtest.Hex("00A40000023F00"), nil, long, {}, cardtest.Hex("00B2012C00")}
	data := encodeStream(3, in...)
	p, out := decodeStream(data)
	if p != 3 || len(out) != len(in) {
		t.Fatalf("decoded persona %d, %d APDUs", p, len(out))
	}
	for i := range in {
		if (in[i] == nil) != (out[i] == nil) || !bytes.Equal(in[i], out[i]) {
			t.Errorf("APDU %d: %X, want %X", i, out[i], in[i])
		}
	}
}
