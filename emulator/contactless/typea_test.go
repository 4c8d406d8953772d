package contactless

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// ATQA, SAK and ATS for the combinations of UID size, overrides and
// ISO/IEC 14443-4 parameters a profile can give.
func TestTypeACombinations(t *testing.T) {
	hist := "008C544CB386844116018593CA" // the 3.00 persona's ATR historical bytes
	for _, c := range []struct {
		iso        string
		atqa       []byte
		uidLen     int
		uid        []byte
		sak        byte
		ats        string
		random4ByB bool
	}{
		{iso: `{}`, atqa: []byte{0x04, 0x00}, uidLen: 4, sak: 0x20, ats: "1278777002" + hist, random4ByB: true},
		{iso: `{"uidSize": 7}`, atqa: []byte{0x44, 0x00}, uidLen: 7, sak: 0x20, ats: "1278777002" + hist},
		{iso: `{"uidSize": 10}`, atqa: []byte{0x84, 0x00}, uidLen: 10, sak: 0x20, ats: "1278777002" + hist},
		{iso: `{"uid": "04112233445566"}`, atqa: []byte{0x44, 0x00}, uid: []byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, sak: 0x20, ats: "1278777002" + hist},
		{iso: `{"uid": "01020304", "atqa": "0403", "sak": "28"}`, atqa: []byte{0x04, 0x03}, uid: []byte{1, 2, 3, 4}, sak: 0x28, ats: "1278777002" + hist},
		{iso: `{"fsci": 5, "fwi": 4, "sfgi": 1, "bitRates": [106], "cid": false, "nad": true, "historical": "8031"}`,
			atqa: []byte{0x04, 0x00}, uidLen: 4, sak: 0x20, ats: "077500410180" + "31"},
		{iso: `{"bitRates": [106, 212, 424], "historical": ""}`, atqa: []byte{0x04, 0x00}, uidLen: 4, sak: 0x20, ats: "0578337002"},
	} {
		t.Run(c.iso, func(t *testing.T) {
			p := newPICC(t, c.iso)
			r := newRig(t, p)
			uid := p.UID()
			if c.uid != nil && !bytes.Equal(uid, c.uid) || c.uid == nil && len(uid) != c.uidLen {
				t.Fatalf("UID % X", uid)
			}
			if c.random4ByB && uid[0] != 0x08 {
				t.Errorf("a random single-size UID starts with 08: % X", uid)
			}
			if uid[0] == CT {
				t.Errorf("UID starts with CT: % X", uid)
			}
			if got := p.pr.atqaBytes(); !bytes.Equal(got, c.atqa) {
				t.Errorf("ATQA % X, want % X", got, c.atqa)
			}
			p.pr.sak = c.sak
			ats := r.activateA(p, 0x80)
			if got := fmt.Sprintf("%X", ats); got != c.ats {
				t.Errorf("ATS %s, want %s", got, c.ats)
			}
			if p.State() != "PROTOCOL" {
				t.Errorf("state %s", p.State())
			}
		})
	}
}

// Random UIDs change at each power-up; fixed ones do not.
func TestRandomUID(t *testing.T) {
	p := newPICC(t, `{}`)
	r := newRig(t, p)
	first := p.UID()
	r.f.SetField(false)
	r.f.SetField(true)
	if bytes.Equal(first, p.UID()) {
		t.Errorf("the same random UID after a power cycle: % X", first)
	}
	q := newPICC(t, `{"uid": "01020304"}`)
	r = newRig(t, q)
	r.f.SetField(false)
	r.f.SetField(true)
	if !bytes.Equal(q.UID(), []byte{1, 2, 3, 4}) {
		t.Errorf("fixed UID % X", q.UID())
	}
}

