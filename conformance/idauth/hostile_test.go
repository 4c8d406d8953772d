package idauth_test

import (
	"encoding/binary"
	"testing"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/terminal"
)

// FuzzHostileCard runs the whole flow against a card whose every answer
// comes from the fuzzer (truncated signatures, endless 61xx, garbage
// certificates): the verifier never panics and never accepts.
func FuzzHostileCard(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x61, 0x10, 0x90, 0x00})
	f.Add(append([]byte{0x30, 0x82, 0x02, 0x3E, 0x90, 0x00}, make([]byte, 70)...))
	f.Add([]byte{0x02, 0x3E, 0x6C, 0x40, 0x00})
	srv := newServer(f, nil, nil)
	f.Fuzz(func(t *testing.T, script []byte) {
		rest := script
		card := terminal.TransportFunc(func(c []byte) ([]byte, error) {
			// Each answer: a length byte, then that many bytes (status
			// word included); an exhausted script answers 9000.
			if len(rest) < 1 {
				return []byte{0x90, 0x00}, nil
			}
			n := int(rest[0])
			rest = rest[1:]
			if n > len(rest) {
				n = len(rest)
			}
			out := rest[:n]
			rest = rest[n:]
			if len(out) == 1 {
				out = binary.BigEndian.AppendUint16(nil, uint16(out[0])<<8)
			}
			return out, nil
		})
		res := idauth.Authenticate(srv, card, "123456", nil)
		if res.Accepted {
			t.Fatalf("a hostile card was accepted: %X", script)
		}
	})
}
