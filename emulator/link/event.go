package link

import "time"

// Event returns a frame without data: something that happens on the link
// that is not bytes, such as a reset, a deactivation or a reader's time-out.
// Its Note says what happened; for a time-out, Start is when the wait began
// and Duration how long the reader waited.
func Event(iface Interface, dir Direction, start, d time.Duration, note string) Frame {
	return Frame{Interface: iface, Dir: dir, Start: start, Duration: d, Note: note}
}

// IsEvent reports whether f is an event (see Event) rather than a frame
// that was on the wire or in the air: it has neither bytes nor bits.
func (f Frame) IsEvent() bool { return len(f.Data) == 0 && f.Bits == 0 }

// End is the model time at which the frame (or event) ends.
func (f Frame) End() time.Duration { return f.Start + f.Duration }
