// Package testpki is the test PKI of sscard: an SM2 root CA, an issuing CA
// and per-card signing and encryption certificates (X.509, SM2 keys,
// SM3withSM2), plus the deliberately wrong certificates the verifier's
// suite needs (expired, issued by a rogue CA, without the signing key
// usage). The files live in vectors/pki; this package makes them, byte for
// byte the same on every run, and reads them back as typed values.
//
// Reproducibility: every key and every signature draws its randomness from
// a ChaCha8 stream seeded with the SHA-256 of a seed text of its own (the
// manifest names it), and all dates are fixed. Regenerate with
//
//	go generate ./vectors/pki/testpki   (runs: sscard pki gen --out vectors/pki)
//
// These keys are public test keys: never trust them outside tests.
package testpki

//go:generate go run ../../../cmd/sscard pki gen --out ..

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// File is one generated file of vectors/pki.
type File struct {
	Name string
	Data []byte
}

// Card is a card the test PKI issues certificates for.
type Card struct {
	// Serial is the unique part of the card identifier, 16 hex digits: it
	// names the card's files (card-SERIAL-sign, card-SERIAL-enc).
	Serial string
	// Identifier is the card identifier (卡识别码), 32 hex digits: the
	// subject's OU, the key of the card register.
	Identifier string
	Name       string // holder's name: the subject's CN
	SSN        string // social security number: the subject's serialNumber
	NotBefore  time.Time
	NotAfter   time.Time
}

// Cards are the cards of the test PKI: the 3.00 card of the built-in
// personas (vectors/personas/base-3.00.json).
var Cards = []Card{{
	Serial:     "01160185D3A5C7E9",
	Identifier: "110100D15600000501160185D3A5C7E9",
	Name:       "张三",
	SSN:        "11010519491231002X",
	NotBefore:  date(2024, 3, 15),
	NotAfter:   date(2034, 3, 15),
}}

// Names of the CA files.
const (
	RootCA    = "root-ca"
	IssuingCA = "issuing-ca"
	RogueCA   = "rogue-ca"
)

// Suffixes of a card's certificate names: card-SERIAL + suffix.
const (
	SuffixSign        = "-sign"         // signing key and certificate
	SuffixEnc         = "-enc"          // encryption key and certificate
	SuffixSignExpired = "-sign-expired" // signing key, certificate expired
	SuffixSignRogue   = "-sign-rogue"   // signing key, issued by the rogue CA
	SuffixSignNoUsage = "-sign-nousage" // signing key, no digitalSignature usage
)

// CardName returns the file name stem of a card's item: card-SERIAL+suffix.
func CardName(serial, suffix string) string { return "card-" + serial + suffix }

// ManifestName is the manifest of vectors/pki.
const ManifestName = "manifest.json"

// Manifest describes every item of the test PKI and where it came from.
type Manifest struct {
	Description string `json:"description"`
	Source      string `json:"source"`
	Items       []Item `json:"items"`
}

