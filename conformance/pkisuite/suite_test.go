package pkisuite_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/pkisuite"
)

var onlyPKI = conformance.Options{Selection: conformance.Selection{Suites: []string{pkisuite.SuiteName}}}

// TestModelPassesThePKISuite: the model passes every PKI case it can run,
// and runs all of them (none skipped on the built-in personas).
func TestModelPassesThePKISuite(t *testing.T) {
	rep, err := conformance.Execute(conformance.Model(), onlyPKI)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatal(sb.String())
	}
	for _, r := range rep.Results {
		if r.Outcome != conformance.Pass {
			t.Errorf("%s: %s (%s)", r.ID, r.Outcome, r.Reason)
		}
	}
	if len(rep.Results) < 25 {
		t.Errorf("%d PKI cases", len(rep.Results))
	}
}

// TestPKISuiteCatchesEveryMutant checks the suite itself: each mutant fails
// at least one PKI case.
func TestPKISuiteCatchesEveryMutant(t *testing.T) {
	n := 0
	for _, m := range conformance.Mutants() {
		if m.Suite != pkisuite.SuiteName {
			continue
		}
		n++
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			target, err := conformance.NewMutantTarget(m)
			if err != nil {
				t.Fatal(err)
			}
			failed := failedCases(t, target)
			if len(failed) == 0 {
				t.Fatalf("mutant %s (%s) passes every PKI case", m.Name, m.Description)
			}
			for _, id := range caughtBy[m.Name] {
				if !slices.Contains(failed, id) {
					t.Errorf("mutant %s (%s) passes %s", m.Name, m.Description, id)
				}
			}
			t.Logf("%s caught by %s", m.Name, strings.Join(failed, ", "))
		})
	}
	if n < 12 {
		t.Errorf("%d PKI mutants registered, want at least 12", n)
	}
}

// caughtBy names cases that must fail on a mutant, where the case was
// written for it.
var caughtBy = map[string][]string{
	"pki-decipher-stale-plaintext": {"PKI-DEC-004"},
	"pki-decipher-without-pin":     {"PKI-DEC-003"},
	"pki-reset-one-try-short":      {"PKI-PIN-008", "PKI-PIN-009", "PKI-PIN-010"},
	"pki-reset-without-mac-check":  {"PKI-PIN-010"},
}

// failedCases runs the PKI suite on target and returns the IDs of the
// cases that failed.
func failedCases(t *testing.T, target conformance.Target) []string {
	t.Helper()
	opt := onlyPKI
	opt.Parallel = 1
	rep, err := conformance.Execute(target, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep.FailedIDs()
}
