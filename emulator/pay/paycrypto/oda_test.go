package paycrypto_test

import (
	"bytes"
	"crypto/rsa"
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

func rsaKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := testpay.RSAKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sm2Key(t testing.TB, name string) *sm2.PrivateKey {
	t.Helper()
	k, err := testpay.SM2Key(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const serial = "01160185D3A5C7E9"

var static = []byte("static data to be authenticated: SFI 2 records 1 and 2 and the AIP")

func rnd(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return mrand.NewChaCha8(s)
}

func TestRSAChainRoundTrip(t *testing.T) {
	ca, iss, icc := rsaKey(t, testpay.CARSA), rsaKey(t, testpay.IssuerRSA), rsaKey(t, testpay.CardRSA(serial))
	ic := paycrypto.IssuerCert{IssuerID: [4]byte{0x62, 0x31, 0x23, 0xFF}, Expiry: [2]byte{0x12, 0x39}, Serial: [3]byte{0, 0, 1}, Key: paycrypto.PublicOf(&iss.PublicKey)}
	cert, rem, err := paycrypto.IssuerCertificate(ca, ic)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert) != ca.Size() || len(rem) != 0 {
		t.Fatalf("issuer certificate %d bytes, remainder %d", len(cert), len(rem))
	}
	got, err := paycrypto.RecoverIssuerCertificate(paycrypto.PublicOf(&ca.PublicKey), cert, rem, ic.Key.Exponent)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Key.Modulus, ic.Key.Modulus) || got.IssuerID != ic.IssuerID || got.Serial != ic.Serial || got.Expiry != ic.Expiry {
		t.Fatalf("recovered %+v", got)
	}
	// The ICC key does not fit: a remainder.
	cc := paycrypto.ICCCert{PAN: [10]byte{0x62, 0x31, 0x23, 0, 0, 0, 0, 0, 0x01, 0x5F}, Expiry: [2]byte{0x03, 0x34}, Serial: [3]byte{0, 0, 2}, Key: paycrypto.PublicOf(&icc.PublicKey)}
	icert, irem, err := paycrypto.ICCCertificate(iss, cc, static)
	if err != nil {
		t.Fatal(err)
	}
	if want := icc.Size() - (iss.Size() - 42); len(irem) != want {
		t.Fatalf("icc remainder %d bytes, want %d", len(irem), want)
	}
	gotICC, err := paycrypto.RecoverICCCertificate(got.Key, icert, irem, cc.Key.Exponent, static)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotICC.Key.Modulus, cc.Key.Modulus) || gotICC.PAN != cc.PAN {
		t.Fatalf("recovered icc %+v", gotICC)
	}
	// Other static data, remainder or exponent: refused.
	for name, f := range map[string]func() error{
		"static": func() error {
			_, err := paycrypto.RecoverICCCertificate(got.Key, icert, irem, cc.Key.Exponent, append(static, 0))
			return err
		},
		"remainder": func() error {
			r := bytes.Clone(irem)
			r[0] ^= 1
			_, err := paycrypto.RecoverICCCertificate(got.Key, icert, r, cc.Key.Exponent, static)
			return err
		},
		"short remainder": func() error {
			_, err := paycrypto.RecoverICCCertificate(got.Key, icert, irem[1:], cc.Key.Exponent, static)
			return err
		},
		"exponent": func() error {
			_, err := paycrypto.RecoverICCCertificate(got.Key, icert, irem, []byte{3}, static)
			return err
		},
		"wrong CA": func() error {
			_, err := paycrypto.RecoverIssuerCertificate(paycrypto.PublicOf(&iss.PublicKey), cert, nil, ic.Key.Exponent)
			return err
		},
		"flipped bit": func() error {
			c := bytes.Clone(cert)
			c[10] ^= 0x40
			_, err := paycrypto.RecoverIssuerCertificate(paycrypto.PublicOf(&ca.PublicKey), c, nil, ic.Key.Exponent)
			return err
		},
		"truncated": func() error {
			_, err := paycrypto.RecoverIssuerCertificate(paycrypto.PublicOf(&ca.PublicKey), cert[1:], nil, ic.Key.Exponent)
			return err
		},
		"icc cert as issuer cert": func() error {
			_, err := paycrypto.RecoverIssuerCertificate(got.Key, icert, irem, cc.Key.Exponent)
			return err
		},
	} {
		if err := f(); !errors.Is(err, paycrypto.ErrAuth) {
			t.Errorf("%s: %v, want ErrAuth", name, err)
		}
	}
}

