package contactless

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// Field is the RF field of one reader with the cards in it. It carries
// the reader's frames to every card, merges the cards' answers bit by bit
// (two cards sending different bits at once collide, as Manchester-coded
// Type A subcarriers do), and keeps model time: a frame takes the time its
// bits take at its bit rate, a card answers after its frame delay time or
// its processing time, a reader's timeout runs out. Nothing sleeps.
//
// Field implements Air. It is safe for concurrent use, though a field has
// one reader and its frames are serialised.
type Field struct {
	mu        sync.Mutex
	clock     link.Clock
	trace     *link.Trace
	record    bool
	on        bool
	cards     []*PICC
	lastEnd   time.Duration // end of the last card frame
	lastType  Type
	lastRate  BitRate
	live      []*answer
	exchanges []Exchange
	events    []Event
}

// FieldOption configures a Field.
type FieldOption func(*Field)

// WithTrace records every frame in t (interface contactless, model time,
// decoded notes, injected faults).
func WithTrace(t *link.Trace) FieldOption { return func(f *Field) { f.trace = t } }

// WithoutRecord stops the field from keeping its Exchanges and Events
// (for long runs and benchmarks).
func WithoutRecord() FieldOption { return func(f *Field) { f.record = false } }

// NewField returns a field, switched off, with no card in it.
func NewField(opts ...FieldOption) *Field {
	f := &Field{record: true}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Add brings a card into the field; it powers up if the field is on.
func (f *Field) Add(cards ...*PICC) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range cards {
		if slices.Contains(f.cards, p) {
			continue
		}
		f.cards = append(f.cards, p)
		p.notes = f.trace != nil
		if f.on {
			p.powerUp()
		}
	}
}

// Remove takes a card out of the field: it loses power.
func (f *Field) Remove(p *PICC) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := slices.Index(f.cards, p); i >= 0 {
		f.cards = slices.Delete(f.cards, i, i+1)
		p.powerDown()
	}
}

// Trace returns the field's trace (nil without WithTrace).
func (f *Field) Trace() *link.Trace { return f.trace }

// SetField implements Air.
func (f *Field) SetField(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on == f.on {
		return
	}
	f.on = on
	note := NoteFieldOff
	if on {
		note = NoteFieldOn
	}
	for _, p := range f.cards {
		if on {
			p.powerUp()
		} else {
			p.powerDown()
		}
	}
	now := f.clock.Now()
	f.addEvent(Event{At: now, Kind: note})
	if f.trace != nil {
		f.trace.Add(link.Frame{Interface: link.Contactless, Dir: link.ToCard, Start: now, Note: note})
	}
}

// Notes of the trace events a field records.
const (
	NoteFieldOn  = link.NoteFieldOn
	NoteFieldOff = link.NoteFieldOff
)

// Wait implements Air.
func (f *Field) Wait(d time.Duration) {
	if d <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addEvent(Event{At: f.clock.Now(), Kind: "wait", Duration: d})
	f.clock.Advance(d)
}

// Now implements Air.
func (f *Field) Now() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock.Now()
}

// Exchanges returns the reader's frames as the field saw them.
func (f *Field) Exchanges() []Exchange {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.exchanges)
}

// Events returns the field switching and the waits, in order.
func (f *Field) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *Field) addEvent(e Event) {
	if f.record {
		f.events = append(f.events, e)
	}
}

// Transceive implements Air.
func (f *Field) Transceive(tx Tx) (rx Rx, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on {
		return Rx{}, ErrFieldOff
	}
	if tx.Type != TypeB {
		tx.Type = TypeA
	}
	tx.Rates = Rates{tx.Rates.ToCard.or106(), tx.Rates.FromCard.or106()}
	start := f.clock.Now()
	if f.lastEnd > 0 {
		start = max(start, f.lastEnd+readerGap(f.lastType, f.lastRate))
	}
	end := start + FrameDuration(tx.Type, len(tx.Data), tx.LastBits, tx.Rates.ToCard, false)
	listen := tx.Timeout
	if listen <= 0 {
		listen = FWTActivation
	}
	var x *Exchange // recorded exchanges only
	if f.record {
		x = &Exchange{Tx: tx, Start: start, End: end, Listen: listen}
		x.Tx.Data = slices.Clone(tx.Data)
	}
	if f.trace != nil {
		f.trace.Add(link.Frame{Interface: link.Contactless, Dir: link.ToCard, Data: tx.Data, Bits: bitsOf(len(tx.Data), 0, tx.LastBits),
			Start: start, Duration: end - start, Note: Describe(tx.Type, tx.Data, tx.LastBits, true) + listenNote(listen)})
	}
	live := f.live[:0]
	var faults []string
	for _, p := range f.cards {
		a := p.hear(&tx, start, end)
		if a == nil {
			continue
		}
		faults = append(faults, a.faults...)
		if a.dropped {
			if f.trace != nil {
				f.trace.Add(link.Frame{Interface: link.Contactless, Dir: link.FromCard, Start: end,
					Note: "no answer (" + strings.TrimPrefix(a.note, "no answer: ") + ")", Fault: faultNote(a)})
			}
			continue
		}
		live = append(live, a)
	}
	f.live = live
	if faults != nil && x != nil {
		x.Faults = strings.Join(faults, ", ")
	}
	err = f.deliver(&rx, &tx, end, listen, live, x)
	if x != nil {
		x.Rx, x.Err = rx, err
		x.Rx.Data = slices.Clone(rx.Data)
		f.exchanges = append(f.exchanges, *x)
	}
	return rx, err
}

