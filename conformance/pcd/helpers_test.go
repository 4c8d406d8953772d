package pcd

import (
	"bytes"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

var selectSSSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF, 0x00}

var getChallenge = []byte{0x00, 0x84, 0x00, 0x00, 0x08}

// profiles are parsed once: a profile memoizes its card template.
var profiles = map[string]*profile.Profile{}

func cardOf(t testing.TB, iso string) *emulator.Card {
	t.Helper()
	p := profiles[iso]
	if p == nil {
		var err error
		p, err = profile.Parse([]byte(`{"extends": "activated", "name": "t", "interfaces": {"contact": true, "contactless": true, "iso14443": `+iso+`}}`), "")
		if err != nil {
			t.Fatal(err)
		}
		profiles[iso] = p
	}
	c, err := emulator.New(p, emulator.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func piccOf(t testing.TB, iso string, opts ...contactless.Option) *contactless.PICC {
	t.Helper()
	p, err := contactless.New(cardOf(t, iso), append([]contactless.Option{contactless.WithSeed(9)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fieldOf returns a traced field holding the cards.
func fieldOf(cards ...*contactless.PICC) (*contactless.Field, *link.Trace) {
	tr := &link.Trace{}
	f := contactless.NewField(contactless.WithTrace(tr))
	f.Add(cards...)
	return f, tr
}

func dump(tr *link.Trace) string {
	var b bytes.Buffer
	tr.WriteText(&b)
	return b.String()
}

func mustConnect(t *testing.T, r *PCD, f *contactless.Field, tr *link.Trace) *Activation {
	t.Helper()
	act, err := r.Connect(f)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, dump(tr))
	}
	return act
}

func mustTransmit(t *testing.T, r Reader, c []byte, tr *link.Trace) []byte {
	t.Helper()
	out, err := r.Transmit(c)
	if err != nil {
		t.Fatalf("% X: %v\n%s", c, err, dump(tr))
	}
	return out
}
