package vpcd_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// BenchmarkRoundTripFakeVPCD measures one command APDU through the slot over
// loopback TCP, lock-step, with the fake vpcd in the same process: READ
// RECORD of the card's specification version on an activated card.
//
//   - whole: each command in one segment;
//   - split: each command as vpcd sends it, the length and the payload in two
//     segments with Nagle's algorithm on, which without TCP_QUICKACK costs a
//     delayed ACK (~40 ms) per command;
//   - traced: whole, with every event written as a text line.
func BenchmarkRoundTripFakeVPCD(b *testing.B) {
	for _, bc := range []struct {
		name   string
		split  bool
		traced bool
	}{{"whole", false, false}, {"split", true, false}, {"traced", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := fastOptions(nil)
			if bc.traced {
				opts.Trace = trace.NewTextWriter(io.Discard).Add
			}
			slot := vpcd.NewSlot(cardtest.Card(b, "activated"), opts)
			c := benchConn(b, slot)
			if bc.split {
				c.SplitWrites()
			}
			transmit(b, c, selectSSSE)
			capdu := cardtest.Hex("00B2032806")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r, err := c.Exchange(capdu)
				if err != nil || len(r) != 8 {
					b.Fatalf("%X, %v", r, err)
				}
			}
		})
	}
}

// benchConn connects slot to a fake vpcd and powers the card up.
func benchConn(b *testing.B, slot *vpcd.Slot) *vpcdtest.Conn {
	reader, err := vpcdtest.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reader.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { slot.Dial(ctx, reader.Addr()); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	c := accept(b, reader)
	powerUp(b, c)
	c.SetDeadline(time.Time{})
	return c
}
