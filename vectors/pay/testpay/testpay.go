// Package testpay holds the test keys of the financial application (CARD.md
// §5) and reads them back as typed values: the RSA CA, issuer and ICC keys
// of the DES/RSA path and the SM2 ones of the SM path (vectors/pay/*.key.pem),
// the CA public keys a terminal verifies offline data authentication with
// (capk.json), and the public EMV test vectors the cryptography is pinned to
// (emv-vectors.json). manifest.json says where each file came from.
//
// The keys are stored, not derived: Go's RSA key generation is not
// deterministic across versions, so the PEM files are the source of truth.
// Regenerate the derived files (capk.json, manifest.json) with
//
//	go generate ./vectors/pay/testpay   (runs: go run ./internal/paygen -out ..)
//
// which creates a key only when its file is missing. These are public test
// keys: never trust them outside tests.
package testpay

//go:generate go run ./internal/paygen -out ../

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/vectors"
)

// RID is the registered application provider identifier of UnionPay
// [known: the AIDs A000000333...].
const RID = "A000000333"

// File names.
const (
	ManifestName = "manifest.json"
	CAPKName     = "capk.json"
	VectorsName  = "emv-vectors.json"
)

// Names of the test keys (NAME.key.pem).
const (
	CARSA     = "ca-rsa"     // CA of the DES/RSA path, 1984 bits
	IssuerRSA = "issuer-rsa" // issuer, 1152 bits
	CASM2     = "ca-sm2"     // CA of the SM path
	IssuerSM2 = "issuer-sm2"
)

// CardRSA and CardSM2 name a card's ICC keys: card-SERIAL-rsa, card-SERIAL-sm2.
func CardRSA(serial string) string { return "card-" + serial + "-rsa" }

// CardSM2 names a card's SM2 ICC key.
func CardSM2(serial string) string { return "card-" + serial + "-sm2" }

// KeySpec is one key of vectors/pay.
type KeySpec struct {
	Name      string `json:"name"`
	File      string `json:"file"`
	Algorithm string `json:"algorithm"` // rsa or sm2
	Bits      int    `json:"bits"`
	Purpose   string `json:"purpose"`
	// CAIndex is the CA public key index (tag 8F) of a CA key.
	CAIndex string `json:"caIndex,omitempty"`
	Origin  string `json:"origin"`
}

// Keys are the keys of vectors/pay, in manifest order.
var Keys = []KeySpec{
	{Name: CARSA, Algorithm: "rsa", Bits: 1984, CAIndex: "F1",
		Purpose: "certification authority of the DES/RSA path: signs issuer public key certificates (EMV Book 2 §5.3)"},
	{Name: IssuerRSA, Algorithm: "rsa", Bits: 1152,
		Purpose: "issuer of the DES/RSA path: signs ICC public key certificates and signed static application data"},
	{Name: CardRSA("01160185D3A5C7E9"), Algorithm: "rsa", Bits: 1024,
		Purpose: "ICC key of the 3.00 persona card (DDA, fDDA, CDA, enciphered PIN); also used by the personas that extend it. 1024 bits so that a qUICS GPO answer with fDDA fits one short response (256 bytes)"},
	{Name: CASM2, Algorithm: "sm2", Bits: 256, CAIndex: "F2",
		Purpose: "certification authority of the SM path: signs SM2 issuer certificates"},
	{Name: IssuerSM2, Algorithm: "sm2", Bits: 256,
		Purpose: "issuer of the SM path: signs SM2 ICC certificates and signed static data"},
	{Name: CardSM2("01160185D3A5C7E9"), Algorithm: "sm2", Bits: 256,
		Purpose: "SM2 ICC key of the 3.00 persona card"},
}

func init() {
	for i := range Keys {
		Keys[i].File = Keys[i].Name + ".key.pem"
		if Keys[i].Algorithm == "rsa" {
			Keys[i].Origin = "generated once with crypto/rsa.GenerateKey (Go 1.26, crypto/rand, exponent 65537) and stored as PKCS#1 PEM; the stored file is the source of truth"
		} else {
			Keys[i].Origin = "generated with github.com/emmansun/gmsm v0.40.0 sm2.GenerateKey from a ChaCha8 stream seeded with SHA-256 of \"" + SeedText(Keys[i].Name) + "\"; stored as PKCS#8 PEM"
		}
	}
}

