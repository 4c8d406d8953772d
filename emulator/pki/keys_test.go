package pki_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

var genSign = iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, Data: []byte{0xC0, 0x02, 0x00, 0x12, 0xC2, 0x02, 0x00, 0x13}}

func exportCmd(fid uint16) iso7816.Command {
	return iso7816.Command{CLA: 0x80, INS: pki.INSExportPublicKey, P1: pki.P1Export, Data: []byte{0xC0, 0x02, byte(fid >> 8), byte(fid)}, Ne: 64}
}

// keyFiles is what the card's key and certificate files hold, read through
// the card (the private key files through the card's memory image).
func (c *card) keyFiles() [][]byte {
	return c.Cells()
}

func TestGenerateKeyPair(t *testing.T) {
	c := newCard(t, nil)
	c.sw(genSign, iso7816.SWSecurityNotSatisfied)
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	c.sw(genSign, iso7816.SWSecurityNotSatisfied) // the user PIN is not enough
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	before := c.keyFiles()
	for _, tc := range []struct {
		name string
		cmd  iso7816.Command
		want iso7816.Status
	}{
		{"P1", iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, P1: 1, Data: genSign.Data}, iso7816.SWWrongP1P2},
		{"short", iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, Data: genSign.Data[:7]}, iso7816.SWWrongLength},
		{"mixed pair", iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, Data: []byte{0xC0, 0x02, 0x00, 0x12, 0xC2, 0x02, 0x00, 0x15}}, iso7816.SWWrongData},
		{"swapped tags", iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, Data: []byte{0xC2, 0x02, 0x00, 0x13, 0xC0, 0x02, 0x00, 0x12}}, iso7816.SWWrongData},
		{"unknown file", iso7816.Command{CLA: 0x80, INS: pki.INSGenerateKeyPair, Data: []byte{0xC0, 0x02, 0x00, 0x16, 0xC2, 0x02, 0x00, 0x17}}, iso7816.SWFileNotFound},
		{"with MAC class", iso7816.Command{CLA: 0x84, INS: pki.INSGenerateKeyPair, Data: genSign.Data}, iso7816.SWSMNotSupported},
	} {
		c.sw(tc.cmd, tc.want)
	}
	if !equalCells(before, c.keyFiles()) {
		t.Fatal("a refused key generation changed the card")
	}
	c.sw(genSign, iso7816.SWOK)
	pub := c.sw(exportCmd(pki.FIDSignPublic), iso7816.SWOK).Data
	if bytes.Equal(pub, xy(mustKey(t, signKP))) {
		t.Fatal("the generated key is the old one")
	}
	if file := c.sw(readBinary(pki.FIDSignPublic), iso7816.SWOK).Data; !bytes.Equal(file[2:], pub) || file[0] != 0x01 || file[1] != 0x00 {
		t.Errorf("0012 holds %X, export %X", file, pub)
	}
	if cert := c.certificate(pki.FIDSignCert); !bytes.Equal(cert, make([]byte, len(cert))) {
		t.Error("the old certificate survived the new key")
	}
	// The new key signs.
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	e := sm3.Sum([]byte("x"))
	sig := c.sw(signCmd(e[:]), iso7816.SWOK).Data
	key, err := sm2.NewPublicKey(append([]byte{4}, pub...))
	if err != nil {
		t.Fatal(err)
	}
	der, _ := pki.DERSignature(sig)
	if !sm2.VerifyASN1(key, e[:], der) {
		t.Error("signature with the generated key does not verify")
	}
	// The encryption pair is untouched.
	if got := c.sw(exportCmd(pki.FIDEncPublic), iso7816.SWOK).Data; !bytes.Equal(got, xy(mustKey(t, encKP))) {
		t.Error("generating the signing key changed the encryption key")
	}
}

func equalCells(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestExportPublicKey(t *testing.T) {
	c := newCard(t, nil)
	if got := c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSExportPublicKey, P1: pki.P1Export, Ne: 64}, iso7816.SWOK).Data; !bytes.Equal(got, xy(mustKey(t, signKP))) {
		t.Errorf("export without data: %X", got)
	}
	if got := c.sw(exportCmd(pki.FIDEncPublic), iso7816.SWOK).Data; !bytes.Equal(got, xy(mustKey(t, encKP))) {
		t.Errorf("export 0014: %X", got)
	}
	c.sw(exportCmd(pki.FIDSignPrivate), iso7816.SWWrongData)
	c.sw(exportCmd(pki.FIDSignCert), iso7816.SWWrongData)
	c.sw(exportCmd(0x0016), iso7816.SWFileNotFound)
	c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSExportPublicKey, P1: 0x81, Ne: 64}, iso7816.SWWrongP1P2)
	c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSExportPublicKey, P1: pki.P1Export, Data: []byte{0xC0, 0x02, 0x00}, Ne: 64}, iso7816.SWWrongLength)

	empty := newCard(t, func(m map[string]any) { m["encryption"] = map[string]any{} })
	empty.sw(exportCmd(pki.FIDEncPublic), iso7816.SWRefDataNotFound)
	if f := empty.sw(readBinary(pki.FIDEncPublic), iso7816.SWOK).Data; !bytes.Equal(f, make([]byte, 66)) {
		t.Errorf("an empty key slot reads %X", f)
	}
}

func TestImportKeyPair(t *testing.T) {
	c := newCard(t, nil)
	d := mustKey(t, encKP).D.FillBytes(make([]byte, 32))
	c.importKey(d, pki.FIDSignPublic, pki.FIDSignPrivate, iso7816.SWSecurityNotSatisfied)
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	before := c.keyFiles()
	n := mustKey(t, encKP).Params().N
	for _, bad := range [][]byte{
		make([]byte, 32), // zero
		new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, 32)), // n-1
		n.FillBytes(make([]byte, 32)),                                  // n
		bytes.Repeat([]byte{0xFF}, 32),
	} {
		c.importKey(bad, pki.FIDSignPublic, pki.FIDSignPrivate, iso7816.SWWrongData)
	}
	c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSImportKeyPair, Data: make([]byte, 39)}, iso7816.SWWrongLength)
	if !equalCells(before, c.keyFiles()) {
		t.Fatal("a refused import changed the card")
	}
	// Re-importing the card's own key keeps its certificate.
	c.importKey(mustKey(t, signKP).D.FillBytes(make([]byte, 32)), pki.FIDSignPublic, pki.FIDSignPrivate, iso7816.SWOK)
	if !equalCells(before, c.keyFiles()) {
		t.Fatal("re-importing the same key changed the card")
	}
	c.importKey(d, pki.FIDSignPublic, pki.FIDSignPrivate, iso7816.SWOK)
	if got := c.sw(exportCmd(pki.FIDSignPublic), iso7816.SWOK).Data; !bytes.Equal(got, xy(mustKey(t, encKP))) {
		t.Errorf("imported key exports as %X", got)
	}
	if cert := c.certificate(pki.FIDSignCert); !bytes.Equal(cert, make([]byte, len(cert))) {
		t.Error("the certificate of the replaced key survived")
	}
	// The import key is the card's own: another card key enciphers garbage.
	ek, _ := pki.CardKey(c.p, c.p.PKI.ExternalAuthKey)
	enc, _ := cardcrypto.EncryptECB(cardcrypto.AlgSM4, ek, d)
	data := append([]byte{0xC0, 2, 0, 0x14, 0xC2, 2, 0, 0x15}, enc...)
	r := c.do(iso7816.Command{CLA: 0x80, INS: pki.INSImportKeyPair, Data: data})
	if r.SW == iso7816.SWOK {
		if got := c.sw(exportCmd(pki.FIDEncPublic), iso7816.SWOK).Data; bytes.Equal(got, xy(mustKey(t, encKP))) {
			t.Error("a key enciphered under the wrong key imported as the right key")
		}
	}
}

func TestImportPublicKey(t *testing.T) {
	c := newCard(t, func(m map[string]any) { m["encryption"] = map[string]any{} })
	imp := func(fid uint16, pt []byte) iso7816.Command {
		return iso7816.Command{CLA: 0x80, INS: pki.INSImportPublicKey, Data: append([]byte{0xC0, 0x02, byte(fid >> 8), byte(fid)}, pt...)}
	}
	enc := xy(mustKey(t, encKP))
	c.sw(imp(pki.FIDEncPublic, enc), iso7816.SWSecurityNotSatisfied)
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	before := c.keyFiles()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nist := make([]byte, 64)
	p256.X.FillBytes(nist[:32])
	p256.Y.FillBytes(nist[32:])
	offCurve := append([]byte(nil), enc...)
	offCurve[63] ^= 1
	for _, tc := range []struct {
		name string
		cmd  iso7816.Command
		want iso7816.Status
	}{
		{"NIST P-256 point", imp(pki.FIDEncPublic, nist), iso7816.SWWrongData},
		{"off the curve", imp(pki.FIDEncPublic, offCurve), iso7816.SWWrongData},
		{"zeros", imp(pki.FIDEncPublic, make([]byte, 64)), iso7816.SWWrongData},
		{"not the private key's", imp(pki.FIDSignPublic, enc), iso7816.SWWrongData},
		{"short", imp(pki.FIDEncPublic, enc[:63]), iso7816.SWWrongLength},
		{"private file", imp(pki.FIDEncPrivate, enc), iso7816.SWWrongData},
	} {
		t.Run(tc.name, func(t *testing.T) { c.sw(tc.cmd, tc.want) })
	}
	if !equalCells(before, c.keyFiles()) {
		t.Fatal("a refused import changed the card")
	}
	c.sw(imp(pki.FIDEncPublic, enc), iso7816.SWOK)
	if got := c.sw(exportCmd(pki.FIDEncPublic), iso7816.SWOK).Data; !bytes.Equal(got, enc) {
		t.Errorf("imported public key exports as %X", got)
	}
	c.sw(imp(pki.FIDSignPublic, xy(mustKey(t, signKP))), iso7816.SWOK) // the private key's own
}

func TestImportCertificate(t *testing.T) {
	c := newCard(t, nil)
	der := mustCertDER(t, signKP)
	cmds := importCertCmds(pki.FIDSignCert, der, 200)
	c.sw(cmds[0], iso7816.SWSecurityNotSatisfied)
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	before := c.keyFiles()

	refused := func(name string, cmds []iso7816.Command, want iso7816.Status) {
		t.Helper()
		for i, cmd := range cmds {
			w := iso7816.SWOK
			if i == len(cmds)-1 {
				w = want
			}
			if r := c.do(cmd); r.SW != w {
				t.Errorf("%s: chunk %d answered %04X, want %04X", name, i, uint16(r.SW), uint16(w))
			}
		}
		if !equalCells(before, c.keyFiles()) {
			t.Fatalf("%s: the refused import changed the card", name)
		}
	}
	garbage := append([]byte{0x30, 0x82, 0x01, 0x00}, bytes.Repeat([]byte{0xAB}, 256)...)
	refused("garbage", importCertCmds(pki.FIDSignCert, garbage, 100), iso7816.SWWrongData)
	refused("truncated", importCertCmds(pki.FIDSignCert, der[:len(der)-1], 200), iso7816.SWWrongData)
	refused("trailing byte", importCertCmds(pki.FIDSignCert, append(append([]byte(nil), der...), 0), 200), iso7816.SWWrongData)
	refused("another key's certificate", importCertCmds(pki.FIDSignCert, mustCertDER(t, encKP), 200), iso7816.SWWrongData)
	refused("CA certificate", importCertCmds(pki.FIDSignCert, mustCertDER(t, testpki.IssuingCA), 200), iso7816.SWWrongData)
	refused("NIST P-256 certificate", importCertCmds(pki.FIDSignCert, p256Cert(t), 200), iso7816.SWWrongData)
	big := bytes.Repeat([]byte{0x30}, c.p.PKI.CertificateSize+1)
	refused("oversized", importCertCmds(pki.FIDSignCert, big, 255), iso7816.SWNotEnoughMemory)
	refused("continuation without start", []iso7816.Command{{CLA: 0x80, INS: pki.INSImportCert, P1: pki.CertMore | pki.CertLast, P2: 0x18, Data: der[:200]}}, iso7816.SWConditionsNotSatisfied)
	refused("wrong file", []iso7816.Command{{CLA: 0x80, INS: pki.INSImportCert, P1: pki.CertLast, P2: 0x13, Data: der[:200]}}, iso7816.SWWrongP1P2)
	refused("empty chunk", []iso7816.Command{{CLA: 0x80, INS: pki.INSImportCert, P1: pki.CertLast, P2: 0x18}}, iso7816.SWWrongLength)
	// Switching files in the middle abandons the import.
	mixed := importCertCmds(pki.FIDSignCert, der, 200)
	mixed[1].P2 = 0x19
	refused("switching files", mixed[:2], iso7816.SWConditionsNotSatisfied)

	// The expired certificate of the same key goes in; the original goes back.
	expired := mustCertDER(t, testpki.CardName(serial, testpki.SuffixSignExpired))
	for _, cmd := range importCertCmds(pki.FIDSignCert, expired, 255) {
		c.sw(cmd, iso7816.SWOK)
	}
	if err := checkPadded(c.certificate(pki.FIDSignCert), expired); err != nil {
		t.Error(err)
	}
	for _, cmd := range importCertCmds(pki.FIDSignCert, der, 100) {
		c.sw(cmd, iso7816.SWOK)
	}
	if !equalCells(before, c.keyFiles()) {
		t.Fatal("re-importing the original certificate did not restore the card")
	}
}

func p256Cert(t testing.TB) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "P-256"},
		NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestUpdateCertificate: the issuing path of CARD.md §4, UPDATE BINARY in
// chunks after EXTERNAL AUTHENTICATE 00 82 00 00.
func TestUpdateCertificate(t *testing.T) {
	c := newCard(t, nil)
	der := mustCertDER(t, testpki.CardName(serial, testpki.SuffixSignExpired))
	c.sw(iso7816.Command{INS: 0xD6, P1: 0x80 | 0x18, Data: der[:200]}, iso7816.SWSecurityNotSatisfied)
	key, err := pki.CardKey(c.p, c.p.PKI.ExternalAuthKey)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(k []byte, want iso7816.Status) {
		cr, _ := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, k, c.challenge(16))
		c.sw(iso7816.Command{INS: 0x82, Data: cr}, want)
	}
	wrong := append([]byte(nil), key...)
	wrong[0] ^= 1
	auth(wrong, 0x63C2)
	auth(key, iso7816.SWOK)
	file := padded(der, c.p.PKI.CertificateSize)
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{0x00, 0x18}}, iso7816.SWOK)
	for off := 0; off < len(file); off += 240 {
		end := min(off+240, len(file))
		c.sw(iso7816.Command{INS: 0xD6, P1: byte(off >> 8), P2: byte(off), Data: file[off:end]}, iso7816.SWOK)
	}
	if err := checkPadded(c.certificate(pki.FIDSignCert), der); err != nil {
		t.Error(err)
	}
	c.sw(iso7816.Command{INS: 0xD6, P1: 0x80 | 0x12, Data: make([]byte, 4)}, iso7816.SWSecurityNotSatisfied)
}

var _ = smx509.ParseCertificate
