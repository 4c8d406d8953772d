package pki_test

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/internal/hosttools"
)

func openssl(t *testing.T) string { t.Helper(); return hosttools.OpenSSL(t) }

func runOpenSSL(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestOpenSSLCiphertexts: the card deciphers what OpenSSL 3 enciphers
// (openssl pkeyutl -encrypt, the GM/T 0009 DER form) with the test PKI's
// encryption certificate of the card (vectors/pki) and with the public key
// the card exports, also converted to C1‖C3‖C2; a damaged one is refused.
// And OpenSSL deciphers, with the test PKI's key, the DER form the card
// takes from gmsm.
func TestOpenSSLCiphertexts(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	certFile := filepath.Join("..", "..", "vectors", "pki", encKP+".crt.pem")
	keyFile := filepath.Join("..", "..", "vectors", "pki", encKP+".key.pem")
	c := newCard(t, nil)
	exported := c.sw(exportCmd(pki.FIDEncPublic), iso7816.SWOK).Data
	pub, err := sm2.NewPublicKey(append([]byte{4}, exported...))
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	msgFile, ctFile := filepath.Join(dir, "msg"), filepath.Join(dir, "ct")
	for _, n := range []int{1, 16, 33, 140} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		copy(msg, "OpenSSL")
		if err := os.WriteFile(msgFile, msg, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, key := range [][]string{{"-certin", "-inkey", certFile}, {"-pubin", "-inkey", pubFile}} {
			args := append([]string{"pkeyutl", "-encrypt"}, key...)
			runOpenSSL(t, ossl, append(args, "-in", msgFile, "-out", ctFile)...)
			der, err := os.ReadFile(ctFile)
			if err != nil {
				t.Fatal(err)
			}
			if der[0] != 0x30 {
				t.Fatalf("OpenSSL's ciphertext %X is not DER", der)
			}
			plain, err := sm2.ASN1Ciphertext2Plain(der, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, ct := range [][]byte{der, plain} {
				if r := c.sw(decipherCmd(ct), iso7816.SWOK); !bytes.Equal(r.Data, msg) {
					t.Errorf("%s: deciphered %X, want %X", key[0], r.Data, msg)
				}
			}
			c.refused(flip(der, len(der)-1), iso7816.SWWrongData) // the last byte of C2
			c.refused(flip(plain, 70), iso7816.SWWrongData)       // C3
		}
	}
	// The other way: OpenSSL deciphers the DER form gmsm makes.
	msg := []byte("gmsm to OpenSSL")
	if err := os.WriteFile(ctFile, encrypt(t, pub, msg, true), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	runOpenSSL(t, ossl, "pkeyutl", "-decrypt", "-inkey", keyFile, "-in", ctFile, "-out", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, msg) {
		t.Errorf("OpenSSL deciphered %q", got)
	}
}
