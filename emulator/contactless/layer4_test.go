package contactless

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

var selectSSSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF, 0x00}

func iblk(num byte, chaining bool, inf []byte) []byte {
	return Block{Type: IBlock, Num: num, Chaining: chaining, INF: inf}.Append(nil)
}

func mustBlock(t *testing.T, r *rig, typ Type, b []byte, want string) Block {
	t.Helper()
	got, err := r.block(typ, b)
	if err != nil {
		t.Fatalf("% X: %v\n%s", b, err, r.dump())
	}
	if want != "" && got.String() != want {
		t.Fatalf("% X: %s, want %s\n%s", b, got, want, r.dump())
	}
	return got
}

func TestBlockProtocol(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304"}`)
	r := newRig(t, p)
	r.activateA(p, 0x00) // FSD 16: the card chains its answer in 16-byte frames
	// The card's block numbers answer the reader's: the FCI of SELECT
	// (32 bytes) comes in blocks of 13 bytes.
	mustBlock(t, r, TypeA, iblk(0, true, selectSSSE[:10]), "R(ACK,0)")
	got := mustBlock(t, r, TypeA, iblk(1, false, selectSSSE[10:]), "")
	if got.Type != IBlock || got.Num != 1 || !got.Chaining || len(got.INF) != 16-3 {
		t.Fatalf("first block %s", got)
	}
	answer := append([]byte(nil), got.INF...)
	// R(ACK) with the other number: the next block (PICC chaining).
	for got.Chaining {
		got = mustBlock(t, r, TypeA, Block{Type: RBlock, Num: got.Num ^ 1}.Append(nil), "")
		answer = append(answer, got.INF...)
	}
	if len(answer) != 32 || !bytes.HasPrefix(answer, []byte{0x6F}) || !bytes.HasSuffix(answer, []byte{0x90, 0x00}) {
		t.Fatalf("SELECT answered % X", answer)
	}
	if got.Num != 1 {
		t.Fatalf("last block %s", got)
	}
	// R(ACK) with the card's number: the last block again.
	again := mustBlock(t, r, TypeA, []byte{0xA3}, "")
	if again.String() != got.String() {
		t.Errorf("R(ACK,1) again: %s, want %s", again, got)
	}
	// R(NAK) with the card's number: the last block again.
	mustBlock(t, r, TypeA, []byte{0xB3}, got.String())
	// R(NAK) with the other number: R(ACK) with the card's.
	mustBlock(t, r, TypeA, []byte{0xB2}, "R(ACK,1)")
	// The reader chains a command: R(ACK) for each chained block.
	cmd := selectSSSE
	mustBlock(t, r, TypeA, iblk(0, true, cmd[:8]), "R(ACK,0)")
	// The same chained block lost and asked for again with R(NAK): the R(ACK) again.
	mustBlock(t, r, TypeA, []byte{0xB2}, "R(ACK,0)")
	mustBlock(t, r, TypeA, iblk(1, true, cmd[8:16]), "R(ACK,1)")
	got = mustBlock(t, r, TypeA, iblk(0, false, cmd[16:]), "")
	if got.Num != 0 || got.Type != IBlock || !got.Chaining || got.INF[0] != 0x6F {
		t.Fatalf("answer to the chained SELECT: %s", got)
	}
}

