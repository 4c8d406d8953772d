package pkisuite

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/emulator/profile"
)

var genSignPair = []byte{0xC0, 0x02, 0x00, 0x12, 0xC2, 0x02, 0x00, 0x13}

// importKeyData is IMPORT KEY PAIR's data for d into the signing pair.
func importKeyData(s *conformance.S, d []byte) []byte {
	p := s.Profile()
	ik, err := pki.CardKey(p, p.PKI.KeyImportKey)
	s.OK(err, "key import key")
	enc, err := cardcrypto.EncryptECB(cardcrypto.AlgSM4, ik, d)
	s.OK(err, "enciphering the key")
	return append(append([]byte(nil), genSignPair...), enc...)
}

// keyState reads what the card shows of its signing pair: 0012 and 0018.
func keyState(s *conformance.S) []byte {
	s.Step("read 0012 and 0018")
	pub, err := client(s).ReadFile(idauth.FileSignPublicKey, 66)
	s.OK(err, "reading 0012")
	return append(pub, certFile(s, idauth.FileSignCert)...)
}

func unchanged(s *conformance.S, before []byte) {
	if !bytes.Equal(before, keyState(s)) {
		s.Errorf("a refused command changed the signing key or certificate files")
	}
}

var keyCases = []*conformance.Case{
	{
		ID: "PKI-KEY-001", Title: "EXPORT PUBLIC KEY 80 C9 82 00 answers X‖Y of 0012; naming a private key file answers 6A80",
		Clause: cardPKI + " [model: data]", Model: true, Requires: conformance.RequireAll(needPKI, func(p *profile.Profile) string {
			if p.PKI.Signing.Key == "" {
				return "no signing key declared"
			}
			return ""
		}),
		Run: func(s *conformance.S) {
			selectPKI(s)
			want := xy(&declaredKey(s, s.Profile().PKI.Signing.Key).PublicKey)
			s.Step("export 0012")
			s.Check(s.Exchange(iso7816.Command{CLA: 0x80, INS: 0xC9, P1: 0x82, Data: []byte{0xC0, 0x02, 0x00, 0x12}, Ne: 64}), conformance.OK(), conformance.Data(want))
			s.Step("export without data: the signing key")
			s.Check(s.Exchange(iso7816.Command{CLA: 0x80, INS: 0xC9, P1: 0x82, Ne: 64}), conformance.OK(), conformance.Data(want))
			s.Step("export 0013")
			s.Expect(cmd(0x80, 0xC9, 0x82, 0x00, []byte{0xC0, 0x02, 0x00, 0x13}, 64), conformance.SW(iso7816.SWWrongData), conformance.NoData())
		},
	},
	{
		ID: "PKI-KEY-002", Title: "Key generation and the imports (80 40, 80 4E, 80 4A, 80 C2) answer 6982 without the admin PIN, even with the user PIN",
		Clause: modelPKI, Model: true, Requires: needUserTries(1),
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyUser(s)
			before := keyState(s)
			s.Step("commands without the admin PIN")
			for _, c := range [][]byte{
				cmd(0x80, 0x40, 0x00, 0x00, genSignPair, -1),
				cmd(0x80, 0x4E, 0x00, 0x00, make([]byte, 40), -1),
				cmd(0x80, 0x4A, 0x00, 0x00, append([]byte{0xC0, 0x02, 0x00, 0x12}, make([]byte, 64)...), -1),
				cmd(0x80, 0xC2, 0x80, 0x18, []byte{0x30, 0x03, 0x02, 0x01, 0x01}, -1),
			} {
				s.Expect(c, conformance.SW(iso7816.SWSecurityNotSatisfied))
			}
			unchanged(s, before)
		},
	},
	{
		ID: "PKI-KEY-003", Title: "GENERATE KEY PAIR 80 40 writes a new key to 0012/0013, clears the certificate, and the new key signs",
		Clause: cardPKI + "; " + sm2Sign, Requires: conformance.RequireAll(needUserTries(1), needAdminTries(1)), Destructive: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyAdmin(s)
			s.Step("generate")
			s.Expect(cmd(0x80, 0x40, 0x00, 0x00, genSignPair, -1), conformance.OK(), conformance.NoData())
			s.Step("export")
			key, err := client(s).ExportPublicKey(idauth.FileSignPublicKey)
			s.OK(err, "export")
			if s.Profile().PKI.Signing.Key != "" && key.Equal(&declaredKey(s, s.Profile().PKI.Signing.Key).PublicKey) {
				s.Errorf("the generated key is the old key")
			}
			file, err := client(s).ReadPublicKey(idauth.FileSignPublicKey)
			s.OK(err, "reading 0012")
			if !file.Equal(key) {
				s.Errorf("0012 does not hold the exported key")
			}
			if f := certFile(s, idauth.FileSignCert); !bytes.Equal(f, make([]byte, len(f))) {
				s.Errorf("the certificate of the old key is still in 0018")
			}
			verifyUser(s)
			s.Step("sign with the new key")
			e, _ := sm2.CalculateSM2Hash(key, []byte("new key"), []byte(s.Profile().PKI.UserID))
			if s.Profile().PKI.SignInput == "message" {
				e = []byte("new key")
			}
			sig, err := client(s).Sign(e)
			s.OK(err, "sign")
			if !sm2.VerifyASN1WithSM2(key, []byte(s.Profile().PKI.UserID), []byte("new key"), sig) {
				s.Errorf("the signature does not verify with the generated key")
			}
		},
	},
	{
		ID: "PKI-KEY-004", Title: "IMPORT KEY PAIR 80 4E refuses a private key outside [1, n-2] with 6A80 and takes the declared key back unchanged",
		Clause: modelPKI, Model: true, Requires: conformance.RequireAll(needSigning, needAdminTries(1)), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyAdmin(s)
			before := keyState(s)
			s.Step("d = 0 and d = n-1")
			n := sm2.P256().Params().N
			s.Expect(cmd(0x80, 0x4E, 0x00, 0x00, importKeyData(s, make([]byte, 32)), -1), conformance.SW(iso7816.SWWrongData))
			nm1 := new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, 32))
			s.Expect(cmd(0x80, 0x4E, 0x00, 0x00, importKeyData(s, nm1), -1), conformance.SW(iso7816.SWWrongData))
			s.Step("truncated")
			s.Expect(cmd(0x80, 0x4E, 0x00, 0x00, importKeyData(s, make([]byte, 32))[:39], -1), conformance.SW(iso7816.SWWrongLength))
			unchanged(s, before)
			s.Step("the declared key again")
			d := declaredKey(s, s.Profile().PKI.Signing.Key).D.FillBytes(make([]byte, 32))
			s.Expect(cmd(0x80, 0x4E, 0x00, 0x00, importKeyData(s, d), -1), conformance.OK())
			unchanged(s, before)
		},
	},
	{
		ID: "PKI-KEY-005", Title: "IMPORT PUBLIC KEY 80 4A refuses a point off the SM2 curve or not the private key's with 6A80, files untouched",
		Clause: modelPKI, Model: true, Requires: conformance.RequireAll(needSigning, needAdminTries(1)),
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyAdmin(s)
			before := keyState(s)
			pub := xy(&declaredKey(s, s.Profile().PKI.Signing.Key).PublicKey)
			off := bytes.Clone(pub)
			off[63] ^= 1
			s.Step("off the curve")
			s.Expect(cmd(0x80, 0x4A, 0x00, 0x00, append([]byte{0xC0, 0x02, 0x00, 0x12}, off...), -1), conformance.SW(iso7816.SWWrongData))
			if enc := s.Profile().PKI.Encryption.Key; enc != "" {
				s.Step("another key's point")
				s.Expect(cmd(0x80, 0x4A, 0x00, 0x00, append([]byte{0xC0, 0x02, 0x00, 0x12}, xy(&declaredKey(s, enc).PublicKey)...), -1), conformance.SW(iso7816.SWWrongData))
			}
			unchanged(s, before)
		},
	},
	{
		ID: "PKI-CERT-001", Title: "IMPORT CERTIFICATE 80 C2 refuses malformed, oversized and other keys' certificates, files untouched, and takes the declared one",
		Clause: modelPKI, Model: true, Requires: conformance.RequireAll(needSigning, needAdminTries(1)), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyAdmin(s)
			before := keyState(s)
			p := s.Profile().PKI
			cl := client(s)
			for _, tc := range []struct {
				name string
				der  []byte
				want iso7816.Status
			}{
				{"garbage", append([]byte{0x30, 0x81, 0xF0}, bytes.Repeat([]byte{0xA5}, 0xF0)...), iso7816.SWWrongData},
				{"truncated", declaredCert(s, p.Signing.Certificate)[:300], iso7816.SWWrongData},
				{"oversized", bytes.Repeat([]byte{0x30}, p.CertificateSize+1), iso7816.SWNotEnoughMemory},
			} {
				s.Step("import %s", tc.name)
				checkSW(s, cl.ImportCertificate(idauth.FileSignCert, tc.der), tc.want, tc.name)
			}
			if p.Encryption.Certificate != "" {
				s.Step("import the encryption certificate into 0018")
				checkSW(s, cl.ImportCertificate(idauth.FileSignCert, declaredCert(s, p.Encryption.Certificate)), iso7816.SWWrongData, "another key's certificate")
			}
			unchanged(s, before)
			s.Step("import the declared certificate")
			checkSW(s, cl.ImportCertificate(idauth.FileSignCert, declaredCert(s, p.Signing.Certificate)), iso7816.SWOK, "declared certificate")
			unchanged(s, before)
		},
	},
	{
		ID: "PKI-CERT-002", Title: "UPDATE BINARY of 0018 answers 6982 without external authentication and writes in chunks after 00 82 00 00",
		Clause: cardPKI + " [model: access rule]", Model: true, Requires: needSigning, Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			der := declaredCert(s, s.Profile().PKI.Signing.Certificate)
			selectEF(s, idauth.FileSignCert)
			s.Step("without external authentication")
			s.Expect(cmd(0x00, 0xD6, 0x00, 0x00, der[:128], -1), conformance.SW(iso7816.SWSecurityNotSatisfied))
			s.Step("external authentication")
			s.OK(client(s).ExternalAuthenticate(extAuthKey(s)), "external authentication")
			selectEF(s, idauth.FileSignCert)
			s.Step("write the certificate in chunks")
			for off := 0; off < len(der); off += 200 {
				end := min(off+200, len(der))
				s.Expect(cmd(0x00, 0xD6, byte(off>>8), byte(off), der[off:end], -1), conformance.OK())
			}
			if !equalPadded(certFile(s, idauth.FileSignCert), der) {
				s.Errorf("0018 does not hold what was written")
			}
		},
	},
}

var _ = fmt.Sprint
