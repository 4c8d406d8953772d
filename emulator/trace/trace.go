// Package trace records what passes between a reader and a card: command and
// response APDUs, control events (power on, power off, reset, ATR) and link
// events (connect, disconnect, insert, remove, errors), each with its time,
// slot and direction. An Event is written as one readable text line or as
// JSON; a Log keeps the last events in memory and a TextWriter appends lines
// to a file.
//
// A trace hook is a func(Event). The bytes of an Event handed to a hook are
// only valid during the call: a hook that keeps them copies them (Log does).
package trace

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dir is the direction of an event.
type Dir byte

// Directions, written as their character in text lines and JSON.
const (
	ToCard   Dir = '>' // from the reader to the card: command APDU, control
	FromCard Dir = '<' // from the card to the reader: response APDU, ATR
	Note     Dir = '*' // on the link: connect, disconnect, insert, remove, error
)

func (d Dir) valid() bool { return d == ToCard || d == FromCard || d == Note }

// Kind says what an event is.
type Kind uint8

// Event kinds.
const (
	APDU       Kind = iota + 1 // command APDU (ToCard)
	Response                   // response APDU (FromCard)
	PowerOn                    // cold reset (ToCard)
	PowerOff                   // power removed (ToCard)
	Reset                      // warm reset (ToCard)
	GetATR                     // the reader asks for the ATR (ToCard)
	ATR                        // the card's answer to reset (FromCard)
	Connect                    // the link to the reader is up; Text is the peer (Note)
	Disconnect                 // the link is down; Text says why (Note)
	Insert                     // a card was put in the slot; Data is its ATR (Note)
	Remove                     // the card was taken out of the slot (Note)
	Error                      // something failed; Text says what (Note)
)

var kindNames = [...]string{
	APDU:       "apdu",
	Response:   "resp",
	PowerOn:    "power-on",
	PowerOff:   "power-off",
	Reset:      "reset",
	GetATR:     "get-atr",
	ATR:        "atr",
	Connect:    "connect",
	Disconnect: "disconnect",
	Insert:     "insert",
	Remove:     "remove",
	Error:      "error",
}

// String returns the kind's name as written in traces ("apdu", "resp",
// "power-on"...).
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the kind named s, as written by String.
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if name != "" && name == s {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("unknown trace event kind %q", s)
}

// Event is one thing that happened on a slot.
type Event struct {
	Time time.Time
	Slot int
	Dir  Dir
	Kind Kind
	// Data holds the bytes exchanged: the APDU, the response, the ATR.
	Data []byte
	// Text is free text for link events: the peer address, an error.
	Text string
}

// timeLayout is the time format of text lines: RFC 3339 with microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// AppendText appends the event as one text line, without the newline:
//
//	2025-03-01T10:00:00.000123+08:00 slot 0 > apdu 00 A4 04 00 0F 73 78 ...
//	2025-03-01T10:00:00.000456+08:00 slot 0 < resp 61 2E
//	2025-03-01T10:00:00.000789+08:00 slot 1 * connect 127.0.0.1:35964
//	2025-03-01T10:00:00.000901+08:00 slot 0 * insert 3B 6D 00 ... | card default 0116...
//
// The text follows a "|" when the event has bytes or when the text would
// otherwise read as bytes; ParseLine reads every line back.
func (e Event) AppendText(b []byte) []byte {
	b = e.Time.AppendFormat(b, timeLayout)
	b = append(b, " slot "...)
	b = strconv.AppendInt(b, int64(e.Slot), 10)
	b = append(b, ' ', byte(e.Dir), ' ')
	b = append(b, e.Kind.String()...)
	for _, v := range e.Data {
		b = append(b, ' ', hexDigits[v>>4], hexDigits[v&0x0F])
	}
	if text := strings.TrimSpace(strings.NewReplacer("\n", " ", "\r", " ").Replace(e.Text)); text != "" {
		if needsMark(e.Data, text) {
			b = append(b, " "+textMark...)
		}
		b = append(b, ' ')
		b = append(b, text...)
	}
	return b
}

const hexDigits = "0123456789ABCDEF"

// String returns the event as a text line.
func (e Event) String() string { return string(e.AppendText(nil)) }

// jsonEvent is the JSON form of an Event.
type jsonEvent struct {
	Time time.Time `json:"time"`
	Slot int       `json:"slot"`
	Dir  string    `json:"dir"`
	Kind string    `json:"kind"`
	Data string    `json:"data,omitempty"`
	Text string    `json:"text,omitempty"`
}

// MarshalJSON writes the event as
//
//	{"time":"...","slot":0,"dir":">","kind":"apdu","data":"00A40400..."}
//
// with the bytes in upper-case hex.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonEvent{
		Time: e.Time,
		Slot: e.Slot,
		Dir:  string(rune(e.Dir)),
		Kind: e.Kind.String(),
		Data: strings.ToUpper(hex.EncodeToString(e.Data)),
		Text: e.Text,
	})
}

// MaxSlot is the highest slot number a trace carries.
const MaxSlot = 255

// UnmarshalJSON reads the form written by MarshalJSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j jsonEvent
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decoding trace event: %w", err)
	}
	if len(j.Dir) != 1 || !Dir(j.Dir[0]).valid() {
		return fmt.Errorf("decoding trace event: direction %q is not >, < or *", j.Dir)
	}
	k, err := ParseKind(j.Kind)
	if err != nil {
		return fmt.Errorf("decoding trace event: %w", err)
	}
	if j.Slot < 0 || j.Slot > MaxSlot {
		return fmt.Errorf("decoding trace event: slot %d", j.Slot)
	}
	if y := j.Time.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("decoding trace event: time %v out of range", j.Time)
	}
	data, err := hex.DecodeString(j.Data)
	if err != nil {
		return fmt.Errorf("decoding trace event: data: %w", err)
	}
	if len(data) == 0 {
		data = nil
	}
	*e = Event{Time: j.Time, Slot: j.Slot, Dir: Dir(j.Dir[0]), Kind: k, Data: data, Text: j.Text}
	return nil
}

// Clone returns a copy of e that owns its bytes.
func (e Event) Clone() Event {
	if e.Data != nil {
		e.Data = append([]byte(nil), e.Data...)
	}
	return e
}

// Tee returns a hook that passes every event to each non-nil hook in turn,
// or nil when there is none.
func Tee(hooks ...func(Event)) func(Event) {
	var hs []func(Event)
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	switch len(hs) {
	case 0:
		return nil
	case 1:
		return hs[0]
	}
	return func(e Event) {
		for _, h := range hs {
			h(e)
		}
	}
}
