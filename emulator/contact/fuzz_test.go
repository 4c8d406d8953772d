package contact

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func FuzzT1Block(f *testing.F) {
	for _, sc := range t1Scenarios {
		for _, st := range sc.steps {
			f.Add(st.send, false)
		}
	}
	f.Add(AppendBlock(nil, 0, IPCB(1, true), h("0102"), true), true)
	f.Add(h("0000FF00"), false)
	f.Fuzz(func(t *testing.T, in []byte, crc bool) {
		b, err := ParseBlock(in, crc)
		if err != nil {
			if !errors.Is(err, ErrBlock) && !errors.Is(err, ErrEDC) {
				t.Fatalf("error %v wraps neither ErrBlock nor ErrEDC", err)
			}
			if BlockName(in, crc) == "" {
				t.Fatal("no name")
			}
			return
		}
		if len(b.INF) > MaxINF {
			t.Fatalf("INF of %d bytes", len(b.INF))
		}
		if k := b.Kind(); k != KindI && k != KindR && k != KindS {
			t.Fatalf("kind %d", k)
		}
		again := AppendBlock(nil, b.NAD, b.PCB, b.INF, crc)
		if !bytes.Equal(again, in) {
			t.Fatalf("re-encoding %X gives %X", in, again)
		}
		if b.Name() == "" {
			t.Fatal("no name")
		}
	})
}

func FuzzPPS(f *testing.F) {
	for _, s := range []string{"FF00FF", "FF119678", "FF719601026B", "FF", "FF1000"} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParsePPS(in)
		if err != nil {
			if !errors.Is(err, ErrPPS) {
				t.Fatalf("error %v does not wrap ErrPPS", err)
			}
			return
		}
		if again := p.Bytes(); !bytes.Equal(again, in) {
			t.Fatalf("re-encoding %X gives %X", in, again)
		}
	})
}

// frames cuts fuzz input into frames: each frame is a length byte (0 is
// taken as 1) and that many bytes.
func frames(in []byte) [][]byte {
	var out [][]byte
	for len(in) > 0 {
		n := max(int(in[0]), 1)
		in = in[1:]
		n = min(n, len(in))
		if n == 0 {
			break
		}
		out = append(out, in[:n])
		in = in[n:]
	}
	return out
}

// withLengths is the inverse of frames, for seeds.
func withLengths(fs ...[]byte) []byte {
	var out []byte
	for _, f := range fs {
		out = append(out, byte(len(f)))
		out = append(out, f...)
	}
	return out
}

// FuzzICC sends arbitrary frames to the card side, after an ATR offering
// T=0 and T=1: it never panics, and with no fault every T=1 block it sends
// is valid and within IFSD.
func FuzzICC(f *testing.F) {
	f.Add(withLengths(h(pck("FF01")), iB(0, false, noSSSE), rB(1, RErrNone), sB(SIFS, false, "04"), iB(1, false, selectSSSE+"00")))
	f.Add(withLengths(h("00A404000F"), h(selectSSSE[10:]), h("00C000001E")))
	f.Add(withLengths(h(pck("FF01")), sB(SResynch, false, ""), sB(SAbort, false, ""), iB(0, true, "00"), iB(1, false, "A4040000")))
	f.Add(withLengths(h("FF00FF"), h("0060000000"), h("00B2012C00"), h("00B2012C12")))
	card := newCard(f, `"protocols":[0,1],"ta1":"96","t1":{"ifsc":20}`)
	f.Fuzz(func(t *testing.T, in []byte) {
		icc, err := New(card, Config{Work: func([]byte, uint64) time.Duration { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := icc.Reset(true); err != nil {
			t.Fatal(err)
		}
		ifsd := 32
		for _, fr := range frames(in) {
			if err := icc.Send(fr); err != nil {
				t.Fatal(err)
			}
			if b, err := ParseBlock(fr, false); err == nil && b.Kind() == KindS && b.SFunc() == SIFS && !b.IsResponse() {
				ifsd = int(b.INF[0])
			}
			if b, err := ParseBlock(fr, false); err == nil && b.Kind() == KindS && b.SFunc() == SResynch && !b.IsResponse() {
				ifsd = 32
			}
			for {
				out, err := icc.Receive(time.Hour)
				if errors.Is(err, ErrTimeout) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(out) == 0 {
					t.Fatal("empty frame")
				}
				p := icc.Params()
				if p.Protocol == 1 && fr[0] != PPSS {
					b, err := ParseBlock(out, p.CRC)
					if err != nil {
						t.Fatalf("the card sent an invalid block %X: %v", out, err)
					}
					if b.Kind() == KindI && len(b.INF) > ifsd {
						t.Fatalf("the card sent %d bytes, IFSD %d", len(b.INF), ifsd)
					}
				}
			}
		}
	})
}