// The Type A state machine of ISO/IEC 14443-3 §6.3.
func TestTypeAStates(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304"}`)
	r := newRig(t, p)
	atqa := p.pr.atqaBytes()
	cl := CascadeLevels(p.UID())[0]
	sel := append([]byte{SEL1, 0x70}, cl[:]...)

	r.want(TypeA, []byte{REQA}, 7, false, atqa) // IDLE → READY
	r.silent(TypeA, []byte{REQA}, 7, false)     // READY: any other → IDLE
	if p.State() != "IDLE" {
		t.Fatalf("state %s", p.State())
	}
	r.want(TypeA, []byte{REQA}, 7, false, atqa)
	r.want(TypeA, sel, 0, true, []byte{0x20}) // READY → ACTIVE
	r.silent(TypeA, []byte{HLTA, 0x00}, 0, true)
	if p.State() != "HALT" {
		t.Fatalf("state %s after HLTA", p.State())
	}
	r.silent(TypeA, []byte{REQA}, 7, false) // HALT ignores REQA
	r.silent(TypeA, sel, 0, true)
	r.want(TypeA, []byte{WUPA}, 7, false, atqa)  // HALT → READY*
	r.want(TypeA, sel, 0, true, []byte{0x20})    // ACTIVE*
	r.silent(TypeA, []byte{0x30, 0x00}, 0, true) // any other: back to HALT
	if p.State() != "HALT" {
		t.Fatalf("state %s: ACTIVE* falls back to HALT", p.State())
	}
	r.want(TypeA, []byte{WUPA}, 7, false, atqa)
	r.want(TypeA, sel, 0, true, []byte{0x20})
	r.tx(TypeA, []byte{RATS, 0x80}, 0, true)
	if p.State() != "PROTOCOL" {
		t.Fatalf("state %s", p.State())
	}
	// The protocol state hears blocks only: REQA, WUPA, HLTA are ignored.
	r.silent(TypeA, []byte{WUPA}, 7, false)
	r.silent(TypeA, []byte{HLTA, 0x00}, 0, true)
	if p.State() != "PROTOCOL" {
		t.Fatalf("state %s", p.State())
	}
	// S(DESELECT) → HALT.
	r.want(TypeA, []byte{0xC2}, 0, true, []byte{0xC2})
	if p.State() != "HALT" {
		t.Fatalf("state %s after DESELECT", p.State())
	}
	// Type B frames are not heard by a Type A card.
	r.silent(TypeB, []byte{APf, 0, 0x08}, 0, true)
	// The field off powers the card down.
	r.f.SetField(false)
	if p.State() != "POWER-OFF" {
		t.Fatalf("state %s", p.State())
	}
	if _, err := r.tx(TypeA, []byte{WUPA}, 7, false); !errors.Is(err, ErrFieldOff) {
		t.Errorf("a frame with the field off: %v", err)
	}
}

// Hostile frames in each state: none panics, the card stays silent and
// goes where the standard sends it.
func TestTypeAHostile(t *testing.T) {
	crcA := func(b ...byte) []byte { return AppendCRC(TypeA, b) }
	p := newPICC(t, `{"uid": "04112233445566778899"}`)
	cl := CascadeLevels(p.pr.uid)
	sel1 := append([]byte{SEL1, 0x70}, cl[0][:]...)
	hostile := []struct {
		name     string
		data     []byte
		lastBits int
		after    string // state afterwards, from READY
	}{
		{"empty frame", nil, 0, "IDLE"},
		{"one whole byte", []byte{0x26}, 0, "IDLE"},
		{"short frame 6 bits", []byte{0x26}, 6, "IDLE"},
		{"unknown short frame", []byte{0x35}, 7, "IDLE"},
		{"SEL only", []byte{SEL1}, 0, "IDLE"},
		{"wrong cascade level", []byte{SEL2, 0x20}, 0, "IDLE"},
		{"NVB 0x10", []byte{SEL1, 0x10}, 0, "IDLE"},
		{"NVB 0x18 bits > 7", []byte{SEL1, 0x18, 0}, 0, "IDLE"},
		{"NVB 0x68", []byte{SEL1, 0x68, 1, 2, 3, 4, 5}, 0, "IDLE"},
		{"NVB 0x71", append([]byte{SEL1, 0x71}, cl[0][:]...), 0, "IDLE"},
		{"NVB 0x7F", append([]byte{SEL1, 0x7F}, cl[0][:]...), 0, "IDLE"},
		{"NVB says 3 bytes, 2 sent", []byte{SEL1, 0x30}, 0, "IDLE"},
		{"NVB says 4 bits, last bits 5", []byte{SEL1, 0x24, 0x08}, 5, "IDLE"},
		{"select without CRC", sel1, 0, "IDLE"},
		{"select with a bad CRC", append(append([]byte(nil), sel1...), 0x00, 0x00), 0, "IDLE"},
		{"select too long", append(crcA(sel1...), 0x00), 0, "IDLE"},
		{"select cut short", crcA(sel1[:6]...), 0, "IDLE"},
		{"select with bits", crcA(sel1...), 3, "IDLE"},
		{"anticollision with other bits", []byte{SEL1, 0x21, 0x01}, 1, "READY"},
		{"select of another card", crcA(append([]byte{SEL1, 0x70}, 1, 2, 3, 4, 4)...), 0, "READY"},
		{"oversized garbage", bytes.Repeat([]byte{0x93}, 300), 0, "IDLE"},
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			r := newRig(t, p)
			r.want(TypeA, []byte{WUPA}, 7, false, p.pr.atqaBytes())
			r.silent(TypeA, h.data, h.lastBits, false)
			if p.State() != h.after {
				t.Errorf("state %s, want %s", p.State(), h.after)
			}
			// Whatever came, the card still activates.
			r.f.SetField(false)
			r.f.SetField(true)
			r.activateA(p, 0x80)
		})
	}
	// In ACTIVE: RATS with CID 15, a bad CRC, too long: back to IDLE, silent.
	for _, bad := range [][]byte{crcA(RATS, 0x8F), {RATS, 0x80, 0, 0}, crcA(RATS, 0x80, 0x00), crcA(RATS)} {
		r := newRig(t, p)
		r.want(TypeA, []byte{WUPA}, 7, false, p.pr.atqaBytes())
		for i, c := range cl {
			sak := byte(0x20)
			if i < len(cl)-1 {
				sak = SAKCascade
			}
			r.want(TypeA, append([]byte{SelCode(i + 1), 0x70}, c[:]...), 0, true, []byte{sak})
		}
		r.silent(TypeA, bad, 0, false)
		if p.State() != "IDLE" {
			t.Errorf("% X in ACTIVE: state %s", bad, p.State())
		}
	}
}

