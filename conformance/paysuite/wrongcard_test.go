package paysuite

import (
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
)

// caughtBy names, for each of the suite's mutants, the cases that must
// fail on it.
var caughtBy = map[string][]string{
	"pay-fdda-signature-damaged":     {"PAY-ODA-005", "PAY-E2E-001"},
	"pay-quics-atc-off":              {"PAY-GPO-006", "PAY-AC-006", "PAY-E2E-002"},
	"pay-quics-cryptogram-damaged":   {"PAY-AC-006", "PAY-AC-007", "PAY-E2E-002"},
	"pay-gpo-any-length":             {"PAY-GPO-003"},
	"pay-blocked-app-selected":       {"PAY-SCR-001", "PAY-E2E-003"},
	"pay-blocked-card-selected":      {"PAY-SCR-005"},
	"pay-pin-not-counted":            {"PAY-PIN-002"},
	"pay-issuer-certificate-damaged": {"PAY-ODA-001", "PAY-ODA-002", "PAY-ODA-005", "PAY-E2E-001"},
	"pay-wrong-ac-key":               {"PAY-AC-004", "PAY-AC-005", "PAY-AC-006", "PAY-E2E-002", "PAY-E2E-007"},
	"pay-other-balance":              {"PAY-DATA-001"},
	"pay-six-pin-tries":              {"PAY-DATA-002", "PAY-PIN-002"},
}

// TestPaySuiteCatchesWrongCards checks the suite itself: on each of its
// registered mutants, the cases named fail.
func TestPaySuiteCatchesWrongCards(t *testing.T) {
	n := 0
	for _, m := range conformance.Mutants() {
		if m.Suite != SuiteName {
			continue
		}
		n++
		t.Run(m.Name, func(t *testing.T) {
			want, ok := caughtBy[m.Name]
			if !ok {
				t.Fatalf("no cases named to catch %s", m.Name)
			}
			target, err := conformance.NewMutantTarget(m)
			if err != nil {
				t.Fatal(err)
			}
			opt := onlyPay
			opt.Parallel = 1
			rep, err := conformance.Execute(target, opt)
			if err != nil {
				t.Fatal(err)
			}
			failed := rep.FailedIDs()
			for _, id := range want {
				if !slices.Contains(failed, id) {
					t.Errorf("%s passes on this card", id)
				}
			}
			t.Logf("caught by %s", strings.Join(failed, ", "))
		})
	}
	if n != len(caughtBy) {
		t.Errorf("%d mutants registered, %d expected", n, len(caughtBy))
	}
}
