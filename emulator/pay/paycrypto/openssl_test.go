package paycrypto_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os/exec"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// TestOpenSSLRecoversRSACertificates recovers the issuer certificate and
// the signed dynamic data with OpenSSL's raw RSA public operation, not
// ours, and checks the EMV framing of what it recovered.
func TestOpenSSLRecoversRSACertificates(t *testing.T) {
	ossl := cardtest.OpenSSL(t)
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
	pub := cardtest.WriteFile(t, dir, "ca.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	in := cardtest.WriteFile(t, dir, "cert.bin", cert)
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
	ossl := cardtest.OpenSSL(t)
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
	pub := cardtest.WriteFile(t, dir, "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	in := cardtest.WriteFile(t, dir, "msg", msg)
	sigFile := cardtest.WriteFile(t, dir, "sig.der", derSig(t, sig))
	verify := func(msgFile string) ([]byte, error) {
		return exec.Command(ossl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
			"-pkeyopt", "distid:"+paycrypto.UserID, "-in", msgFile, "-sigfile", sigFile).CombinedOutput()
	}
	if out, err := verify(in); err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl refuses the signature: %v\n%s", err, out)
	}
	other := cardtest.WriteFile(t, dir, "other", append(msg, '.'))
	if out, err := verify(other); err == nil {
		t.Fatalf("openssl accepts another message:\n%s", out)
	}
}
