package activation

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/sscard/sscard/conformance/register"
)

// TestFleet activates 200 cards through the hospital route at once and
// checks that every card and register row ended right.
func TestFleet(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	res, err := Fleet(context.Background(), FleetOptions{Cards: n, Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("%d of %d activated; problems: %v", res.Activated, res.Cards, res.Problems)
	}
	t.Logf("%d cards: %.0f activations/s, register %d bytes, %d bytes of heap per card", res.Cards, res.PerSecond, res.RegisterBytes, res.HeapPerCard)
}

func TestFleetBank(t *testing.T) {
	res, err := Fleet(context.Background(), FleetOptions{Cards: 20, Route: register.Bank, Path: filepath.Join(t.TempDir(), "r.db")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("%d of %d activated; problems: %v", res.Activated, res.Cards, res.Problems)
	}
}

var (
	fleetCards = flag.Int("fleet.cards", 10000, "cards of BenchmarkFleet")
	fleetSync  = flag.String("fleet.sync", "", "register sync mode of BenchmarkFleet (full, normal)")
	fleetPar   = flag.Int("fleet.parallel", 0, "terminals of BenchmarkFleet")
)

// BenchmarkFleet is the figure of the fleet run: 10,000 cards (-fleet.cards)
// through the hospital route, reporting activations per second and the
// register's size on disk:
//
//	go test ./conformance/activation -run '^$' -bench Fleet -benchtime 1x
func BenchmarkFleet(b *testing.B) {
	for b.Loop() {
		res, err := Fleet(context.Background(), FleetOptions{Cards: *fleetCards, Sync: *fleetSync, Parallel: *fleetPar, Path: filepath.Join(b.TempDir(), "r.db")})
		if err != nil {
			b.Fatal(err)
		}
		if !res.OK() {
			b.Fatalf("%d of %d activated; problems: %v", res.Activated, res.Cards, res.Problems[:min(10, len(res.Problems))])
		}
		b.ReportMetric(res.PerSecond, "activations/s")
		b.ReportMetric(float64(res.RegisterBytes), "register-bytes")
		b.ReportMetric(float64(res.HeapPerCard), "heap-bytes/card")
		b.ReportMetric(res.Prepare.Seconds(), "prepare-s")
	}
}