// deliver places the cards' answers in time, merges them into rx and
// decides whether the reader heard them.
func (f *Field) deliver(rx *Rx, tx *Tx, end, listen time.Duration, live []*answer, x *Exchange) error {
	if len(live) == 0 {
		f.clock.Advance(end + listen - f.clock.Now())
		if f.trace != nil {
			f.trace.Add(link.Frame{Interface: link.Contactless, Dir: link.FromCard, Start: end, Duration: listen, Note: "time-out: no answer"})
		}
		return ErrTimeout
	}
	delay := live[0].delay
	for _, a := range live[1:] {
		delay = min(delay, a.delay)
	}
	*rx = merge(live)
	rx.Start = end + delay
	for _, a := range live {
		rx.Duration = max(rx.Duration, FrameDuration(tx.Type, len(a.data), a.lastBits, a.rate, true))
	}
	f.lastEnd, f.lastType, f.lastRate = rx.Start+rx.Duration, tx.Type, live[0].rate
	heard := delay <= listen
	if f.trace != nil {
		f.traceAnswer(rx, live, heard)
	}
	if !heard {
		if x != nil {
			x.Unheard = true
		}
		f.clock.Advance(max(end+listen, f.lastEnd) - f.clock.Now())
		*rx = Rx{}
		return ErrTimeout
	}
	f.clock.Advance(f.lastEnd - f.clock.Now())
	return nil
}

// traceAnswer traces the cards' answer as the reader received it.
func (f *Field) traceAnswer(rx *Rx, live []*answer, heard bool) {
	note := live[0].note
	var fault []string
	for _, a := range live {
		if a.faults != nil {
			fault = append(fault, faultNote(a))
		}
	}
	if len(live) > 1 {
		note = fmt.Sprintf("%d cards", len(live))
		if rx.Collided {
			note += fmt.Sprintf(", collision at bit %d", rx.CollisionBit)
		}
	}
	if rx.Align != 0 {
		note += fmt.Sprintf(" (from bit %d)", rx.Align)
	}
	if !heard {
		note += " (after the reader stopped listening)"
	}
	f.trace.Add(link.Frame{Interface: link.Contactless, Dir: link.FromCard, Data: rx.Data, Bits: bitsOf(len(rx.Data), rx.Align, rx.LastBits),
		Start: rx.Start, Duration: rx.Duration, Note: note, Fault: strings.Join(fault, ", ")})
}

// bitsOf returns the length in bits of a frame that is not whole bytes,
// 0 for whole bytes.
func bitsOf(n, align, lastBits int) int {
	if n == 0 || align == 0 && (lastBits == 0 || lastBits == 8) {
		return 0
	}
	bits := 8*n - align
	if lastBits > 0 && lastBits < 8 {
		bits -= 8 - lastBits
	}
	return bits
}

func listenNote(d time.Duration) string {
	return fmt.Sprintf(" [listens %s]", d)
}

// merge superposes the answers of several cards: where they all send the
// same bit it is received; the first bit where they differ (or where one
// has ended and another not) is a collision, and from there the received
// bits are their OR.
func merge(as []*answer) Rx {
	if len(as) == 1 {
		a := as[0]
		return Rx{Data: a.data, Align: a.align, LastBits: a.lastBits}
	}
	type span struct{ from, to int }
	spans := make([]span, len(as))
	lo, hi := as[0].align, 0
	for i, a := range as {
		to := 8 * len(a.data)
		if a.lastBits > 0 && a.lastBits < 8 {
			to -= 8 - a.lastBits
		}
		spans[i] = span{a.align, to}
		lo, hi = min(lo, a.align), max(hi, to)
	}
	out := make([]byte, (hi+7)/8)
	rx := Rx{Align: lo, LastBits: hi % 8}
	for pos := lo; pos < hi; pos++ {
		var or, and byte = 0, 1
		present := 0
		for i, a := range as {
			if pos < spans[i].from || pos >= spans[i].to {
				and = 0
				continue
			}
			present++
			b := a.data[pos/8] >> (pos % 8) & 1
			or |= b
			and &= b
		}
		if !rx.Collided && (or != and || present != len(as)) {
			rx.Collided, rx.CollisionBit = true, pos
		}
		out[pos/8] |= or << (pos % 8)
	}
	rx.Data = out
	return rx
}
