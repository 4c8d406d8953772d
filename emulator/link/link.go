// Package link holds what the contact (ISO/IEC 7816-3) and contactless
// (ISO/IEC 14443) link layers share: the frames they trace, with the
// interface, direction and model time of each; the model clock, which
// advances by the computed duration of frames and waiting times and never
// sleeps; and the seeded, reproducible fault injection that breaks frames
// the way readers meet them in the field.
package link

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Interface is a door of the card.
type Interface uint8

// Interfaces. Any is used for faults that apply to both.
const (
	Any Interface = iota
	Contact
	Contactless
)

func (i Interface) String() string {
	switch i {
	case Contact:
		return "contact"
	case Contactless:
		return "contactless"
	}
	return "any"
}

// Direction of a frame.
type Direction uint8

// Directions.
const (
	ToCard   Direction = iota + 1 // IFD → ICC, PCD → PICC
	FromCard                      // ICC → IFD, PICC → PCD
)

func (d Direction) String() string {
	if d == ToCard {
		return "to card"
	}
	return "from card"
}

// Frame is one frame on the wire or in the air, as traced.
type Frame struct {
	Interface Interface
	Dir       Direction
	// Data holds the frame's bytes as sent, EDC/CRC included.
	Data []byte
	// Bits is the length of a short frame in bits (REQA, WUPA: 7); 0 means
	// whole bytes.
	Bits int
	// Start is the model time at which the frame starts, Duration its
	// length on the wire or in the air.
	Start, Duration time.Duration
	// Note is a decoded summary, e.g. "I(0) 00 A4 04 00 ..." or "REQA".
	Note string
	// Fault names the injected fault that changed this frame, if any.
	Fault string
}

// Trace is the record of a link's frames.
type Trace struct {
	Frames []Frame
}

// Add appends a frame (copying its data).
func (t *Trace) Add(f Frame) {
	f.Data = append([]byte(nil), f.Data...)
	t.Frames = append(t.Frames, f)
}

// WriteText writes one line per frame: model time, interface, direction,
// bytes, note and fault.
func (t *Trace) WriteText(w io.Writer) error {
	for _, f := range t.Frames {
		arrow := ">"
		if f.Dir == FromCard {
			arrow = "<"
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%12.3fµs %-11s %s %X", float64(f.Start)/float64(time.Microsecond), f.Interface, arrow, f.Data)
		if f.Bits != 0 {
			fmt.Fprintf(&sb, " (%d bits)", f.Bits)
		}
		if f.Note != "" {
			fmt.Fprintf(&sb, "  %s", f.Note)
		}
		if f.Fault != "" {
			fmt.Fprintf(&sb, "  [fault: %s]", f.Fault)
		}
		sb.WriteByte('\n')
		if _, err := io.WriteString(w, sb.String()); err != nil {
			return err
		}
	}
	return nil
}

// Clock is model time: it advances by what the link computes (frame
// durations, guard and waiting times) and never sleeps.
type Clock struct {
	now time.Duration
}

// Now returns the model time.
func (c *Clock) Now() time.Duration { return c.now }

// Advance moves the clock forward by d (negative d is ignored).
func (c *Clock) Advance(d time.Duration) {
	if d > 0 {
		c.now += d
	}
}
