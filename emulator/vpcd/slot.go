package vpcd

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

// Why a connection ended when the slot itself closed it.
var (
	ErrNoCard       = errors.New("vpcd: no card in the slot")
	ErrRemoved      = errors.New("vpcd: card removed")
	ErrDisconnected = errors.New("vpcd: disconnected on request")
	errReplaced     = errors.New("vpcd: the reader opened a new connection")
)

// Slot is one card slot of the virtual reader: it holds a card (or none) and
// serves it to vpcd over one connection at a time. A Slot is safe for
// concurrent use: Insert, Remove, Disconnect and Status may be called while
// Dial or Serve runs. Run one Dial or one Serve per slot at a time.
type Slot struct {
	opts Options
	wake chan struct{} // Insert, Remove and Disconnect wake the dial loop

	traceMu sync.Mutex // one event at a time to the hook

	mu       sync.Mutex
	card     Card
	link     *link
	connects uint64
	lastErr  string
	apdus    uint64
	lastSW   uint16 // 0: no response yet
}

// link is the current connection to the reader.
type link struct {
	conn   net.Conn
	peer   string
	up     bool  // the reader has sent a frame: it talks to this card
	reason error // set when the slot closed the connection itself
}

// Status is a snapshot of a slot.
type Status struct {
	Slot     int
	Inserted bool // a card is in the slot
	// Connected is true once the reader has sent its first frame on the
	// current connection: a connection vpcd has not accepted yet (another
	// card holds the slot) waits in its queue and does not count.
	Connected bool
	Peer      string // the reader's address while connected
	// APDUs counts the command APDUs the card in the slot answered; LastSW
	// is the status word of its last response (0 before the first). Both
	// start again at each Insert.
	APDUs  uint64
	LastSW uint16
	// Connects counts the connections since the slot was created.
	Connects uint64
	// LastError says why the last connection ended or the last attempt
	// failed; "" if none did.
	LastError string
}

// NewSlot returns a slot holding card (nil for an empty slot).
func NewSlot(card Card, opts Options) *Slot {
	s := &Slot{opts: opts.withDefaults(), wake: make(chan struct{}, 1), card: card}
	if card != nil {
		s.emitInsert(card) // the card is in the slot from the start
	}
	return s
}

// Card returns the card in the slot, or nil.
func (s *Slot) Card() Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.card
}

// Insert puts card in the slot and returns the card it replaces, or nil. A
// card that was in the slot is taken out first: its connection is closed,
// so pcscd sees a removal and then an insertion. Insert(nil) is Remove.
func (s *Slot) Insert(card Card) (old Card) {
	if card == nil {
		return s.Remove()
	}
	s.mu.Lock()
	old = s.card
	s.card = card
	s.apdus, s.lastSW = 0, 0
	s.closeLink(ErrRemoved)
	s.mu.Unlock()
	if old != nil {
		s.emit(trace.Note, trace.Remove, nil, "")
	}
	s.emitInsert(card)
	s.poke()
	return old
}

// Remove takes the card out of the slot and returns it (nil if the slot was
// empty): the connection to the reader is closed and the slot stays
// disconnected until the next Insert.
func (s *Slot) Remove() (old Card) {
	s.mu.Lock()
	old = s.card
	s.card = nil
	s.closeLink(ErrRemoved)
	s.mu.Unlock()
	if old != nil {
		s.emit(trace.Note, trace.Remove, nil, "")
	}
	s.poke()
	return old
}

// Disconnect closes the current connection, if any, keeping the card: to
// pcscd the card is taken out and put back, as after a power cut. Dial
// connects again at once; in reversed mode vpcd does at its next poll.
func (s *Slot) Disconnect() {
	s.mu.Lock()
	s.closeLink(ErrDisconnected)
	s.mu.Unlock()
	s.poke()
}

// Status returns a snapshot of the slot.
func (s *Slot) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Slot:      s.opts.Slot,
		Inserted:  s.card != nil,
		Connected: s.link != nil && s.link.up,
		APDUs:     s.apdus,
		LastSW:    s.lastSW,
		Connects:  s.connects,
		LastError: s.lastErr,
	}
	if st.Connected {
		st.Peer = s.link.peer
	}
	return st
}

// closeLink closes the current connection with reason. s.mu is held.
func (s *Slot) closeLink(reason error) {
	if s.link == nil {
		return
	}
	if s.link.reason == nil {
		s.link.reason = reason
	}
	s.link.conn.Close()
}

// attach makes conn the slot's connection, closing any previous one, and
// returns the card to serve.
func (s *Slot) attach(conn net.Conn) (*link, Card, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.card == nil {
		return nil, nil, ErrNoCard
	}
	s.closeLink(errReplaced)
	l := &link{conn: conn, peer: conn.RemoteAddr().String()}
	s.link = l
	return l, s.card, nil
}

// up marks l as talking to the reader, at its first frame, and reports
// whether it is still the slot's connection.
func (s *Slot) up(l *link) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link != l {
		return false
	}
	l.up = true
	s.connects++
	return true
}

// detach forgets l and returns why the slot closed it, if it did.
func (s *Slot) detach(l *link, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link == l {
		s.link = nil
	}
	if l.reason != nil {
		err = l.reason
	}
	if err != nil && !errors.Is(err, ErrRemoved) && !errors.Is(err, ErrDisconnected) {
		s.lastErr = err.Error()
	}
	return err
}

// failed records a failed connection attempt.
func (s *Slot) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastErr = err.Error()
}

// answered counts a response of the card on l, unless l is no longer the
// slot's connection (the card was swapped meanwhile).
func (s *Slot) answered(l *link, rapdu []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.link != l {
		return
	}
	s.apdus++
	if n := len(rapdu); n >= 2 {
		s.lastSW = uint16(rapdu[n-2])<<8 | uint16(rapdu[n-1])
	}
}

// poke wakes the dial loop.
func (s *Slot) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// emit passes an event to the trace hook, if there is one.
// emitInsert traces card put in the slot: its ATR and, for a Describer,
// what it is.
func (s *Slot) emitInsert(card Card) {
	desc := ""
	if d, ok := card.(Describer); ok {
		desc = d.Describe()
	}
	s.emit(trace.Note, trace.Insert, card.ATR(), desc)
}

func (s *Slot) emit(dir trace.Dir, kind trace.Kind, data []byte, text string) {
	if s.opts.Trace == nil {
		return
	}
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	s.opts.Trace(trace.Event{Time: time.Now(), Slot: s.opts.Slot, Dir: dir, Kind: kind, Data: data, Text: text})
}
