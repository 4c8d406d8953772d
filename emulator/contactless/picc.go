package contactless

import (
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/link"
)

// state is a PICC's ISO/IEC 14443-3 state (§6.3 for Type A, §7.4 for
// Type B), plus the protocol state of ISO/IEC 14443-4.
type state uint8

const (
	stOff            state = iota // no power
	stIdle                        // powered, waiting for REQA/WUPA or REQB/WUPB
	stReady                       // A: READY (anticollision); B: READY-DECLARED (ATQB sent)
	stReadyRequested              // B: waiting for the slot marker of its slot
	stActive                      // A: selected, waiting for RATS
	stProtocol                    // ISO/IEC 14443-4 block protocol
	stHalt                        // halted: answers only WUPA/WUPB
)

var stateNames = [...]string{"POWER-OFF", "IDLE", "READY", "READY-REQUESTED", "ACTIVE", "PROTOCOL", "HALT"}

func (s state) String() string { return stateNames[s] }

// PICC is the contactless door of a card: an ISO/IEC 14443 Type A or B
// card with the ISO/IEC 14443-4 block protocol in front of an
// emulator.Card. A PICC lives in one Field at a time. It is not safe for
// concurrent use: its field serialises the frames it hears, and its
// methods belong to the goroutine that drives the field. (The card
// behind it is safe for concurrent use: the contact door may drive it
// meanwhile.)
type PICC struct {
	card *emulator.Card
	pr   params
	rng  *rand.Rand
	inj  *link.Injector
	proc ProcessingTime

	st     state
	halted bool // came through HALT: the READY*/ACTIVE* states of Type A
	level  int  // Type A cascade level, from 0
	cl     [][5]byte
	uid    []byte
	pupi   [4]byte
	slot   int // Type B slot chosen
	// extATQB: the reader asked for the extended ATQB; announcedFSCI is
	// the FSCI the ATQB gave.
	extATQB       bool
	announcedFSCI int
	rates         Rates
	// readyAt is the end of the start-up frame guard time: the card
	// hears no frame that starts before it.
	readyAt time.Duration
	l4      *layer4
	// notes: build the decoded notes of frames (only a traced field
	// reads them).
	notes bool
	// ans and buf hold the card's last answer: the field reads it before
	// the card hears the next frame, so one of each is enough.
	ans answer
	buf []byte
}

// ProcessingTime returns how long the chip works on a command: from the
// end of its last block to the moment the answer is ready. writes is the
// number of NVM writes the command made.
type ProcessingTime func(capdu, rapdu []byte, writes uint64) time.Duration

// DefaultProcessingTime is the model's processing time: BaseProcessing
// plus WriteProcessing per NVM write [model; profile: timing].
func DefaultProcessingTime(_, _ []byte, writes uint64) time.Duration {
	return BaseProcessing + time.Duration(writes)*WriteProcessing
}

// Option configures a PICC.
type Option func(*piccConfig)

type piccConfig struct {
	seed    *uint64
	typ     Type
	inj     *link.Injector
	proc    ProcessingTime
	uid     []byte
	tweakPr func(*params)
}

// WithSeed makes the PICC's random choices (random UID or PUPI, Type B
// slots) a fixed-seed sequence, for tests and reproducible traces.
func WithSeed(seed uint64) Option { return func(c *piccConfig) { c.seed = &seed } }

// WithType overrides the profile's Type A or B.
func WithType(t Type) Option { return func(c *piccConfig) { c.typ = t } }

// WithFaults injects the faults of in (those scoped contactless or any)
// into the card's frames.
func WithFaults(in *link.Injector) Option { return func(c *piccConfig) { c.inj = in } }

// WithProcessingTime replaces the processing-time model.
func WithProcessingTime(f ProcessingTime) Option { return func(c *piccConfig) { c.proc = f } }

// WithUID fixes the Type A UID (4, 7 or 10 bytes) or, with 4 bytes, the
// Type B PUPI, overriding the profile.
func WithUID(uid []byte) Option {
	return func(c *piccConfig) { c.uid = append([]byte(nil), uid...) }
}

