package testpki

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/vectors"
)

// CertificateDER returns the DER bytes of certificate name (NAME.crt.pem).
func CertificateDER(name string) ([]byte, error) {
	return pemBlock(name+".crt.pem", "CERTIFICATE")
}

// Certificate returns certificate name of the test PKI, parsed.
func Certificate(name string) (*smx509.Certificate, error) {
	der, err := CertificateDER(name)
	if err != nil {
		return nil, err
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("test PKI certificate %s: %w", name, err)
	}
	return c, nil
}

// PrivateKey returns the SM2 private key name of the test PKI (NAME.key.pem).
func PrivateKey(name string) (*sm2.PrivateKey, error) {
	der, err := pemBlock(name+".key.pem", "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(der)
}

// ParsePrivateKey reads a PKCS#8 SM2 private key.
func ParsePrivateKey(der []byte) (*sm2.PrivateKey, error) {
	k, err := smx509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w", err)
	}
	sk, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parsing private key: a %T, not an SM2 key", k)
	}
	return sk, nil
}

func pemBlock(file, typ string) ([]byte, error) {
	raw, err := vectors.PKI(file)
	if err != nil {
		return nil, err
	}
	b, rest := pem.Decode(raw)
	if b == nil || b.Type != typ || len(rest) != 0 {
		return nil, fmt.Errorf("test PKI file %s: not one PEM %s block", file, typ)
	}
	return b.Bytes, nil
}

// Roots returns a pool holding the test root CA, the verifier's trust anchor.
func Roots() (*smx509.CertPool, error) { return pool(RootCA) }

// Intermediates returns a pool holding the issuing CA, which the relying
// server knows (the card holds only its own certificates).
func Intermediates() (*smx509.CertPool, error) { return pool(IssuingCA) }

func pool(names ...string) (*smx509.CertPool, error) {
	p := smx509.NewCertPool()
	for _, n := range names {
		c, err := Certificate(n)
		if err != nil {
			return nil, err
		}
		p.AddCert(c)
	}
	return p, nil
}

// ReadManifest returns the manifest of vectors/pki.
func ReadManifest() (*Manifest, error) {
	raw, err := vectors.PKI(ManifestName)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("test PKI manifest: %w", err)
	}
	if len(m.Items) == 0 {
		return nil, errors.New("test PKI manifest: no items")
	}
	return &m, nil
}
