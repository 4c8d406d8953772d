package pkisuite

import (
	"bytes"
	"encoding/json"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

func init() { conformance.RegisterMutants(mutants()...) }

// mutants are deliberately wrong PKI applications: the defects a profile's
// pki.defects builds in, personalisations other than declared, and wrong
// answers to the newer commands. The suite's own test names the cases that
// catch each ("sscard conform --mutant NAME" runs one).
func mutants() []conformance.Mutant {
	defect := func(name, desc string) conformance.Mutant {
		return conformance.Mutant{Name: "pki-" + name, Description: desc, Suite: SuiteName,
			Patch: func(m map[string]any) { pkiSection(m)["defects"] = []any{name} }}
	}
	out := []conformance.Mutant{
		defect("sign-without-pin", "PSO COMPUTE DIGITAL SIGNATURE signs without the user PIN"),
		defect("pin-no-decrement", "a wrong PKI PIN costs no try"),
		defect("mac-not-checked", "CHANGE PIN accepts any MAC"),
		defect("private-key-readable", "READ BINARY reads a private key file"),
		defect("certificate-unchecked", "IMPORT CERTIFICATE takes a certificate of another key"),
		{Name: "pki-user-pin-six-tries", Suite: SuiteName, Description: "the user PIN allows 6 tries where the card declares 3",
			Patch: func(m map[string]any) {
				if pin, ok := pkiSection(m)["userPin"].(map[string]any); ok {
					pin["maxTries"], pin["triesLeft"] = json.Number("6"), json.Number("6")
				}
			}},
		{Name: "pki-message-input", Suite: SuiteName, Description: "the card signs the message where it declares the digest",
			Patch: func(m map[string]any) { pkiSection(m)["signInput"] = "message" }},
		{Name: "pki-expired-certificate", Suite: SuiteName, Description: "the chip holds an expired certificate of its key where it declares a valid one",
			Patch: func(m map[string]any) {
				if s, ok := pkiSection(m)["signing"].(map[string]any); ok {
					s["certificate"] = testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSignExpired)
				}
			}},
	}
	for _, m := range wrapped() {
		wrap := m.Wrap
		m.Wrap = func(card terminal.Transport, p *profile.Profile) terminal.Transport {
			if p.PKI == nil {
				return card
			}
			return wrap(card, p)
		}
		out = append(out, m)
	}
	return out
}

func pkiSection(m map[string]any) map[string]any {
	if p, ok := m["pki"].(map[string]any); ok {
		return p
	}
	p := map[string]any{}
	m["pki"] = p
	return p
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

// wrapped are wrong PKI applications for PSO DECIPHER and RESET RETRY
// COUNTER: the model card behind a transport that changes its answers.
func wrapped() []conformance.Mutant {
	return []conformance.Mutant{
		{Name: "pki-decipher-stale-plaintext", Suite: SuiteName, Description: "PSO DECIPHER answers the last plaintext it gave, with 9000, for a ciphertext that does not decipher",
			Wrap: func(card terminal.Transport, _ *profile.Profile) terminal.Transport {
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
		{Name: "pki-decipher-without-pin", Suite: SuiteName, Description: "PSO DECIPHER deciphers without the user PIN",
			Wrap: func(card terminal.Transport, p *profile.Profile) terminal.Transport {
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
		{Name: "pki-reset-one-try-short", Suite: SuiteName, Description: "RESET RETRY COUNTER restores one try fewer than the user PIN's maximum",
			Wrap: func(card terminal.Transport, _ *profile.Profile) terminal.Transport {
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
		{Name: "pki-reset-without-mac-check", Suite: SuiteName, Description: "RESET RETRY COUNTER takes any MAC: a wrong one restores the tries and costs nothing",
			Wrap: func(card terminal.Transport, p *profile.Profile) terminal.Transport {
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
