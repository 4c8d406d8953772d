package idauth_test

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/internal/hosttools"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

func openssl(t *testing.T) string { t.Helper(); return hosttools.OpenSSL(t) }

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func runFails(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err == nil {
		t.Errorf("openssl %s accepted:\n%s", strings.Join(args, " "), out)
	}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenSSLAcceptsTheCard checks the card with OpenSSL 3, not our code:
// the certificate the card holds chains to the test root (openssl verify),
// and a signature the card made of a server challenge verifies with the
// certificate's key and the default user ID (openssl pkeyutl -verify).
//
// OpenSSL 3.0 applies an SM2 distinguishing ID (-vfyopt distid:...) to the
// certificate being verified only, so the chain is verified link by link:
// the issuing CA against the root, then the card's certificate against the
// issuing CA as a partial-chain anchor.
func TestOpenSSLAcceptsTheCard(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	card := newCard(t, "activated")
	srv := newServer(t, nil, register(t))
	ch, err := srv.NewChallenge()
	if err != nil {
		t.Fatal(err)
	}
	id, sig := answer(t, srv, card, ch)
	if err := srv.Verify(ch.Nonce, id, sig); err != nil {
		t.Fatal(err)
	}
	rootDER, _ := testpki.CertificateDER(testpki.RootCA)
	interDER, _ := testpki.CertificateDER(testpki.IssuingCA)
	root := writePEM(t, dir, "root.pem", "CERTIFICATE", rootDER)
	inter := writePEM(t, dir, "issuing.pem", "CERTIFICATE", interDER)
	leaf := writePEM(t, dir, "card.pem", "CERTIFICATE", id.Certificate.Raw)
	distid := "distid:" + idauth.DefaultUserID
	at := "1777629600" // 2026-05-01, inside every validity period

	run(t, ossl, "verify", "-vfyopt", distid, "-attime", at, "-CAfile", root, inter)
	run(t, ossl, "verify", "-vfyopt", distid, "-attime", at, "-partial_chain", "-CAfile", inter, "-purpose", "sslclient", leaf)
	// And OpenSSL refuses what the verifier refuses.
	runFails(t, ossl, "verify", "-vfyopt", distid, "-attime", "2050000000", "-partial_chain", "-CAfile", inter, leaf)
	rogueDER, _ := testpki.CertificateDER(testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSignRogue))
	rogue := writePEM(t, dir, "rogue.pem", "CERTIFICATE", rogueDER)
	runFails(t, ossl, "verify", "-vfyopt", distid, "-attime", at, "-partial_chain", "-CAfile", inter, rogue)

	pubDER, err := smx509.MarshalPKIXPublicKey(id.Certificate.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := writePEM(t, dir, "pub.pem", "PUBLIC KEY", pubDER)
	msg := filepath.Join(dir, "msg")
	sigFile := filepath.Join(dir, "sig.der")
	if err := os.WriteFile(msg, ch.Message(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	out := run(t, ossl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-pkeyopt", distid, "-in", msg, "-sigfile", sigFile)
	if !strings.Contains(out, "Signature Verified Successfully") {
		t.Errorf("openssl pkeyutl: %s", out)
	}
	// Another challenge's text does not verify.
	other, _ := srv.NewChallenge()
	if err := os.WriteFile(msg, other.Message(), 0o600); err != nil {
		t.Fatal(err)
	}
	runFails(t, ossl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-pkeyopt", distid, "-in", msg, "-sigfile", sigFile)
}
