package contactless

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sscard/sscard/emulator"
)

// One card, two doors: a PIN try through the contactless door is seen
// through the contact door and the other way round.
func TestTwoDoors(t *testing.T) {
	card := newCard(t, "activated", "")
	p, err := New(card, WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, p)
	r.activateA(p, 0x80)
	num := byte(0)
	apdu := func(c []byte) []byte {
		t.Helper()
		var out []byte
		blk := mustBlock(t, r, TypeA, iblk(num, false, c), "")
		num ^= 1
		out = append(out, blk.INF...)
		for blk.Chaining {
			blk = mustBlock(t, r, TypeA, Block{Type: RBlock, Num: num}.Append(nil), "")
			num ^= 1
			out = append(out, blk.INF...)
		}
		return out
	}
	wrongPIN := []byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21}
	goodPIN := []byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56}
	selectSSSEnoLe := selectSSSE[:len(selectSSSE)-1]
	apdu(selectSSSEnoLe)
	if got := apdu(wrongPIN); !bytes.Equal(got, []byte{0x63, 0xC2}) {
		t.Fatalf("wrong PIN over the air: % X", got)
	}
	// The contact door: a reset, the same card.
	card.Reset()
	if _, err := card.Transmit(selectSSSEnoLe); err != nil {
		t.Fatal(err)
	}
	got, err := card.Transmit(wrongPIN)
	if err != nil || !bytes.Equal(got, []byte{0x63, 0xC1}) {
		t.Fatalf("wrong PIN through the contacts after one over the air: % X %v", got, err)
	}
	// Back over the air: the field cycles (a power-up), the try counter stays.
	r.f.SetField(false)
	r.f.SetField(true)
	r.activateA(p, 0x80)
	num = 0
	apdu(selectSSSEnoLe)
	if got := apdu(goodPIN); !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Fatalf("right PIN: % X", got)
	}
	card.Reset()
	card.Transmit(selectSSSEnoLe)
	if got, _ := card.Transmit(wrongPIN); !bytes.Equal(got, []byte{0x63, 0xC2}) {
		t.Fatalf("the right PIN over the air reset the counter: % X", got)
	}
}

// A card whose profile has no contactless door (a 2.00 card) has no PICC.
func TestNoContactlessDoor(t *testing.T) {
	c, err := emulator.Open("gen2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(c); !errors.Is(err, ErrNoContactless) {
		t.Errorf("New on a 2.00 card: %v", err)
	}
	psam, err := emulator.Open("psam")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(psam); !errors.Is(err, ErrNoContactless) {
		t.Errorf("New on a PSAM: %v", err)
	}
	if _, err := New(newCard(t, "activated", ""), WithUID([]byte{1, 2, 3})); err == nil {
		t.Error("a 3-byte UID is accepted")
	}
	if _, err := New(newCard(t, "activated", ""), WithUID([]byte{0x88, 2, 3, 4})); err == nil {
		t.Error("a UID starting with CT is accepted")
	}
}
