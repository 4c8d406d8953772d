// Package pkisuite is the conformance suite of the card's PKI application
// and of online identity authentication (CARD.md §4): every PKI command,
// positive and negative, and the authentication flow run by the reference
// relying server of package idauth. Importing it registers the suite "pki"
// with the conformance runner (the sscard CLI does).
//
// Expected values come from the card's profile (its pki section): the keys
// and certificates it declares from the test PKI, its PINs and keys.
package pkisuite

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	mrand "math/rand/v2"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// SuiteName is the name the suite registers under.
const SuiteName = "pki"

// Clause references.
const (
	cardPKI  = "CARD.md §4"
	modelPKI = "CARD.md §4 [model]"
	iso4     = "ISO/IEC 7816-4"
	iso8     = "ISO/IEC 7816-8"
	sm2Enc   = "GB/T 32918.4, GM/T 0009"
	sm2Sign  = "GB/T 32918.2, GB/T 35276"
	x509Path = "RFC 5280 §6, GM/T 0015"
)

func init() {
	var cases []*conformance.Case
	for _, g := range [][]*conformance.Case{fileCases, pinCases, resetCases, keyCases, signCases, decipherCases, flowCases} {
		cases = append(cases, g...)
	}
	conformance.Register(&conformance.Suite{Name: SuiteName, Title: "PKI application and online identity authentication", Cases: cases})
}

// --- requirements ---

func needPKI(p *profile.Profile) string {
	if p.Kind != profile.KindCard {
		return "not a social security card"
	}
	if p.PKI == nil {
		return "no PKI application (3.00 cards only)"
	}
	return ""
}

func needUserTries(n int) func(*profile.Profile) string {
	return conformance.RequireAll(needPKI, func(p *profile.Profile) string {
		if *p.PKI.UserPIN.TriesLeft < n {
			return fmt.Sprintf("needs %d user PIN tries left", n)
		}
		return ""
	})
}

func needAdminTries(n int) func(*profile.Profile) string {
	return conformance.RequireAll(needPKI, func(p *profile.Profile) string {
		if *p.PKI.AdminPIN.TriesLeft < n {
			return fmt.Sprintf("needs %d admin PIN tries left", n)
		}
		return ""
	})
}

// needSigning: a signing key and certificate declared, the user PIN usable.
func needSigning(p *profile.Profile) string {
	if why := needUserTries(1)(p); why != "" {
		return why
	}
	if p.PKI.Signing.Key == "" || p.PKI.Signing.Certificate == "" {
		return "no signing key and certificate declared"
	}
	return ""
}

// needTestPKICard: the signing key is a card key of the test PKI, whose
// wrong certificates (expired, rogue, no usage) certify it too.
func needTestPKICard(p *profile.Profile) string {
	if why := conformance.RequireAll(needSigning, needAdminTries(1))(p); why != "" {
		return why
	}
	if variant(p, testpki.SuffixSignExpired) == "" {
		return "the signing key has no variant certificates in the test PKI"
	}
	return ""
}

// variant returns the name of a wrong certificate of the card's signing
// key, or "".
func variant(p *profile.Profile, suffix string) string {
	for _, c := range testpki.Cards {
		if p.PKI.Signing.Key == testpki.CardName(c.Serial, testpki.SuffixSign) {
			return testpki.CardName(c.Serial, suffix)
		}
	}
	return ""
}

// --- expected values ---

func userPIN(s *conformance.S) string  { return s.Profile().PKI.UserPIN.Value }
func adminPIN(s *conformance.S) string { return s.Profile().PKI.AdminPIN.Value }

// wrongPIN returns a PIN of the same length that is not pin.
func wrongPIN(pin string) string {
	w := []byte(pin)
	w[0] = '0' + (w[0]-'0'+1)%10
	return string(w)
}

func tries(n int) iso7816.Status { return iso7816.SWVerifyFailed | iso7816.Status(n) }

func declaredKey(s *conformance.S, name string) *sm2.PrivateKey {
	k, err := testpki.PrivateKey(name)
	if err != nil {
		s.Fatalf("declared key %s: %v", name, err)
	}
	return k
}

func declaredCert(s *conformance.S, name string) []byte {
	d, err := testpki.CertificateDER(name)
	if err != nil {
		s.Fatalf("declared certificate %s: %v", name, err)
	}
	return d
}

func xy(k *ecdsa.PublicKey) []byte {
	out := make([]byte, 64)
	k.X.FillBytes(out[:32])
	k.Y.FillBytes(out[32:])
	return out
}

