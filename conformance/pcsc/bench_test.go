//go:build pcsc

package pcsc_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/pcsc"
	"github.com/sscard/sscard/conformance/pcsc/pcsctest"
	"github.com/sscard/sscard/conformance/terminal"
)

// Throughput through pcscd and vpcd, in APDUs per second:
//
//	go test -tags pcsc -run '^$' -bench PCSC ./conformance/pcsc
//
// BenchmarkPCSCReadRecord reaches the emulator; BenchmarkPCSCEcho a bare
// vpcd client that answers 9000 at once, so the difference between the two
// is the emulator's own cost (the slot, the card OS, the records).

// readCardNumber is READ RECORD of EF05's card number (tag 07, SFI 5).
var readCardNumber = []byte{0x00, 0xB2, 0x07, 0x28, 0x0B}

func BenchmarkPCSCReadRecord(b *testing.B) {
	e := pcsctest.Emulate(b, openEmulator(b, "activated", 1), nil)
	c := connect(b, e, pcsctest.CardReader, pcsc.Options{Exclusive: true})
	if _, err := terminal.SelectByName(c, ssseAID); err != nil {
		b.Fatal(err)
	}
	benchTransmit(b, c, readCardNumber)
}

func BenchmarkPCSCEcho(b *testing.B) {
	ctx := pcsctest.Need(b)
	startEcho(b, pcsctest.CardPort)
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := ctx.WaitForCard(wctx, pcsctest.CardReader)
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ctx.WaitForRemoval(wctx, pcsctest.CardReader) // after startEcho's cleanup
	})
	c, err := ctx.Connect(pcsctest.CardReader, pcsc.Options{Exclusive: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	benchTransmit(b, c, readCardNumber)
}

// benchTransmit sends capdu b.N times and reports APDU/s; every answer must
// end in 9000.
func benchTransmit(b *testing.B, c *pcsc.Card, capdu []byte) {
	ok := []byte{0x90, 0x00}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := c.Transmit(capdu)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.HasSuffix(r, ok) {
			b.Fatalf("answer % X", r)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "APDU/s")
}
