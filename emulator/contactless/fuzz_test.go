package contactless

import (
	"testing"
)

// FuzzAnticollision sends any frame to two cards in READY (UIDs of 4 and
// 7 bytes, colliding in their first byte): nothing panics, and an answer
// is always a consistent piece of a UID CLn.
func FuzzAnticollision(f *testing.F) {
	f.Add([]byte{SEL1, 0x20}, uint8(0))
	f.Add([]byte{SEL1, 0x21, 0x01}, uint8(1))
	f.Add([]byte{SEL1, 0x47, 0x88, 0x04, 0x11, 0x22, 0x00}, uint8(7))
	f.Add([]byte{SEL1, 0x70, 0x88, 0x04, 0x11, 0x22, 0xBF, 0x00, 0x00}, uint8(0))
	f.Add([]byte{SEL2, 0x20}, uint8(0))
	a := newPICC(f, `{"uid": "04112233"}`)
	b := newPICC(f, `{"uid": "04112233445566"}`)
	f.Fuzz(func(t *testing.T, frame []byte, lastBits uint8) {
		r := newRig(t, a, b)
		if _, err := r.tx(TypeA, []byte{REQA}, 7, false); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // the frame twice: from READY, then wherever it led
			rx, err := r.f.Transceive(Tx{Type: TypeA, Data: frame, LastBits: int(lastBits % 8)})
			if err != nil {
				continue
			}
			if len(rx.Data) > 5 && rx.Align != 0 || len(rx.Data) > 20 || rx.Align > 7 {
				t.Fatalf("% X: answer % X aligned at %d", frame, rx.Data, rx.Align)
			}
		}
	})
}

// FuzzProtocolFrames sends any frame (with a good CRC or not) to a card in
// the protocol state: nothing panics, and an answer is a valid block, a
// PPS answer, or nothing.
func FuzzProtocolFrames(f *testing.F) {
	for _, s := range [][]byte{{0x02, 0x00, 0x84, 0x00, 0x00, 0x08}, {0xB2}, {0xA3}, {0xC2}, {0xF2, 0x01}, {0xD0, 0x11, 0x0F}, {0x1A, 0x00, 0x00}} {
		f.Add(s, true)
	}
	p := newPICC(f, `{"uid": "01020304", "fsci": 4, "nad": true}`)
	f.Fuzz(func(t *testing.T, frame []byte, crc bool) {
		r := newRig(t, p)
		r.activateA(p, 0x01)
		for i := 0; i < 3; i++ {
			rx, err := r.tx(TypeA, frame, 0, crc)
			if err != nil {
				continue
			}
			body, ok := CheckCRC(TypeA, rx.Data)
			if !ok {
				t.Fatalf("% X: answer % X without a good CRC", frame, rx.Data)
			}
			if _, err := ParseBlock(body); err != nil && body[0]&0xF0 != PPSS {
				t.Fatalf("% X: answer % X is no block: %v", frame, body, err)
			}
		}
	})
}
