package pki

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// File identifiers of the ADF's key and certificate files (CARD.md §4) [known].
const (
	FIDSignPublic  uint16 = 0x0012
	FIDSignPrivate uint16 = 0x0013
	FIDEncPublic   uint16 = 0x0014
	FIDEncPrivate  uint16 = 0x0015
	FIDSignCert    uint16 = 0x0018
	FIDEncCert     uint16 = 0x0019
)

// PIN references: P2 of VERIFY and CHANGE PIN [known].
const (
	PINUser  byte = 0x81
	PINAdmin byte = 0x00
)

// Instructions of the application (CARD.md §4).
const (
	INSVerify          byte = 0x20
	INSChangePIN       byte = 0x5E
	INSResetRetryCount byte = 0x2C // RESET RETRY COUNTER (ISO/IEC 7816-4)
	INSGenerateKeyPair byte = 0x40
	INSExportPublicKey byte = 0xC9
	INSImportKeyPair   byte = 0x4E
	INSImportPublicKey byte = 0x4A
	INSImportCert      byte = 0xC2
	INSPSO             byte = 0x2A
	INSExternalAuth    byte = 0x82
)

// Parameters and tags of the commands [model unless CARD.md §4 shows them].
const (
	P1Verify       byte = 0x01 // VERIFY and CHANGE PIN [known]
	P1Export       byte = 0x82 // EXPORT PUBLIC KEY [known]
	P1P2Sign            = 0x9E9A
	TagPublicFile  byte = 0xC0 // names a public key file [known, key generation]
	TagPrivateFile byte = 0xC2 // names a private key file [known, key generation]
	CertMore       byte = 0x01 // IMPORT CERTIFICATE P1 b1: continues an import
	CertLast       byte = 0x80 // IMPORT CERTIFICATE P1 b8: last chunk
)

// Parameters of PSO DECIPHER and RESET RETRY COUNTER [model: the values of
// ISO/IEC 7816-8 and 7816-4].
const (
	P1P2Decipher       = 0x8086 // PSO DECIPHER: plain value out, cryptogram in
	P1ResetNewPIN byte = 0x02   // RESET RETRY COUNTER with new reference data
	P1ResetTries  byte = 0x03   // RESET RETRY COUNTER of the tries only
)

// Sizes.
const (
	PublicKeySize   = 64 // X‖Y
	PublicFileSize  = 2 + PublicKeySize
	PrivateFileSize = 32
	SignatureSize   = 64 // r‖s
	DigestSize      = 32
	pinKeySize      = 16
)

// Defect is a deliberate deviation of the PKI application, for mutation
// testing of the suites (profile: pki.defects). A card built from a real
// personalisation has none.
type Defect uint8

// The defects.
const (
	DefectSignWithoutPIN       Defect = 1 << iota // PSO COMPUTE DIGITAL SIGNATURE ignores the user PIN
	DefectPINNoDecrement                          // a wrong PIN cryptogram costs no try
	DefectMACNotChecked                           // CHANGE PIN accepts any MAC
	DefectPrivateKeyReadable                      // the private key files are readable
	DefectCertificateUnchecked                    // IMPORT CERTIFICATE accepts a certificate of another key
)

var defectNames = map[string]Defect{
	"sign-without-pin":      DefectSignWithoutPIN,
	"pin-no-decrement":      DefectPINNoDecrement,
	"mac-not-checked":       DefectMACNotChecked,
	"private-key-readable":  DefectPrivateKeyReadable,
	"certificate-unchecked": DefectCertificateUnchecked,
}

// pair is one SM2 key pair with its certificate.
type pair struct {
	name                     string
	pubFID, privFID, certFID uint16
	pubCell, privCell        int
	certCell                 int
}

type pinObj struct {
	ref       byte
	maxTries  int
	keyCell   int
	triesCell int
}

// app is the ADF's command handler. It is shared by every card built from
// one profile: per-card state lives in NVM cells, per-channel state in the
// channel's volatile state (session).
type app struct {
	header    [2]byte
	message   bool // signInput "message"
	uid       []byte
	certSize  int
	extAuthID byte
	importKey []byte
	defects   Defect
	user      pinObj
	admin     pinObj
	pairs     [2]pair // signing, encryption
}

// session is the volatile state of one channel.
type session struct {
	user, admin bool
	// certificate import in progress
	importing bool
	importTo  int
	buf       []byte
	// the parsed private keys (signing, encryption), each kept while its
	// NVM bytes stay the same
	keys [2]parsedKey
}