// Invalid blocks are ignored (ISO/IEC 14443-4 §7.5.5): the card stays
// silent and its state does not move.
func TestBlockHostile(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304", "fsci": 2}`) // FSC 32
	r := newRig(t, p)
	r.activateA(p, 0x80)
	for _, h := range []struct {
		name string
		data []byte
		crc  bool
	}{
		{"bad CRC", append(iblk(0, false, []byte{0, 0x84, 0, 0, 8}), 0, 0), false},
		{"no CRC", iblk(0, false, []byte{0, 0x84, 0, 0, 8}), false},
		{"bad PCB", []byte{0x42, 0x00}, true},
		{"RFU S-block", []byte{0xE2}, true},
		{"R-block with INF", []byte{0xA2, 0x00}, true},
		{"DESELECT with INF", []byte{0xC2, 0x00}, true},
		{"WTX response nobody asked for", []byte{0xF2, 0x01}, true},
		{"CID announced, missing", []byte{0x0A}, true},
		{"a CID the card was not given", []byte{0x0A, 0x03, 0x00, 0x84, 0x00, 0x00, 0x08}, true},
		{"NAD, not supported", []byte{0x06, 0x00, 0x00, 0x84, 0x00, 0x00, 0x08}, true},
		{"longer than the FSC", iblk(0, false, bytes.Repeat([]byte{0}, 32)), true},
		{"a PPS after the first block", []byte{0xD0, 0x11, 0x00}, true},
		{"RATS again", []byte{RATS, 0x80}, true},
		{"a lone CRC", nil, true},
		{"bits", []byte{0x02}, false},
	} {
		t.Run(h.name, func(t *testing.T) {
			// One good exchange first, so that the PPS window is closed
			// and the card has a block number to keep.
			mustBlock(t, r, TypeA, []byte{0xB3}, "R(ACK,1)")
			lastBits := 0
			if h.name == "bits" {
				lastBits = 4
			}
			r.silent(TypeA, h.data, lastBits, h.crc)
			if p.State() != "PROTOCOL" {
				t.Fatalf("state %s", p.State())
			}
		})
	}
	// After all that, the protocol works.
	got := mustBlock(t, r, TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), "")
	if got.Type != IBlock || got.Num != 0 {
		t.Fatalf("%s", got)
	}
}

func TestCIDAndNAD(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304", "nad": true}`)
	r := newRig(t, p)
	r.activateA(p, 0x83) // CID 3
	getChallenge := []byte{0x00, 0x84, 0x00, 0x00, 0x08}
	// Without the CID: ignored (the card's CID is not 0).
	r.silent(TypeA, iblk(0, false, getChallenge), 0, true)
	// With CID 3 and a NAD: answered with CID 3 and the NAD's addresses swapped.
	blk := Block{Type: IBlock, HasCID: true, CID: 3, HasNAD: true, NAD: 0x12, INF: getChallenge}
	got := mustBlock(t, r, TypeA, blk.Append(nil), "")
	if !got.HasCID || got.CID != 3 || !got.HasNAD || got.NAD != 0x21 || len(got.INF) != 10 {
		t.Fatalf("%s", got)
	}
	// CID 4: another card's.
	blk = Block{Type: IBlock, Num: 1, HasCID: true, CID: 4, INF: getChallenge}
	r.silent(TypeA, blk.Append(nil), 0, true)
	// S(DESELECT) with CID 3: answered with it.
	mustBlock(t, r, TypeA, []byte{0xCA, 0x03}, "S(DESELECT) CID 3")
	// A card that does not support CID ignores blocks with one.
	q := newPICC(t, `{"uid": "01020304", "cid": false}`)
	r = newRig(t, q)
	r.activateA(q, 0x80)
	r.silent(TypeA, Block{Type: IBlock, HasCID: true, INF: getChallenge}.Append(nil), 0, true)
	mustBlock(t, r, TypeA, iblk(0, false, getChallenge), "")
}

func TestPPS(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304", "bitRates": [106, 424]}`)
	r := newRig(t, p)
	r.activateA(p, 0x80)
	// 848 is not supported: ignored, the window stays open.
	r.silent(TypeA, []byte{0xD0, 0x11, 0x0F}, 0, true)
	// RFU bits: ignored.
	r.silent(TypeA, []byte{0xD0, 0x11, 0x1A}, 0, true)
	// Another CID: ignored.
	r.silent(TypeA, []byte{0xD1, 0x11, 0x0A}, 0, true)
	// DSI 2, DRI 2: 424 both ways, answered at 106.
	r.want(TypeA, []byte{0xD0, 0x11, 0x0A}, 0, true, []byte{0xD0})
	// At 106 the card no longer hears.
	r.silent(TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	r.rates = Rates{Rate424, Rate424}
	got := mustBlock(t, r, TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), "")
	if got.Type != IBlock {
		t.Fatal(got)
	}
	// A PPS now is no block: ignored.
	r.silent(TypeA, []byte{0xD0, 0x01}, 0, true)
	// The frame at 424 is shorter than at 106.
	ex := r.f.Exchanges()
	last := ex[len(ex)-2]
	if d := last.End - last.Start; d != FrameDuration(TypeA, 8, 0, Rate424, false) {
		t.Errorf("frame at 424 lasts %v", d)
	}
}

