package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sscard/sscard/vectors"
)

// PKI is the identity-authentication application of a 3.00 card (CARD.md
// §4): SM2 key pairs for signing and encryption with their certificates, a
// user PIN and an admin PIN. Every field has a default; the key pairs and
// certificates name files of the test PKI under vectors/pki.
//
// The PKI application exists on third-generation cards only (CARD.md §1): a
// 1.00 or 2.00 profile that inherits a pki section from the 3.00 profile it
// extends has no PKI application.
type PKI struct {
	// AID of the PKI DF, default 504B492EC9E7BBE1B1A3D5CF ("PKI." + GBK
	// 社会保障) [known].
	AID string `json:"aid,omitempty"`
	// ADFName is the DF name of the ADF holding the key files, ASCII,
	// default "SS.CERT.ADF1" [known].
	ADFName string `json:"adfName,omitempty"`
	// ADFFID is the FID of that ADF, default DF01 [known].
	ADFFID   string `json:"adfFid,omitempty"`
	UserPIN  PKIPIN `json:"userPin"`
	AdminPIN PKIPIN `json:"adminPin"`
	// ExternalAuthKey is the SM4 key of EXTERNAL AUTHENTICATE 00 82 00 00
	// [known command]; it also guards UPDATE BINARY of the certificate
	// files [model].
	ExternalAuthKey PKIKey `json:"externalAuthKey"`
	// KeyImportKey is the SM4 key a private key is enciphered under for
	// import with 80 4E [model].
	KeyImportKey PKIKey     `json:"keyImportKey"`
	Signing      PKIKeyPair `json:"signing"`
	Encryption   PKIKeyPair `json:"encryption"`
	// CertificateSize is the size of the certificate files 0018 and 0019
	// [model: default 2048 bytes].
	CertificateSize int `json:"certificateSize,omitempty"`
	// PublicKeyHeader is the 2-byte header of the public key files 0012 and
	// 0014 before X‖Y, 4 hex digits [model: default 0100, the key length in
	// bits].
	PublicKeyHeader string `json:"publicKeyHeader,omitempty"`
	// SignInput says what PSO COMPUTE DIGITAL SIGNATURE takes: "digest",
	// the 32-byte e = SM3(Z‖M) computed by the terminal, or "message", M
	// itself, the card computing Z and e [model: default digest].
	SignInput string `json:"signInput,omitempty"`
	// UserID is the SM2 user ID of Z, ASCII [model: default
	// "1234567812345678", the default ID of GB/T 35276].
	UserID string `json:"userId,omitempty"`
	// Defects are deliberate deviations for mutation testing of the
	// suites, never part of a real personalisation (see pki.Defects).
	Defects []string `json:"defects,omitempty"`
}

// PKIPIN is a PIN of the PKI application. The card keeps only its SM3-
// derived key (CARD.md §4).
type PKIPIN = AppPIN

// AppPIN is a PIN of an application that keeps its own (the PKI user and
// admin PINs, the payment application's offline PIN).
type AppPIN struct {
	Value string `json:"value"` // 4 to 12 digits
	// MaxTries before blocking [model: default 3].
	MaxTries int `json:"maxTries,omitempty"`
	// TriesLeft at personalisation; default MaxTries. 0 is a blocked PIN.
	TriesLeft *int `json:"triesLeft,omitempty"`
}

// PKIKey is a symmetric key of the PKI application: Master diversified by
// the card's factors (as the SSSE keys are) or Value, the card key itself.
type PKIKey struct {
	ID     string `json:"id"` // key identifier, 2 hex digits
	Master string `json:"master,omitempty"`
	Value  string `json:"value,omitempty"`
	// Tries before the key is blocked [model: default 3].
	Tries int `json:"tries,omitempty"`
}

// PKIKeyPair is an SM2 key pair of the card and its certificate.
type PKIKeyPair struct {
	// Key names an SM2 private key of the test PKI (vectors/pki/NAME.key.pem);
	// empty: no key yet (to be generated on the card or imported).
	Key string `json:"key,omitempty"`
	// Certificate names a certificate of the test PKI
	// (vectors/pki/NAME.crt.pem) for Key; empty: none yet.
	Certificate string `json:"certificate,omitempty"`
}

// Defaults of the PKI application that CARD.md §4 marks [known] or [model].
const (
	DefaultPKIAID             = "504B492EC9E7BBE1B1A3D5CF"
	DefaultPKIADFName         = "SS.CERT.ADF1"
	DefaultPKIADFFID          = "DF01"
	DefaultPKICertificateSize = 2048
	DefaultPKIPublicKeyHeader = "0100"
	DefaultPKIUserID          = "1234567812345678"
)

// PKISignInputs are the values of PKI.SignInput.
var PKISignInputs = []string{"digest", "message"}

// PKIDefects are the names PKI.Defects accepts.
var PKIDefects = []string{"sign-without-pin", "pin-no-decrement", "mac-not-checked", "private-key-readable", "certificate-unchecked"}