type parsedKey struct {
	d   [PrivateFileSize]byte
	key *sm2.PrivateKey
}

// Build adds the PKI application under the MF of b, personalised from the
// profile's pki section (nothing when there is none).
func Build(b *cos.Builder, p *profile.Profile) error {
	s := p.PKI
	if s == nil {
		return nil
	}
	if err := build(b, p, s); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func build(b *cos.Builder, p *profile.Profile, s *profile.PKI) error {
	a := &app{certSize: s.CertificateSize, uid: []byte(s.UserID), message: s.SignInput == "message"}
	copy(a.header[:], mustHex(s.PublicKeyHeader))
	for _, d := range s.Defects {
		a.defects |= defectNames[d]
	}
	var factors [][]byte
	if p.SSSE != nil {
		var err error
		if factors, err = ssse.Factors(p.SSSE); err != nil {
			return err
		}
	}
	extKey, err := cardKey(s.ExternalAuthKey, factors)
	if err != nil {
		return fmt.Errorf("externalAuthKey: %w", err)
	}
	if a.importKey, err = cardKey(s.KeyImportKey, factors); err != nil {
		return fmt.Errorf("keyImportKey: %w", err)
	}
	a.extAuthID = mustHex(s.ExternalAuthKey.ID)[0]

	ddf := b.DF(b.MF(), cos.DFSpec{AID: mustHex(s.AID), Label: "PKI"})
	adf := b.DF(ddf, cos.DFSpec{
		FID: fid(s.ADFFID), AID: []byte(s.ADFName), Label: "PKI ADF", Alg: cardcrypto.AlgSM4, App: a,
		Keys: []cos.KeySpec{{ID: a.extAuthID, Label: "PKI external authentication", Usage: cos.UseExtAuth,
			Value: extKey, Tries: s.ExternalAuthKey.Tries, TriesLeft: s.ExternalAuthKey.Tries}},
	})
	a.user = a.pin(b, PINUser, s.UserPIN)
	a.admin = a.pin(b, PINAdmin, s.AdminPIN)

	never := cos.Rule{Kind: cos.Never}
	privRead := never
	if a.defects&DefectPrivateKeyReadable != 0 {
		privRead = cos.Rule{Kind: cos.Free}
	}
	for i, spec := range []struct {
		name                     string
		pubFID, privFID, certFID uint16
		kp                       profile.PKIKeyPair
		field                    string
	}{
		{"signing", FIDSignPublic, FIDSignPrivate, FIDSignCert, s.Signing, "signing"},
		{"encryption", FIDEncPublic, FIDEncPrivate, FIDEncCert, s.Encryption, "encryption"},
	} {
		pub, priv, cert, err := a.personalise(spec.kp)
		if err != nil {
			return fmt.Errorf("%s: %w", spec.field, err)
		}
		ef := func(f uint16, label string, size int, content []byte, acc cos.Access) int {
			n := b.EF(adf, cos.EFSpec{FID: f, SFI: byte(f), Label: label, Structure: cos.Transparent, Size: size, Content: content, Access: acc})
			c, _ := n.ContentCell()
			return c
		}
		pr := pair{name: spec.name, pubFID: spec.pubFID, privFID: spec.privFID, certFID: spec.certFID}
		pr.pubCell = ef(spec.pubFID, fmt.Sprintf("PKI %04X %s public key", spec.pubFID, spec.name), PublicFileSize, pub,
			cos.Access{Read: cos.Rule{Kind: cos.Free}, Update: never})
		pr.privCell = ef(spec.privFID, fmt.Sprintf("PKI %04X %s private key", spec.privFID, spec.name), PrivateFileSize, priv,
			cos.Access{Read: privRead, Update: never})
		pr.certCell = ef(spec.certFID, fmt.Sprintf("PKI %04X %s certificate", spec.certFID, spec.name), a.certSize, cert,
			cos.Access{Read: cos.Rule{Kind: cos.Free}, Update: cos.Rule{Kind: cos.NeedKey, Key: a.extAuthID}})
		a.pairs[i] = pr
	}
	return nil
}

func (a *app) pin(b *cos.Builder, ref byte, p profile.PKIPIN) pinObj {
	k := cardcrypto.PKIPINKey(p.Value)
	return pinObj{
		ref: ref, maxTries: p.MaxTries,
		keyCell:   b.AppCell(k[:], pinKeySize, true),
		triesCell: b.AppCell([]byte{byte(*p.TriesLeft)}, 1, true),
	}
}

// personalise returns the initial contents of a pair's three files.
func (a *app) personalise(kp profile.PKIKeyPair) (pub, priv, cert []byte, err error) {
	if kp.Key == "" {
		return nil, nil, nil, nil
	}
	k, err := testpki.PrivateKey(kp.Key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("key: %w", err)
	}
	pub = a.publicFile(k)
	priv = k.D.FillBytes(make([]byte, PrivateFileSize))
	if kp.Certificate == "" {
		return pub, priv, nil, nil
	}
	der, err := testpki.CertificateDER(kp.Certificate)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certificate: %w", err)
	}
	if len(der) > a.certSize {
		return nil, nil, nil, fmt.Errorf("certificate: %d bytes, more than the file's %d", len(der), a.certSize)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("certificate: %w", err)
	}
	if !k.PublicKey.Equal(c.PublicKey) {
		return nil, nil, nil, fmt.Errorf("certificate %s does not certify key %s", kp.Certificate, kp.Key)
	}
	return pub, priv, der, nil
}

