package activation

import (
	"sync"
	"time"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/trace"
)

// Recorder records what passes between a terminal and the cards in its
// reader as trace events, the events "sscard emulate --trace" writes: the
// card in slot 0 and the PSAM in slot 1. It lets a terminal run in process
// (a Go test) be checked like one run against sscard emulate. It is safe
// for concurrent use.
type Recorder struct {
	// Now is the clock of the events (default time.Now): the register's
	// clock, so that the trace and the journal share one time line.
	Now func() time.Time

	mu     sync.Mutex
	events []trace.Event
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Recorder) add(e trace.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e.Clone())
}

// Events returns the events so far.
func (r *Recorder) Events() []trace.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trace.Event(nil), r.events...)
}

// Insert records a card put in a slot (its ATR, if known).
func (r *Recorder) Insert(slot int, atr []byte) {
	r.add(trace.Event{Time: r.now(), Slot: slot, Dir: trace.Note, Kind: trace.Insert, Data: atr})
}

// Remove records the card taken out of a slot.
func (r *Recorder) Remove(slot int) {
	r.add(trace.Event{Time: r.now(), Slot: slot, Dir: trace.Note, Kind: trace.Remove})
}

// Transport returns t with every exchange recorded on slot.
func (r *Recorder) Transport(slot int, t terminal.Transport) terminal.Transport {
	return terminal.TransportFunc(func(c []byte) ([]byte, error) {
		r.add(trace.Event{Time: r.now(), Slot: slot, Dir: trace.ToCard, Kind: trace.APDU, Data: c})
		out, err := t.Transmit(c)
		if err != nil {
			r.add(trace.Event{Time: r.now(), Slot: slot, Dir: trace.Note, Kind: trace.Error, Text: err.Error()})
			return out, err
		}
		r.add(trace.Event{Time: r.now(), Slot: slot, Dir: trace.FromCard, Kind: trace.Response, Data: out})
		return out, nil
	})
}
