// Package benchratio measures what a layer costs over the thing it wraps,
// in benchmarks on a busy machine: batches of the two alternate, and the
// fastest batch of each counts.
package benchratio

import (
	"testing"
	"time"
)

// Batch is the number of calls in one timed batch.
const Batch = 2000

// Report runs batches of bare and of wrapped, alternating, for as long as
// b runs, and reports the fastest batch of each per call ("bare-ns/op",
// name+"-ns/op") and their ratio ("ratio").
func Report(b *testing.B, name string, bare, wrapped func()) {
	b.Helper()
	best := func(cur time.Duration, run func()) time.Duration {
		start := time.Now()
		for range Batch {
			run()
		}
		return min(cur, time.Since(start))
	}
	bestBare, bestWrapped := time.Hour, time.Hour
	for b.Loop() {
		bestBare = best(bestBare, bare)
		bestWrapped = best(bestWrapped, wrapped)
	}
	b.ReportMetric(float64(bestBare.Nanoseconds())/Batch, "bare-ns/op")
	b.ReportMetric(float64(bestWrapped.Nanoseconds())/Batch, name+"-ns/op")
	b.ReportMetric(float64(bestWrapped)/float64(bestBare), "ratio")
}
