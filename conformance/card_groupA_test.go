package conformance_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
)

// TestGenerationAuthSMWriteCases runs the generation, authentication,
// secure messaging and write cases on the model, each on its own persona:
// every one must pass.
func TestGenerationAuthSMWriteCases(t *testing.T) {
	groups := []string{"SSSE-GEN-*", "SSSE-AUTH-*", "SSSE-SM-*", "SSSE-WRITE-*"}
	rep, err := conformance.Execute(conformance.Model(), conformance.Options{
		Selection: conformance.Selection{Cases: groups},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Results); n < 60 {
		t.Errorf("%d cases in %s, want at least 60", n, strings.Join(groups, " "))
	}
	var bad []string
	for _, r := range rep.Results {
		if r.Outcome != conformance.Pass {
			bad = append(bad, r.ID+" "+string(r.Outcome)+" "+r.Reason)
		}
	}
	if len(bad) > 0 {
		var sb strings.Builder
		if err := rep.WriteText(&sb); err != nil {
			t.Fatal(err)
		}
		t.Fatalf("%d of %d cases did not pass:\n%s\n\n%s", len(bad), len(rep.Results), strings.Join(bad, "\n"), sb.String())
	}
}
