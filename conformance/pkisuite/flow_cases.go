package pkisuite

import (
	"errors"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// authenticate runs the flow and returns the result.
func authenticate(s *conformance.S, srv *idauth.Server) *idauth.Result {
	res := idauth.Authenticate(srv, s.Card(), userPIN(s), func(st idauth.Step) { s.Step("flow: %s", st.Name) })
	return res
}

func refused(s *conformance.S, res *idauth.Result, want error) {
	switch {
	case res.Accepted:
		s.Errorf("the relying server accepted the card; want a refusal (%v)", want)
	case !errors.Is(res.Err, want):
		s.Errorf("refused with %v; want %v", res.Err, want)
	}
}

// answer runs the flow up to the card's signature of ch.
func answer(s *conformance.S, srv *idauth.Server, ch idauth.Challenge) (*idauth.Identity, []byte) {
	cl := client(s)
	selectPKI(s)
	s.Step("read and check the certificate")
	der, err := cl.ReadCertificate(idauth.FileSignCert)
	s.OK(err, "certificate")
	id, err := srv.CheckCertificate(der)
	s.OK(err, "certificate check")
	verifyUser(s)
	s.Step("sign the challenge")
	data, err := srv.ToSign(id, ch)
	s.OK(err, "to sign")
	sig, err := cl.Sign(data)
	s.OK(err, "sign")
	return id, sig
}

// withCertificate imports the wrong certificate suffix of the card's key,
// runs f, and puts the declared certificate back.
func withCertificate(s *conformance.S, suffix string, f func()) {
	selectPKI(s)
	verifyAdmin(s)
	cl := client(s)
	s.Step("import the %s certificate", suffix)
	s.OK(cl.ImportCertificate(idauth.FileSignCert, declaredCert(s, variant(s.Profile(), suffix))), "import")
	f()
	selectPKI(s)
	verifyAdmin(s)
	s.Step("put the declared certificate back")
	s.OK(cl.ImportCertificate(idauth.FileSignCert, declaredCert(s, s.Profile().PKI.Signing.Certificate)), "restore")
}

var flowCases = []*conformance.Case{
	{
		ID: "PKI-FLOW-001", Title: "Online authentication: the relying server accepts the card (chain to the test root, PIN, signature of its challenge)",
		Clause: cardPKI + "; " + x509Path + "; " + sm2Sign, Requires: needSigning,
		Run: func(s *conformance.S) {
			res := authenticate(s, server(s, "PKI-FLOW-001"))
			if !res.Accepted {
				s.Fatalf("refused: %v", res.Err)
			}
			id := s.Profile().SSSE.Identity
			if res.Identity.Name != id.Name || res.Identity.Card.SSN != id.SSN || res.Identity.Card.Identifier != idauth.CardIdentifier(s.Profile()) {
				s.Errorf("authenticated %s / %s / %s; the card is %s / %s / %s", res.Identity.Name, res.Identity.Card.SSN, res.Identity.Card.Identifier,
					id.Name, id.SSN, idauth.CardIdentifier(s.Profile()))
			}
		},
	},
	{
		ID: "PKI-FLOW-002", Title: "The relying server refuses a replayed answer to a challenge already used",
		Clause: modelPKI, Model: true, Requires: needSigning,
		Run: func(s *conformance.S) {
			srv := server(s, "PKI-FLOW-002")
			ch, err := srv.NewChallenge()
			s.OK(err, "challenge")
			id, sig := answer(s, srv, ch)
			s.Step("first answer")
			s.OK(srv.Verify(ch.Nonce, id, sig), "first answer")
			s.Step("the same answer again")
			if err := srv.Verify(ch.Nonce, id, sig); !errors.Is(err, idauth.ErrChallengeUnknown) {
				s.Errorf("replayed answer: %v; want %v", err, idauth.ErrChallengeUnknown)
			}
		},
	},
	{
		ID: "PKI-FLOW-003", Title: "The relying server refuses a signature of another challenge",
		Clause: modelPKI, Model: true, Requires: needSigning,
		Run: func(s *conformance.S) {
			srv := server(s, "PKI-FLOW-003")
			a, err := srv.NewChallenge()
			s.OK(err, "challenge A")
			b, err := srv.NewChallenge()
			s.OK(err, "challenge B")
			id, sig := answer(s, srv, a)
			s.Step("the signature of A as the answer to B")
			if err := srv.Verify(b.Nonce, id, sig); !errors.Is(err, idauth.ErrSignature) {
				s.Errorf("signature of another challenge: %v; want %v", err, idauth.ErrSignature)
			}
		},
	},
	{
		ID: "PKI-FLOW-004", Title: "The relying server refuses a card whose certificate has expired",
		Clause: x509Path, Requires: needTestPKICard, Restores: true,
		Run: func(s *conformance.S) {
			withCertificate(s, testpki.SuffixSignExpired, func() {
				refused(s, authenticate(s, server(s, "PKI-FLOW-004")), idauth.ErrCertificateTime)
			})
		},
	},
	{
		ID: "PKI-FLOW-005", Title: "The relying server refuses a certificate issued by a CA outside its trust (same issuer name, another key)",
		Clause: x509Path, Requires: needTestPKICard, Restores: true,
		Run: func(s *conformance.S) {
			withCertificate(s, testpki.SuffixSignRogue, func() {
				refused(s, authenticate(s, server(s, "PKI-FLOW-005")), idauth.ErrUntrusted)
			})
		},
	},
	{
		ID: "PKI-FLOW-006", Title: "The relying server refuses a certificate without the digital signature key usage",
		Clause: x509Path, Requires: needTestPKICard, Restores: true,
		Run: func(s *conformance.S) {
			withCertificate(s, testpki.SuffixSignNoUsage, func() {
				refused(s, authenticate(s, server(s, "PKI-FLOW-006")), idauth.ErrKeyUsage)
			})
		},
	},
	{
		ID: "PKI-FLOW-007", Title: "The relying server refuses a card reported lost in the card register",
		Clause: "CARD.md §6; " + cardPKI, Persona: "lost", Requires: conformance.RequireAll(needSigning, needState(idauth.StatusFormalLoss, idauth.StatusTemporaryLoss)),
		Run: func(s *conformance.S) {
			refused(s, authenticate(s, server(s, "PKI-FLOW-007")), idauth.ErrCardRefused)
		},
	},
	{
		ID: "PKI-FLOW-008", Title: "The relying server refuses a card cancelled in the card register",
		Clause: "CARD.md §6; " + cardPKI, Persona: "cancelled", Requires: conformance.RequireAll(needSigning, needState(idauth.StatusCancelled)),
		Run: func(s *conformance.S) {
			refused(s, authenticate(s, server(s, "PKI-FLOW-008")), idauth.ErrCardRefused)
		},
	},
}
