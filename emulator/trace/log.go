package trace

import (
	"encoding/json"
	"io"
	"sync"
)

// DefaultLogSize is the number of events a Log made with NewLog(0) keeps.
const DefaultLogSize = 10000

// Log keeps the last events in memory, oldest first. It is safe for
// concurrent use; its Add method is a trace hook.
type Log struct {
	mu      sync.Mutex
	max     int
	events  []Event // ring buffer once full
	next    int     // position of the oldest event once full
	dropped uint64
}

// NewLog returns a log that keeps the last max events (DefaultLogSize when
// max <= 0).
func NewLog(max int) *Log {
	if max <= 0 {
		max = DefaultLogSize
	}
	return &Log{max: max}
}

// Add records a copy of e, dropping the oldest event when the log is full.
func (l *Log) Add(e Event) {
	e = e.Clone()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.events) < l.max {
		l.events = append(l.events, e)
		return
	}
	l.events[l.next] = e
	l.next = (l.next + 1) % l.max
	l.dropped++
}

// Events returns the recorded events, oldest first.
func (l *Log) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Event, 0, len(l.events))
	out = append(out, l.events[l.next:]...)
	return append(out, l.events[:l.next]...)
}

// Len returns the number of recorded events.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// Dropped returns how many events were dropped because the log was full.
func (l *Log) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// Clear forgets every event.
func (l *Log) Clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.events)
	l.events = l.events[:0]
	l.next = 0
	l.dropped = 0
}

// WriteText writes the events as text lines, one per event.
func WriteText(w io.Writer, events []Event) error {
	var b []byte
	for _, e := range events {
		b = e.AppendText(b)
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// WriteJSON writes the events as one JSON array, an event per line.
func WriteJSON(w io.Writer, events []Event) error {
	b := []byte{'['}
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		j, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b = append(b, j...)
	}
	if len(events) > 0 {
		b = append(b, '\n')
	}
	b = append(b, "]\n"...)
	_, err := w.Write(b)
	return err
}

// TextWriter appends each event as a text line to a writer. It is safe for
// concurrent use; its Add method is a trace hook. The first write error is
// kept and reported by Err; later events are dropped.
type TextWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	err error
}

// NewTextWriter returns a TextWriter writing to w.
func NewTextWriter(w io.Writer) *TextWriter { return &TextWriter{w: w} }

// Add writes e as one line.
func (t *TextWriter) Add(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	t.buf = e.AppendText(t.buf[:0])
	t.buf = append(t.buf, '\n')
	_, t.err = t.w.Write(t.buf)
}

// Err returns the first write error, if any.
func (t *TextWriter) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}
