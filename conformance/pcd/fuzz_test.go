package pcd

import (
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/contactless"
)

// fuzzAir answers every frame with the next piece of the fuzzer's bytes:
// a control byte (time-out, field off, a frame with a good CRC or as is,
// with alignment and collision bits from it), a length and the bytes.
type fuzzAir struct {
	in     []byte
	frames int
	now    time.Duration
}

func (a *fuzzAir) SetField(bool)        {}
func (a *fuzzAir) Wait(d time.Duration) { a.now += d }
func (a *fuzzAir) Now() time.Duration   { return a.now }

func (a *fuzzAir) Transceive(tx contactless.Tx) (contactless.Rx, error) {
	a.frames++
	if a.frames > 500 {
		panic("the reader does not stop")
	}
	a.now += time.Millisecond
	if len(a.in) < 2 {
		return contactless.Rx{}, contactless.ErrTimeout
	}
	ctl, n := a.in[0], int(a.in[1])
	a.in = a.in[2:]
	n = min(n, len(a.in))
	data := append([]byte(nil), a.in[:n]...)
	a.in = a.in[n:]
	switch ctl % 5 {
	case 0:
		return contactless.Rx{}, contactless.ErrTimeout
	case 1:
		return contactless.Rx{}, contactless.ErrFieldOff
	case 2:
		data = contactless.AppendCRC(tx.Type, data)
	}
	rx := contactless.Rx{Data: data}
	if ctl&0x80 != 0 {
		rx.Align, rx.LastBits = int(ctl>>4&7), int(ctl&7)
		rx.Collided, rx.CollisionBit = ctl&0x08 != 0, int(ctl)%41
	}
	return rx, nil
}

// FuzzPCD lets a hostile card (any frames, good CRCs or not, collisions
// anywhere) talk to the reference PCD: it never panics nor loops, and an
// activation it reports is well formed.
func FuzzPCD(f *testing.F) {
	// A plausible Type A activation: ATQA, UID, SAK, ATS, then blocks.
	f.Add([]byte{3, 2, 0x04, 0x00, 3, 5, 1, 2, 3, 4, 4, 2, 1, 0x20, 2, 5, 0x05, 0x78, 0x80, 0x70, 0x02, 2, 3, 0x02, 0x90, 0x00}, uint8(0))
	f.Add([]byte{2, 12, 0x50, 1, 2, 3, 4, 0, 0, 0, 0, 0x00, 0x81, 0x70, 2, 1, 0x00, 2, 3, 0x02, 0x90, 0x00}, uint8(1))
	f.Add([]byte{0x8B, 2, 0x04, 0x00, 0xA3, 3, 0xFF, 0xFF, 0xFF}, uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opt := Options{MaxRate: contactless.Rate848, UseCID: mode&1 != 0, SlotsCode: int(mode >> 5)}
		switch mode % 3 {
		case 1:
			opt.Type = contactless.TypeB
		case 2:
			opt.Type = contactless.TypeA
		}
		air := &fuzzAir{in: in}
		r := New(opt)
		act, err := r.Connect(air)
		if err == nil {
			if act.Type == contactless.TypeA && len(act.UID) != 4 && len(act.UID) != 7 && len(act.UID) != 10 {
				t.Fatalf("UID % X", act.UID)
			}
			_ = act.PseudoATR()
			for range 3 {
				r.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00, 0x00})
			}
			r.Disconnect()
		}
		r.InventoryA(&fuzzAir{in: in})
		r.InventoryB(&fuzzAir{in: in})
	})
}
