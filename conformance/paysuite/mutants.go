package paysuite

import (
	"encoding/json"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

func init() { conformance.RegisterMutants(mutants()...) }

// mutants are deliberately wrong payment applications: the model seen
// through a transport that changes its answers, or personalised other
// than it declares. The suite's own test names the cases that catch each
// ("sscard conform --mutant NAME" runs one).
func mutants() []conformance.Mutant {
	wrap := func(name, desc string, f func(terminal.Transport) terminal.Transport) conformance.Mutant {
		return conformance.Mutant{Name: name, Description: desc, Suite: SuiteName,
			Wrap: func(card terminal.Transport, _ *profile.Profile) terminal.Transport { return f(card) }}
	}
	patch := func(name, desc string, f func(pay map[string]any)) conformance.Mutant {
		return conformance.Mutant{Name: name, Description: desc, Suite: SuiteName,
			Patch: func(m map[string]any) {
				if pay, ok := m["pay"].(map[string]any); ok {
					f(pay)
				}
			}}
	}
	return []conformance.Mutant{
		wrap("pay-fdda-signature-damaged", "the fDDA signature of the qUICS GPO answer is damaged",
			rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagSDAD) })),
		wrap("pay-quics-atc-off", "the ATC of the qUICS GPO answer is off by one",
			rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagATC) })),
		wrap("pay-quics-cryptogram-damaged", "the qUICS cryptogram is damaged",
			rewriter(0xA8, func(_, r []byte) []byte { return flipTLV(r, emv.TagAC) })),
		wrap("pay-gpo-any-length", "GPO accepts PDOL data of any length",
			rewriter(0xA8, swAccept(iso7816.SWWrongLength))),
		wrap("pay-blocked-app-selected", "an application blocked by APPLICATION BLOCK is selected with 9000, not 6283",
			rewriter(0xA4, func(_, r []byte) []byte {
				if n := len(r); n >= 2 && iso7816.StatusFrom(r[n-2], r[n-1]) == iso7816.SWWarnDeactivated {
					return append(r[:n-2:n-2], 0x90, 0x00)
				}
				return r
			})),
		wrap("pay-blocked-card-selected", "after CARD BLOCK the payment applications are still selected",
			rewriter(0xA4, swAccept(iso7816.SWFuncNotSupported))),
		wrap("pay-pin-not-counted", "wrong offline PINs are not counted",
			rewriter(0x20, func(_, r []byte) []byte {
				if len(r) == 2 && r[0] == 0x63 {
					return []byte{0x90, 0x00}
				}
				return r
			})),
		wrap("pay-issuer-certificate-damaged", "the issuer public key certificate in a record is damaged",
			rewriter(0xB2, func(_, r []byte) []byte { return flipTLV(r, emv.TagIssuerCert) })),
		patch("pay-wrong-ac-key", "the chip's AC master keys are not the issuer's", func(pay map[string]any) {
			for _, path := range []string{"sm", "des"} {
				if k, ok := pay[path].(map[string]any); ok {
					k["ac"] = "00112233445566778899AABBCCDDEEFF"
				}
			}
		}),
		patch("pay-other-balance", "the chip holds another electronic cash balance than declared", func(pay map[string]any) {
			if e, ok := pay["ecash"].(map[string]any); ok {
				e["balance"] = json.Number("9000")
			}
		}),
		patch("pay-six-pin-tries", "the offline PIN allows 6 tries where the card declares 3", func(pay map[string]any) {
			if pin, ok := pay["pin"].(map[string]any); ok {
				pin["maxTries"], pin["triesLeft"] = json.Number("6"), json.Number("6")
			}
		}),
	}
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

// swAccept answers 9000 where the card refused with want.
func swAccept(want iso7816.Status) func(cmd, resp []byte) []byte {
	return func(_, resp []byte) []byte {
		if len(resp) == 2 && iso7816.StatusFrom(resp[0], resp[1]) == want {
			return []byte{0x90, 0x00}
		}
		return resp
	}
}
