//go:build pcsc

package pcsc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// Protocol is the transmission protocol asked of the card.
type Protocol int

// Protocols.
const (
	// Any lets the reader choose T=0 or T=1 (the default).
	Any Protocol = iota
	T0
	T1
)

func (p Protocol) scard() scard.Protocol {
	switch p {
	case T0:
		return scard.ProtocolT0
	case T1:
		return scard.ProtocolT1
	default:
		return scard.ProtocolAny
	}
}

func (p Protocol) String() string {
	switch p {
	case T0:
		return "T=0"
	case T1:
		return "T=1"
	default:
		return "T=0 or T=1"
	}
}

func protocolOf(p scard.Protocol) Protocol {
	switch p {
	case scard.ProtocolT0:
		return T0
	case scard.ProtocolT1:
		return T1
	default:
		return Any
	}
}

// Options say how to connect to a card.
type Options struct {
	// Exclusive connects in exclusive mode (SCARD_SHARE_EXCLUSIVE): no other
	// application reaches the card until Close. Default: shared.
	Exclusive bool
	// Protocol is the protocol to use (default Any).
	Protocol Protocol
	// HostT0 makes Transmit handle 61xx (GET RESPONSE) and 6Cxx (resend with
	// Le = xx) when the card speaks T=0 and the reader leaves that to the
	// host, as virtual readers do; see HostT0. Code that goes through
	// terminal.Exchange does this itself and does not need it.
	HostT0 bool
	// Wait is how long Open waits for a card when the reader is empty
	// (0: not at all).
	Wait time.Duration
}

func (o Options) share() scard.ShareMode {
	if o.Exclusive {
		return scard.ShareExclusive
	}
	return scard.ShareShared
}

// Context is a connection to the PC/SC resource manager, pcscd.
type Context struct {
	ctx *scard.Context
}

// Establish connects to pcscd. It fails with ErrNoService when pcscd is
// not running.
func Establish() (*Context, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("connecting to pcscd: %w", mapErr(err))
	}
	return &Context{ctx: c}, nil
}

// Release closes the connection to pcscd.
func (c *Context) Release() error {
	if err := c.ctx.Release(); err != nil {
		return fmt.Errorf("releasing the PC/SC context: %w", mapErr(err))
	}
	return nil
}

// Readers lists the readers pcscd knows, in its order; none is not an error.
func (c *Context) Readers() ([]string, error) {
	rs, err := c.ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing readers: %w", mapErr(err))
	}
	return rs, nil
}

// readerError builds the *ReaderError for name with the readers present.
func (c *Context) readerError(name string) error {
	rs, _ := c.Readers()
	return &ReaderError{Name: name, Readers: rs}
}

// WaitForCard waits until a card is present in reader, or ctx is done (the
// error then wraps ErrNoCard and ctx.Err()). It fails at once with a
// *ReaderError when the reader does not exist.
func (c *Context) WaitForCard(ctx context.Context, reader string) error {
	if err := c.waitFor(ctx, reader, true); err != nil {
		return fmt.Errorf("waiting for a card in %q: %w", reader, err)
	}
	return nil
}

// WaitForRemoval waits until reader is empty, or ctx is done (the error
// then wraps ctx.Err()).
func (c *Context) WaitForRemoval(ctx context.Context, reader string) error {
	if err := c.waitFor(ctx, reader, false); err != nil {
		return fmt.Errorf("waiting for the card in %q to be removed: %w", reader, err)
	}
	return nil
}

// CardPresent reports whether a card is in reader, as pcscd last saw it.
func (c *Context) CardPresent(reader string) (bool, error) {
	states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	if err := c.statusChange(states, 0, reader); err != nil {
		return false, fmt.Errorf("reading the state of %q: %w", reader, err)
	}
	return present(states[0].EventState), nil
}

func present(ev scard.StateFlag) bool {
	return ev&scard.StatePresent != 0 && ev&scard.StateMute == 0
}

// pollWait bounds one wait for a reader's state to change.
const pollWait = 500 * time.Millisecond

// waitFor waits until a card is present (or absent) in reader.
func (c *Context) waitFor(ctx context.Context, reader string, wantCard bool) error {
	stop := context.AfterFunc(ctx, func() { _ = c.ctx.Cancel() })
	defer stop()
	states := []scard.ReaderState{{Reader: reader, CurrentState: scard.StateUnaware}}
	for {
		if err := ctx.Err(); err != nil {
			if wantCard {
				return fmt.Errorf("%w (%w)", ErrNoCard, err)
			}
			return err
		}
		// A cancel that lands between two calls is lost: poll, so that a
		// done ctx is seen within pollWait at worst.
		err := c.statusChange(states, pollWait, reader)
		if errors.Is(err, scard.ErrTimeout) || errors.Is(err, scard.ErrCancelled) && ctx.Err() != nil {
			continue
		}
		if err != nil {
			return err
		}
		ev := states[0].EventState
		if present(ev) == wantCard {
			return nil
		}
		states[0].CurrentState = ev &^ scard.StateChanged
	}
}

// statusChange is SCardGetStatusChange, with a *ReaderError for a reader
// pcscd does not know.
func (c *Context) statusChange(states []scard.ReaderState, timeout time.Duration, reader string) error {
	err := c.ctx.GetStatusChange(states, timeout)
	if errors.Is(err, scard.ErrUnknownReader) || errors.Is(err, scard.ErrReaderUnavailable) {
		return c.readerError(reader)
	}
	if err != nil {
		return mapErr(err)
	}
	if states[0].EventState&(scard.StateUnknown|scard.StateIgnore) != 0 {
		return c.readerError(reader)
	}
	return nil
}

