package contactless

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestParseBlock(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want Block
	}{
		{[]byte{0x02, 0x00, 0xA4}, Block{Type: IBlock, INF: []byte{0x00, 0xA4}}},
		{[]byte{0x03}, Block{Type: IBlock, Num: 1, INF: []byte{}}},
		{[]byte{0x12, 0x01}, Block{Type: IBlock, Chaining: true, INF: []byte{0x01}}},
		{[]byte{0x0B, 0x05, 0x80}, Block{Type: IBlock, Num: 1, HasCID: true, CID: 5, INF: []byte{0x80}}},
		{[]byte{0x0E, 0x45, 0x12, 0x99}, Block{Type: IBlock, HasCID: true, CID: 5, Power: 1, HasNAD: true, NAD: 0x12, INF: []byte{0x99}}},
		{[]byte{0x06, 0x21}, Block{Type: IBlock, HasNAD: true, NAD: 0x21, INF: []byte{}}},
		{[]byte{0xA2}, Block{Type: RBlock, INF: []byte{}}},
		{[]byte{0xB3}, Block{Type: RBlock, Num: 1, NAK: true, INF: []byte{}}},
		{[]byte{0xAA, 0x03}, Block{Type: RBlock, HasCID: true, CID: 3, INF: []byte{}}},
		{[]byte{0xC2}, Block{Type: SBlock, S: Deselect, INF: []byte{}}},
		{[]byte{0xCA, 0x0E}, Block{Type: SBlock, S: Deselect, HasCID: true, CID: 14, INF: []byte{}}},
		{[]byte{0xF2, 0x3B}, Block{Type: SBlock, S: WTX, INF: []byte{0x3B}}},
		{[]byte{0xFA, 0x01, 0x01}, Block{Type: SBlock, S: WTX, HasCID: true, CID: 1, INF: []byte{0x01}}},
	} {
		got, err := ParseBlock(c.in)
		if err != nil {
			t.Errorf("% X: %v", c.in, err)
			continue
		}
		if got.String() != c.want.String() || got.Power != c.want.Power || !bytes.Equal(got.INF, c.want.INF) {
			t.Errorf("% X: got %+v, want %+v", c.in, got, c.want)
		}
		if back := got.Append(nil); !bytes.Equal(back, c.in) {
			t.Errorf("% X: encodes back as % X", c.in, back)
		}
		if got.PCB() != c.in[0] {
			t.Errorf("% X: PCB %02X", c.in, got.PCB())
		}
	}
}

// Hostile blocks: every one is invalid, none panics.
func TestParseBlockHostile(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want error
	}{
		{nil, ErrEmptyBlock},
		{[]byte{}, ErrEmptyBlock},
		{[]byte{0x00}, ErrBadPCB},       // b2 must be 1
		{[]byte{0x22}, ErrBadPCB},       // I-block with b6 set
		{[]byte{0x42}, ErrBadPCB},       // 01xx xxxx: no block type
		{[]byte{0x80}, ErrBadPCB},       // R-block without b2
		{[]byte{0xA6}, ErrBadPCB},       // R-block with b3 set
		{[]byte{0xE2}, ErrBadPCB},       // S-block command 2: RFU
		{[]byte{0xD2}, ErrBadPCB},       // S-block command 1: RFU
		{[]byte{0xC3}, ErrBadPCB},       // S-block with b1 set
		{[]byte{0xC6}, ErrBadPCB},       // S-block with b3 set
		{[]byte{0xD0, 0x11}, ErrBadPCB}, // a PPS is no block
		{[]byte{0x0A}, ErrTruncated},    // CID announced, missing
		{[]byte{0x06}, ErrTruncated},    // NAD announced, missing
		{[]byte{0x0E, 0x01}, ErrTruncated},
		{[]byte{0xF2}, ErrTruncated},          // WTX without WTXM
		{[]byte{0xA2, 0x00}, ErrBadINF},       // R-block with INF
		{[]byte{0xC2, 0x00}, ErrBadINF},       // DESELECT with INF
		{[]byte{0xF2, 0x01, 0x02}, ErrBadINF}, // WTX with two bytes
	} {
		_, err := ParseBlock(c.in)
		if !errors.Is(err, c.want) {
			t.Errorf("% X: %v, want %v", c.in, err, c.want)
		}
	}
}

func TestBlockHelpers(t *testing.T) {
	b := Block{Type: IBlock, HasCID: true, HasNAD: true}
	if b.Overhead() != 5 {
		t.Errorf("overhead %d", b.Overhead())
	}
	if (Block{Type: RBlock, HasNAD: true}).Overhead() != 3 {
		t.Error("an R-block has no NAD")
	}
	if (Block{Type: SBlock, S: WTX, INF: []byte{0xC5}}).WTXM() != 5 {
		t.Error("WTXM is INF b6-b1")
	}
	if (Block{Type: IBlock, INF: []byte{1}}).WTXM() != 0 {
		t.Error("WTXM of an I-block")
	}
}

func FuzzParseBlock(f *testing.F) {
	for _, s := range [][]byte{{0x02, 0x00}, {0x0E, 0x01, 0x02, 0x03}, {0xB3}, {0xFA, 0x01, 0x05}, {0xC2}, {}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		blk, err := ParseBlock(b)
		if err != nil {
			return
		}
		// A valid block encodes back to the same bytes, and parses again.
		back := blk.Append(nil)
		if blk.Type == IBlock || blk.HasCID {
			// The CID byte's b6-b5 are RFU: they are not kept.
			if len(back) != len(b) {
				t.Fatalf("% X encodes back as % X", b, back)
			}
		} else if !bytes.Equal(back, b) {
			t.Fatalf("% X encodes back as % X", b, back)
		}
		again, err := ParseBlock(back)
		if err != nil || again.String() != blk.String() {
			t.Fatalf("% X: re-parse %v %v", back, again, err)
		}
		// ParseBlockInto over a block left by another parse reads the
		// same as ParseBlock: nothing of the old block survives.
		dirty := Block{Type: IBlock, Chaining: true, NAK: true, HasCID: true, CID: 9, Power: 3, HasNAD: true, NAD: 0x21, INF: []byte{1}}
		if err := ParseBlockInto(&dirty, b); err != nil || !reflect.DeepEqual(dirty, blk) {
			t.Fatalf("% X: ParseBlockInto %+v %v, ParseBlock %+v", b, dirty, err, blk)
		}
	})
}
