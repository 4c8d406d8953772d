package pkisuite

import (
	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/iso7816"
)

// toSign is what the card's PSO takes for message m: the digest e or m.
func toSign(s *conformance.S, m []byte) []byte {
	if s.Profile().PKI.SignInput == "message" {
		return m
	}
	key := &declaredKey(s, s.Profile().PKI.Signing.Key).PublicKey
	e, err := sm2.CalculateSM2Hash(key, m, []byte(s.Profile().PKI.UserID))
	s.OK(err, "digest")
	return e
}

var signCases = []*conformance.Case{
	{
		ID: "PKI-SIGN-001", Title: "PSO COMPUTE DIGITAL SIGNATURE 00 2A 9E 9A after the user PIN answers r‖s that verifies with the certificate's key",
		Clause: modelPKI + "; " + sm2Sign, Model: true, Requires: needSigning,
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyUser(s)
			m := []byte("PKI-SIGN-001 message")
			s.Step("sign")
			r := s.Exchange(iso7816.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: toSign(s, m), Ne: 64})
			if !s.Check(r, conformance.OK(), conformance.DataLen(64)) {
				return
			}
			sig, err := idauth.ParseSignature(r.Data)
			s.OK(err, "signature")
			key := &declaredKey(s, s.Profile().PKI.Signing.Key).PublicKey
			if !sm2.VerifyASN1WithSM2(key, []byte(s.Profile().PKI.UserID), m, sig) {
				s.Errorf("the card's signature does not verify with its certificate's key and user ID %q", s.Profile().PKI.UserID)
			}
		},
	},
	{
		ID: "PKI-SIGN-002", Title: "PSO COMPUTE DIGITAL SIGNATURE without the user PIN answers 6982",
		Clause: modelPKI, Model: true, Requires: needSigning,
		Run: func(s *conformance.S) {
			selectPKI(s)
			s.Step("sign without PIN")
			s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9A, toSign(s, []byte("no PIN")), 0), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
			s.Step("with the admin PIN only")
			if *s.Profile().PKI.AdminPIN.TriesLeft > 0 {
				verifyAdmin(s)
				s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9A, toSign(s, []byte("no PIN")), 0), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
			}
		},
	},
	{
		ID: "PKI-SIGN-003", Title: "PSO COMPUTE DIGITAL SIGNATURE with a wrong length answers 6700, with other P1-P2 6A86",
		Clause: modelPKI, Model: true, Requires: needSigning,
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyUser(s)
			if s.Profile().PKI.SignInput != "message" {
				s.Step("31-byte digest")
				s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9A, make([]byte, 31), 0), conformance.SW(iso7816.SWWrongLength))
				s.Step("33-byte digest")
				s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9A, make([]byte, 33), 0), conformance.SW(iso7816.SWWrongLength))
			}
			s.Step("P1-P2 9E 9B")
			s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9B, make([]byte, 32), 0), conformance.SW(iso7816.SWWrongP1P2))
		},
	},
}
