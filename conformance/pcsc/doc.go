// Package pcsc is the PC/SC transport: it reaches a card in a reader through
// pcscd (libpcsclite, with github.com/ebfe/scard) and gives it to the rest
// of sscard as a terminal.Transport, so the conformance suites, the
// reference terminal and the CLI drive a real card, or the emulator behind
// vsmartcard's virtual readers, exactly as they drive the in-process model.
//
// The PC/SC parts need cgo and libpcsclite-dev, and are built only with the
// build tag pcsc:
//
//	go test -tags pcsc ./conformance/pcsc
//
// What builds without the tag is this file (the error values, so callers can
// test for them in any build) and the host-side T=0 exchange.
//
// Errors wrap these values, and the PC/SC status code (a scard.Error) when
// there is one, so callers write
//
//	if errors.Is(err, pcsc.ErrNoService) { ... start pcscd ... }
//	var nr *pcsc.ReaderError
//	if errors.As(err, &nr) { ... nr.Readers lists the readers present ... }
package pcsc

import (
	"errors"
	"strconv"
	"strings"
)

// Errors of the PC/SC transport, tested with errors.Is.
var (
	// ErrNoService: pcscd is not running (SCARD_E_NO_SERVICE).
	ErrNoService = errors.New("pcscd is not running (start it: pcscd, or systemctl start pcscd.socket)")
	// ErrNoReader: the reader named does not exist (SCARD_E_UNKNOWN_READER,
	// SCARD_E_READER_UNAVAILABLE). The error is a *ReaderError listing the
	// readers present.
	ErrNoReader = errors.New("no such reader")
	// ErrNoCard: the reader is empty, or the card was removed
	// (SCARD_E_NO_SMARTCARD, SCARD_W_REMOVED_CARD).
	ErrNoCard = errors.New("no card in the reader")
	// ErrMute: a card is present but does not answer (SCARD_W_UNRESPONSIVE_CARD,
	// SCARD_W_UNPOWERED_CARD).
	ErrMute = errors.New("the card does not answer")
	// ErrBusy: another application holds the card exclusively
	// (SCARD_E_SHARING_VIOLATION).
	ErrBusy = errors.New("the card is in exclusive use by another application")
	// ErrCardReset: another application reset the card, so its volatile state
	// is gone (SCARD_W_RESET_CARD); Reconnect to go on.
	ErrCardReset = errors.New("the card was reset by another application")
	// ErrClosed: the card was closed.
	ErrClosed = errors.New("the card is closed")
)

// ReaderError is the error for a reader name that pcscd does not know. It
// matches ErrNoReader with errors.Is.
type ReaderError struct {
	// Name is the reader asked for.
	Name string
	// Readers are the readers present when the error happened.
	Readers []string
}

func (e *ReaderError) Error() string {
	var b strings.Builder
	b.WriteString("no reader ")
	b.WriteString(strconv.Quote(e.Name))
	if len(e.Readers) == 0 {
		b.WriteString(" (no readers present)")
		return b.String()
	}
	b.WriteString(" (readers present: ")
	for i, r := range e.Readers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(r))
	}
	b.WriteString(")")
	return b.String()
}

// Is reports whether target is ErrNoReader.
func (e *ReaderError) Is(target error) bool { return target == ErrNoReader }
