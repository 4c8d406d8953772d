package pki_test

import (
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

// BenchmarkSign is one on-card signature in process: PSO COMPUTE DIGITAL
// SIGNATURE through Transmit, the user PIN verified (target: ≤ 100 µs).
func BenchmarkSign(b *testing.B) {
	c := newCard(b, nil)
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	e := sm3.Sum([]byte("bench"))
	cmd := append([]byte{0x00, 0x2A, 0x9E, 0x9A, 0x20}, e[:]...)
	cmd = append(cmd, 0x40)
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.Transmit(cmd)
		if err != nil || len(out) != 66 || out[64] != 0x90 {
			b.Fatalf("%X %v", out, err)
		}
	}
}

// BenchmarkVerifyPIN is GET CHALLENGE and VERIFY of the user PIN.
func BenchmarkVerifyPIN(b *testing.B) {
	c := newCard(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	}
}
