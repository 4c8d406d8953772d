package contactless

import (
	"errors"
	"time"
)

// Tx is a frame a reader sends.
type Tx struct {
	// Type is the signalling: Type A cards do not hear Type B frames and
	// the other way round.
	Type Type
	// Data holds the frame's bytes as sent, the CRC included when the
	// frame has one (the reader computes it, as reader chips do).
	Data []byte
	// LastBits is the number of bits sent of the last byte, 1..7, for
	// short frames (REQA, WUPA: 7) and bit-oriented anticollision
	// frames; 0 sends it whole. The bits are the byte's low ones, sent
	// least significant first.
	LastBits int
	// Rates are the bit rates of the frame and of the answer; zero
	// values are 106 kbit/s. A card hears only the rates it has agreed
	// to (PPS, ATTRIB).
	Rates Rates
	// Timeout is how long the reader listens after the end of its frame
	// for the start of an answer; 0 listens for FWTActivation.
	Timeout time.Duration
}

// Rx is what a reader receives.
type Rx struct {
	// Data holds the bits received. Align is the bit of Data[0] the
	// first one went to (a card's answer to a bit-oriented anticollision
	// frame completes the reader's partial byte); the bits below it are
	// 0. LastBits is the number of bits received of the last byte (0:
	// whole).
	Data     []byte
	Align    int
	LastBits int
	// Collided says two cards sent different bits at the same time;
	// CollisionBit is the first such bit, counted from bit 0 of Data[0]
	// (so Align is included). The bits from it on are the cards' bits
	// superposed (ORed), not a frame of any one card.
	Collided     bool
	CollisionBit int
	// Start and Duration place the answer in model time.
	Start, Duration time.Duration
}

// Errors of Transceive.
var (
	// ErrTimeout: nothing started within the reader's listening window.
	ErrTimeout = errors.New("no answer within the listening window")
	// ErrFieldOff: the reader sent a frame with its field off.
	ErrFieldOff = errors.New("the RF field is off")
)

// Air is a reader's view of the RF field: everything a PCD does goes
// through it. Field implements it for cards in the model; a harness
// implements it to play the card side against a reader under test.
type Air interface {
	// SetField switches the reader's field on or off. Switching it off
	// powers every card down; switching it on powers them up, idle.
	SetField(on bool)
	// Wait lets model time pass with no frame (a guard time, the
	// field-off time of a reset).
	Wait(d time.Duration)
	// Transceive sends a frame and listens for an answer. It returns
	// ErrTimeout when nothing came within tx.Timeout, ErrFieldOff when
	// the field is off. A frame received with errors (a bad CRC, a
	// collision) is no error: checking it is the reader's job. Rx.Data
	// is valid until the next call (a reader copies what it keeps), and
	// tx.Data is not kept after the call.
	Transceive(tx Tx) (Rx, error)
	// Now returns the model time.
	Now() time.Duration
}

// Exchange is one frame of a reader as a field saw it, for checking what
// a reader did: when its frame started, how long it listened, what came.
type Exchange struct {
	Tx    Tx
	Start time.Duration // start of the reader's frame
	End   time.Duration // end of the reader's frame
	// Listen is how long the reader listened after End (Tx.Timeout, or
	// its default).
	Listen time.Duration
	// Rx is the answer heard, if Err is nil.
	Rx  Rx
	Err error
	// Unheard says a card answered after the reader stopped listening.
	Unheard bool
	// Faults names the faults injected in the cards' answer.
	Faults string
}

// Event is something a reader did besides sending a frame.
type Event struct {
	At time.Duration
	// Kind is "field on", "field off" or "wait".
	Kind     string
	Duration time.Duration // of a wait
}
