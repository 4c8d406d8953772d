package pki_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

// FuzzImportCertificate sends arbitrary bytes as a certificate import, in
// one or two chunks: the card never panics, answers 9000 only for a
// certificate of its key, and otherwise leaves every key and certificate
// file as it was.
func FuzzImportCertificate(f *testing.F) {
	der := mustCertDER(f, signKP)
	f.Add(der, uint8(0))
	f.Add(der, uint8(100))
	f.Add(mustCertDER(f, encKP), uint8(50))
	f.Add(der[:len(der)/2], uint8(0))
	f.Add([]byte{0x30, 0x82, 0xFF, 0xFF}, uint8(0))
	f.Add([]byte{}, uint8(0))
	base := newCard(f, nil)
	base.verify(pki.PINAdmin, base.adminPIN(), iso7816.SWOK)
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		if len(data) > 4096 {
			return
		}
		c := newCard(t, nil)
		c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
		before := c.keyFiles()
		chunks := [][]byte{data}
		if s := int(split); s > 0 && s < len(data) {
			chunks = [][]byte{data[:s], data[s:]}
		}
		var last iso7816.Status
		for i, ch := range chunks {
			p1 := byte(0)
			if i > 0 {
				p1 |= pki.CertMore
			}
			if i == len(chunks)-1 {
				p1 |= pki.CertLast
			}
			raw := append([]byte{0x80, pki.INSImportCert, p1, 0x18}, byte(len(ch)))
			raw = append(raw, ch...)
			if len(ch) == 0 || len(ch) > 255 {
				raw = []byte{0x80, pki.INSImportCert, p1, 0x18}
			}
			out, err := c.Transmit(raw)
			if err != nil {
				t.Fatal(err)
			}
			r, err := iso7816.ParseResponse(out)
			if err != nil {
				t.Fatalf("response %X", out)
			}
			last = r.SW
			if r.SW != iso7816.SWOK {
				break
			}
		}
		after := c.keyFiles()
		if last == iso7816.SWOK && len(chunks) > 0 {
			if !bytes.Equal(data, der) {
				t.Fatalf("the card took %X as its certificate", data)
			}
			return
		}
		if !equalCells(before, after) {
			t.Fatalf("a refused import (%04X) changed the card", uint16(last))
		}
	})
}

// FuzzCommands sends arbitrary commands to the ADF after both PINs are
// verified: no panic, and the private keys never show.
func FuzzCommands(f *testing.F) {
	for _, s := range []string{"002A9E9A20", "80C9820000", "804000000800", "00B0930000", "845E010014", "80C2801802308200",
		"842C038104", "842C03810400000000", "842C0281140000000000000000000000000000000000000000", "002A808600"} {
		f.Add(cardtest.Hex(s))
	}
	for _, der := range []bool{false, true} {
		ct := encrypt(f, &mustKey(f, encKP).PublicKey, []byte("fuzz"), der)
		f.Add(append(append([]byte{0x00, 0x2A, 0x80, 0x86, byte(len(ct))}, ct...), 0x00))
	}
	var secrets [][]byte
	for _, kp := range []string{signKP, encKP} {
		secrets = append(secrets, mustKey(f, kp).D.FillBytes(make([]byte, 32)))
	}
	f.Fuzz(func(t *testing.T, cmd []byte) {
		c := newCard(t, nil)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
		out, err := c.Transmit(cmd)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if bytes.Contains(out, secret[:8]) || bytes.Contains(out, secret[24:]) {
				t.Fatalf("%X answered %X", cmd, out)
			}
		}
	})
}

// FuzzDecipher sends arbitrary bytes as the ciphertext of PSO DECIPHER:
// the card never panics, answers data only with 9000, and then exactly
// what gmsm deciphers from a ciphertext of one of the two forms it takes.
func FuzzDecipher(f *testing.F) {
	key := mustKey(f, encKP)
	for _, der := range []bool{false, true} {
		ct := encrypt(f, &key.PublicKey, []byte("fuzz the decipher"), der)
		f.Add(ct)
		f.Add(flip(ct, len(ct)-1))
		f.Add(flip(ct, 40))
		f.Add(ct[:len(ct)-1])
	}
	compressed, _ := sm2.Encrypt(rand.Reader, &key.PublicKey, []byte("compressed"), sm2.NewPlainEncrypterOpts(sm2.MarshalCompressed, sm2.C1C3C2))
	f.Add(compressed)
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	c := newCard(f, nil)
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	f.Fuzz(func(t *testing.T, ct []byte) {
		if len(ct) > 255 {
			return
		}
		raw := []byte{0x00, 0x2A, 0x80, 0x86}
		if len(ct) > 0 {
			raw = append(append(raw, byte(len(ct))), ct...)
		}
		raw = append(raw, 0x00)
		out, err := c.Transmit(raw)
		if err != nil {
			t.Fatal(err)
		}
		r, err := iso7816.ParseResponse(out)
		if err != nil {
			t.Fatalf("response %X", out)
		}
		if r.SW != iso7816.SWOK {
			if len(r.Data) != 0 {
				t.Fatalf("%X: %04X with data %X", ct, uint16(r.SW), r.Data)
			}
			return
		}
		want, err := sm2.Decrypt(key, ct)
		if err != nil || ct[0] != 0x04 && ct[0] != 0x30 || !bytes.Equal(r.Data, want) {
			t.Fatalf("%X deciphered as %X (gmsm: %X, %v)", ct, r.Data, want, err)
		}
	})
}