// WithLink overrides link parameters of the profile: fsci, fwi, sfgi
// (-1 keeps the profile's) and the supported bit rates (nil keeps them).
func WithLink(fsci, fwi, sfgi int, rates []BitRate) Option {
	return func(c *piccConfig) {
		prev := c.tweakPr
		c.tweakPr = func(pr *params) {
			if prev != nil {
				prev(pr)
			}
			for _, x := range []struct {
				v, max int
				dst    *int
			}{{fsci, 12, &pr.fsci}, {fwi, 14, &pr.fwi}, {sfgi, 14, &pr.sfgi}} {
				if x.v >= 0 && x.v <= x.max {
					*x.dst = x.v
				}
			}
			if rates != nil {
				pr.rates = []BitRate{Rate106}
				for _, r := range rates {
					if r != Rate106 && r.Valid() {
						pr.rates = append(pr.rates, r)
					}
				}
			}
		}
	}
}

// ErrNoContactless is returned by New for a card whose profile has no
// contactless door (a 2.00 card, say).
var ErrNoContactless = errors.New("the card has no contactless interface")

// New returns the contactless door of card, out of any field (unpowered).
func New(card *emulator.Card, opts ...Option) (*PICC, error) {
	p := card.Profile()
	if !p.Interfaces.Contactless {
		return nil, fmt.Errorf("card %q: %w", p.Name, ErrNoContactless)
	}
	pr, err := paramsOf(p, card.ATR())
	if err != nil {
		return nil, fmt.Errorf("card %q: %w", p.Name, err)
	}
	var cfg piccConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.typ != 0 {
		pr.typ = cfg.typ
	}
	if cfg.tweakPr != nil {
		cfg.tweakPr(&pr)
	}
	switch {
	case len(cfg.uid) == 4 && pr.typ == TypeB:
		pr.pupi = cfg.uid
	case len(cfg.uid) == 4 || len(cfg.uid) == 7 || len(cfg.uid) == 10:
		if cfg.uid[0] == CT {
			return nil, fmt.Errorf("UID % X starts with the cascade tag 88", cfg.uid)
		}
		pr.uid, pr.uidSize = cfg.uid, len(cfg.uid)
	case cfg.uid != nil:
		return nil, fmt.Errorf("UID % X: want 4, 7 or 10 bytes", cfg.uid)
	}
	var seed [32]byte
	if cfg.seed != nil {
		binary.BigEndian.PutUint64(seed[:], *cfg.seed)
		copy(seed[8:], "sscard contactless")
	} else if _, err := crand.Read(seed[:]); err != nil {
		return nil, err
	}
	proc := cfg.proc
	if proc == nil {
		proc = DefaultProcessingTime
		if t := p.Timing; t != nil {
			proc = func(_, _ []byte, writes uint64) time.Duration {
				return t.Work(BaseProcessing, WriteProcessing, writes)
			}
		}
	}
	return &PICC{card: card, pr: pr, rng: rand.New(rand.NewChaCha8(seed)), inj: cfg.inj, proc: proc}, nil
}

// SetFaults replaces the PICC's fault injector (nil: none). Its frame
// count starts with the next frame the card sends, so faults can be aimed
// at an exchange whatever the activation before it took.
func (p *PICC) SetFaults(in *link.Injector) {
	p.inj = in
}

// Card returns the card behind the door.
func (p *PICC) Card() *emulator.Card { return p.card }

// Type returns the PICC's signalling type.
func (p *PICC) Type() Type { return p.pr.typ }

// UID returns the Type A UID or the Type B PUPI of the current power-up
// (nil while unpowered).
func (p *PICC) UID() []byte {
	if p.st == stOff {
		return nil
	}
	if p.pr.typ == TypeB {
		return append([]byte(nil), p.pupi[:]...)
	}
	return append([]byte(nil), p.uid...)
}

// State returns the name of the PICC's state (IDLE, READY, PROTOCOL...).
func (p *PICC) State() string {
	return p.st.String()
}

