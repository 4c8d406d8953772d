package conformance_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
)

// TestSuitesCatchEveryMutant checks the suites themselves: every
// deliberately wrong card must fail at least one case. A suite that passes
// a broken card is a defect.
func TestSuitesCatchEveryMutant(t *testing.T) {
	ms := conformance.Mutants()
	if len(ms) < 15 {
		t.Fatalf("%d mutants, want at least 15", len(ms))
	}
	for _, m := range ms {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			target, err := conformance.NewMutantTarget(m)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := conformance.Execute(target, conformance.Options{Parallel: 1})
			if err != nil {
				t.Fatal(err)
			}
			failed := rep.FailedIDs()
			if len(failed) == 0 {
				t.Errorf("mutant %s (%s) passes every case", m.Name, m.Description)
				return
			}
			t.Logf("%s caught by %s", m.Name, strings.Join(failed, ", "))
		})
	}
}

// TestModelPassesTheSuites: the model itself passes every case it can run.
func TestModelPassesTheSuites(t *testing.T) {
	rep, err := conformance.Execute(conformance.Model(), conformance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatal(sb.String())
	}
}
