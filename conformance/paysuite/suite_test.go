package paysuite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

var onlyPay = conformance.Options{Selection: conformance.Selection{Suites: []string{SuiteName}}}

// skippedByDefault are the cases the default card cannot run (its
// personalisation has no such feature); TestPaySuiteOnOtherPersonalisations
// runs them on cards that have it.
var skippedByDefault = []string{"PAY-GPO-009", "PAY-EC-008", "PAY-EC-009"}

// TestModelPassesThePaySuite: the model passes every payment case it can
// run on its personas.
func TestModelPassesThePaySuite(t *testing.T) {
	rep, err := conformance.Execute(conformance.Model(), onlyPay)
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, r := range rep.Results {
		switch {
		case r.Outcome == conformance.Pass:
			passed++
		case r.Outcome == conformance.Skip && slices.Contains(skippedByDefault, r.ID):
		default:
			var sb strings.Builder
			writeResult(&sb, r)
			t.Errorf("%s: %s (%s)\n%s", r.ID, r.Outcome, r.Reason, sb.String())
		}
	}
	if passed < 50 {
		t.Errorf("%d payment cases passed, want at least 50", passed)
	}
}

// patchedModel is the model with every card built from the activated
// persona changed by patch (the card and what it declares alike).
func patchedModel(t *testing.T, patch func(m map[string]any)) conformance.Target {
	t.Helper()
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(p.JSON()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	patch(m["pay"].(map[string]any))
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "card.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	target, err := conformance.NewModel(file, "")
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// TestPaySuiteOnOtherPersonalisations runs the suite on cards personalised
// otherwise: each passes every case it can run, and the cases the default
// card skips run on one of them.
func TestPaySuiteOnOtherPersonalisations(t *testing.T) {
	variants := []struct {
		name  string
		patch func(m map[string]any)
		runs  []string // cases that must run (not skip) on this card
	}{
		{"SM path only", func(m map[string]any) { m["algorithms"] = "sm" }, []string{"PAY-GPO-009", "PAY-ODA-005"}},
		{"DES/RSA path only", func(m map[string]any) { m["algorithms"] = "des" }, []string{"PAY-ODA-006", "PAY-GPO-001"}},
		{"reset threshold and a low CVM limit", func(m map[string]any) {
			e := m["ecash"].(map[string]any)
			e["resetThreshold"], e["cvmLimit"] = json.Number("5000"), json.Number("2000")
		}, []string{"PAY-EC-008", "PAY-EC-009"}},
		{"format 2 answers", func(m map[string]any) { m["responseFormat"] = json.Number("2") }, []string{"PAY-GPO-001", "PAY-AC-009"}},
		{"two applications", func(m map[string]any) {
			m["applications"] = []any{map[string]any{"type": "debit"}, map[string]any{"type": "credit"}}
		}, []string{"PAY-SEL-005"}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			rep, err := conformance.Execute(patchedModel(t, v.patch), onlyPay)
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, r := range rep.Results {
				switch r.Outcome {
				case conformance.Pass:
					ran[r.ID] = true
				case conformance.Skip:
				default:
					var sb strings.Builder
					writeResult(&sb, r)
					t.Errorf("%s: %s (%s)\n%s", r.ID, r.Outcome, r.Reason, sb.String())
				}
			}
			for _, id := range v.runs {
				if !ran[id] {
					t.Errorf("%s did not run and pass", id)
				}
			}
		})
	}
}

func writeResult(sb *strings.Builder, r *conformance.Result) {
	for _, f := range r.Failures {
		fmt.Fprintf(sb, "  [%s] %s\n", f.Step, f.Message)
	}
	for _, e := range r.Exchanges {
		fmt.Fprintf(sb, "    %s: %X -> %X %s\n", e.Step, []byte(e.Command), []byte(e.Response), e.Err)
	}
}

// TestPaySuiteOnOneCard runs the suite as on a real card: one card for
// every case, reset between them, destructive cases skipped. The cases
// that spend electronic cash or PIN tries must put them back, or the
// later cases, checked against the declared profile, fail.
func TestPaySuiteOnOneCard(t *testing.T) {
	card, err := emulator.Open("activated", emulator.WithSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	target := &conformance.CardTarget{Label: "one model card", Declared: card.Profile(), Card: card,
		Reset: func() error { card.Reset(); return nil }}
	rep, err := conformance.Execute(target, onlyPay)
	if err != nil {
		t.Fatal(err)
	}
	counts := rep.Counts()
	for _, r := range rep.Results {
		if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
			var sb strings.Builder
			writeResult(&sb, r)
			t.Errorf("%s: %s (%s)\n%s", r.ID, r.Outcome, r.Reason, sb.String())
		}
	}
	if counts[conformance.Pass] < 50 {
		t.Errorf("%d cases passed on one card", counts[conformance.Pass])
	}
}
