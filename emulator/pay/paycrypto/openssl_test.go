package paycrypto_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// openssl returns the path of OpenSSL 3, skipping the test when it is
// missing unless SSCARD_REQUIRE_OPENSSL=1.
func openssl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("SSCARD_REQUIRE_OPENSSL") == "1" {
			t.Fatal("openssl is required (SSCARD_REQUIRE_OPENSSL=1) but not installed")
		}
		t.Skip("openssl not installed")
	}
	out, err := exec.Command(p, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "OpenSSL 3") {
		if os.Getenv("SSCARD_REQUIRE_OPENSSL") == "1" {
			t.Fatalf("openssl 3 is required, have %q (%v)", out, err)
		}
		t.Skipf("needs OpenSSL 3, have %q", out)
	}
	return p
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenSSLRecoversRSACertificates recovers the issuer certificate and
// the signed dynamic data with OpenSSL's raw RSA public operation, not
// ours, and checks the EMV framing of what it recovered.
func TestOpenSSLRecoversRSACertificates(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	ca, iss := rsaKey(t, testpay.CARSA), rsaKey(t, testpay.IssuerRSA)
	ic := paycrypto.IssuerCert{IssuerID: [4]byte{0x62, 0x31, 0x23, 0xFF}, Key: paycrypto.PublicOf(&iss.PublicKey)}
	cert, _, err := paycrypto.IssuerCertificate(ca, ic)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&ca.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := write(t, dir, "ca.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	in := write(t, dir, "cert.bin", cert)
	out, err := exec.Command(ossl, "pkeyutl", "-verifyrecover", "-pubin", "-inkey", pub,
		"-pkeyopt", "rsa_padding_mode:none", "-in", in).Output()
	if err != nil {
		t.Fatalf("openssl pkeyutl -verifyrecover: %v", err)
	}
	if len(out) != ca.Size() || out[0] != 0x6A || out[1] != 0x02 || out[len(out)-1] != 0xBC {
		t.Fatalf("openssl recovered %X", out)
	}
	if !bytes.Equal(out[15:15+iss.Size()], iss.N.Bytes()) {
		t.Fatal("the issuer modulus in the recovered certificate is not the issuer's")
	}
}

// TestOpenSSLVerifiesSM2Signatures verifies an SM path signature with
// OpenSSL 3 (SM3, distinguishing ID 1234567812345678).
func TestOpenSSLVerifiesSM2Signatures(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	k := sm2Key(t, testpay.CardSM2(serial))
	msg := []byte("15 04 01020304 and the terminal dynamic data")
	sig, err := paycrypto.SM2Sign(rnd(5), k, msg)
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := write(t, dir, "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	in := write(t, dir, "msg", msg)
	sigFile := write(t, dir, "sig.der", derSig(t, sig))
	verify := func(msgFile string) ([]byte, error) {
		return exec.Command(ossl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+paycrypto.UserID, "-in", msgFile, "-sigfile", sigFile).CombinedOutput()
	}
	if out, err := verify(in); err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl refuses the signature: %v\n%s", err, out)
	}
	other := write(t, dir, "other", append(msg, '.'))
	if out, err := verify(other); err == nil {
		t.Fatalf("openssl accepts another message:\n%s", out)
	}
}