// cardKey is the card's symmetric key: the value, or the master
// diversified by the card's factors like the SSSE keys (CARD.md §3).
func cardKey(k profile.PKIKey, factors [][]byte) ([]byte, error) {
	if k.Value != "" {
		return mustHex(k.Value), nil
	}
	return cardcrypto.DiversifyLevels(cardcrypto.AlgSM4, mustHex(k.Master), factors...)
}

// CardKey returns the card's key of a PKI key of the profile (what a
// personalisation or key management system holds for the card).
func CardKey(p *profile.Profile, k profile.PKIKey) ([]byte, error) {
	var factors [][]byte
	if p.SSSE != nil {
		var err error
		if factors, err = ssse.Factors(p.SSSE); err != nil {
			return nil, err
		}
	}
	return cardKey(k, factors)
}

// Handle runs the application's commands; the card OS runs the rest
// (SELECT, READ/UPDATE BINARY, GET CHALLENGE, EXTERNAL AUTHENTICATE).
func (a *app) Handle(x *cos.Context) ([]byte, iso7816.Status, bool) {
	cmd := &x.Cmd
	if !x.Proprietary() {
		switch cmd.INS {
		case INSVerify:
			if x.SM() {
				return nil, iso7816.SWSMNotSupported, true
			}
			d, sw := a.verify(x)
			return d, sw, true
		case INSPSO:
			if x.SM() {
				return nil, iso7816.SWSMNotSupported, true
			}
			d, sw := a.pso(x)
			return d, sw, true
		case INSResetRetryCount:
			d, sw := a.resetRetryCounter(x)
			return d, sw, true
		case INSExternalAuth:
			// 00 82 00 00 names the ADF's external authentication key
			// [known]; the card OS does the rest with that key.
			if cmd.P1 == 0 && cmd.P2 == 0 {
				cmd.P2 = a.extAuthID
			}
		}
		return nil, 0, false
	}
	var d []byte
	var sw iso7816.Status
	switch cmd.INS {
	case INSChangePIN:
		d, sw = a.changePIN(x)
	case INSResetRetryCount:
		d, sw = a.resetRetryCounter(x)
	case INSGenerateKeyPair, INSExportPublicKey, INSImportKeyPair, INSImportPublicKey, INSImportCert:
		if x.SM() {
			return nil, iso7816.SWSMNotSupported, true
		}
		switch cmd.INS {
		case INSGenerateKeyPair:
			d, sw = a.generate(x)
		case INSExportPublicKey:
			d, sw = a.export(x)
		case INSImportKeyPair:
			d, sw = a.importKeyPair(x)
		case INSImportPublicKey:
			d, sw = a.importPublicKey(x)
		default:
			d, sw = a.importCertificate(x)
		}
	default:
		return nil, 0, false
	}
	return d, sw, true
}

// state returns the channel's session, creating it.
func state(x *cos.Context) *session {
	if s, ok := x.Volatile().(*session); ok {
		return s
	}
	s := &session{}
	x.SetVolatile(s)
	return s
}

func (a *app) has(d Defect) bool { return a.defects&d != 0 }

func fid(s string) uint16 {
	b := mustHex(s)
	if len(b) != 2 {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

// mustHex decodes hex the profile has already validated.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

func isZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }
