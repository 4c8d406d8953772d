package pki_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

var (
	pkiAID  = cardtest.Hex("504B492EC9E7BBE1B1A3D5CF")
	adfName = []byte("SS.CERT.ADF1")
	serial  = testpki.Cards[0].Serial
	signKP  = testpki.CardName(serial, testpki.SuffixSign)
	encKP   = testpki.CardName(serial, testpki.SuffixEnc)
)

// card is a card of the activated persona, with a fixed seed, whose
// profile may be patched (pki section fields) first.
type card struct {
	t testing.TB
	*emulator.Card
	p *profile.Profile
}

var activated = sync.OnceValues(func() (*profile.Profile, error) { return profile.Load("activated") })

func newCard(t testing.TB, patch func(pki map[string]any), opts ...emulator.Option) *card {
	t.Helper()
	var whole func(m map[string]any)
	if patch != nil {
		whole = func(m map[string]any) { patch(m["pki"].(map[string]any)) }
	}
	return newCardOf(t, whole, opts...)
}

// newCardOf is newCard with a patch of the whole profile.
func newCardOf(t testing.TB, patch func(profile map[string]any), opts ...emulator.Option) *card {
	t.Helper()
	p, err := activated()
	if err != nil {
		t.Fatal(err)
	}
	if patch != nil {
		var m map[string]any
		if err := json.Unmarshal(p.JSON(), &m); err != nil {
			t.Fatal(err)
		}
		patch(m)
		raw, _ := json.Marshal(m)
		if p, err = profile.Parse(raw, ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(opts) == 0 {
		opts = []emulator.Option{emulator.WithSeed(7)}
	}
	c, err := emulator.New(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	k := &card{t: t, Card: c, p: p}
	k.selectADF()
	return k
}

// do sends a command with T=0 handling and returns the response.
func (c *card) do(cmd iso7816.Command) iso7816.Response {
	c.t.Helper()
	r, err := terminal.Exchange(c.Card, cmd)
	if err != nil {
		c.t.Fatalf("%v", err)
	}
	return r
}

// sw sends a command and checks the status word.
func (c *card) sw(cmd iso7816.Command, want iso7816.Status) iso7816.Response {
	c.t.Helper()
	r := c.do(cmd)
	if r.SW != want {
		c.t.Errorf("%s: SW %04X, want %04X", cmd, uint16(r.SW), uint16(want))
	}
	return r
}

func (c *card) selectADF() {
	c.t.Helper()
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x04, Data: pkiAID}, iso7816.SWOK)
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x04, Data: adfName}, iso7816.SWOK)
}

func (c *card) challenge(n int) []byte {
	c.t.Helper()
	ch, err := terminal.GetChallenge(c.Card, n)
	if err != nil {
		c.t.Fatal(err)
	}
	return ch
}

// verifyCmd builds VERIFY for PIN ref over a fresh challenge.
func (c *card) verifyCmd(ref byte, pin string) iso7816.Command {
	c.t.Helper()
	k := cardcrypto.PKIPINKey(pin)
	cr, err := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, k[:], c.challenge(16))
	if err != nil {
		c.t.Fatal(err)
	}
	return iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: ref, Data: cr}
}

func (c *card) verify(ref byte, pin string, want iso7816.Status) {
	c.t.Helper()
	c.sw(c.verifyCmd(ref, pin), want)
}

// changeCmd builds CHANGE PIN from old to new over a fresh challenge.
func (c *card) changeCmd(ref byte, oldPIN, newPIN string) iso7816.Command {
	c.t.Helper()
	o, n := cardcrypto.PKIPINKey(oldPIN), cardcrypto.PKIPINKey(newPIN)
	body, err := cardcrypto.EncryptECB(cardcrypto.AlgSM4, o[:], n[:])
	if err != nil {
		c.t.Fatal(err)
	}
	chal := c.challenge(16)
	h := append([]byte{0x84, pki.INSChangePIN, pki.P1Verify, ref, 0x14}, body...)
	mac, err := cardcrypto.MAC(cardcrypto.AlgSM4, o[:], chal, h)
	if err != nil {
		c.t.Fatal(err)
	}
	return iso7816.Command{CLA: 0x84, INS: pki.INSChangePIN, P1: pki.P1Verify, P2: ref, Data: append(body, mac...)}
}

func (c *card) userPIN() string  { return c.p.PKI.UserPIN.Value }
func (c *card) adminPIN() string { return c.p.PKI.AdminPIN.Value }

func signCmd(data []byte) iso7816.Command {
	return iso7816.Command{INS: pki.INSPSO, P1: 0x9E, P2: 0x9A, Data: data, Ne: 256}
}

func readBinary(fid uint16) iso7816.Command {
	return iso7816.Command{INS: 0xB0, P1: 0x80 | byte(fid), Ne: pki.PublicFileSize}
}

// readFile reads a whole transparent file by SFI in chunks.
func (c *card) readFile(fid uint16, size int) []byte {
	c.t.Helper()
	var out []byte
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}}, iso7816.SWOK)
	for len(out) < size {
		n := min(size-len(out), 256)
		r := c.sw(iso7816.Command{INS: 0xB0, P1: byte(len(out) >> 8), P2: byte(len(out)), Ne: n}, iso7816.SWOK)
		out = append(out, r.Data...)
	}
	return out
}

func (c *card) certificate(fid uint16) []byte {
	return c.readFile(fid, c.p.PKI.CertificateSize)
}

func mustKey(t testing.TB, name string) *sm2.PrivateKey {
	t.Helper()
	k, err := testpki.PrivateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCertDER(t testing.TB, name string) []byte {
	t.Helper()
	d, err := testpki.CertificateDER(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustCert(t testing.TB, name string) *smx509.Certificate {
	t.Helper()
	c, err := testpki.Certificate(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func xy(k *sm2.PrivateKey) []byte {
	out := make([]byte, 64)
	k.X.FillBytes(out[:32])
	k.Y.FillBytes(out[32:])
	return out
}

// importCertCmds splits a certificate import into chunks of n bytes.
func importCertCmds(fid uint16, der []byte, n int) []iso7816.Command {
	var out []iso7816.Command
	for off := 0; off < len(der); off += n {
		end := min(off+n, len(der))
		p1 := byte(0)
		if off > 0 {
			p1 |= pki.CertMore
		}
		if end == len(der) {
			p1 |= pki.CertLast
		}
		out = append(out, iso7816.Command{CLA: 0x80, INS: pki.INSImportCert, P1: p1, P2: byte(fid), Data: der[off:end]})
	}
	return out
}

// padded is a certificate as the file holds it.
func padded(der []byte, size int) []byte {
	out := make([]byte, size)
	copy(out, der)
	return out
}

func checkPadded(file, der []byte) error {
	if !bytes.Equal(file[:len(der)], der) || !bytes.Equal(file[len(der):], make([]byte, len(file)-len(der))) {
		return errors.New("the certificate file is not the certificate padded with zeros")
	}
	return nil
}

var _ = fmt.Sprintf
