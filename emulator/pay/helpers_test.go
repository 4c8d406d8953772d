package pay_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// h decodes hex with spaces.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

type tcard struct {
	t testing.TB
	*emulator.Card
}

func newCard(t testing.TB, persona string, opts ...emulator.Option) *tcard {
	t.Helper()
	c, err := emulator.Open(persona, append([]emulator.Option{emulator.WithSeed(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &tcard{t: t, Card: c}
}

// fromJSON builds a card from a profile extending a persona.
func fromJSON(t testing.TB, js string) *tcard {
	t.Helper()
	p, err := profile.Parse([]byte(js), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	return &tcard{t: t, Card: c}
}

// on returns the card reporting to another test.
func (c *tcard) on(t testing.TB) *tcard { return &tcard{t: t, Card: c.Card} }

// send transmits an APDU and returns data and status word.
func (c *tcard) send(apdu []byte) ([]byte, iso7816.Status) {
	c.t.Helper()
	r, err := c.Transmit(apdu)
	if err != nil {
		c.t.Fatalf("%X: %v", apdu, err)
	}
	if len(r) < 2 {
		c.t.Fatalf("%X: answer %X", apdu, r)
	}
	return r[:len(r)-2], iso7816.StatusFrom(r[len(r)-2], r[len(r)-1])
}

// ok sends and expects 9000.
func (c *tcard) ok(apdu []byte) []byte {
	c.t.Helper()
	d, sw := c.send(apdu)
	if sw != iso7816.SWOK {
		c.t.Fatalf("%X: %04X, want 9000", apdu, uint16(sw))
	}
	return d
}

// sw sends and expects a status word.
func (c *tcard) sw(apdu []byte, want iso7816.Status) []byte {
	c.t.Helper()
	d, sw := c.send(apdu)
	if sw != want {
		c.t.Fatalf("%X: %04X, want %04X", apdu, uint16(sw), uint16(want))
	}
	return d
}

func apdu(cla, ins, p1, p2 byte, data []byte, le bool) []byte {
	out := []byte{cla, ins, p1, p2}
	if len(data) > 0 {
		out = append(out, byte(len(data)))
		out = append(out, data...)
	}
	if le {
		out = append(out, 0)
	}
	return out
}

func selectAID(aid []byte) []byte { return apdu(0x00, 0xA4, 0x04, 0x00, aid, true) }

var debitAID = h("A000000333010101")

func gpoAPDU(pdolData []byte) []byte {
	return apdu(0x80, 0xA8, 0, 0, append([]byte{0x83, byte(len(pdolData))}, pdolData...), true)
}

// find returns a data object inside a response.
func find(t testing.TB, b []byte, path ...iso7816.Tag) []byte {
	t.Helper()
	v, ok := iso7816.Find(b, path...)
	if !ok {
		t.Fatalf("no %v in %X", path, b)
	}
	return v
}

// Terminal data of a qUICS transaction.
type txn struct {
	ttq      string
	amount   uint64
	other    uint64
	country  string
	tvr      string
	currency string
	date     string
	typ      string
	un       string
	sm       byte
}

func quicsTxn(amount uint64) txn {
	return txn{ttq: "26000000", amount: amount, country: "0156", tvr: "0000000000", currency: "0156", date: "250601", typ: "00", un: "12345678", sm: 1}
}

func amt(v uint64) string { return fmt.Sprintf("%012d", v) }

// pdolData follows the default PDOL + DF69.
func (x txn) pdolData() []byte {
	return h(x.ttq + amt(x.amount) + amt(x.other) + x.country + x.tvr + x.currency + x.date + x.typ + x.un + fmt.Sprintf("%02X", x.sm))
}

// cdol1 follows the CDOL1 of the data model.
func (x txn) cdol1() []byte {
	return h(amt(x.amount) + amt(x.other) + x.country + x.tvr + x.currency + x.date + x.typ + x.un + "120000" + strings.Repeat("20", 20))
}

func eq(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %X, want %X", what, got, want)
	}
}
