package pcd

import (
	"errors"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/contactless"
)

// Options tune the reference PCD. The zero value is a plain reader: Type
// A then Type B, FSD 256, no CID, 106 kbit/s, two retransmissions.
type Options struct {
	// Type polls only Type A or only Type B; 0 polls A, then B.
	Type contactless.Type
	// FSDI is the reader's frame size code (0..12); 0 means 8 (256 bytes).
	FSDI int
	// UseCID sends CID (when the card supports it) with blocks.
	UseCID bool
	CID    byte
	// MaxRate is the highest bit rate to agree on with PPS or ATTRIB;
	// 0 stays at 106 kbit/s.
	MaxRate contactless.BitRate
	// Retries is how many times a block is sent again (R(NAK), R(ACK) or
	// the I-block itself) before the exchange fails; 0 means 2.
	Retries int
	// AFI selects Type B cards by application family (0: all).
	AFI byte
	// SlotsCode sets the REQB slots, N = 2^SlotsCode (0..4); 0 means a
	// single slot.
	SlotsCode int
	// Margin is added to every frame waiting time; 0 means 49152/fc
	// (about 3.6 ms).
	Margin time.Duration
	// NoFieldReset: Connect does not switch the field off and on first.
	NoFieldReset bool
}

// Times the reference PCD uses.
var (
	// fieldOffTime is how long a field reset keeps the field off, and
	// powerUpTime how long the reader waits after switching it on before
	// the first command (ISO/IEC 14443-3 §5: 5 ms).
	fieldOffTime = 6 * time.Millisecond
	powerUpTime  = 5 * time.Millisecond
	// shortTimeout is the listening window of the ISO/IEC 14443-3 Type
	// A commands, whose answer starts at a fixed FDT of about 91 µs.
	shortTimeout = time.Millisecond
)

// PCD is the reference reader. A PCD drives one card at a time; it is not
// safe for concurrent use.
type PCD struct {
	opt  Options
	air  contactless.Air
	act  *Activation
	typ  contactless.Type
	fsc  int           // the card's frame size
	fwt  time.Duration // the card's frame waiting time
	rate contactless.Rates
	cid  bool              // blocks carry a CID
	bn   byte              // the PCD block number
	last []byte            // the last I-block sent, with its CRC
	got  contactless.Block // the card's last block, read by transmit
	// txBuf holds the frame being sent: an Air reads it only during
	// Transceive.
	txBuf []byte
	// fieldOn: this reader switched the field on (and not off since).
	fieldOn bool
}

// New returns a reference PCD.
func New(opt Options) *PCD {
	if opt.FSDI <= 0 || opt.FSDI > 12 {
		opt.FSDI = 8
	}
	if opt.Retries <= 0 {
		opt.Retries = 2
	}
	if opt.Margin <= 0 {
		opt.Margin = contactless.Cycles(49152)
	}
	if !opt.MaxRate.Valid() {
		opt.MaxRate = contactless.Rate106
	}
	opt.SlotsCode = min(max(opt.SlotsCode, 0), 4)
	return &PCD{opt: opt}
}

// Connect implements Reader: a field reset (unless NoFieldReset), then
// polling and activation of the first card found.
func (r *PCD) Connect(air contactless.Air) (*Activation, error) {
	if air != r.air {
		r.fieldOn = false
	}
	r.air, r.act = air, nil
	r.reset()
	var errA, errB error
	if r.opt.Type != contactless.TypeB {
		if errA = r.activateA(nil); errA == nil {
			return r.act, nil
		}
	}
	if r.opt.Type != contactless.TypeA {
		if errB = r.activateB(nil); errB == nil {
			return r.act, nil
		}
	}
	switch {
	case errA != nil && !errors.Is(errA, ErrNoCard):
		return nil, errA
	case errB != nil && !errors.Is(errB, ErrNoCard):
		return nil, errB
	}
	return nil, ErrNoCard
}

// reset switches the field off (if this reader had it on) and on, and
// waits for the cards to power up.
func (r *PCD) reset() {
	if r.fieldOn && !r.opt.NoFieldReset {
		r.air.SetField(false)
		r.air.Wait(fieldOffTime)
	}
	r.air.SetField(true)
	r.fieldOn = true
	r.air.Wait(powerUpTime)
	r.rate = contactless.Rates{ToCard: contactless.Rate106, FromCard: contactless.Rate106}
}

// Activation returns the activation of the connected card, or nil.
func (r *PCD) Activation() *Activation { return r.act }

// Disconnect implements Reader: S(DESELECT), sent again once if not
// answered (§8, PCD rule 8), then the field off.
func (r *PCD) Disconnect() error {
	if r.air == nil {
		return nil
	}
	var err error
	if r.act != nil {
		err = ErrLink
		for range 2 {
			blk := contactless.Block{Type: contactless.SBlock, S: contactless.Deselect}
			rx, terr := r.txBlock(blk, r.fwt+r.opt.Margin)
			var got contactless.Block
			if r.parse(&rx, terr, &got) && got.Type == contactless.SBlock && got.S == contactless.Deselect {
				err = nil
				break
			}
		}
	}
	r.act = nil
	r.air.SetField(false)
	r.fieldOn = false
	if err != nil {
		return fmt.Errorf("deselecting: %w", err)
	}
	return nil
}

// send transmits data (with a CRC when crc) and listens.
func (r *PCD) send(data []byte, lastBits int, crc bool, timeout time.Duration) (contactless.Rx, error) {
	if crc {
		data = contactless.AppendCRC(r.typ, data)
	}
	return r.air.Transceive(contactless.Tx{Type: r.typ, Data: data, LastBits: lastBits, Rates: r.rate, Timeout: timeout})
}

// frame returns the body of a received frame with a correct CRC.
func (r *PCD) frame(rx contactless.Rx, err error) ([]byte, bool) { return r.frameOf(&rx, err) }

func (r *PCD) frameOf(rx *contactless.Rx, err error) ([]byte, bool) {
	if err != nil || rx.Collided || rx.Align != 0 || rx.LastBits != 0 {
		return nil, false
	}
	return contactless.CheckCRC(r.typ, rx.Data)
}
