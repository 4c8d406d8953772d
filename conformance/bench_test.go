package conformance_test

import (
	"testing"

	"github.com/sscard/sscard/conformance"
)

// BenchmarkFullSuiteModel is the wall time of every registered case against
// the in-process model (the default run of sscard conform).
func BenchmarkFullSuiteModel(b *testing.B) {
	target := conformance.Model()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		rep, err := conformance.Execute(target, conformance.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() {
			b.Fatal("the model fails its own suite")
		}
		n = len(rep.Results)
	}
	b.ReportMetric(float64(n), "cases")
}