func header(s *conformance.S) []byte {
	h, _ := hex.DecodeString(s.Profile().PKI.PublicKeyHeader)
	return h
}

func extAuthKey(s *conformance.S) []byte {
	p := s.Profile()
	k, err := pki.CardKey(p, p.PKI.ExternalAuthKey)
	if err != nil {
		s.Fatalf("external authentication key: %v", err)
	}
	return k
}

// --- steps ---

func client(s *conformance.S) *idauth.Client { return &idauth.Client{T: s.Card()} }

func selectPKI(s *conformance.S) {
	s.Step("select the PKI application")
	s.OK(client(s).Select(), "select")
}

func verifyUser(s *conformance.S) {
	s.Step("verify the user PIN")
	s.OK(client(s).VerifyPIN(idauth.UserPIN, userPIN(s)), "user PIN")
}

func verifyAdmin(s *conformance.S) {
	s.Step("verify the admin PIN")
	s.OK(client(s).VerifyPIN(idauth.AdminPIN, adminPIN(s)), "admin PIN")
}

// swOf returns the status word an error wraps (0 for none).
func swOf(err error) iso7816.Status {
	var sw iso7816.Status
	if errors.As(err, &sw) {
		return sw
	}
	if err == nil {
		return iso7816.SWOK
	}
	return 0
}

// checkSW records a failure unless err carries status want.
func checkSW(s *conformance.S, err error, want iso7816.Status, what string) {
	if got := swOf(err); got != want {
		s.Errorf("%s: %v, want %04X (%s)", what, err, uint16(want), want.Meaning())
	}
}

func selectEF(s *conformance.S, fid uint16) {
	s.Must(cmd(0x00, 0xA4, 0x02, 0x0C, []byte{byte(fid >> 8), byte(fid)}, -1), conformance.OK())
}

// cmd encodes a short command; le < 0: no Le.
func cmd(cla, ins, p1, p2 byte, data []byte, le int) []byte {
	out := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		out = append(out, byte(len(data)))
		out = append(out, data...)
	}
	if le >= 0 {
		out = append(out, byte(le))
	}
	return out
}

// certFile reads a whole certificate file.
func certFile(s *conformance.S, fid uint16) []byte {
	f, err := client(s).ReadFile(fid, s.Profile().PKI.CertificateSize)
	s.OK(err, fmt.Sprintf("reading %04X", fid))
	return f
}

// --- the reference relying server ---

// server returns a relying server trusting the test PKI, whose clock is
// inside the declared signing certificate's validity and whose challenges
// are seeded from the case, so reports are reproducible.
func server(s *conformance.S, id string) *idauth.Server {
	roots, err := testpki.Roots()
	s.OK(err, "test PKI roots")
	inter, err := testpki.Intermediates()
	s.OK(err, "test PKI issuing CAs")
	c, err := testpki.Certificate(s.Profile().PKI.Signing.Certificate)
	s.OK(err, "declared certificate")
	now := c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2).Truncate(time.Second)
	srv, err := idauth.NewServer(idauth.Config{
		Name: "sscard conformance relying server", Roots: roots, Intermediates: inter,
		Register: idauth.RegisterOf(s.Profile()), Now: func() time.Time { return now },
		Rand: caseRand(id), UserID: s.Profile().PKI.UserID,
		SignMessage: s.Profile().PKI.SignInput == "message",
	})
	s.OK(err, "relying server")
	return srv
}

type chacha struct{ r *mrand.ChaCha8 }

// caseRand is a random source seeded from a case's ID, so that reports
// are reproducible.
func caseRand(id string) *chacha {
	h := fnv.New64a()
	h.Write([]byte(id))
	var seed [32]byte
	copy(seed[:], h.Sum(nil))
	return &chacha{r: mrand.NewChaCha8(seed)}
}

func (c *chacha) Read(p []byte) (int, error) { return c.r.Read(p) }

var _ io.Reader = (*chacha)(nil)

func equalPadded(file, der []byte) bool {
	return len(file) >= len(der) && bytes.Equal(file[:len(der)], der) && bytes.Count(file[len(der):], []byte{0}) == len(file)-len(der)
}

func needState(states ...idauth.CardStatus) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if p.Register != nil {
			for _, st := range states {
				if idauth.CardStatus(p.Register.State) == st {
					return ""
				}
			}
		}
		return fmt.Sprintf("needs a card in state %v in the register", states)
	}
}
