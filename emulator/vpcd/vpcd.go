// Package vpcd is the card side of the protocol of vsmartcard's virtual
// reader driver, vpcd: with it an emulated card appears in pcscd as the card
// in the reader "Virtual PCD 00 0n", and every PC/SC program (pcsc_scan,
// opensc-tool, scriptor, a terminal's own software) talks to it.
//
// # Protocol
//
// vpcd, loaded by pcscd, listens on TCP port 35963 for slot 0 and 35964 for
// slot 1 (the port in /etc/reader.conf.d/vpcd, plus the slot number). The
// card connects; a connection is a card in the reader, closing it takes the
// card out. Every message in both directions is a frame: a two-byte
// big-endian length and that many bytes. The reader drives the exchange in
// lock-step, one frame at a time:
//
//   - a one-byte frame 00 powers the card off, 01 powers it on, 02 resets
//     it; none of them is answered;
//   - a one-byte frame 04 asks for the ATR, answered with the ATR (vpcd also
//     sends it every few hundred milliseconds to see whether the card is
//     still there);
//   - any other frame is a command APDU, answered with the response APDU.
//
// In reversed mode (a DEVICENAME of "host:port" in reader.conf instead of
// "/dev/null:port") vpcd connects to the card instead: the card listens on
// port+slot and serves each connection the same way ([Slot.Serve]).
//
// # Slot
//
// A [Slot] holds one card and keeps it connected: [Slot.Dial] connects to
// vpcd and reconnects with a jittered backoff (50 ms doubling to 2 s, reset
// after each successful connection) whenever pcscd, vpcd or the link goes
// away, until its context is cancelled. The card and its state outlive
// every connection. [Slot.Insert] and [Slot.Remove] swap the card while the
// slot runs: removing closes the connection, so pcscd sees the card taken
// out; inserting connects again. A peer that breaks the protocol (a zero
// length, a frame it never completes, a connection closed in the middle of a
// frame) gets the connection closed with an error naming what was wrong; the
// card is left as it was.
//
// On Linux each read is followed by TCP_QUICKACK: vpcd may send a frame's
// length and payload in two segments with Nagle's algorithm on, and a card
// that delays its acknowledgement would wait ~40 ms for the payload on every
// command.
package vpcd

import (
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

// DefaultPort is vpcd's port for slot 0; slot n is DefaultPort+n.
const DefaultPort = 35963

// Control bytes: the one-byte frames vpcd sends.
const (
	CtrlPowerOff byte = 0x00 // power the card off; no answer
	CtrlPowerOn  byte = 0x01 // power the card on (cold reset); no answer
	CtrlReset    byte = 0x02 // warm reset; no answer
	CtrlGetATR   byte = 0x04 // answered with the ATR
)

// Card is what a slot needs of a card. *emulator.Card implements it.
type Card interface {
	// ATR returns the card's answer to reset.
	ATR() []byte
	// PowerOn powers the card (cold reset).
	PowerOn() []byte
	// PowerOff removes power.
	PowerOff()
	// Reset is a warm reset.
	Reset() []byte
	// TransmitAppend runs a command APDU and appends the response APDU to
	// dst. An error means the card gave no answer (it lost power).
	TransmitAppend(dst, capdu []byte) ([]byte, error)
}

// Describer is a Card that says what it is: its description is the text
// of the insert event in the trace (e.g. "id=<card identifier> profile=default").
type Describer interface {
	Describe() string
}

// Options configure a slot. The zero value is usable.
type Options struct {
	// Slot is the slot number written in trace events.
	Slot int
	// Trace, if not nil, is called with every event of the slot: frames in
	// both directions, control events and link events. It is called from
	// the slot's goroutines, one event at a time, and must not block for
	// long: the reader waits. The event's bytes are only valid during the
	// call.
	Trace func(trace.Event)
	// TracePolls also traces the ATR requests vpcd sends to poll for the
	// card's presence (a few a second); by default only those that follow
	// a power-on or reset are traced.
	TracePolls bool
	// MinBackoff and MaxBackoff bound the wait between connection attempts
	// (default 50 ms and 2 s); each failed attempt doubles it, each
	// successful connection resets it, and the wait is jittered down to half.
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds one connection attempt (default 2 s).
	DialTimeout time.Duration
	// FrameTimeout is how long a frame may take to arrive once its first
	// byte has (default 5 s). Between frames the slot waits for ever.
	FrameTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 50 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 5 * time.Second
	}
	return o
}
