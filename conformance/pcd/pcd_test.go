package pcd

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sscard/sscard/emulator/contactless"
)

func TestConnectTypeA(t *testing.T) {
	for _, opt := range []Options{{}, {MaxRate: contactless.Rate848}, {MaxRate: contactless.Rate212, UseCID: true, CID: 5}, {FSDI: 0, Type: contactless.TypeA}, {FSDI: 2}} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			p := piccOf(t, `{"uid": "04A1B2C3D4E5F6"}`)
			f, tr := fieldOf(p)
			r := New(opt)
			act := mustConnect(t, r, f, tr)
			if act.Type != contactless.TypeA || !bytes.Equal(act.UID, []byte{0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6}) || act.SAK != 0x20 {
				t.Errorf("%+v", act)
			}
			// The FCI of the SSSE is 30 bytes: with FSD 16 it comes chained.
			out := mustTransmit(t, r, selectSSSE, tr)
			if len(out) != 32 || out[0] != 0x6F || !bytes.HasSuffix(out, []byte{0x90, 0x00}) {
				t.Errorf("SELECT: % X", out)
			}
			if err := r.Disconnect(); err != nil {
				t.Errorf("disconnect: %v\n%s", err, dump(tr))
			}
			if p.State() != "POWER-OFF" {
				t.Errorf("state after disconnect: %s", p.State())
			}
		})
	}
}