func TestRSAIssuerRemainder(t *testing.T) {
	// A CA as large as the issuer key leaves 36 bytes for the remainder.
	iss := rsaKey(t, testpay.IssuerRSA)
	ic := paycrypto.IssuerCert{IssuerID: [4]byte{0x62, 0x31, 0x23, 0xFF}, Key: paycrypto.PublicOf(&iss.PublicKey)}
	cert, rem, err := paycrypto.IssuerCertificate(iss, ic)
	if err != nil || len(rem) != 36 {
		t.Fatalf("remainder %d bytes, %v", len(rem), err)
	}
	got, err := paycrypto.RecoverIssuerCertificate(ic.Key, cert, rem, ic.Key.Exponent)
	if err != nil || !bytes.Equal(got.Key.Modulus, ic.Key.Modulus) {
		t.Fatalf("%v", err)
	}
	// A CA smaller than the issuer key cannot certify it.
	icc := rsaKey(t, testpay.CardRSA(serial))
	if _, _, err := paycrypto.IssuerCertificate(icc, ic); err == nil {
		t.Fatal("a 1024-bit CA certified a 1152-bit key")
	}
}

func TestRSAStaticAndDynamic(t *testing.T) {
	iss, icc := rsaKey(t, testpay.IssuerRSA), rsaKey(t, testpay.CardRSA(serial))
	ssad, err := paycrypto.SignStatic(iss, [2]byte{0xDA, 0xC1}, static)
	if err != nil {
		t.Fatal(err)
	}
	dac, err := paycrypto.RecoverStatic(paycrypto.PublicOf(&iss.PublicKey), ssad, static)
	if err != nil || dac != [2]byte{0xDA, 0xC1} {
		t.Fatalf("dac %X, %v", dac, err)
	}
	if _, err := paycrypto.RecoverStatic(paycrypto.PublicOf(&iss.PublicKey), ssad, static[1:]); !errors.Is(err, paycrypto.ErrAuth) {
		t.Fatalf("other static data: %v", err)
	}
	dd := []byte{8, 1, 2, 3, 4, 5, 6, 7, 8}
	un := []byte{0xDE, 0xAD, 0xBE, 0xEF}
	sdad, err := paycrypto.SignDynamic(icc, dd, un)
	if err != nil {
		t.Fatal(err)
	}
	got, err := paycrypto.RecoverDynamic(paycrypto.PublicOf(&icc.PublicKey), sdad, un)
	if err != nil || !bytes.Equal(got, dd) {
		t.Fatalf("dynamic data %X, %v", got, err)
	}
	if _, err := paycrypto.RecoverDynamic(paycrypto.PublicOf(&icc.PublicKey), sdad, []byte{0xDE, 0xAD, 0xBE, 0xEE}); !errors.Is(err, paycrypto.ErrAuth) {
		t.Fatalf("other UN: %v", err)
	}
	if _, err := paycrypto.SignDynamic(icc, make([]byte, icc.Size()), un); err == nil {
		t.Fatal("dynamic data larger than the key accepted")
	}
}

