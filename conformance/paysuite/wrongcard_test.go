package paysuite

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// wrapTarget is the model seen through a reader that changes the card's
// answers: a deliberately wrong card.
type wrapTarget struct {
	conformance.Target
	name string
	wrap func(terminal.Transport) terminal.Transport
}

func (w wrapTarget) Name() string { return "wrong card: " + w.name }

func (w wrapTarget) Open(c *conformance.Case, p *profile.Profile) (terminal.Transport, terminal.Transport, func(), error) {
	card, psam, closeFn, err := w.Target.Open(c, p)
	if err != nil {
		return nil, nil, nil, err
	}
	return w.wrap(card), psam, closeFn, nil
}

// rewriter changes the answers to the commands with one INS.
func rewriter(ins byte, f func(cmd, resp []byte) []byte) func(terminal.Transport) terminal.Transport {
	return func(card terminal.Transport) terminal.Transport {
		return terminal.TransportFunc(func(cmd []byte) ([]byte, error) {
			resp, err := card.Transmit(cmd)
			if err != nil || len(cmd) < 2 || cmd[1] != ins {
				return resp, err
			}
			return f(cmd, resp), nil
		})
	}
}

// sw9000 answers 9000 where the card refused with want.
func swAccept(want iso7816.Status) func(cmd, resp []byte) []byte {
	return func(_, resp []byte) []byte {
		if len(resp) == 2 && iso7816.StatusFrom(resp[0], resp[1]) == want {
			return []byte{0x90, 0x00}
		}
		return resp
	}
}

// wrongCards are deliberately wrong payment applications and the cases
// that must catch each.
func wrongCards() []struct {
	target conformance.Target
	caught []string
} {
	model := conformance.Model()
	wrap := func(name string, f func(terminal.Transport) terminal.Transport) conformance.Target {
		return wrapTarget{Target: model, name: name, wrap: f}
	}
	patched := func(name string, patch func(m map[string]any)) conformance.Target {
		t, err := conformance.NewMutantTarget(conformance.Mutant{Name: name, Description: name, Patch: func(m map[string]any) {
			patch(m["pay"].(map[string]any))
		}})
		if err != nil {
			panic(err)
		}
		return t
	}
	return []struct {
		target conformance.Target
		caught []string
	}{
		{wrap("fDDA signature damaged in the GPO answer", rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagSDAD) })),
			[]string{"PAY-ODA-005", "PAY-E2E-001"}},
		{wrap("ATC of the qUICS answer off by one", rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagATC) })),
			[]string{"PAY-GPO-006", "PAY-AC-006", "PAY-E2E-002"}},
		{wrap("qUICS cryptogram damaged", rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagAC) })),
			[]string{"PAY-AC-006", "PAY-AC-007", "PAY-E2E-002"}},
		{wrap("GPO accepts PDOL data of any length", rewriter(0xA8, swAccept(iso7816.SWWrongLength))),
			[]string{"PAY-GPO-003"}},
		{wrap("a blocked application is selected with 9000", rewriter(0xA4, func(_, r []byte) []byte {
			if n := len(r); n >= 2 && iso7816.StatusFrom(r[n-2], r[n-1]) == iso7816.SWWarnDeactivated {
				return append(r[:n-2:n-2], 0x90, 0x00)
			}
			return r
		})), []string{"PAY-SCR-001", "PAY-E2E-003"}},
		{wrap("a blocked card's applications are still selected", rewriter(0xA4, swAccept(iso7816.SWFuncNotSupported))),
			[]string{"PAY-SCR-005"}},
		{wrap("wrong PINs are not counted", rewriter(0x20, func(_, r []byte) []byte {
			if len(r) == 2 && r[0] == 0x63 {
				return []byte{0x90, 0x00}
			}
			return r
		})), []string{"PAY-PIN-002"}},
		{wrap("a record's issuer certificate damaged", rewriter(0xB2, func(_, r []byte) []byte { return flipTLV(r, emv.TagIssuerCert) })),
			[]string{"PAY-ODA-001", "PAY-ODA-002", "PAY-ODA-005", "PAY-E2E-001"}},
		{patched("pay-wrong-ac-key", func(m map[string]any) {
			m["sm"].(map[string]any)["ac"] = "00112233445566778899AABBCCDDEEFF"
			m["des"].(map[string]any)["ac"] = "00112233445566778899AABBCCDDEEFF"
		}), []string{"PAY-AC-004", "PAY-AC-005", "PAY-AC-006", "PAY-E2E-002", "PAY-E2E-007"}},
		{patched("pay-other-balance", func(m map[string]any) {
			m["ecash"].(map[string]any)["balance"] = json.Number("9000")
		}), []string{"PAY-DATA-001"}},
		{patched("pay-six-pin-tries", func(m map[string]any) {
			m["pin"].(map[string]any)["maxTries"] = json.Number("6")
			m["pin"].(map[string]any)["triesLeft"] = json.Number("6")
		}), []string{"PAY-DATA-002", "PAY-PIN-002"}},
	}
}

// TestPaySuiteCatchesWrongCards checks the suite itself: on each wrong
// card, the cases named fail.
func TestPaySuiteCatchesWrongCards(t *testing.T) {
	for _, w := range wrongCards() {
		t.Run(w.target.Name(), func(t *testing.T) {
			opt := onlyPay
			opt.Parallel = 1
			rep, err := conformance.Execute(w.target, opt)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range rep.Results {
				if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
					failed = append(failed, r.ID)
				}
			}
			for _, id := range w.caught {
				if !slices.Contains(failed, id) {
					t.Errorf("%s passes on this card", id)
				}
			}
			t.Logf("caught by %s", strings.Join(failed, ", "))
		})
	}
}
