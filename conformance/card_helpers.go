package conformance

import (
	"fmt"
	"slices"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// Clause references used by the card suite.
const (
	iso4      = "ISO/IEC 7816-4"
	cardSSSE  = "CARD.md §2, LD/T 32.3"
	cardSec   = "CARD.md §3, LD/T 32.4"
	cardLife  = "CARD.md §6"
	cardT0    = "ISO/IEC 7816-3 §10.3.5, CARD.md §7"
	emvScript = "EMV Book 3 §6.5"
)

// --- requirements on the card's profile ---

func needGen(gens ...string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if p.Kind != profile.KindCard {
			return "not a social security card"
		}
		if !slices.Contains(gens, p.Generation) {
			return fmt.Sprintf("needs a %v card (this is %s)", gens, p.Generation)
		}
		return ""
	}
}

func needSSC(p *profile.Profile) string {
	if p.Kind != profile.KindCard || p.SSSE == nil {
		return "not a social security card"
	}
	return ""
}

// needActive: the SSSE is activated, not blocked, on a card not blocked.
func needActive(p *profile.Profile) string {
	if why := needSSC(p); why != "" {
		return why
	}
	s := p.SSSE
	switch {
	case s.CardBlocked:
		return "card blocked"
	case s.Blocked:
		return "SSSE blocked"
	case s.LifeCycle != "activated":
		return "SSSE " + s.LifeCycle
	}
	return ""
}

func needLifeCycle(lc string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needSSC(p); why != "" {
			return why
		}
		if p.SSSE.LifeCycle != lc || p.SSSE.Blocked || p.SSSE.CardBlocked {
			return "needs an SSSE " + lc
		}
		return ""
	}
}

// needTries: the PIN has at least n tries left.
func needTries(n int) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		if *p.SSSE.PIN.TriesLeft < n {
			return fmt.Sprintf("needs %d PIN tries left", n)
		}
		return ""
	}
}

func needBlockedPIN(p *profile.Profile) string {
	if why := needActive(p); why != "" {
		return why
	}
	if *p.SSSE.PIN.TriesLeft != 0 {
		return "needs a blocked PIN"
	}
	return ""
}

// --- expected values from the profile ---

// records returns the SSSE records the profile declares.
func records(s *S) map[string][][]byte {
	r, err := ssse.Records(s.Profile())
	if err != nil {
		s.Fatalf("profile records: %v", err)
	}
	return r
}

// record returns the record with identifier tag of file ef.
func record(s *S, ef string, tag byte) []byte {
	for _, r := range records(s)[ef] {
		if r[0] == tag {
			return r
		}
	}
	s.Fatalf("the profile has no record %02X in %s", tag, ef)
	return nil
}

// recordNumber returns the number (1-based) of record tag in ef.
func recordNumber(s *S, ef string, tag byte) byte {
	for i, r := range records(s)[ef] {
		if r[0] == tag {
			return byte(i + 1)
		}
	}
	s.Fatalf("the profile has no record %02X in %s", tag, ef)
	return 0
}

func alg(s *S) cardcrypto.Alg {
	a, err := cardcrypto.ParseAlg(s.Profile().Algorithm)
	if err != nil {
		s.Fatalf("profile algorithm: %v", err)
	}
	return a
}

func pin(s *S) string { return s.Profile().SSSE.PIN.Value }

// wrongPIN returns a PIN of valid length that is not the card's.
func wrongPIN(s *S) string {
	p := pin(s)
	w := []byte(p)
	w[0] = '0' + (w[0]-'0'+1)%10
	return string(w)
}

func bcdPIN(s *S, p string) []byte {
	b, err := cardcrypto.EncodePINBCD(p)
	if err != nil {
		s.Fatalf("PIN %q: %v", p, err)
	}
	return b
}

// --- steps ---

// selectSSSE selects the SSSE by name with a T=0 terminal's handling and
// ends the case if it does not answer 9000.
func selectSSSE(s *S) iso7816.Response {
	s.Step("select SSSE")
	r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: terminal.SSSEAID})
	if r.SW != iso7816.SWOK {
		s.Fatalf("SELECT SSSE answered %04X", uint16(r.SW))
	}
	return r
}

// auth does external authentication with key id through the PSAM.
func auth(s *S, id byte) {
	s.Step("external authentication, key %02X", id)
	if err := s.Session().ExternalAuthenticate(id); err != nil {
		s.Fatalf("external authentication with key %02X: %v", id, err)
	}
}

// verifyPIN presents the card's PIN and ends the case unless 9000.
func verifyPIN(s *S) {
	s.Step("verify PIN")
	s.Must(apdu(0x00, 0x20, 0, 0, bcdPIN(s, pin(s))), OK())
}

// apdu encodes a case-3 command (or case 1 without data).
func apdu(cla, ins, p1, p2 byte, data []byte) []byte {
	out := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		out = append(out, byte(len(data)))
		out = append(out, data...)
	}
	return out
}

// apduLe encodes a case-2 command.
func apduLe(cla, ins, p1, p2, le byte) []byte { return []byte{cla, ins, p1, p2, le} }

func tries(n int) iso7816.Status { return iso7816.SWVerifyFailed | iso7816.Status(n) }