// Bit-oriented anticollision: the card answers the bits the reader does
// not know, completing its partial byte.
func TestAnticollisionSplitByte(t *testing.T) {
	p := newPICC(t, `{"uid": "A5B6C7D8"}`)
	r := newRig(t, p)
	r.want(TypeA, []byte{REQA}, 7, false, p.pr.atqaBytes())
	cl := CascadeLevels(p.UID())[0]
	for k := 0; k < 40; k++ {
		nvb := byte((2+k/8)<<4 | k%8)
		frame := append([]byte{SEL1, nvb}, cl[:(k+7)/8]...)
		if k%8 != 0 {
			frame[len(frame)-1] &= 0xFF >> (8 - k%8)
		}
		rx, err := r.tx(TypeA, frame, k%8, false)
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		if rx.Align != k%8 || rx.Collided {
			t.Fatalf("k=%d: align %d", k, rx.Align)
		}
		want := append([]byte(nil), cl[k/8:]...)
		want[0] &= 0xFF << (k % 8)
		if !bytes.Equal(rx.Data, want) {
			t.Fatalf("k=%d: % X, want % X", k, rx.Data, want)
		}
	}
	// A bit the card does not have: silence, still READY.
	r.silent(TypeA, []byte{SEL1, 0x21, ^cl[0] & 1}, 1, false)
	if p.State() != "READY" {
		t.Errorf("state %s", p.State())
	}
}

// Two cards whose UIDs differ first in bit 3 of their second byte collide
// there, and the field says so.
func TestCollisionBit(t *testing.T) {
	a := newPICC(t, `{"uid": "11220000"}`)
	b := newPICC(t, `{"uid": "112A0000"}`)
	r := newRig(t, a, b)
	rx, err := r.tx(TypeA, []byte{REQA}, 7, false)
	if err != nil || rx.Collided {
		t.Fatalf("same ATQAs: %v collided %v", err, rx.Collided)
	}
	rx, err = r.tx(TypeA, []byte{SEL1, 0x20}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if !rx.Collided || rx.CollisionBit != 8+3 {
		t.Fatalf("collision %v at %d, want bit 11; % X", rx.Collided, rx.CollisionBit, rx.Data)
	}
	if rx.Data[0] != 0x11 || rx.Data[1]&0x07 != 0x02 {
		t.Errorf("bits before the collision % X", rx.Data)
	}
	if !bytes.Contains([]byte(r.dump()), []byte("collision at bit 11")) {
		t.Errorf("the trace does not say where:\n%s", r.dump())
	}
	// Different UID sizes: their ATQAs collide in b7.
	c := newPICC(t, `{"uidSize": 7}`)
	r = newRig(t, a, c)
	rx, err = r.tx(TypeA, []byte{REQA}, 7, false)
	if err != nil || !rx.Collided || rx.CollisionBit != 6 {
		t.Errorf("ATQAs 04 00 and 44 00: %v %v %d", err, rx.Collided, rx.CollisionBit)
	}
}