func TestConnectTypeB(t *testing.T) {
	for _, opt := range []Options{{}, {MaxRate: contactless.Rate848, SlotsCode: 3}, {UseCID: true, CID: 1, Type: contactless.TypeB}} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			p := piccOf(t, `{"pupi": "0A0B0C0D", "sfgi": 1}`, contactless.WithType(contactless.TypeB))
			f, tr := fieldOf(p)
			r := New(opt)
			act := mustConnect(t, r, f, tr)
			if act.Type != contactless.TypeB || !bytes.Equal(act.UID, []byte{0x0A, 0x0B, 0x0C, 0x0D}) {
				t.Errorf("%+v", act)
			}
			out := mustTransmit(t, r, getChallenge, tr)
			if len(out) != 10 {
				t.Errorf("GET CHALLENGE: % X", out)
			}
			if err := r.Disconnect(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestNoCard(t *testing.T) {
	f, _ := fieldOf()
	if _, err := New(Options{}).Connect(f); !errors.Is(err, ErrNoCard) {
		t.Errorf("empty field: %v", err)
	}
	r := New(Options{})
	if _, err := r.Transmit(getChallenge); !errors.Is(err, ErrNotConnected) {
		t.Errorf("transmit without a card: %v", err)
	}
	if err := r.Disconnect(); err != nil {
		t.Errorf("disconnect without a card: %v", err)
	}
	// A card that is not ISO/IEC 14443-4: the reader says so.
	p := piccOf(t, `{"sak": "08"}`)
	f, _ = fieldOf(p)
	if _, err := New(Options{Type: contactless.TypeA}).Connect(f); !errors.Is(err, ErrActivation) {
		t.Errorf("SAK 08: %v", err)
	}
}

// Anticollision with 2 to 5 cards in the field: UIDs of every size, some
// sharing long prefixes (their bits collide late) or a whole first
// cascade level (they collide only at level 2).
func TestInventoryA(t *testing.T) {
	uids := []string{"04112233445566", "04112233445567", "08A0B0C0", "04112244556677", "0411223344556677889A"}
	for n := 2; n <= 5; n++ {
		t.Run(fmt.Sprint(n, " cards"), func(t *testing.T) {
			var cards []*contactless.PICC
			for _, u := range uids[:n] {
				cards = append(cards, piccOf(t, `{"uid": "`+u+`"}`))
			}
			f, tr := fieldOf(cards...)
			r := New(Options{})
			got, err := r.InventoryA(f)
			if err != nil {
				t.Fatalf("%v\n%s", err, dump(tr))
			}
			var want, have []string
			for _, c := range cards {
				want = append(want, fmt.Sprintf("% X", c.UID()))
			}
			for _, u := range got {
				have = append(have, fmt.Sprintf("% X", u))
			}
			slices.Sort(want)
			slices.Sort(have)
			if !slices.Equal(want, have) {
				t.Fatalf("found %v, want %v\n%s", have, want, dump(tr))
			}
			// Each card can then be activated by its UID and used.
			for _, c := range cards {
				if _, err := r.ConnectUID(f, c.UID()); err != nil {
					t.Fatalf("% X: %v\n%s", c.UID(), err, dump(tr))
				}
				if out := mustTransmit(t, r, getChallenge, tr); len(out) != 10 {
					t.Fatalf("% X", out)
				}
				if err := r.Disconnect(); err != nil {
					t.Fatal(err)
				}
				f.SetField(true)
			}
		})
	}
}

// Random UIDs: five cards drawing their UIDs, the reader finds them all,
// whatever the collisions.
func TestInventoryARandom(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		var cards []*contactless.PICC
		for i := range 5 {
			iso := []string{`{}`, `{"uidSize": 7}`, `{"uidSize": 10}`}[i%3]
			p, err := contactless.New(cardOf(t, iso), contactless.WithSeed(seed*10+uint64(i)))
			if err != nil {
				t.Fatal(err)
			}
			cards = append(cards, p)
		}
		f, tr := fieldOf(cards...)
		got, err := New(Options{}).InventoryA(f)
		if err != nil || len(got) != 5 {
			t.Fatalf("seed %d: %d cards, %v\n%s", seed, len(got), err, dump(tr))
		}
	}
}

func TestInventoryB(t *testing.T) {
	for n := 2; n <= 5; n++ {
		t.Run(fmt.Sprint(n, " cards"), func(t *testing.T) {
			var cards []*contactless.PICC
			for i := range n {
				p, err := contactless.New(cardOf(t, `{}`), contactless.WithType(contactless.TypeB), contactless.WithSeed(uint64(100+i)))
				if err != nil {
					t.Fatal(err)
				}
				cards = append(cards, p)
			}
			f, tr := fieldOf(cards...)
			got, err := New(Options{SlotsCode: 2}).InventoryB(f)
			if err != nil || len(got) != n {
				t.Fatalf("%d PUPIs, %v\n%s", len(got), err, dump(tr))
			}
			// The reader activates one of them through the collisions.
			f.SetField(false)
			r := New(Options{Type: contactless.TypeB, SlotsCode: 1, Retries: 8})
			mustConnect(t, r, f, tr)
			mustTransmit(t, r, getChallenge, tr)
		})
	}
}

func TestPseudoATRAndGetData(t *testing.T) {
	p := piccOf(t, `{"uid": "01020304"}`)
	f, tr := fieldOf(p)
	s, err := Connect(New(Options{}), f)
	if err != nil {
		t.Fatal(err)
	}
	// 3B 8D 80 01 + the 13 historical bytes of the ATS (those of the contact ATR) + TCK.
	hist := []byte{0x00, 0x8C, 0x54, 0x4C, 0xB3, 0x86, 0x84, 0x41, 0x16, 0x01, 0x85, 0x93, 0xCA}
	atr := append([]byte{0x3B, 0x8D, 0x80, 0x01}, hist...)
	tck := byte(0)
	for _, b := range atr[1:] {
		tck ^= b
	}
	atr = append(atr, tck)
	if !bytes.Equal(s.ATR(), atr) {
		t.Errorf("pseudo-ATR % X, want % X", s.ATR(), atr)
	}
	for _, c := range []struct{ cmd, want []byte }{
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x00}, []byte{1, 2, 3, 4, 0x90, 0x00}},
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x04}, []byte{1, 2, 3, 4, 0x90, 0x00}},
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x08}, []byte{1, 2, 3, 4, 0x62, 0x82}},
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x02}, []byte{0x6C, 0x04}},
		{[]byte{0xFF, 0xCA, 0x01, 0x00, 0x00}, append(append([]byte(nil), hist...), 0x90, 0x00)},
		{[]byte{0xFF, 0xCA, 0x01, 0x00, 0x05}, []byte{0x6C, 0x0D}},
		{[]byte{0xFF, 0xCA, 0x02, 0x00, 0x00}, []byte{0x6A, 0x81}},
		{[]byte{0xFF, 0xCA, 0x00, 0x01, 0x00}, []byte{0x6A, 0x81}},
		{[]byte{0xFF, 0xCA, 0x00, 0x00}, []byte{0x67, 0x00}},
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x01, 0x00, 0x00}, []byte{0x67, 0x00}},
		{[]byte{0xFF, 0xB0, 0x00, 0x00, 0x10}, []byte{0x6D, 0x00}},
	} {
		got, err := s.Transmit(c.cmd)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("% X: % X %v, want % X", c.cmd, got, err, c.want)
		}
	}
	// Other APDUs go to the card.
	if got, err := s.Transmit(getChallenge); err != nil || len(got) != 10 {
		t.Errorf("GET CHALLENGE % X %v\n%s", got, err, dump(tr))
	}
	if _, err := s.Reconnect(); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}

	// Type B: PUPI, no ATS (6A81), historical bytes from the ATQB.
	q := piccOf(t, `{"pupi": "0A0B0C0D", "appData": "11223344"}`, contactless.WithType(contactless.TypeB))
	f, _ = fieldOf(q)
	s, err = Connect(New(Options{}), f)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Activation().Historical()
	if len(h) != 8 || !bytes.Equal(h[:4], []byte{0x11, 0x22, 0x33, 0x44}) || h[7] != 0x00 {
		t.Errorf("Type B historical bytes % X", h)
	}
	if atr := s.ATR(); atr[1] != 0x88 || !bytes.Equal(atr[4:12], h) {
		t.Errorf("Type B pseudo-ATR % X", atr)
	}
	for _, c := range []struct{ cmd, want []byte }{
		{[]byte{0xFF, 0xCA, 0x00, 0x00, 0x00}, []byte{0x0A, 0x0B, 0x0C, 0x0D, 0x90, 0x00}},
		{[]byte{0xFF, 0xCA, 0x01, 0x00, 0x00}, []byte{0x6A, 0x81}},
	} {
		if got, _ := s.Transmit(c.cmd); !bytes.Equal(got, c.want) {
			t.Errorf("Type B % X: % X, want % X", c.cmd, got, c.want)
		}
	}
}
