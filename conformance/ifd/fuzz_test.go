package ifd

import (
	"errors"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
)

// fuzzLine is a hostile card: whatever the reader sends, it answers with
// the next of its frames, then stays silent.
type fuzzLine struct {
	atr    []byte
	frames [][]byte
	sends  int
}

var errRunaway = errors.New("the reader keeps sending")

func (l *fuzzLine) ClockHz() int               { return contact.DefaultClockHz }
func (l *fuzzLine) Reset(bool) ([]byte, error) { return l.atr, nil }
func (l *fuzzLine) Deactivate() error          { return nil }
func (l *fuzzLine) Receive(time.Duration) ([]byte, error) {
	if len(l.frames) == 0 {
		return nil, contact.ErrTimeout
	}
	f := l.frames[0]
	l.frames = l.frames[1:]
	return f, nil
}
func (l *fuzzLine) Send([]byte) error {
	if l.sends++; l.sends > 1000 {
		return errRunaway
	}
	return nil
}

// cut splits fuzz input into frames: a length byte, then that many bytes.
func cut(in []byte) [][]byte {
	var out [][]byte
	for len(in) > 0 {
		n := min(max(int(in[0]), 1), len(in)-1)
		if n <= 0 {
			break
		}
		out = append(out, in[1:1+n])
		in = in[1+n:]
	}
	return out
}

var fuzzAPDUs = [][]byte{hx("00200000"), hx("00B2012C00"), hx("00A4040002A000"), hx("00A4040002A00000")}

func fuzzReader(t *testing.T, atr []byte, sel byte, in []byte) {
	l := &fuzzLine{atr: atr}
	r := New(l, Config{IFSD: 32})
	if _, err := r.Activate(); err != nil {
		t.Fatal(err)
	}
	l.frames = cut(in)
	out, err := r.Transmit(fuzzAPDUs[int(sel)%len(fuzzAPDUs)])
	if errors.Is(err, errRunaway) {
		t.Fatal("the reader never gave up")
	}
	if err == nil && len(out) < 2 {
		t.Fatalf("response %X without a status word", out)
	}
}

// FuzzT0Procedure feeds a T=0 reader hostile procedure bytes, data and
// status bytes: it never panics, never loops, and answers a response with
// a status word or an error.
func FuzzT0Procedure(f *testing.F) {
	f.Add(byte(0), []byte{2, 0x6A, 0x88})
	f.Add(byte(1), []byte{2, 0x6C, 0x02, 1, 0xB2, 2, 1, 2, 2, 0x90, 0})
	f.Add(byte(2), []byte{1, 0xA4, 1, 0x60, 2, 0x61, 0x05, 1, 0xC0, 5, 1, 2, 3, 4, 5, 2, 0x90, 0})
	f.Add(byte(3), []byte{1, 0x5B, 1, 0x5B, 2, 0x61, 0x00})
	atr, _ := iso7816.BuildATR(iso7816.ATRSpec{})
	f.Fuzz(func(t *testing.T, sel byte, in []byte) { fuzzReader(t, atr, sel, in) })
}

// FuzzT1Reader feeds a T=1 reader hostile blocks.
func FuzzT1Reader(f *testing.F) {
	blk := func(pcb byte, inf string) []byte { return contact.AppendBlock(nil, 0, pcb, hx(inf), false) }
	seed := func(fs ...[]byte) []byte {
		var out []byte
		for _, b := range fs {
			out = append(append(out, byte(len(b))), b...)
		}
		return out
	}
	f.Add(byte(0), seed(blk(0, "9000")))
	f.Add(byte(0), seed(blk(contact.SPCB(contact.SWTX, false), "02"), blk(0x20, "6F"), blk(0x40, "9000")))
	f.Add(byte(1), seed(blk(contact.RPCB(0, 1), ""), blk(contact.SPCB(contact.SIFS, false), "01"), blk(0, "9000")))
	f.Add(byte(2), seed(blk(contact.SPCB(contact.SResynch, true), ""), blk(contact.SPCB(contact.SAbort, false), "")))
	atr, _ := iso7816.BuildATR(iso7816.ATRSpec{Protocols: []int{1}})
	f.Fuzz(func(t *testing.T, sel byte, in []byte) { fuzzReader(t, atr, sel, in) })
}