// Card is a connection to the card in a reader. It implements
// terminal.Transport. Its methods may be called from several goroutines;
// they run one at a time.
type Card struct {
	mu     sync.Mutex
	ctx    *Context
	owned  bool // ctx was established by Open: Close releases it
	card   *scard.Card
	reader string
	opt    Options
	atr    []byte
	closed bool
}

// Open connects to pcscd and to the card in reader; Close disconnects and
// releases the connection to pcscd. With o.Wait it first waits that long for
// a card.
func Open(reader string, o Options) (*Card, error) {
	c, err := Establish()
	if err != nil {
		return nil, err
	}
	if o.Wait > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), o.Wait)
		err = c.WaitForCard(ctx, reader)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("reader %q: %w (waited %v)", reader, ErrNoCard, o.Wait)
		}
		if err != nil {
			c.Release()
			return nil, err
		}
	}
	card, err := c.Connect(reader, o)
	if err != nil {
		c.Release()
		return nil, err
	}
	card.owned = true
	return card, nil
}

// Connect connects to the card in reader. It fails with a *ReaderError when
// there is no such reader and with ErrNoCard when the reader is empty.
func (c *Context) Connect(reader string, o Options) (*Card, error) {
	sc, err := c.ctx.Connect(reader, o.share(), o.Protocol.scard())
	if errors.Is(err, scard.ErrUnknownReader) || errors.Is(err, scard.ErrReaderUnavailable) {
		return nil, fmt.Errorf("connecting: %w", c.readerError(reader))
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to the card in %q: %w", reader, mapErr(err))
	}
	card := &Card{ctx: c, card: sc, reader: reader, opt: o}
	if err := card.status(); err != nil {
		sc.Disconnect(scard.LeaveCard)
		return nil, err
	}
	return card, nil
}

// status reads the ATR.
func (c *Card) status() error {
	st, err := c.card.Status()
	if err != nil {
		return fmt.Errorf("reading the status of the card in %q: %w", c.reader, mapErr(err))
	}
	c.atr = append([]byte(nil), st.Atr...)
	return nil
}

// Reader is the name of the card's reader.
func (c *Card) Reader() string { return c.reader }

// ATR is the card's answer to reset, as read at connection or at the last
// reset.
func (c *Card) ATR() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.atr...)
}

// Protocol is the protocol in use.
func (c *Card) Protocol() Protocol {
	c.mu.Lock()
	defer c.mu.Unlock()
	return protocolOf(c.card.ActiveProtocol())
}

// Transmit sends a command APDU and returns the response APDU. With
// Options.HostT0 and a card in T=0 it handles 61xx and 6Cxx itself.
func (c *Card) Transmit(capdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.opt.HostT0 && c.card.ActiveProtocol() == scard.ProtocolT0 {
		return exchangeT0(rawCard{c}, capdu)
	}
	return c.transmit(capdu)
}

// rawCard is the card without host T=0 handling, for exchangeT0; the
// caller holds the lock.
type rawCard struct{ c *Card }

func (r rawCard) Transmit(capdu []byte) ([]byte, error) { return r.c.transmit(capdu) }

func (c *Card) transmit(capdu []byte) ([]byte, error) {
	r, err := c.card.Transmit(capdu)
	if err != nil {
		return nil, fmt.Errorf("transmitting to %q: %w", c.reader, mapErr(err))
	}
	return r, nil
}

// Reset warm-resets the card (SCardReconnect with SCARD_RESET_CARD) and
// returns its answer to reset.
func (c *Card) Reset() ([]byte, error) {
	return c.reconnect(scard.ResetCard)
}

// Unpower powers the card off and on again (SCardReconnect with
// SCARD_UNPOWER_CARD, a cold reset) and returns its answer to reset.
func (c *Card) Unpower() ([]byte, error) {
	return c.reconnect(scard.UnpowerCard)
}

// Reconnect connects again without resetting the card (SCARD_LEAVE_CARD),
// after ErrCardReset.
func (c *Card) Reconnect() error {
	_, err := c.reconnect(scard.LeaveCard)
	return err
}

func (c *Card) reconnect(d scard.Disposition) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if err := c.card.Reconnect(c.opt.share(), c.opt.Protocol.scard(), d); err != nil {
		return nil, fmt.Errorf("reconnecting to the card in %q: %w", c.reader, mapErr(err))
	}
	if err := c.status(); err != nil {
		return nil, err
	}
	return append([]byte(nil), c.atr...), nil
}

// Close disconnects, leaving the card as it is, and releases the
// connection to pcscd if Open made it. Closing twice is a no-op.
func (c *Card) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.card.Disconnect(scard.LeaveCard)
	if err != nil {
		err = fmt.Errorf("disconnecting from %q: %w", c.reader, mapErr(err))
	}
	if c.owned {
		err = errors.Join(err, c.ctx.Release())
	}
	return err
}

// mapErr puts the sscard error value in front of a PC/SC status code,
// keeping both in the chain.
func mapErr(err error) error {
	var code scard.Error
	if !errors.As(err, &code) {
		return err
	}
	var base error
	switch code {
	case scard.ErrNoService, scard.ErrServiceStopped:
		base = ErrNoService
	case scard.ErrNoSmartcard, scard.ErrRemovedCard:
		base = ErrNoCard
	case scard.ErrUnresponsiveCard, scard.ErrUnpoweredCard:
		base = ErrMute
	case scard.ErrSharingViolation:
		base = ErrBusy
	case scard.ErrResetCard:
		base = ErrCardReset
	case scard.ErrUnknownReader, scard.ErrReaderUnavailable:
		base = ErrNoReader
	default:
		return err
	}
	return fmt.Errorf("%w (%w)", base, err)
}
