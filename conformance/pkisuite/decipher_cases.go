package pkisuite

import (
	"bytes"
	"crypto/ecdsa"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// needDecipher: an encryption key declared, the user PIN usable.
func needDecipher(p *profile.Profile) string {
	if why := needUserTries(1)(p); why != "" {
		return why
	}
	if p.PKI.Encryption.Key == "" {
		return "no encryption key declared"
	}
	return ""
}

func needEncryptionCert(p *profile.Profile) string {
	if why := needDecipher(p); why != "" {
		return why
	}
	if p.PKI.Encryption.Certificate == "" {
		return "no encryption certificate declared"
	}
	return ""
}

// decipher is PSO DECIPHER 00 2A 80 86 of a ciphertext, with Le.
func decipher(ct []byte) []byte { return cmd(0x00, 0x2A, 0x80, 0x86, ct, 0) }

// ciphertext is an SM2 ciphertext (GB/T 32918.4) of msg for pub, made
// with gmsm from the case's reproducible random source: C1‖C3‖C2 with C1
// uncompressed, or the DER form of GM/T 0009 (der).
func ciphertext(s *conformance.S, rnd *chacha, pub *ecdsa.PublicKey, msg []byte, der bool) []byte {
	opts := sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C3C2)
	if der {
		opts = sm2.ASN1EncrypterOpts
	}
	ct, err := sm2.Encrypt(rnd, pub, msg, opts)
	s.OK(err, "enciphering")
	return ct
}

var ciphertextForms = []struct {
	name string
	der  bool
}{{"C1‖C3‖C2", false}, {"DER (GM/T 0009)", true}}

// exportEncryptionKey exports the public key of 0014 and checks it is the
// declared one.
func exportEncryptionKey(s *conformance.S) *ecdsa.PublicKey {
	s.Step("export 0014")
	key, err := client(s).ExportPublicKey(idauth.FileEncPublicKey)
	s.OK(err, "export 0014")
	if !key.Equal(&declaredKey(s, s.Profile().PKI.Encryption.Key).PublicKey) {
		s.Errorf("0014 exports another key than the declared encryption key")
	}
	return key
}

// roundTrip deciphers ciphertexts of msg for pub in both forms.
func roundTrip(s *conformance.S, rnd *chacha, pub *ecdsa.PublicKey, msg []byte) {
	for _, f := range ciphertextForms {
		s.Step("decipher a %d-byte message, %s", len(msg), f.name)
		s.Expect(decipher(ciphertext(s, rnd, pub, msg, f.der)), conformance.OK(), conformance.Data(msg))
	}
}

// damaged returns ct with one bit flipped at i.
func damaged(ct []byte, i int) []byte {
	out := bytes.Clone(ct)
	out[i] ^= 0x01
	return out
}

