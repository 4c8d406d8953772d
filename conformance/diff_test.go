package conformance_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/profile"
)

// cardTarget is a "real" card: one emulated card that lives through the run.
func cardTarget(t *testing.T, persona string, opts ...emulator.Option) *conformance.CardTarget {
	t.Helper()
	p, err := profile.Load(persona)
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p, append([]emulator.Option{emulator.WithSeed(99)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &conformance.CardTarget{Label: "card", Declared: p, Card: c, Reset: func() error { c.Reset(); return nil }}
}

// A card that behaves like the model shows no divergence, although its
// challenges (another seed) and its history differ from case to case.
func TestDiffOfAConformingCard(t *testing.T) {
	model, err := conformance.NewModel("activated", "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := conformance.ExecuteDiff(cardTarget(t, "activated"), model, conformance.Options{Selection: conformance.Selection{Suites: []string{"card"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatal(sb.String())
	}
}

// A card that departs from the model is reported, byte by byte.
func TestDiffOfADepartingCard(t *testing.T) {
	model, err := conformance.NewModel("activated", "")
	if err != nil {
		t.Fatal(err)
	}
	real := cardTarget(t, "activated", emulator.WithDefects(cos.DefectUnknownINS6E00))
	rep, err := conformance.ExecuteDiff(real, model, conformance.Options{Selection: conformance.Selection{Suites: []string{"card"}}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rep.Results {
		for _, d := range r.Divergences {
			if d.What == "status word" && d.Real == "6E 00" && d.Model == "6D 00" {
				found = true
			}
		}
	}
	if !found || rep.OK() {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatalf("no 6E00/6D00 divergence reported:\n%s", sb.String())
	}
}
