package contactless

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// rig is a field with cards, driven frame by frame.
type rig struct {
	t     *testing.T
	f     *Field
	trace *link.Trace
	cards []*PICC
	rates Rates
}

func newCard(t testing.TB, persona string, iso string) *emulator.Card {
	t.Helper()
	var p *profile.Profile
	var err error
	if iso == "" {
		p, err = profile.Load(persona)
	} else {
		p, err = profile.Parse([]byte(`{"extends": "`+persona+`", "name": "t", "interfaces": {"contact": true, "contactless": true, "iso14443": `+iso+`}}`), "")
	}
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p, emulator.WithSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newRig(t *testing.T, cards ...*PICC) *rig {
	t.Helper()
	r := &rig{t: t, trace: &link.Trace{}}
	r.f = NewField(WithTrace(r.trace))
	r.f.Add(cards...)
	r.f.SetField(true)
	r.cards = cards
	return r
}

func newPICC(t testing.TB, iso string, opts ...Option) *PICC {
	t.Helper()
	p, err := New(newCard(t, "activated", iso), append([]Option{WithSeed(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tx sends a frame; crc appends the CRC of the rig's type.
func (r *rig) tx(typ Type, data []byte, lastBits int, crc bool) (Rx, error) {
	if crc {
		data = AppendCRC(typ, append([]byte(nil), data...))
	}
	return r.f.Transceive(Tx{Type: typ, Data: data, LastBits: lastBits, Rates: r.rates, Timeout: MaxFWT})
}

// want sends a frame and checks the card's answer body (CRC checked and
// stripped when crc).
func (r *rig) want(typ Type, data []byte, lastBits int, crc bool, answer []byte) {
	r.t.Helper()
	rx, err := r.tx(typ, data, lastBits, crc)
	if err != nil {
		r.t.Fatalf("% X: %v, want % X\n%s", data, err, answer, r.dump())
	}
	got := rx.Data
	if crc {
		var ok bool
		if got, ok = CheckCRC(typ, rx.Data); !ok {
			r.t.Fatalf("% X: answer % X has a bad CRC", data, rx.Data)
		}
	}
	if !bytes.Equal(got, answer) {
		r.t.Fatalf("% X: answer % X, want % X\n%s", data, got, answer, r.dump())
	}
}

// silent sends a frame and checks nothing answers.
func (r *rig) silent(typ Type, data []byte, lastBits int, crc bool) {
	r.t.Helper()
	rx, err := r.tx(typ, data, lastBits, crc)
	if !errors.Is(err, ErrTimeout) {
		r.t.Fatalf("% X (%d bits): answer % X, %v; want none\n%s", data, lastBits, rx.Data, err, r.dump())
	}
}

func (r *rig) dump() string {
	var b bytes.Buffer
	r.trace.WriteText(&b)
	return b.String()
}

// activateA wakes, selects and activates the only card, with RATS param.
func (r *rig) activateA(p *PICC, rats byte) []byte {
	r.t.Helper()
	r.want(TypeA, []byte{WUPA}, 7, false, p.pr.atqaBytes())
	uid := p.UID()
	for i, cl := range CascadeLevels(uid) {
		r.want(TypeA, []byte{SelCode(i + 1), 0x20}, 0, false, cl[:])
		sak := p.pr.sak
		if i+1 < len(CascadeLevels(uid)) {
			sak = SAKCascade
		}
		r.want(TypeA, append([]byte{SelCode(i + 1), 0x70}, cl[:]...), 0, true, []byte{sak})
	}
	rx, err := r.tx(TypeA, []byte{RATS, rats}, 0, true)
	if err != nil {
		r.t.Fatalf("RATS: %v", err)
	}
	ats, ok := CheckCRC(TypeA, rx.Data)
	if !ok {
		r.t.Fatal("ATS CRC")
	}
	if a, _ := ParseATS(ats); a.SFGI > 0 {
		r.f.Wait(SFGT(a.SFGI))
	}
	return ats
}

// block sends a block (CRC added) and returns the card's block.
func (r *rig) block(typ Type, b []byte) (Block, error) {
	rx, err := r.tx(typ, b, 0, true)
	if err != nil {
		return Block{}, err
	}
	body, ok := CheckCRC(typ, rx.Data)
	if !ok {
		return Block{}, errors.New("bad CRC")
	}
	return ParseBlock(body)
}
