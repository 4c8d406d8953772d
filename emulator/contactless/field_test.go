package contactless

import (
	"errors"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/link"
)

// Every frame is in the trace with its start and its duration in model
// time: the reader's frames at their bit rate, the card's after its frame
// delay time; the reader's listening time in the exchanges.
func TestTraceTiming(t *testing.T) {
	p := newPICC(t, `{"uid": "01020304"}`)
	r := newRig(t, p)
	r.activateA(p, 0x80)
	frames := r.trace.Frames
	var last link.Frame
	for i, f := range frames {
		if f.IsEvent() {
			continue
		}
		want := FrameDuration(TypeA, len(f.Data), f.Bits%8, Rate106, f.Dir == link.FromCard)
		if f.Duration != want {
			t.Errorf("frame %d (% X): lasts %v, want %v", i, f.Data, f.Duration, want)
		}
		if last.Dir == link.ToCard && f.Dir == link.FromCard {
			if gap := f.Start - last.End(); gap != Cycles(fdtA1) && gap != Cycles(fdtA0) {
				t.Errorf("frame %d: the card answered %v after the reader, not at the FDT", i, gap)
			}
		}
		if last.Dir == link.FromCard && f.Dir == link.ToCard && f.Start-last.End() < Cycles(gapA) {
			t.Errorf("frame %d: the reader sent %v after the card", i, f.Start-last.End())
		}
		if f.Start < last.End() {
			t.Errorf("frame %d overlaps the one before", i)
		}
		last = f
	}
	ex := r.f.Exchanges()
	if len(ex) != 4 || ex[0].Listen != MaxFWT || ex[0].End-ex[0].Start != FrameDuration(TypeA, 1, 7, Rate106, false) {
		t.Errorf("exchanges %+v", ex)
	}
	// A time-out costs the listening time, and says so in the trace.
	before := r.f.Now()
	if _, err := r.f.Transceive(Tx{Data: AppendCRC(TypeA, []byte{0x50, 0x01}), Timeout: time.Millisecond}); !errors.Is(err, ErrTimeout) {
		t.Fatal(err)
	}
	if took := r.f.Now() - before; took < time.Millisecond || took > 2*time.Millisecond {
		t.Errorf("a time-out of 1 ms took %v of model time", took)
	}
	if f := r.trace.Frames[len(r.trace.Frames)-1]; !f.IsEvent() || f.Duration != time.Millisecond {
		t.Errorf("time-out event %+v", f)
	}
	// Waits advance the clock and are recorded.
	before = r.f.Now()
	r.f.Wait(3 * time.Millisecond)
	if r.f.Now()-before != 3*time.Millisecond {
		t.Error("wait")
	}
	ev := r.f.Events()
	if ev[len(ev)-1].Kind != "wait" || ev[0].Kind != NoteFieldOn {
		t.Errorf("events %+v", ev)
	}
}

// A card that answers after the reader stopped listening: the reader gets
// a time-out, the trace shows the answer, the clock passes its end.
func TestUnheardAnswer(t *testing.T) {
	slow := func(_, _ []byte, _ uint64) time.Duration { return 2 * time.Millisecond }
	p := newPICC(t, `{"uid": "01020304"}`, WithProcessingTime(slow))
	r := newRig(t, p)
	r.activateA(p, 0x80)
	_, err := r.f.Transceive(Tx{Data: AppendCRC(TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08})), Timeout: time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("%v", err)
	}
	ex := r.f.Exchanges()
	if !ex[len(ex)-1].Unheard {
		t.Error("the exchange does not say the answer went unheard")
	}
	f := r.trace.Frames[len(r.trace.Frames)-1]
	if f.Dir != link.FromCard || len(f.Data) == 0 || r.f.Now() < f.End() {
		t.Errorf("last frame %+v, now %v", f, r.f.Now())
	}
	// R(NAK): the card sends the same answer again, heard this time.
	mustBlock(t, r, TypeA, []byte{0xB2}, "")
}

// Two cards with the same UID: selected together, they answer together;
// where their answers differ (their challenges) they collide. Nothing
// panics.
func TestTwinCards(t *testing.T) {
	a := newPICC(t, `{"uid": "01020304"}`)
	card, err := emulator.Open("activated", emulator.WithSeed(99)) // other challenges
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(card, WithUID([]byte{1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, a, b)
	r.want(TypeA, []byte{WUPA}, 7, false, a.pr.atqaBytes())
	cl := CascadeLevels([]byte{1, 2, 3, 4})[0]
	r.want(TypeA, []byte{SEL1, 0x20}, 0, false, cl[:])
	r.want(TypeA, append([]byte{SEL1, 0x70}, cl[:]...), 0, true, []byte{0x20})
	r.tx(TypeA, []byte{RATS, 0x80}, 0, true)
	rx, err := r.tx(TypeA, iblk(0, false, []byte{0x00, 0x84, 0x00, 0x00, 0x08}), 0, true)
	if err != nil || !rx.Collided {
		t.Errorf("two different challenges at once: %v, collided %v", err, rx.Collided)
	}
}
