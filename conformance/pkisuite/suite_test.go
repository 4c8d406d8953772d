package pkisuite_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/pkisuite"
	"github.com/sscard/sscard/vectors/pki/testpki"
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

// pkiMutants are deliberately wrong PKI applications: the suite must fail
// on each. Most are defects switched on in the card's profile; two change
// what the chip holds while the cases still check the declared profile.
func pkiMutants() []conformance.Mutant {
	defect := func(name string) conformance.Mutant {
		return conformance.Mutant{Name: "pki-" + name, Description: "PKI defect " + name,
			Patch: func(m map[string]any) { pkiSection(m)["defects"] = []any{name} }}
	}
	return []conformance.Mutant{
		defect("sign-without-pin"),
		defect("pin-no-decrement"),
		defect("mac-not-checked"),
		defect("private-key-readable"),
		defect("certificate-unchecked"),
		{Name: "pki-user-pin-six-tries", Description: "the user PIN allows 6 tries where the card declares 3",
			Patch: func(m map[string]any) {
				pin := pkiSection(m)["userPin"].(map[string]any)
				pin["maxTries"], pin["triesLeft"] = json.Number("6"), json.Number("6")
			}},
		{Name: "pki-message-input", Description: "the card signs the message where it declares the digest",
			Patch: func(m map[string]any) { pkiSection(m)["signInput"] = "message" }},
		{Name: "pki-expired-certificate", Description: "the chip holds an expired certificate of its key where it declares a valid one",
			Patch: func(m map[string]any) {
				pkiSection(m)["signing"].(map[string]any)["certificate"] = testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSignExpired)
			}},
	}
}

func pkiSection(m map[string]any) map[string]any {
	if p, ok := m["pki"].(map[string]any); ok {
		return p
	}
	p := map[string]any{}
	m["pki"] = p
	return p
}

// TestPKISuiteCatchesEveryMutant checks the suite itself: each mutant fails
// at least one PKI case.
func TestPKISuiteCatchesEveryMutant(t *testing.T) {
	for _, m := range pkiMutants() {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			target, err := conformance.NewMutantTarget(m)
			if err != nil {
				t.Fatal(err)
			}
			opt := onlyPKI
			opt.Parallel = 1
			rep, err := conformance.Execute(target, opt)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range rep.Results {
				if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
					failed = append(failed, r.ID)
				}
			}
			if len(failed) == 0 {
				t.Fatalf("mutant %s (%s) passes every PKI case", m.Name, m.Description)
			}
			t.Logf("%s caught by %s", m.Name, strings.Join(failed, ", "))
		})
	}
}