// SeedText is the seed of an SM2 key's generation.
func SeedText(name string) string { return "sscard test pay key " + name }

// Spec returns the KeySpec of a key name.
func Spec(name string) (KeySpec, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return KeySpec{}, false
}

// RSAKey returns the RSA private key name of vectors/pay.
func RSAKey(name string) (*rsa.PrivateKey, error) {
	b, err := pemBlock(name+".key.pem", "RSA PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS1PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("payment test key %s: %w", name, err)
	}
	return k, nil
}

// SM2Key returns the SM2 private key name of vectors/pay.
func SM2Key(name string) (*sm2.PrivateKey, error) {
	b, err := pemBlock(name+".key.pem", "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := smx509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("payment test key %s: %w", name, err)
	}
	sk, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("payment test key %s: a %T, not an SM2 key", name, k)
	}
	return sk, nil
}

func pemBlock(file, typ string) ([]byte, error) {
	raw, err := vectors.Pay(file)
	if err != nil {
		return nil, err
	}
	b, rest := pem.Decode(raw)
	if b == nil || b.Type != typ || len(rest) != 0 {
		return nil, fmt.Errorf("payment test file %s: not one PEM block of type %s", file, typ)
	}
	return b.Bytes, nil
}

// CAPK is one CA public key as a terminal holds it (EMV Book 2 §11.2.2):
// for RSA the modulus, exponent and SHA-1 checksum over RID ‖ index ‖
// modulus ‖ exponent; for SM2 the point X‖Y.
type CAPK struct {
	RID       string `json:"rid"`
	Index     string `json:"index"`
	Algorithm string `json:"algorithm"` // rsa or sm2
	Modulus   string `json:"modulus,omitempty"`
	Exponent  string `json:"exponent,omitempty"`
	Checksum  string `json:"checksum,omitempty"`
	Point     string `json:"point,omitempty"`
	Key       string `json:"key"` // the private key file it belongs to
}

// CAPKFile is capk.json.
type CAPKFile struct {
	Description string `json:"description"`
	Keys        []CAPK `json:"keys"`
}

// CAPublicKeys returns the CA public keys of capk.json.
func CAPublicKeys() ([]CAPK, error) {
	raw, err := vectors.Pay(CAPKName)
	if err != nil {
		return nil, err
	}
	var f CAPKFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("reading %s: %w", CAPKName, err)
	}
	return f.Keys, nil
}

// FindCAPK returns the CA public key of an index (two hex digits).
func FindCAPK(index string) (CAPK, error) {
	keys, err := CAPublicKeys()
	if err != nil {
		return CAPK{}, err
	}
	for _, k := range keys {
		if k.Index == index {
			return k, nil
		}
	}
	return CAPK{}, fmt.Errorf("no CA public key with index %s", index)
}

// Bytes decodes a hex field of a vector.
func Bytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(errors.New("testpay: malformed hex in a vector: " + s))
	}
	return b
}

// EMVVectors is emv-vectors.json: public test vectors of EMV Book 2
// Annex A, each with its source. Hex fields are strings.
type EMVVectors struct {
	Description string `json:"description"`
	Source      string `json:"source"`
	CardKeys    []struct {
		Source, IMK, PAN, PSN, MK, KCV string
	} `json:"cardKeys"`
	SessionKeys []struct {
		Source, MK, R, SK string
	} `json:"sessionKeys"`
	Cryptograms []struct {
		Source, IMK, PAN, PSN, R, SKKcv, Data, AC, ARC, ARPCKey, ARPC string
	} `json:"cryptograms"`
	ScriptMACs []struct {
		Source, IMK, PAN, PSN, R, SKKcv, Data, MAC string
	} `json:"scriptMacs"`
	PINChanges []struct {
		Source, IMKEnc, IMKMac, PAN, PSN, R, SKEncKcv, SKMacKcv, PIN, PINBlock, Enciphered, Header, MAC string
	} `json:"pinChanges"`
}

// Vectors returns the public EMV test vectors.
func Vectors() (*EMVVectors, error) {
	raw, err := vectors.Pay(VectorsName)
	if err != nil {
		return nil, err
	}
	var v EMVVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("reading %s: %w", VectorsName, err)
	}
	return &v, nil
}
