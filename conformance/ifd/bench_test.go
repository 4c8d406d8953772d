package ifd

import (
	"testing"

	"github.com/sscard/sscard/internal/benchratio"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// benchCommand is READ RECORD 1 of EF05 (20 bytes back), after SELECT.
var (
	benchSelect = hexBytes("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00")
	benchRead   = hexBytes("00B2012C00")
)

func benchCard(b *testing.B, atr string) *emulator.Card {
	b.Helper()
	js := `{"schema":1,"name":"bench","extends":"activated"` + atr + `}`
	p, err := profile.Parse([]byte(js), "")
	if err != nil {
		b.Fatal(err)
	}
	c, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkBareTransmit is the command straight into Card.Transmit.
func BenchmarkBareTransmit(b *testing.B) {
	c := benchCard(b, "")
	if _, err := c.Transmit(benchSelect); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.Transmit(benchRead); err != nil || len(r) != 20 {
			b.Fatalf("%X %v", r, err)
		}
	}
}

// BenchmarkT1RoundTrip is the same command through the reference IFD, T=1
// blocks and the card side of the contact interface (no trace, no
// faults): the cost of the link layer is the difference.
func BenchmarkT1RoundTrip(b *testing.B) { benchLink(b, `,"atr":{"protocols":[1]}`, false) }

// BenchmarkT1RoundTripTraced is BenchmarkT1RoundTrip with every frame
// traced (the trace grows by two frames a command).
func BenchmarkT1RoundTripTraced(b *testing.B) { benchLink(b, `,"atr":{"protocols":[1]}`, true) }

// BenchmarkT0RoundTrip is the command through T=0: header, 6Cxx, header
// again, ACK, data, status bytes.
func BenchmarkT0RoundTrip(b *testing.B) { benchLink(b, "", false) }

func benchLink(b *testing.B, atr string, traced bool) {
	r := benchReader(b, atr, traced)
	b.ReportAllocs()
	for b.Loop() {
		if out, err := r.Transmit(benchRead); err != nil || len(out) != 20 {
			b.Fatalf("%X %v", out, err)
		}
	}
}

// benchReader is the reference IFD with the card of atr behind the contact
// interface, activated, the SSSE selected.
func benchReader(b *testing.B, atr string, traced bool) *IFD {
	cfg := contact.Config{}
	if traced {
		cfg.Trace = &link.Trace{}
	}
	icc, err := contact.New(benchCard(b, atr), cfg)
	if err != nil {
		b.Fatal(err)
	}
	r := New(icc, Config{})
	if _, err := r.Activate(); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Transmit(benchSelect); err != nil {
		b.Fatal(err)
	}
	return r
}

func hexBytes(s string) []byte { return hx(s) }

// BenchmarkRoundTripRatio reports the cost of the T=1 round trip over the
// bare Card.Transmit ("ratio") for READ RECORD, SELECT by AID and GET
// CHALLENGE: batches of each alternate and the fastest batch of each
// counts, which holds on a loaded machine.
func BenchmarkRoundTripRatio(b *testing.B) {
	for _, c := range []struct {
		name string
		apdu []byte
	}{{"ReadRecord", benchRead}, {"SelectAID", benchSelect}, {"GetChallenge", hexBytes("0084000008")}} {
		b.Run(c.name, func(b *testing.B) { roundTripRatio(b, c.apdu) })
	}
}

func roundTripRatio(b *testing.B, apdu []byte) {
	bare := benchCard(b, "")
	if _, err := bare.Transmit(benchSelect); err != nil {
		b.Fatal(err)
	}
	r := benchReader(b, `,"atr":{"protocols":[1]}`, false)
	want, _ := bare.Transmit(apdu)
	got, err := r.Transmit(apdu)
	if err != nil || len(got) != len(want) || got[len(got)-2] != want[len(want)-2] {
		b.Fatalf("T=1 %X %v, bare %X", got, err, want)
	}
	benchratio.Report(b, "T1", func() { bare.Transmit(apdu) }, func() { r.Transmit(apdu) })
}
