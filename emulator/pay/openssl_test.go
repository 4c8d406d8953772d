package pay_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os/exec"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// TestOpenSSLChecksTheCardsCertificates checks what the card holds with
// OpenSSL 3 and the CA public keys of capk.json, not with our code: the
// SM2 signature of its SM issuer certificate, and the RSA recovery of its
// issuer certificate.
func TestOpenSSLChecksTheCardsCertificates(t *testing.T) {
	ossl := cardtest.OpenSSL(t)
	dir := t.TempDir()
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))

	// SM2: 12 ‖ ... ‖ X‖Y ‖ r‖s, signed by the CA of index F2.
	capk, err := testpay.FindCAPK("F2")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := paycrypto.ParsePoint(testpay.Bytes(capk.Point))
	if err != nil {
		t.Fatal(err)
	}
	der, err := smx509.MarshalPKIXPublicKey(ca)
	if err != nil {
		t.Fatal(err)
	}
	pub := cardtest.WriteFile(t, dir, "ca-sm2.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	cert := find(t, record(t, c, 5, 2), 0x70, 0x90)
	body, rs := cert[:len(cert)-64], cert[len(cert)-64:]
	sig, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	msg := cardtest.WriteFile(t, dir, "body", body)
	sigFile := cardtest.WriteFile(t, dir, "sig", sig)
	out, err := exec.Command(ossl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-pkeyopt", "distid:"+paycrypto.UserID, "-in", msg, "-sigfile", sigFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl refuses the card's SM2 issuer certificate: %v\n%s", err, out)
	}

	// RSA: recover the issuer certificate with the CA of index F1.
	capk, err = testpay.FindCAPK("F1")
	if err != nil {
		t.Fatal(err)
	}
	rsaPub := &rsa.PublicKey{N: new(big.Int).SetBytes(testpay.Bytes(capk.Modulus)), E: int(new(big.Int).SetBytes(testpay.Bytes(capk.Exponent)).Int64())}
	der, err = x509.MarshalPKIXPublicKey(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	pub = cardtest.WriteFile(t, dir, "ca-rsa.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	in := cardtest.WriteFile(t, dir, "cert", find(t, record(t, c, 3, 2), 0x70, 0x90))
	rec, err := exec.Command(ossl, "pkeyutl", "-verifyrecover", "-pubin", "-inkey", pub,
		"-pkeyopt", "rsa_padding_mode:none", "-in", in).Output()
	if err != nil {
		t.Fatalf("openssl pkeyutl -verifyrecover: %v", err)
	}
	if len(rec) != 248 || rec[0] != 0x6A || rec[1] != 0x02 || rec[len(rec)-1] != 0xBC {
		t.Fatalf("openssl recovered %X", rec)
	}
	eq(t, "issuer identifier", rec[2:6], h("623123FF"))
}
