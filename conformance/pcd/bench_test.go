package pcd

import (
	"testing"

	"github.com/sscard/sscard/internal/benchratio"

	"github.com/sscard/sscard/emulator/contactless"
)

// readEF05 reads the card identifier (18 bytes and 9000) by SFI.
var readEF05 = []byte{0x00, 0xB2, 0x01, 0x2C, 0x00}

// BenchmarkBareTransmit is the card alone: Card.Transmit of READ RECORD.
func BenchmarkBareTransmit(b *testing.B) {
	card := cardOf(b, `{}`)
	if _, err := card.Transmit(selectSSSE); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := card.Transmit(readEF05); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkISO14443RoundTrip is the same APDU through the whole
// contactless stack in process: the reference PCD builds the I-block and
// its CRC, the field times and carries it, the card side checks it, runs
// the command, frames the answer, and the PCD checks and unwraps it. The
// field keeps no trace or record (as a long run would).
func BenchmarkISO14443RoundTrip(b *testing.B) {
	p, err := contactless.New(cardOf(b, `{}`), contactless.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	f := contactless.NewField(contactless.WithoutRecord())
	f.Add(p)
	r := New(Options{})
	if _, err := r.Connect(f); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Transmit(selectSSSE); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Transmit(readEF05); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkISO14443RoundTripTraced is the round trip with the field
// tracing every frame and keeping its exchanges.
func BenchmarkISO14443RoundTripTraced(b *testing.B) {
	p, err := contactless.New(cardOf(b, `{}`), contactless.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	f, _ := fieldOf(p)
	r := New(Options{})
	if _, err := r.Connect(f); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Transmit(readEF05); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundTripRatio reports the cost of the ISO/IEC 14443-4 round
// trip over the bare Card.Transmit ("ratio") for a cheap command (READ
// RECORD), a typical one (SELECT by AID, 30 bytes of FCI) and one the card
// computes (GET CHALLENGE): batches of each alternate and the fastest
// batch of each counts, which holds on a loaded machine.
func BenchmarkRoundTripRatio(b *testing.B) {
	for _, c := range []struct {
		name string
		apdu []byte
	}{{"ReadRecord", readEF05}, {"SelectAID", selectSSSE}, {"GetChallenge", getChallenge}} {
		b.Run(c.name, func(b *testing.B) { roundTripRatio(b, c.apdu) })
	}
}

func roundTripRatio(b *testing.B, apdu []byte) {
	bare := cardOf(b, `{}`)
	if _, err := bare.Transmit(selectSSSE); err != nil {
		b.Fatal(err)
	}
	p, err := contactless.New(cardOf(b, `{}`), contactless.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	f := contactless.NewField(contactless.WithoutRecord())
	f.Add(p)
	r := New(Options{})
	if _, err := r.Connect(f); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Transmit(selectSSSE); err != nil {
		b.Fatal(err)
	}
	benchratio.Report(b, "14443", func() { bare.Transmit(apdu) }, func() { r.Transmit(apdu) })
}