func TestSM2ChainRoundTrip(t *testing.T) {
	ca, iss, icc := sm2Key(t, testpay.CASM2), sm2Key(t, testpay.IssuerSM2), sm2Key(t, testpay.CardSM2(serial))
	r := rnd(1)
	cert, err := paycrypto.SMIssuerCertificate(r, ca, paycrypto.SMCert{ID: []byte{0x62, 0x31, 0x23, 0xFF}, Serial: [3]byte{0, 0, 1}, Key: &iss.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	got, err := paycrypto.ParseSMIssuerCertificate(&ca.PublicKey, cert)
	if err != nil || !got.Key.Equal(&iss.PublicKey) {
		t.Fatalf("issuer: %v", err)
	}
	pan := []byte{0x62, 0x31, 0x23, 0, 0, 0, 0, 0, 0x01, 0x5F}
	icert, err := paycrypto.SMICCCertificate(r, iss, paycrypto.SMCert{ID: pan, Key: &icc.PublicKey}, static)
	if err != nil {
		t.Fatal(err)
	}
	gotICC, err := paycrypto.ParseSMICCCertificate(got.Key, icert, static)
	if err != nil || !gotICC.Key.Equal(&icc.PublicKey) || !bytes.Equal(gotICC.ID, pan) {
		t.Fatalf("icc: %v", err)
	}
	if _, err := paycrypto.ParseSMICCCertificate(got.Key, icert, static[1:]); !errors.Is(err, paycrypto.ErrAuth) {
		t.Fatalf("other static data: %v", err)
	}
	if _, err := paycrypto.ParseSMIssuerCertificate(&iss.PublicKey, cert); !errors.Is(err, paycrypto.ErrAuth) {
		t.Fatalf("wrong CA: %v", err)
	}
	ssad, err := paycrypto.SMSignStatic(r, iss, [2]byte{0xDA, 0xC1}, static)
	if err != nil {
		t.Fatal(err)
	}
	if dac, err := paycrypto.SMVerifyStatic(&iss.PublicKey, ssad, static); err != nil || dac != [2]byte{0xDA, 0xC1} {
		t.Fatalf("ssad: %v", err)
	}
	dd := []byte{4, 1, 2, 3, 4}
	sdad, err := paycrypto.SMSignDynamic(r, icc, dd, []byte("terminal"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := paycrypto.SMVerifyDynamic(&icc.PublicKey, sdad, []byte("terminal")); err != nil || !bytes.Equal(got, dd) {
		t.Fatalf("sdad: %v", err)
	}
	if _, err := paycrypto.SMVerifyDynamic(&icc.PublicKey, sdad, []byte("terminaL")); !errors.Is(err, paycrypto.ErrAuth) {
		t.Fatalf("other terminal data: %v", err)
	}
}

// TestSM2SignaturesReproducible: the same seed gives the same signature, so
// a card built WithSeed answers the same bytes.
func TestSM2SignaturesReproducible(t *testing.T) {
	k := sm2Key(t, testpay.CardSM2(serial))
	a, _ := paycrypto.SM2Sign(rnd(7), k, static)
	b, _ := paycrypto.SM2Sign(rnd(7), k, static)
	c, _ := paycrypto.SM2Sign(rnd(8), k, static)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatalf("signatures %X %X %X", a, b, c)
	}
}

// TestSM2VerifiedByGmsmDirectly checks r‖s with gmsm's ASN.1 verifier and
// its own Z computation, not through SM2Verify.
func TestSM2VerifiedByGmsmDirectly(t *testing.T) {
	k := sm2Key(t, testpay.CardSM2(serial))
	sig, err := paycrypto.SM2Sign(rnd(3), k, static)
	if err != nil {
		t.Fatal(err)
	}
	der := derSig(t, sig)
	if !sm2.VerifyASN1WithSM2(&k.PublicKey, nil, static, der) {
		t.Fatal("gmsm VerifyASN1WithSM2 (default user ID) refuses the signature")
	}
	if sm2.VerifyASN1WithSM2(&k.PublicKey, []byte("another id"), static, der) {
		t.Fatal("gmsm accepts the signature under another user ID")
	}
}

func TestParsePointRefusesOffCurve(t *testing.T) {
	if _, err := paycrypto.ParsePoint(make([]byte, 64)); err == nil {
		t.Fatal("the zero point accepted")
	}
	if _, err := paycrypto.ParsePoint(make([]byte, 63)); err == nil {
		t.Fatal("63 bytes accepted")
	}
}