var decipherCases = []*conformance.Case{
	{
		ID: "PKI-DEC-001", Title: "PSO DECIPHER 00 2A 80 86 after the user PIN answers the plaintext of an SM2 ciphertext for the key 0014 exports, in both forms",
		Clause: modelPKI + "; " + iso8 + "; " + sm2Enc, Model: true, Requires: needDecipher,
		Run: func(s *conformance.S) {
			selectPKI(s)
			key := exportEncryptionKey(s)
			verifyUser(s)
			rnd := caseRand("PKI-DEC-001")
			for _, n := range []int{1, 16, 100} {
				msg := bytes.Repeat([]byte{byte(n)}, n)
				copy(msg, "PKI-DEC-001")
				roundTrip(s, rnd, key, msg)
			}
		},
	},
	{
		ID: "PKI-DEC-002", Title: "PSO DECIPHER answers the plaintext of an SM2 ciphertext for the key of the encryption certificate 0019",
		Clause: modelPKI + "; " + iso8 + "; " + sm2Enc, Model: true, Requires: needEncryptionCert,
		Run: func(s *conformance.S) {
			selectPKI(s)
			s.Step("read 0019")
			der, err := client(s).ReadCertificate(idauth.FileEncCert)
			s.OK(err, "reading 0019")
			if !bytes.Equal(der, declaredCert(s, s.Profile().PKI.Encryption.Certificate)) {
				s.Errorf("0019 holds another certificate than the declared one")
			}
			cert, err := smx509.ParseCertificate(der)
			s.OK(err, "parsing 0019")
			key, ok := cert.PublicKey.(*ecdsa.PublicKey)
			if !ok {
				s.Fatalf("the encryption certificate's key is a %T, not an SM2 key", cert.PublicKey)
			}
			verifyUser(s)
			roundTrip(s, caseRand("PKI-DEC-002"), key, []byte("PKI-DEC-002: enciphered for the certificate"))
		},
	},
	{
		ID: "PKI-DEC-003", Title: "PSO DECIPHER without the user PIN answers 6982 and no plaintext, even with the admin PIN",
		Clause: modelPKI, Model: true, Requires: needDecipher,
		Run: func(s *conformance.S) {
			selectPKI(s)
			key := &declaredKey(s, s.Profile().PKI.Encryption.Key).PublicKey
			rnd := caseRand("PKI-DEC-003")
			for _, f := range ciphertextForms {
				s.Step("decipher without PIN, %s", f.name)
				s.Expect(decipher(ciphertext(s, rnd, key, []byte("no PIN"), f.der)), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
			}
			if *s.Profile().PKI.AdminPIN.TriesLeft > 0 {
				verifyAdmin(s)
				s.Step("decipher with the admin PIN only")
				s.Expect(decipher(ciphertext(s, rnd, key, []byte("admin PIN"), false)), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
			}
		},
	},
	{
		ID: "PKI-DEC-004", Title: "PSO DECIPHER of a ciphertext with one bit flipped in C1, C3 or C2 answers 6A80 and no plaintext, in both forms",
		Clause: modelPKI + "; " + sm2Enc, Model: true, Requires: needDecipher,
		Run: func(s *conformance.S) {
			selectPKI(s)
			key := &declaredKey(s, s.Profile().PKI.Encryption.Key).PublicKey
			verifyUser(s)
			rnd := caseRand("PKI-DEC-004")
			msg := []byte("PKI-DEC-004: thirty-nine secret bytes")
			plain := ciphertext(s, rnd, key, msg, false)
			s.Step("the genuine ciphertext")
			s.Expect(decipher(plain), conformance.OK(), conformance.Data(msg))
			der, err := sm2.PlainCiphertext2ASN1(plain, sm2.C1C3C2)
			s.OK(err, "DER form")
			// In the DER form the INTEGERs x and y come first; C3 and C2
			// end it.
			c2 := len(der) - len(msg)
			for _, tc := range []struct {
				name string
				ct   []byte
			}{
				{"C1 (x)", damaged(plain, 20)},
				{"C1 (y)", damaged(plain, 50)},
				{"C3", damaged(plain, 65+10)},
				{"C2", damaged(plain, 97+3)},
				{"C2, last byte", damaged(plain, len(plain)-1)},
				{"DER C1", damaged(der, 20)},
				{"DER C3", damaged(der, c2-2-10)},
				{"DER C2", damaged(der, c2+3)},
			} {
				s.Step("bit flipped in %s", tc.name)
				s.Expect(decipher(tc.ct), conformance.SW(iso7816.SWWrongData), conformance.NoData())
			}
			s.Step("the genuine ciphertext again, DER form")
			s.Expect(decipher(der), conformance.OK(), conformance.Data(msg))
		},
	},
	{
		ID: "PKI-DEC-005", Title: "PSO DECIPHER answers 6700 for data shorter than any ciphertext, 6A80 for a compressed C1, 6A86 for other P1-P2",
		Clause: modelPKI, Model: true, Requires: needDecipher,
		Run: func(s *conformance.S) {
			selectPKI(s)
			key := &declaredKey(s, s.Profile().PKI.Encryption.Key).PublicKey
			verifyUser(s)
			rnd := caseRand("PKI-DEC-005")
			plain := ciphertext(s, rnd, key, []byte("PKI-DEC-005"), false)
			s.Step("C1 and C3 without C2 (97 bytes)")
			s.Expect(decipher(plain[:97]), conformance.SW(iso7816.SWWrongLength), conformance.NoData())
			s.Step("44 bytes")
			s.Expect(decipher(plain[:44]), conformance.SW(iso7816.SWWrongLength), conformance.NoData())
			s.Step("compressed C1")
			ct, err := sm2.Encrypt(rnd, key, []byte("PKI-DEC-005"), sm2.NewPlainEncrypterOpts(sm2.MarshalCompressed, sm2.C1C3C2))
			s.OK(err, "enciphering")
			s.Expect(decipher(ct), conformance.SW(iso7816.SWWrongData), conformance.NoData())
			s.Step("P1-P2 80 84")
			s.Expect(cmd(0x00, 0x2A, 0x80, 0x84, plain, 0), conformance.SW(iso7816.SWWrongP1P2), conformance.NoData())
		},
	},
}
