package testpki_test

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
	"github.com/sscard/sscard/vectors"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// TestGenerateReproducesVectors: the generator makes the embedded files
// byte for byte, so vectors/pki is what `sscard pki gen` writes.
func TestGenerateReproducesVectors(t *testing.T) {
	files, err := testpki.Generate()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		got, err := vectors.PKI(f.Name)
		if err != nil {
			t.Errorf("%s: generated but not in vectors/pki (run go generate ./vectors/pki/testpki)", f.Name)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s: vectors/pki differs from what the generator makes (run go generate ./vectors/pki/testpki)", f.Name)
		}
	}
	slices.Sort(names)
	if embedded := vectors.PKIFiles(); !slices.Equal(names, embedded) {
		t.Errorf("vectors/pki holds %v, the generator makes %v", embedded, names)
	}
	again, err := testpki.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !testpki.Equal(files, again) {
		t.Error("two runs of the generator differ")
	}
}

// TestChains checks every certificate against the roots as a relying
// server would, at a time inside the card certificates' validity.
func TestChains(t *testing.T) {
	roots, err := testpki.Roots()
	if err != nil {
		t.Fatal(err)
	}
	inter, err := testpki.Intermediates()
	if err != nil {
		t.Fatal(err)
	}
	serial := testpki.Cards[0].Serial
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		suffix string
		ok     bool
	}{
		{testpki.SuffixSign, true},
		{testpki.SuffixEnc, true},
		{testpki.SuffixSignExpired, false},
		{testpki.SuffixSignRogue, false},
		{testpki.SuffixSignNoUsage, true}, // the chain is fine; the usage is the verifier's check
	} {
		t.Run(tc.suffix, func(t *testing.T) {
			c, err := testpki.Certificate(testpki.CardName(serial, tc.suffix))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}})
			if (err == nil) != tc.ok {
				t.Errorf("verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestKeysMatchCertificates: each key file is the key its certificate
// certifies; the derived certificates reuse the signing key.
func TestKeysMatchCertificates(t *testing.T) {
	serial := testpki.Cards[0].Serial
	for cert, key := range map[string]string{
		testpki.RootCA: testpki.RootCA, testpki.IssuingCA: testpki.IssuingCA, testpki.RogueCA: testpki.RogueCA,
		testpki.CardName(serial, testpki.SuffixSign):        testpki.CardName(serial, testpki.SuffixSign),
		testpki.CardName(serial, testpki.SuffixEnc):         testpki.CardName(serial, testpki.SuffixEnc),
		testpki.CardName(serial, testpki.SuffixSignExpired): testpki.CardName(serial, testpki.SuffixSign),
		testpki.CardName(serial, testpki.SuffixSignRogue):   testpki.CardName(serial, testpki.SuffixSign),
		testpki.CardName(serial, testpki.SuffixSignNoUsage): testpki.CardName(serial, testpki.SuffixSign),
	} {
		c, err := testpki.Certificate(cert)
		if err != nil {
			t.Fatal(err)
		}
		k, err := testpki.PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		if !k.PublicKey.Equal(c.PublicKey) {
			t.Errorf("%s does not certify key %s", cert, key)
		}
	}
}

// TestCardsMatchPersonas: the card table is the identity of the personas
// whose profile names the card's certificates.
func TestCardsMatchPersonas(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	if p.PKI == nil {
		t.Fatal("the activated persona has no pki section")
	}
	c := testpki.Cards[0]
	id := &p.SSSE.Identity
	if got := ssse.CardIdentifier(id); !bytes.Equal(got, mustHex(t, c.Identifier)) {
		t.Errorf("card identifier %X, the test PKI's %s", got, c.Identifier)
	}
	if id.Name != c.Name || id.SSN != c.SSN || id.CardSerial != c.Serial {
		t.Errorf("persona identity %s/%s/%s, test PKI %s/%s/%s", id.Name, id.SSN, id.CardSerial, c.Name, c.SSN, c.Serial)
	}
	if want := testpki.CardName(c.Serial, testpki.SuffixSign); p.PKI.Signing.Certificate != want || p.PKI.Signing.Key != want {
		t.Errorf("persona signing pair %+v, want %s", p.PKI.Signing, want)
	}
}

func TestManifestNamesEveryFile(t *testing.T) {
	m, err := testpki.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{testpki.ManifestName: true}
	for _, it := range m.Items {
		if it.Purpose == "" || it.SigSeed == "" {
			t.Errorf("item %s has no purpose or seed", it.Name)
		}
		for _, f := range it.Files {
			named[f] = true
		}
	}
	for _, f := range vectors.PKIFiles() {
		if !named[f] {
			t.Errorf("%s is not in the manifest", f)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