// Item is one key, certificate or both.
type Item struct {
	Name      string   `json:"name"`
	Files     []string `json:"files"`
	Purpose   string   `json:"purpose"`
	KeySeed   string   `json:"keySeed,omitempty"`
	SigSeed   string   `json:"signatureSeed,omitempty"`
	Subject   string   `json:"subject,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	NotBefore string   `json:"notBefore,omitempty"`
	NotAfter  string   `json:"notAfter,omitempty"`
	KeyUsage  []string `json:"keyUsage,omitempty"`
	SerialNum string   `json:"serialNumber,omitempty"`
	KeyFrom   string   `json:"keyFrom,omitempty"`
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// seedReader is a deterministic stream for one seed text.
func seedReader(seed string) io.Reader {
	return steady{mrand.NewChaCha8(sha256.Sum256([]byte(seed)))}
}

// steady makes gmsm's use of randomness reproducible: gmsm, like the
// standard library, reads one extra byte with probability 1/2 before it
// draws a key or a nonce (so that callers cannot rely on determinism);
// steady answers such one-byte reads without touching the stream.
type steady struct{ r io.Reader }

func (s steady) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = 0
		return 1, nil
	}
	return s.r.Read(p)
}

// generator holds what is made so far.
type generator struct {
	files    []File
	manifest Manifest
	keys     map[string]*sm2.PrivateKey
	certs    map[string]*smx509.Certificate
}

// Generate makes every file of vectors/pki, in a fixed order.
func Generate() ([]File, error) {
	g := &generator{keys: map[string]*sm2.PrivateKey{}, certs: map[string]*smx509.Certificate{}}
	g.manifest = Manifest{
		Description: "The test PKI of sscard: SM2 root CA, issuing CA, per-card signing and encryption certificates, and deliberately wrong certificates for the verifier's negative cases. Public test keys: never trust them outside tests.",
		Source: "Generated by `sscard pki gen` (package vectors/pki/testpki) with github.com/emmansun/gmsm v0.40.0 (sm2, smx509): " +
			"each key and each signature draws its randomness from a ChaCha8 stream seeded with SHA-256 of the item's seed text; dates are fixed; " +
			"so the files are reproduced byte for byte (TestGenerateReproducesVectors). Certificates: X.509 v3, SM2 public keys, SM3withSM2 signatures " +
			"with the default user ID 1234567812345678 (GB/T 35276); private keys: PKCS#8 PEM.",
	}
	steps := []func() error{
		func() error {
			return g.ca(RootCA, "", "sscard Test Root CA SM2", 1, date(2024, 1, 1), date(2044, 1, 1), 1, "the trust anchor of the verifier")
		},
		func() error {
			return g.ca(IssuingCA, RootCA, "sscard Test Issuing CA SM2 1", 2, date(2024, 1, 1), date(2039, 1, 1), 0, "issues the card certificates")
		},
		func() error {
			return g.ca(RogueCA, "", "sscard Test Issuing CA SM2 1", 3, date(2024, 1, 1), date(2039, 1, 1), 0,
				"a self-signed CA with the issuing CA's name but its own key: certificates it issues must be refused")
		},
	}
	for _, c := range Cards {
		steps = append(steps, func() error { return g.card(c) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("generating the test PKI: %w", err)
		}
	}
	m, err := json.MarshalIndent(g.manifest, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generating the test PKI: %w", err)
	}
	g.files = append(g.files, File{Name: ManifestName, Data: append(m, '\n')})
	return g.files, nil
}

func (g *generator) key(name string) (*sm2.PrivateKey, string, error) {
	seed := "sscard test PKI key " + name
	k, err := sm2.GenerateKey(seedReader(seed))
	if err != nil {
		return nil, "", err
	}
	der, err := smx509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, "", err
	}
	g.keys[name] = k
	g.files = append(g.files, File{Name: name + ".key.pem", Data: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})})
	return k, seed, nil
}

// issue signs tmpl with the key of issuer (itself when issuer is "") and
// adds the certificate file.
func (g *generator) issue(name, issuer string, tmpl *x509.Certificate, pub *sm2.PrivateKey) (string, error) {
	var parent any = tmpl
	signer := g.keys[name]
	if issuer != "" {
		p, ok := g.certs[issuer]
		if !ok {
			return "", fmt.Errorf("%s: issuer %s not made yet", name, issuer)
		}
		parent, signer = p, g.keys[issuer]
	}
	seed := "sscard test PKI signature " + name
	der, err := smx509.CreateCertificate(seedReader(seed), tmpl, parent, &pub.PublicKey, signer)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	g.certs[name] = c
	g.files = append(g.files, File{Name: name + ".crt.pem", Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	return seed, nil
}

func (g *generator) ca(name, issuer, cn string, serial int64, nb, na time.Time, pathLen int, purpose string) error {
	k, keySeed, err := g.key(name)
	if err != nil {
		return err
	}
	subj := pkix.Name{Country: []string{"CN"}, Organization: []string{"sscard test PKI"}, CommonName: cn}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subj, NotBefore: nb, NotAfter: na,
		IsCA: true, BasicConstraintsValid: true, MaxPathLen: pathLen, MaxPathLenZero: pathLen == 0,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId: keyID(&k.PublicKey),
	}
	sigSeed, err := g.issue(name, issuer, tmpl, k)
	if err != nil {
		return err
	}
	iss := name
	if issuer != "" {
		iss = issuer
	}
	g.manifest.Items = append(g.manifest.Items, Item{
		Name: name, Files: []string{name + ".crt.pem", name + ".key.pem"}, Purpose: purpose,
		KeySeed: keySeed, SigSeed: sigSeed, Subject: g.certs[name].Subject.String(), Issuer: g.certs[iss].Subject.String() + " (" + iss + ")",
		NotBefore: nb.Format(time.RFC3339), NotAfter: na.Format(time.RFC3339), KeyUsage: []string{"keyCertSign", "cRLSign"},
		SerialNum: fmt.Sprint(serial),
	})
	return nil
}

// cardSubject is the subject of a card's certificates: CN the holder's
// name, serialNumber the SSN, OU the card identifier.
func cardSubject(c Card) pkix.Name {
	return pkix.Name{Country: []string{"CN"}, Organization: []string{"sscard test PKI"},
		OrganizationalUnit: []string{c.Identifier}, CommonName: c.Name, SerialNumber: c.SSN}
}

func (g *generator) card(c Card) error {
	type variant struct {
		suffix, issuer, key, purpose string
		nb, na                       time.Time
		usage                        x509.KeyUsage
		usageNames                   []string
		eku                          []x509.ExtKeyUsage
	}
	sign := CardName(c.Serial, SuffixSign)
	signUsage := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	signNames := []string{"digitalSignature", "nonRepudiation"}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	variants := []variant{
		{SuffixSign, IssuingCA, "", "the card's signing key pair and certificate (files 0012, 0013, 0018)", c.NotBefore, c.NotAfter, signUsage, signNames, client},
		{SuffixEnc, IssuingCA, "", "the card's encryption key pair and certificate (files 0014, 0015, 0019)", c.NotBefore, c.NotAfter,
			x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment | x509.KeyUsageKeyAgreement, []string{"keyEncipherment", "dataEncipherment", "keyAgreement"}, nil},
		{SuffixSignExpired, IssuingCA, sign, "the signing key certified for a period that has ended: the verifier must refuse it", date(2014, 1, 1), date(2024, 1, 1), signUsage, signNames, client},
		{SuffixSignRogue, RogueCA, sign, "the signing key certified by the rogue CA (the issuing CA's name, another key): the verifier must refuse it", c.NotBefore, c.NotAfter, signUsage, signNames, client},
		{SuffixSignNoUsage, IssuingCA, sign, "the signing key certified for key encipherment only: the verifier must refuse it for signatures", c.NotBefore, c.NotAfter,
			x509.KeyUsageKeyEncipherment, []string{"keyEncipherment"}, client},
	}
	for i, v := range variants {
		name := CardName(c.Serial, v.suffix)
		files := []string{name + ".crt.pem"}
		var k *sm2.PrivateKey
		var keySeed string
		if v.key == "" {
			var err error
			if k, keySeed, err = g.key(name); err != nil {
				return err
			}
			files = append(files, name+".key.pem")
		} else {
			k = g.keys[v.key]
		}
		serial := new(big.Int).SetBytes(mustHex(c.Serial))
		serial.Lsh(serial, 8).Add(serial, big.NewInt(int64(i+1)))
		tmpl := &x509.Certificate{
			SerialNumber: serial, Subject: cardSubject(c), NotBefore: v.nb, NotAfter: v.na,
			BasicConstraintsValid: true, KeyUsage: v.usage, ExtKeyUsage: v.eku,
			SubjectKeyId: keyID(&k.PublicKey),
		}
		sigSeed, err := g.issue(name, v.issuer, tmpl, k)
		if err != nil {
			return err
		}
		g.manifest.Items = append(g.manifest.Items, Item{
			Name: name, Files: files, Purpose: v.purpose, KeySeed: keySeed, KeyFrom: v.key, SigSeed: sigSeed,
			Subject: g.certs[name].Subject.String(), Issuer: g.certs[v.issuer].Subject.String() + " (" + v.issuer + ")",
			NotBefore: v.nb.Format(time.RFC3339), NotAfter: v.na.Format(time.RFC3339), KeyUsage: v.usageNames,
			SerialNum: fmt.Sprintf("%X", serial),
		})
	}
	return nil
}

// keyID is the subject key identifier of RFC 5280 §4.2.1.2 method 1 (SHA-1
// of the public key bit string), given explicitly so that it does not
// depend on the library's default.
func keyID(pub *ecdsa.PublicKey) []byte {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	sum := sha1.Sum(spki.Key.Bytes)
	return sum[:]
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("testpki: bad hex in the card table: " + s)
	}
	return b
}

// Equal reports whether two generated file sets are the same.
func Equal(a, b []File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}
