package pkisuite_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/pkisuite"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
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
			failed := failedCases(t, target)
			if len(failed) == 0 {
				t.Fatalf("mutant %s (%s) passes every PKI case", m.Name, m.Description)
			}
			t.Logf("%s caught by %s", m.Name, strings.Join(failed, ", "))
		})
	}
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
	var failed []string
	for _, r := range rep.Results {
		if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
			failed = append(failed, r.ID)
		}
	}
	return failed
}

// wrongCard is a deliberately wrong PKI application made by a wrapper
// around the model card's transport: what a card with the defect answers.
type wrongCard struct {
	name, description string
	wrap              func(card terminal.Transport, p *profile.Profile) terminal.Transport
	// caughtBy are cases that must fail on it.
	caughtBy []string
}

// wrappedTarget is the model with every card behind a wrongCard's wrapper.
type wrappedTarget struct {
	*conformance.ModelTarget
	w wrongCard
}

func (t *wrappedTarget) Name() string { return "wrong card " + t.w.name }

func (t *wrappedTarget) Open(c *conformance.Case, p *profile.Profile) (terminal.Transport, terminal.Transport, func(), error) {
	card, psam, done, err := t.ModelTarget.Open(c, p)
	if err != nil || p.PKI == nil {
		return card, psam, done, err
	}
	return t.w.wrap(card, p), psam, done, nil
}

func isDecipher(c []byte) bool {
	return len(c) >= 4 && c[0]&0xFC == 0x00 && c[1] == 0x2A && c[2] == 0x80 && c[3] == 0x86
}

func isReset(c []byte) bool { return len(c) >= 4 && c[0]&0xFC == 0x84 && c[1] == 0x2C }

func sw(out []byte) iso7816.Status {
	r, err := iso7816.ParseResponse(out)
	if err != nil {
		return 0
	}
	return r.SW
}

// wrongCards are wrong PKI applications for PSO DECIPHER and RESET RETRY
// COUNTER.
func wrongCards() []wrongCard {
	return []wrongCard{
		{name: "decipher-stale-plaintext", description: "PSO DECIPHER answers the last plaintext it gave, with 9000, for a ciphertext that does not decipher",
			caughtBy: []string{"PKI-DEC-004"},
			wrap: func(card terminal.Transport, _ *profile.Profile) terminal.Transport {
				var last []byte
				return terminal.TransportFunc(func(c []byte) ([]byte, error) {
					out, err := card.Transmit(c)
					if err != nil || !isDecipher(c) {
						return out, err
					}
					switch sw(out) {
					case iso7816.SWOK:
						last = bytes.Clone(out)
					case iso7816.SWWrongData:
						if last != nil {
							return bytes.Clone(last), nil
						}
					}
					return out, nil
				})
			}},
		{name: "decipher-without-pin", description: "PSO DECIPHER deciphers without the user PIN",
			caughtBy: []string{"PKI-DEC-003"},
			wrap: func(card terminal.Transport, p *profile.Profile) terminal.Transport {
				return terminal.TransportFunc(func(c []byte) ([]byte, error) {
					out, err := card.Transmit(c)
					if err != nil || !isDecipher(c) || sw(out) != iso7816.SWSecurityNotSatisfied {
						return out, err
					}
					// The card's own PIN check skipped: verify, send again.
					if err := (&idauth.Client{T: card}).VerifyPIN(idauth.UserPIN, p.PKI.UserPIN.Value); err != nil {
						return out, nil
					}
					return card.Transmit(c)
				})
			}},
		{name: "reset-one-try-short", description: "RESET RETRY COUNTER restores one try fewer than the user PIN's maximum",
			caughtBy: []string{"PKI-PIN-008", "PKI-PIN-009", "PKI-PIN-010"},
			wrap: func(card terminal.Transport, _ *profile.Profile) terminal.Transport {
				return terminal.TransportFunc(func(c []byte) ([]byte, error) {
					out, err := card.Transmit(c)
					if err != nil || !isReset(c) || sw(out) != iso7816.SWOK {
						return out, err
					}
					// Spend a user PIN try behind the terminal's back.
					if _, err := card.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x10}); err != nil {
						return nil, err
					}
					if _, err := card.Transmit(append([]byte{0x00, 0x20, 0x01, 0x81, 0x10}, make([]byte, 16)...)); err != nil {
						return nil, err
					}
					return out, nil
				})
			}},
		{name: "reset-without-mac-check", description: "RESET RETRY COUNTER takes any MAC: a wrong one restores the tries and costs nothing",
			caughtBy: []string{"PKI-PIN-010"},
			wrap: func(card terminal.Transport, p *profile.Profile) terminal.Transport {
				return terminal.TransportFunc(func(c []byte) ([]byte, error) {
					out, err := card.Transmit(c)
					if err != nil || !isReset(c) || sw(out)&0xFFF0 != iso7816.SWVerifyFailed {
						return out, err
					}
					// The card's MAC check skipped: restore the admin PIN's
					// try and do what the command asked, for 9000.
					cl := &idauth.Client{T: card}
					if err := cl.VerifyPIN(idauth.AdminPIN, p.PKI.AdminPIN.Value); err != nil {
						return out, nil
					}
					for range p.PKI.UserPIN.MaxTries {
						if err := cl.VerifyPIN(idauth.UserPIN, p.PKI.UserPIN.Value); err == nil {
							break
						}
					}
					return []byte{0x90, 0x00}, nil
				})
			}},
	}
}

// TestPKISuiteCatchesWrongCards: each wrong card of the new commands fails
// the cases written for it.
func TestPKISuiteCatchesWrongCards(t *testing.T) {
	for _, w := range wrongCards() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			m, err := conformance.NewModel("", "")
			if err != nil {
				t.Fatal(err)
			}
			failed := failedCases(t, &wrappedTarget{ModelTarget: m, w: w})
			for _, id := range w.caughtBy {
				if !slices.Contains(failed, id) {
					t.Errorf("wrong card %s (%s) passes %s", w.name, w.description, id)
				}
			}
			t.Logf("%s caught by %s", w.name, strings.Join(failed, ", "))
		})
	}
}