// powerUp brings the PICC to IDLE with a fresh random UID/PUPI. The chip
// has one supply: a power-up from the field is a cold reset of the card
// (NVM recovery runs, the volatile state is lost), as a contact reset is.
func (p *PICC) powerUp() {
	p.card.PowerOn()
	p.st, p.halted, p.level, p.l4 = stIdle, false, 0, nil
	p.rates, p.readyAt = Rates{Rate106, Rate106}, 0
	if p.pr.typ == TypeB {
		if len(p.pr.pupi) == 4 {
			copy(p.pupi[:], p.pr.pupi)
		} else {
			binary.BigEndian.PutUint32(p.pupi[:], p.rng.Uint32())
		}
		return
	}
	p.uid = p.pr.uid
	if p.uid == nil {
		p.uid = make([]byte, p.pr.uidSize)
		for i := range p.uid {
			p.uid[i] = byte(p.rng.Uint32())
		}
		if p.pr.uidSize == 4 {
			p.uid[0] = 0x08 // random ID (ISO/IEC 14443-3 §6.4.4)
		} else if p.uid[0] == CT {
			p.uid[0] = 0x00
		}
	}
	p.cl = CascadeLevels(p.uid)
}

// powerDown removes power: the card loses its volatile state.
func (p *PICC) powerDown() {
	p.card.PowerOff()
	p.st, p.l4 = stOff, nil
}

// answer is a PICC's frame in reply to one of the reader's.
type answer struct {
	data     []byte
	lastBits int
	align    int
	// delay is the time from the end of the reader's frame to the start
	// of the answer.
	delay time.Duration
	rate  BitRate
	note  string
	// dropped: the card sends nothing (an injected drop, a power loss);
	// faults names the faults injected.
	dropped bool
	faults  []string
}

// hear is the PICC's reaction to a reader's frame that ended at end.
func (p *PICC) hear(tx *Tx, start, end time.Duration) *answer {
	if p.st == stOff {
		// Back in the field after a power loss: the card powers up.
		p.powerUp()
	}
	if tx.Type != p.pr.typ || tx.Rates.ToCard.or106() != p.rates.ToCard || tx.Rates.FromCard.or106() != p.rates.FromCard {
		return nil // another modulation or another bit rate: not heard
	}
	if start < p.readyAt {
		return nil // within the start-up frame guard time
	}
	var a *answer
	if p.pr.typ == TypeB {
		a = p.hearB(tx, end)
	} else {
		a = p.hearA(tx, end)
	}
	if a != nil {
		if a.rate == 0 {
			a.rate = p.rates.FromCard
		}
		if a.delay == 0 {
			a.delay = responseDelay(p.pr.typ, tx)
		}
	}
	return a
}

// draw returns the faults that fire on the frame the card is about to
// send.
func (p *PICC) draw() []link.Fault {
	if p.inj == nil {
		return nil
	}
	return p.inj.Frame(link.Contactless)
}

// frameFaults applies the faults that act on a frame as sent (corrupt
// EDC, drop, truncate) and records every fault that fired. edc says the
// frame has an EDC to corrupt: a CRC at its end, or the BCC ending a UID
// CLn (an ATQA has none: parity bits are not modelled).
func (a *answer) frameFaults(fs []link.Fault, edc bool) *answer {
	a.faults = append(a.faults, namesOf(fs)...)
	if _, ok := link.Has(fs, link.CorruptEDC); ok && edc && len(a.data) > 0 {
		a.data = append([]byte(nil), a.data...)
		a.data[len(a.data)-1] ^= 0x01 // the CRC's high byte, or the BCC
	}
	if f, ok := link.Has(fs, link.Truncate); ok && len(a.data) > 1 {
		n := f.Arg
		if n <= 0 || n >= len(a.data) {
			n = len(a.data) / 2
		}
		a.data, a.lastBits = a.data[:n], 0
	}
	if _, ok := link.Has(fs, link.Drop); ok {
		a.dropped = true
	}
	return a
}

func namesOf(fs []link.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func faultNote(a *answer) string { return strings.Join(a.faults, ", ") }

// send builds the answer of a frame with a CRC, drawing its faults.
func (p *PICC) send(body []byte, note string) *answer {
	return p.sendWith(p.draw(), body, note)
}

func (p *PICC) sendWith(fs []link.Fault, body []byte, note string) *answer {
	p.buf = AppendCRC(p.pr.typ, append(p.buf[:0], body...))
	return p.answerWith(fs, p.buf, note)
}

// answerWith builds the answer of a frame, CRC included, that stays
// unchanged until the card hears the next frame (the faults that change
// it work on a copy).
func (p *PICC) answerWith(fs []link.Fault, frame []byte, note string) *answer {
	p.ans = answer{data: frame, note: note}
	if fs == nil {
		return &p.ans
	}
	return p.ans.frameFaults(fs, true)
}
