package contact

import (
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// T=0, card side (ISO/IEC 7816-3 §10): the reader sends a five-byte
// command header CLA INS P1 P2 P3; the card answers with procedure bytes:
// ACK (INS: send or receive all the remaining data; INS xor FF: one byte),
// NULL (60: more time), or the status bytes SW1 SW2. P3 is Lc or Le, which
// the card knows from the command (Config.Outgoing). The card OS itself
// answers 61xx to a command with data it did not ask for, and the reader
// fetches it with GET RESPONSE; a Le the card cannot satisfy exactly gets
// 6Cxx, xx being the right length, and the card keeps its response for the
// same command sent again (ISO/IEC 7816-3 §12.2.3): with P3 = xx it gets
// the response, with another P3 6Cxx again, so that nothing is executed
// twice.

// t0State is the T=0 state of the card.
type t0State struct {
	hdr  [5]byte
	nhdr int
	// need is the number of command data bytes still to come after an ACK.
	need    int
	data    []byte
	byteAck bool // this command's data is acknowledged byte by byte (INS xor FF)
	// kept is the response kept after a 6Cxx for the same command with P3
	// = keptNa.
	kept    []byte
	keptHdr [4]byte
	keptNa  int
}

const t0Null = 0x60

var nullFrame = []byte{t0Null}

// describe names a frame of the reader for traces.
func (s *t0State) describe(frame []byte) string {
	switch {
	case s.need > 0:
		return "command data"
	case len(frame) == 5 && s.nhdr == 0:
		return "command header"
	}
	return "T=0 bytes"
}

func (c *ICC) t0Handle(frame []byte) {
	s := &c.t0
	if s.need > 0 {
		n := min(s.need, len(frame))
		if s.byteAck && len(frame) > 1 {
			c.violate("the reader sent %d data bytes after the one-byte procedure byte %02X", len(frame), ^s.hdr[1])
		}
		if n < len(frame) {
			c.violate("the reader sent %d bytes more than P3 announced", len(frame)-n)
		}
		s.data = append(s.data, frame[:n]...)
		s.need -= n
		if s.need > 0 {
			if s.byteAck {
				c.t0Ack(c.frameFaults())
			} else {
				c.owe = 0 // waiting for the rest of the data
			}
			return
		}
		c.t0Incoming()
		return
	}
	n := min(5-s.nhdr, len(frame))
	copy(s.hdr[s.nhdr:], frame[:n])
	s.nhdr += n
	if n < len(frame) {
		c.violate("the reader sent %d bytes after the command header without waiting for a procedure byte", len(frame)-n)
	}
	if s.nhdr < 5 {
		c.owe = 0
		return
	}
	s.nhdr = 0
	c.t0Header()
}

// t0Header handles a complete command header.
func (c *ICC) t0Header() {
	s := &c.t0
	h := s.hdr
	fs := c.frameFaults()
	if ins := h[1] & 0xF0; ins == 0x60 || ins == 0x90 {
		s.kept = s.kept[:0]
		c.t0Answer(0, fs, swFrame(0x6D, 0x00))
		return
	}
	if c.cfg.Outgoing(h[0], h[1], h[2], h[3]) {
		le := int(h[4])
		if le == 0 {
			le = 256
		}
		if len(s.kept) > 0 && [4]byte(h[:4]) == s.keptHdr {
			// The command again: with the right length the kept response,
			// with another the right length again.
			if le != s.keptNa {
				c.t0Answer(0, fs, swFrame(0x6C, byte(s.keptNa)))
				return
			}
			resp := append(c.resp[:0], s.kept...)
			s.kept = s.kept[:0]
			c.t0Outgoing(resp, le, 0, fs)
			return
		}
		s.kept = s.kept[:0]
		c.apdu = append(c.apdu[:0], h[:]...)
		resp, work, ok := c.run(c.apdu, fs)
		if !ok {
			return
		}
		c.t0Outgoing(resp, le, work, fs)
		return
	}
	s.kept = s.kept[:0]
	if h[4] == 0 {
		c.apdu = append(c.apdu[:0], h[:4]...)
		resp, work, ok := c.run(c.apdu, fs)
		if !ok {
			return
		}
		c.t0Answer(work, fs, swOf(resp))
		return
	}
	s.need = int(h[4])
	s.data = s.data[:0]
	s.byteAck = false
	c.t0Ack(fs)
}

// t0Ack sends the procedure byte that asks for the command data: INS for
// all of it, INS xor FF for one byte (with a TinyFrameSize fault, for the
// rest of the command).
func (c *ICC) t0Ack(fs []link.Fault) {
	s := &c.t0
	if hasFault(fs, link.TinyFrameSize) {
		s.byteAck = true
	}
	ack, note := s.hdr[1], "ACK"
	if s.byteAck {
		ack, note = ^s.hdr[1], "ACK one byte"
	}
	c.t0Send(c.lastLead, []byte{ack}, note, 0, fs)
	c.owe = 0
}

// t0Incoming runs a command once its data has come.
func (c *ICC) t0Incoming() {
	s := &c.t0
	fs := c.frameFaults()
	c.apdu = append(append(c.apdu[:0], s.hdr[:]...), s.data...)
	resp, work, ok := c.run(c.apdu, fs)
	if !ok {
		return
	}
	c.t0Answer(work, fs, swOf(resp))
}

// t0Outgoing answers a command that sends data (P3 = Le).
func (c *ICC) t0Outgoing(resp []byte, le int, work time.Duration, fs []link.Fault) {
	s := &c.t0
	na := len(resp) - 2
	switch {
	case na <= 0:
		c.t0Answer(work, fs, swOf(resp))
	case hasFault(fs, link.Wrong6Cxx):
		f, _ := link.Has(fs, link.Wrong6Cxx)
		c.keep(resp, na)
		c.t0Answer(work, fs, swFrame(0x6C, wrongCount(byte(na), f.Arg)))
	case na != le:
		c.keep(resp, na)
		c.t0Answer(work, fs, swFrame(0x6C, byte(na)))
	default:
		sw := swOf(resp)
		c.t0Answer(work, fs,
			t0Frame{data: []byte{s.hdr[1]}, note: "ACK"},
			t0Frame{data: resp[:na], note: "response data"},
			sw)
	}
}

// keep stores a response for the command sent again with P3 = na.
func (c *ICC) keep(resp []byte, na int) {
	s := &c.t0
	s.kept = append(s.kept[:0], resp...)
	s.keptHdr = [4]byte(s.hdr[:4])
	s.keptNa = na
}

// t0Frame is one frame of a T=0 answer.
type t0Frame struct {
	data []byte
	note string
	sw   bool // the status bytes: the note is "SW XXXX", written when traced
}

// noteOf returns the frame's note for the trace.
func (f t0Frame) noteOf() string {
	if f.sw && len(f.data) == 2 {
		return "SW " + hexByte(f.data[0]) + hexByte(f.data[1])
	}
	return f.note
}

func swFrame(sw1, sw2 byte) t0Frame {
	return t0Frame{data: []byte{sw1, sw2}, sw: true}
}

// swOf is the status word frame of a response (its data, if any, cannot
// be sent in T=0 and is dropped).
func swOf(resp []byte) t0Frame {
	n := len(resp)
	return swFrame(resp[n-2], resp[n-1])
}

// t0Answer sends the card's answer after work: NULL bytes while the card
// computes, each within the waiting time of the previous character, then
// the frames. fs are the faults of the first frame; each later frame
// draws its own.
func (c *ICC) t0Answer(work time.Duration, fs []link.Fault, frames ...t0Frame) {
	wt := c.wt()
	t := c.lastLead
	ready := t + max(work, c.guard())
	gap := wt * time.Duration(c.nullPercent) / 100
	first := true
	faults := func() []link.Fault {
		if first {
			first = false
			return fs
		}
		return c.frameFaults()
	}
	for t+gap < ready {
		f, ok := c.t0Send(t+gap, nullFrame, "NULL", wt, faults())
		if !ok {
			return
		}
		t = f.start
	}
	for i, fr := range frames {
		owe := wt
		if i == len(frames)-1 {
			owe = 0
		}
		note := ""
		if c.cfg.Trace != nil {
			note = fr.noteOf()
		}
		if _, ok := c.t0Send(ready, fr.data, note, owe, faults()); !ok {
			return
		}
	}
}

// t0Send queues a T=0 frame of the card with the link faults fs: a power
// loss or a dropped frame silences the card for the rest of the exchange,
// a truncated frame too after its first bytes; an EDC fault is a parity
// error the character protocol repairs (the character is repeated, ISO/IEC
// 7816-3 §7.3); an unsolicited WTX is an extra NULL byte before a
// procedure byte. It returns the frame and false if the card went silent.
func (c *ICC) t0Send(at time.Duration, data []byte, note string, owe time.Duration, fs []link.Fault) (outFrame, bool) {
	if c.silent || c.mute {
		return outFrame{}, false
	}
	if f, ok := link.Has(fs, link.PowerLoss); ok {
		c.loseCardPower(at, f)
		return outFrame{}, false
	}
	if f, ok := link.Has(fs, link.Drop); ok {
		c.emit(at, nil, "the card did not send: "+note, f.String(), 0)
		c.silent = true
		return outFrame{}, false
	}
	if f, ok := link.Has(fs, link.UnsolicitedWTX); ok && note != "response data" {
		c.emitFrame(at, nullFrame, "NULL", f.String(), c.wt(), 0)
	}
	fault := ""
	var extra time.Duration
	if f, ok := link.Has(fs, link.CorruptEDC); ok {
		extra = c.charDur(false)
		fault = f.String() + " (parity error, character repeated)"
	}
	if f, ok := link.Has(fs, link.Truncate); ok {
		data = data[:cutLen(len(data), f.Arg)]
		c.silent = true
		if len(data) == 0 {
			c.emit(at, nil, "the card did not send: "+note, f.String(), 0)
			return outFrame{}, false
		}
		return c.emitFrame(at, c.stash(data), note+" (cut short)", f.String(), c.wt(), extra), false
	}
	if fault == "" {
		if f, ok := link.Has(fs, link.TinyFrameSize); ok && note == "ACK one byte" {
			fault = f.String()
		}
	}
	return c.emitFrame(at, c.stash(data), note, fault, owe, extra), true
}
