package emv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// smSign signs msg with gmsm (SM3, Z with the user ID 1234567812345678)
// and returns r‖s.
func smSign(t *testing.T, k *sm2.PrivateKey, msg []byte) []byte {
	t.Helper()
	r, s, err := sm2.SignWithSM2(rand.Reader, &k.PrivateKey, []byte("1234567812345678"), msg)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

func point(k *ecdsa.PublicKey) []byte {
	out := make([]byte, 64)
	k.X.FillBytes(out[:32])
	k.Y.FillBytes(out[32:])
	return out
}

// smCertBody builds the body of an SM2 certificate of the SM path.
func smCertBody(format byte, id []byte, exp string, key *ecdsa.PublicKey) []byte {
	return cat([]byte{format}, id, mustHex(exp), []byte{0x00, 0x00, 0x01, 0x04, 0x00, 0x40}, point(key))
}

func TestSM2Chain(t *testing.T) {
	k, err := loadSimKeys()
	if err != nil {
		t.Fatal(err)
	}
	ca, iss, icc := k.caSM2, k.issuerSM2, k.iccSM2
	static := []byte("static data")
	issBody := smCertBody(0x12, issuerID, "1230", &iss.PublicKey)
	issCert := cat(issBody, smSign(t, ca, issBody))
	pan := cat(panBytes, []byte{0xFF, 0xFF})
	iccBody := smCertBody(0x14, pan, "1230", &icc.PublicKey)
	iccCert := cat(iccBody, smSign(t, iss, cat(iccBody, static)))

	gotIss, err := RecoverIssuerKeySM2(&ca.PublicKey, issCert, ctxToday)
	if err != nil {
		t.Fatal(err)
	}
	if !gotIss.Equal(&iss.PublicKey) {
		t.Fatal("recovered another issuer key")
	}
	gotICC, err := RecoverICCKeySM2(gotIss, iccCert, static, ctxToday)
	if err != nil {
		t.Fatal(err)
	}
	if !gotICC.Equal(&icc.PublicKey) {
		t.Fatal("recovered another ICC key")
	}

	resign := func(signer *sm2.PrivateKey, body []byte, extra []byte) []byte {
		return cat(body, smSign(t, signer, cat(body, extra)))
	}
	mod := func(b []byte, i int, v byte) []byte {
		c := append([]byte(nil), b...)
		c[i] = v
		return c
	}
	badIssuer := map[string][]byte{
		"signature bit flipped":  mod(issCert, len(issCert)-1, issCert[len(issCert)-1]^1),
		"body changed":           mod(issCert, 10, issCert[10]^1),
		"header 13":              resign(ca, mod(issBody, 0, 0x13), nil),
		"algorithm 01":           resign(ca, mod(issBody, 10, 0x01), nil),
		"parameters 01":          resign(ca, mod(issBody, 11, 0x01), nil),
		"key length 41":          resign(ca, mod(issBody, 12, 0x41), nil),
		"issuer id of another":   resign(ca, mod(issBody, 2, 0x99), nil),
		"expired":                resign(ca, mod(issBody, 6, 0x25), nil),
		"key not on the curve":   resign(ca, mod(issBody, len(issBody)-1, issBody[len(issBody)-1]^1), nil),
		"one byte short":         issCert[:len(issCert)-1],
		"one byte long":          cat(issCert, []byte{0}),
		"signed by another key":  resign(iss, issBody, nil),
		"empty":                  nil,
		"signature of all zeros": cat(issBody, make([]byte, 64)),
		"signature of all ones":  cat(issBody, bytes.Repeat([]byte{0xFF}, 64)),
	}
	for name, cert := range badIssuer {
		if _, err := RecoverIssuerKeySM2(&ca.PublicKey, cert, ctxToday); !errors.Is(err, ErrRecovery) {
			t.Errorf("issuer certificate %s: err = %v", name, err)
		}
	}
	badICC := map[string]func() error{
		"static data changed": func() error {
			_, err := RecoverICCKeySM2(gotIss, iccCert, []byte("other"), ctxToday)
			return err
		},
		"another PAN": func() error {
			_, err := RecoverICCKeySM2(gotIss, resign(iss, mod(iccBody, 5, 0x00), static), static, ctxToday)
			return err
		},
		"issuer format": func() error {
			_, err := RecoverICCKeySM2(gotIss, resign(iss, mod(iccBody, 0, 0x12), static), static, ctxToday)
			return err
		},
		"checked with the CA key": func() error {
			_, err := RecoverICCKeySM2(&ca.PublicKey, iccCert, static, ctxToday)
			return err
		},
	}
	for name, f := range badICC {
		if err := f(); !errors.Is(err, ErrRecovery) {
			t.Errorf("ICC certificate %s: err = %v", name, err)
		}
	}

	ssadHead := []byte{0x13, 0xDA, 0xC1}
	ssad := cat(ssadHead, smSign(t, iss, cat(ssadHead, static)))
	if dac, err := VerifySSADSM2(&iss.PublicKey, ssad, static); err != nil || !bytes.Equal(dac, []byte{0xDA, 0xC1}) {
		t.Fatalf("SSAD: %X %v", dac, err)
	}
	for name, s := range map[string][]byte{
		"static changed": ssad, "short": ssad[:10], "format 15": cat([]byte{0x15}, ssad[1:]),
	} {
		st := static
		if name == "static changed" {
			st = []byte("x")
		}
		if _, err := VerifySSADSM2(&iss.PublicKey, s, st); !errors.Is(err, ErrRecovery) {
			t.Errorf("SSAD %s: %v", name, err)
		}
	}

	dyn := mustHex("0401020304")
	term := mustHex("1122334400000000123401560112345678")
	head := cat([]byte{0x15, byte(len(dyn))}, dyn)
	sdad := cat(head, smSign(t, icc, cat(head, term)))
	if got, err := VerifySDADSM2(&icc.PublicKey, sdad, term); err != nil || !bytes.Equal(got, dyn) {
		t.Fatalf("SDAD: %X %v", got, err)
	}
	for name, c := range map[string]struct{ sdad, term []byte }{
		"terminal data changed": {sdad, mustHex("00")},
		"length past the end":   {mod(sdad, 1, 0xF0), term},
		"length short":          {mod(sdad, 1, 0x01), term},
		"format 13":             {mod(sdad, 0, 0x13), term},
		"truncated":             {sdad[:40], term},
	} {
		if _, err := VerifySDADSM2(&icc.PublicKey, c.sdad, c.term); !errors.Is(err, ErrRecovery) {
			t.Errorf("SDAD %s: %v", name, err)
		}
	}
	if _, err := SM2Key(make([]byte, 64)); !errors.Is(err, ErrRecovery) {
		t.Errorf("the zero point is a key: %v", err)
	}
}
