package pki_test

import (
	"bytes"
	"testing"

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
	for _, s := range []string{"002A9E9A20", "80C9820000", "804000000800", "00B0930000", "845E010014", "80C2801802308200"} {
		f.Add(cardtest.Hex(s))
	}
	secret := mustKey(f, signKP).D.FillBytes(make([]byte, 32))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		c := newCard(t, nil)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
		out, err := c.Transmit(cmd)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, secret[:8]) || bytes.Contains(out, secret[24:]) {
			t.Fatalf("%X answered %X", cmd, out)
		}
	})
}