func (s *PKI) validate() error {
	const f = "pki."
	if s.AID == "" {
		s.AID = DefaultPKIAID
	}
	if _, err := hexField(f+"aid", s.AID, 5, 16); err != nil {
		return err
	}
	if s.ADFName == "" {
		s.ADFName = DefaultPKIADFName
	}
	if err := asciiField(f+"adfName", s.ADFName, 1, 16); err != nil {
		return err
	}
	if s.ADFFID == "" {
		s.ADFFID = DefaultPKIADFFID
	}
	if err := fidField(f+"adfFid", s.ADFFID); err != nil {
		return err
	}
	if err := s.UserPIN.validate(f + "userPin."); err != nil {
		return err
	}
	if err := s.AdminPIN.validate(f + "adminPin."); err != nil {
		return err
	}
	if err := s.ExternalAuthKey.validate(f + "externalAuthKey"); err != nil {
		return err
	}
	if err := s.KeyImportKey.validate(f + "keyImportKey"); err != nil {
		return err
	}
	if strings.EqualFold(s.ExternalAuthKey.ID, s.KeyImportKey.ID) {
		return fieldErr(f+"keyImportKey.id", "%s is the external authentication key's id", s.KeyImportKey.ID)
	}
	if s.CertificateSize == 0 {
		s.CertificateSize = DefaultPKICertificateSize
	}
	if s.CertificateSize < 256 || s.CertificateSize > 8192 {
		return fieldErr(f+"certificateSize", "%d is outside 256..8192", s.CertificateSize)
	}
	if s.PublicKeyHeader == "" {
		s.PublicKeyHeader = DefaultPKIPublicKeyHeader
	}
	if _, err := hexField(f+"publicKeyHeader", s.PublicKeyHeader, 2, 2); err != nil {
		return err
	}
	if strings.Trim(s.PublicKeyHeader, "0") == "" {
		return fieldErr(f+"publicKeyHeader", "0000 marks an empty key file")
	}
	if s.SignInput == "" {
		s.SignInput = "digest"
	}
	if !slices.Contains(PKISignInputs, s.SignInput) {
		return fieldErr(f+"signInput", "%q is not one of %s", s.SignInput, strings.Join(PKISignInputs, ", "))
	}
	if s.UserID == "" {
		s.UserID = DefaultPKIUserID
	}
	if err := asciiField(f+"userId", s.UserID, 1, 64); err != nil {
		return err
	}
	for name, kp := range map[string]PKIKeyPair{"signing": s.Signing, "encryption": s.Encryption} {
		if err := kp.validate(f + name); err != nil {
			return err
		}
	}
	for i, d := range s.Defects {
		if !slices.Contains(PKIDefects, d) {
			return fieldErr(fmt.Sprintf("%sdefects[%d]", f, i), "%q is not one of %s", d, strings.Join(PKIDefects, ", "))
		}
	}
	return nil
}

func (pin *AppPIN) validate(f string) error {
	if pin.MaxTries == 0 {
		pin.MaxTries = DefaultPINTries
	}
	if pin.MaxTries < 1 || pin.MaxTries > 15 {
		return fieldErr(f+"maxTries", "%d is outside 1..15", pin.MaxTries)
	}
	if err := digitsField(f+"value", pin.Value, 4, 12); err != nil {
		return err
	}
	if pin.TriesLeft == nil {
		t := pin.MaxTries
		pin.TriesLeft = &t
	}
	if *pin.TriesLeft < 0 || *pin.TriesLeft > pin.MaxTries {
		return fieldErr(f+"triesLeft", "%d is outside 0..maxTries (%d)", *pin.TriesLeft, pin.MaxTries)
	}
	return nil
}

func (k *PKIKey) validate(f string) error {
	if _, err := hexField(f+".id", k.ID, 1, 1); err != nil {
		return err
	}
	if k.ID == "00" {
		return fieldErr(f+".id", "00 is not a key identifier")
	}
	return keyMaterial(f, k.Master, k.Value, &k.Tries)
}

// keyMaterial checks a symmetric key given as a master key (diversified by
// the card) or as the card key's value, 16 bytes either way, and its
// tries (default DefaultKeyTries).
func keyMaterial(f, master, value string, tries *int) error {
	switch {
	case master != "" && value != "":
		return fieldErr(f, "give master or value, not both")
	case master != "":
		if _, err := hexField(f+".master", master, 16, 16); err != nil {
			return err
		}
	case value != "":
		if _, err := hexField(f+".value", value, 16, 16); err != nil {
			return err
		}
	default:
		return fieldErr(f, "missing master or value")
	}
	if *tries == 0 {
		*tries = DefaultKeyTries
	}
	if *tries < 1 || *tries > 15 {
		return fieldErr(f+".tries", "%d is outside 1..15", *tries)
	}
	return nil
}

func (kp PKIKeyPair) validate(f string) error {
	if kp.Certificate != "" && kp.Key == "" {
		return fieldErr(f+".certificate", "a certificate needs the key pair it certifies (key)")
	}
	if kp.Key != "" {
		if _, err := vectors.PKI(kp.Key + ".key.pem"); err != nil {
			return fieldErr(f+".key", "%v", err)
		}
	}
	if kp.Certificate != "" {
		if _, err := vectors.PKI(kp.Certificate + ".crt.pem"); err != nil {
			return fieldErr(f+".certificate", "%v", err)
		}
	}
	return nil
}