// A command that takes longer than the FWT: the card asks for more time
// with S(WTX) before the FWT runs out, and answers within FWT × WTXM.
func TestWTX(t *testing.T) {
	slow := func(_, _ []byte, _ uint64) time.Duration { return 50 * time.Millisecond }
	p := newPICC(t, `{"uid": "01020304", "fwi": 4}`, WithProcessingTime(slow)) // FWT 4.8 ms
	r := newRig(t, p)
	r.activateA(p, 0x80)
	fwt := FWT(4)
	rx, err := r.tx(TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	if err != nil {
		t.Fatal(err)
	}
	ex := r.f.Exchanges()
	if wait := rx.Start - ex[len(ex)-1].End; wait > fwt {
		t.Errorf("S(WTX) came %v after the frame, FWT is %v", wait, fwt)
	}
	body, _ := CheckCRC(TypeA, rx.Data)
	blk, err := ParseBlock(body)
	if err != nil || blk.Type != SBlock || blk.S != WTX {
		t.Fatalf("%s %v", blk, err)
	}
	m := blk.WTXM()
	if m < 9 || m > 12 {
		t.Errorf("WTXM %d for ~48 ms more at FWT %v", m, fwt)
	}
	// While waiting, an I-block is ignored; an R(NAK) gets the S(WTX) again.
	mustBlock(t, r, TypeA, []byte{0xB2}, blk.String())
	// The reader's S(WTX) response: the answer comes within FWT × WTXM.
	rx, err = r.tx(TypeA, []byte{0xF2, byte(m)}, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	ex = r.f.Exchanges()
	if wait := rx.Start - ex[len(ex)-1].End; wait > time.Duration(m)*fwt {
		t.Errorf("answer %v after the WTX response, FWT × WTXM is %v", wait, time.Duration(m)*fwt)
	}
	body, _ = CheckCRC(TypeA, rx.Data)
	if blk, _ := ParseBlock(body); blk.Type != IBlock || len(blk.INF) != 10 {
		t.Fatalf("%s", blk)
	}
	// A multiplier of 1 where more is needed: the card asks again.
	r.tx(TypeA, iblk(1, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	blk = mustBlock(t, r, TypeA, []byte{0xF2, 0x01}, "")
	if blk.Type != SBlock || blk.S != WTX {
		t.Errorf("a WTXM too small gets another S(WTX): %s", blk)
	}
}

// The start-up frame guard time: the card does not hear a frame that
// starts before it is over.
func TestSFGT(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304", "sfgi": 6}`) // about 19 ms
	r := newRig(t, p)
	r.want(TypeA, []byte{WUPA}, 7, false, p.pr.atqaBytes())
	cl := CascadeLevels(p.UID())[0]
	r.want(TypeA, append([]byte{SEL1, 0x70}, cl[:]...), 0, true, []byte{0x20})
	if _, err := r.tx(TypeA, []byte{RATS, 0x80}, 0, true); err != nil {
		t.Fatal(err)
	}
	r.silent(TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	r.f.Wait(SFGT(6))
	mustBlock(t, r, TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), "")
}

// DESELECT: the card answers and halts; WUPA and a new RATS start over
// with the block number 0.
func TestDeselect(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304"}`)
	r := newRig(t, p)
	r.activateA(p, 0x80)
	mustBlock(t, r, TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), "")
	mustBlock(t, r, TypeA, []byte{0xC2}, "S(DESELECT)")
	r.silent(TypeA, iblk(1, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	r.activateA(p, 0x80)
	got := mustBlock(t, r, TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), "")
	if got.Num != 0 {
		t.Errorf("block number after a new activation: %d", got.Num)
	}
}

var errAny = errors.New("any")
