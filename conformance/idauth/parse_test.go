package idauth_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

func TestParseCertificateFile(t *testing.T) {
	der, err := testpki.CertificateDER(testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSign))
	if err != nil {
		t.Fatal(err)
	}
	file := append(append([]byte(nil), der...), make([]byte, 100)...)
	got, err := idauth.ParseCertificateFile(file)
	if err != nil || !bytes.Equal(got, der) {
		t.Fatalf("ParseCertificateFile: %v", err)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		n    int // want this many bytes; 0: an error
	}{
		{"short form", append([]byte{0x30, 0x03, 1, 2, 3}, 0, 0), 5},
		{"81 form", append(append([]byte{0x30, 0x81, 0x85}, make([]byte, 0x85)...), 0), 0x88},
		{"82 form, low bits set", append(append([]byte{0x30, 0x82, 0x01, 0x07}, bytes.Repeat([]byte{1}, 0x107)...), 0), 0x10B},
		{"empty file", make([]byte, 64), 0},
		{"nothing", nil, 0},
		{"one byte", []byte{0x30}, 0},
		{"not a sequence", []byte{0x31, 0x03, 1, 2, 3}, 0},
		{"truncated", der[:len(der)-1], 0},
		{"data after it", append(append([]byte(nil), der...), 0, 1), 0},
		{"81 not minimal", append([]byte{0x30, 0x81, 0x05}, make([]byte, 5)...), 0},
		{"82 not minimal", append([]byte{0x30, 0x82, 0x00, 0x05}, make([]byte, 5)...), 0},
		{"indefinite", []byte{0x30, 0x80, 0, 0}, 0},
		{"83 form", []byte{0x30, 0x83, 1, 0, 0}, 0},
		{"82 truncated header", []byte{0x30, 0x82, 0x01}, 0},
	} {
		got, err := idauth.ParseCertificateFile(tc.in)
		switch {
		case tc.n == 0 && err == nil:
			t.Errorf("%s: accepted %X", tc.name, got)
		case tc.n == 0 && !errors.Is(err, idauth.ErrResponse):
			t.Errorf("%s: %v does not wrap ErrResponse", tc.name, err)
		case tc.n != 0 && (err != nil || len(got) != tc.n):
			t.Errorf("%s: %d bytes, %v; want %d", tc.name, len(got), err, tc.n)
		}
	}
}

func TestParseSignatureAndKeys(t *testing.T) {
	k, err := testpki.PrivateKey(testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSign))
	if err != nil {
		t.Fatal(err)
	}
	xy := make([]byte, 64)
	k.X.FillBytes(xy[:32])
	k.Y.FillBytes(xy[32:])
	if pub, err := idauth.ParsePublicKeyFile(append([]byte{1, 0}, xy...)); err != nil || !pub.Equal(&k.PublicKey) {
		t.Errorf("public key file: %v", err)
	}
	off := append([]byte(nil), xy...)
	off[63] ^= 1
	n := k.Params().N.FillBytes(make([]byte, 32))
	one := append(make([]byte, 31), 1)
	for _, tc := range []struct {
		name string
		f    func() error
	}{
		{"key file short", func() error { _, err := idauth.ParsePublicKeyFile(xy); return err }},
		{"key file long", func() error { _, err := idauth.ParsePublicKeyFile(append([]byte{1, 0, 0}, xy...)); return err }},
		{"key off the curve", func() error { _, err := idauth.ParsePublicKey(off); return err }},
		{"key of zeros", func() error { _, err := idauth.ParsePublicKey(make([]byte, 64)); return err }},
		{"signature empty", func() error { _, err := idauth.ParseSignature(nil); return err }},
		{"signature truncated", func() error { _, err := idauth.ParseSignature(make([]byte, 63)); return err }},
		{"signature long", func() error { _, err := idauth.ParseSignature(make([]byte, 65)); return err }},
		{"r zero", func() error { _, err := idauth.ParseSignature(append(make([]byte, 32), one...)); return err }},
		{"s = n", func() error { _, err := idauth.ParseSignature(append(one, n...)); return err }},
		{"r = n", func() error { _, err := idauth.ParseSignature(append(n, one...)); return err }},
	} {
		if err := tc.f(); !errors.Is(err, idauth.ErrResponse) {
			t.Errorf("%s: %v, want ErrResponse", tc.name, err)
		}
	}
	if _, err := idauth.ParseSignature(append(one, one...)); err != nil {
		t.Errorf("r = s = 1: %v", err)
	}
}

// FuzzParseCardResponses feeds arbitrary card answers to the verifier's
// parsers: no panic, and whatever they accept is well formed.
func FuzzParseCardResponses(f *testing.F) {
	der, _ := testpki.CertificateDER(testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSign))
	f.Add(der)
	f.Add(append(der, 0, 0, 0))
	f.Add([]byte{0x30, 0x82, 0x01})
	f.Add(make([]byte, 66))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := idauth.ParseCertificateFile(b); err == nil {
			if len(c) > len(b) || c[0] != 0x30 {
				t.Fatalf("accepted %X as %X", b, c)
			}
		} else if !errors.Is(err, idauth.ErrResponse) {
			t.Fatalf("error %v does not wrap ErrResponse", err)
		}
		if k, err := idauth.ParsePublicKeyFile(b); err == nil && (len(b) != 66 || !k.Curve.IsOnCurve(k.X, k.Y)) {
			t.Fatalf("accepted key file %X", b)
		}
		if s, err := idauth.ParseSignature(b); err == nil && (len(b) != 64 || len(s) < 8) {
			t.Fatalf("accepted signature %X", b)
		}
	})
}
