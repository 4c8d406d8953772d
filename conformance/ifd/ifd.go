// Package ifd is a reference interface device (IFD, the reader side of
// ISO/IEC 7816-3) for the contact interface: activation with the
// answer-to-reset, PPS, T=0 with its procedure bytes, 61xx and 6Cxx, and
// T=1 with chaining, S-blocks and the full error recovery of §11.6.3
// (R-blocks with error bits, retransmission, resynchronisation,
// deactivation). It is written against contact.Line only, so it drives the
// emulated card, and anyone can use it as a known-good reader.
//
// The package also defines the reader side of the link-layer conformance
// suite: Reader, what an application asks of a reader, and the frame
// stream (Remote, Serve) through which a reader in another program, such
// as firmware built for the host, plugs into the suite.
package ifd

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Reader is a reader's upper side: what an application asks of it. The
// reference IFD implements it, and so does Remote for a reader in another
// program.
type Reader interface {
	// Activate powers the card, reads its ATR, negotiates what the reader
	// wants (PPS, IFSD) and returns the ATR.
	Activate() ([]byte, error)
	// Transmit sends a command APDU and returns the response APDU.
	Transmit(capdu []byte) ([]byte, error)
	// Deactivate powers the card down.
	Deactivate() error
}

// Factory builds a reader on a line. A reader that holds resources (a
// process, a connection) also implements io.Closer; whoever built it
// closes it.
type Factory func(line contact.Line) (Reader, error)

// Reference is the Factory of the reference IFD with the default
// configuration.
func Reference(line contact.Line) (Reader, error) { return New(line, Config{}), nil }

// Protocol is the reader's protocol choice.
type Protocol int

// Protocol choices.
const (
	// Auto takes T=1 when the card offers it, else the first protocol
	// offered (what PC/SC drivers do).
	Auto Protocol = iota
	// PreferT0 takes T=0 when the card offers it.
	PreferT0
	// PreferT1 is Auto.
	PreferT1
)

// Config configures the reference IFD. The zero value is the default.
type Config struct {
	Protocol Protocol
	// NoPPS never sends a PPS request: the card's first protocol at the
	// default rate.
	NoPPS bool
	// IFSD is the reader's information field size for T=1, announced with
	// S(IFS request) after activation when it differs from 32; default
	// 254.
	IFSD int
	// Attempts is the number of cold resets Activate tries; default 3.
	Attempts int
}

// Errors of the reader. Each error of Transmit and Activate wraps one of
// them, and the line's error where there is one (contact.ErrTimeout for a
// silent card).
var (
	// ErrNotActive: Transmit before Activate, or after a deactivation.
	ErrNotActive = errors.New("the card is not activated")
	// ErrDeactivated: the reader gave up on the card and deactivated it,
	// as ISO/IEC 7816-3 prescribes (a T=0 waiting time exceeded, a
	// protocol error, a failed resynchronisation); Activate again.
	ErrDeactivated = errors.New("the reader deactivated the card")
	// ErrResynchronized: T=1 error recovery ended in resynchronisation;
	// the link works again, but whether the card executed the command is
	// unknown, so the reader does not send it again.
	ErrResynchronized = errors.New("T=1 resynchronised: the command's outcome is unknown")
	// ErrAborted: the card aborted the chain (S(ABORT request)).
	ErrAborted = errors.New("the card aborted the exchange")
	// ErrProtocol: the card broke the transmission protocol.
	ErrProtocol = errors.New("transmission protocol error")
	// ErrUnsupported: the command or the card needs what the reader
	// does not do (an extended APDU over T=0, a protocol other than T=0
	// and T=1).
	ErrUnsupported = errors.New("not supported by the reader")
)

// IFD is the reference reader on one line. It is safe for concurrent use;
// commands are serialised.
type IFD struct {
	mu     sync.Mutex
	line   contact.Line
	cfg    Config
	active bool
	atr    *iso7816.ATR
	proto  int
	rate   contact.Rate
	noPPS  bool // a PPS failed: activate without one

	// T=0
	wt     time.Duration
	in     []byte // bytes received in this TPDU; in[inUsed:] not used yet
	inUsed int
	hdr    [5]byte // the TPDU header being sent
	out    []byte

	// T=1
	ns, nr     byte
	ifsc, ifsd int
	bwt, cwt   time.Duration
	crc        bool
	block      []byte // block being built
	last       []byte // last block sent
	lastI      []byte // last I-block sent
	rx         []byte // block being received
	resp       []byte // response being assembled
}

// New returns the reference IFD on line.
func New(line contact.Line, cfg Config) *IFD {
	if cfg.IFSD <= 0 || cfg.IFSD > contact.MaxINF {
		cfg.IFSD = contact.MaxINF
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	return &IFD{line: line, cfg: cfg}
}

// State is what the reader negotiated.
type State struct {
	Active   bool
	Protocol int
	Rate     contact.Rate
	// WT is the T=0 waiting time; IFSC, IFSD, BWT, CWT and CRC the T=1
	// parameters.
	WT         time.Duration
	IFSC, IFSD int
	BWT, CWT   time.Duration
	CRC        bool
}

// State returns what the reader negotiated.
func (r *IFD) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return State{Active: r.active, Protocol: r.proto, Rate: r.rate, WT: r.wt, IFSC: r.ifsc, IFSD: r.ifsd, BWT: r.bwt, CWT: r.cwt, CRC: r.crc}
}

// Activate implements Reader: cold reset, ATR, PPS when the reader wants a
// protocol or rate other than the defaults, S(IFS) for T=1. An ATR that
// does not parse, a mute card or a failed PPS lead to deactivation and
// another cold reset (without PPS after a PPS failure), up to
// Config.Attempts times.
func (r *IFD) Activate() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.noPPS = r.cfg.NoPPS
	var last error
	for range r.cfg.Attempts {
		raw, err := r.line.Reset(true)
		if err == nil {
			err = r.setup(raw)
		}
		if err == nil {
			r.active = true
			return slices.Clone(raw), nil
		}
		last = err
		r.active = false
		if derr := r.line.Deactivate(); derr != nil {
			return nil, fmt.Errorf("activating the card: %w", derr)
		}
	}
	return nil, fmt.Errorf("activating the card: %w: %w", ErrDeactivated, last)
}

// WarmReset resets the card with RST only (ISO/IEC 7816-3 §6.2.3), reads
// its ATR and negotiates again; a failure deactivates the card.
func (r *IFD) WarmReset() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.noPPS = r.cfg.NoPPS
	raw, err := r.line.Reset(false)
	if err == nil {
		err = r.setup(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("warm reset: %w", r.fail(err))
	}
	r.active = true
	return slices.Clone(raw), nil
}

// setup reads the ATR and negotiates the protocol.
func (r *IFD) setup(raw []byte) error {
	a, err := iso7816.ParseATR(raw)
	if err != nil {
		return err
	}
	r.atr = a
	r.rate = contact.InitialRate(r.line.ClockHz())
	if a.SpecificMode {
		r.proto = a.SpecificProtocol
		if !a.ImplicitParams {
			r.rate.F, r.rate.D = a.Fi, a.Di
		}
	} else {
		first := a.Protocols[0]
		want := r.want(a)
		fd := byte(0x11)
		if ta1 := a.Group(1).TA; ta1 != nil {
			fd = *ta1
		}
		switch {
		case (want != first || fd != 0x11) && !r.noPPS:
			got, err := r.pps(want, fd)
			if err != nil {
				r.noPPS = true
				return fmt.Errorf("PPS: %w", err)
			}
			r.rate.F, r.rate.D = contact.FD(got)
		default:
			want = first
		}
		r.proto = want
	}
	switch r.proto {
	case 0:
		r.wt = r.rate.WT(a.WI, a.Fi)
		return nil
	case 1:
		r.ns, r.nr = 0, 0
		r.ifsc, r.ifsd = a.IFSC, iso7816.DefaultIFSC
		r.bwt, r.cwt, r.crc = r.rate.BWT(a.BWI), r.rate.CWT(a.CWI), a.CRC
		return r.negotiateIFSD()
	}
	return fmt.Errorf("%w: protocol T=%d", ErrUnsupported, r.proto)
}

// want is the protocol the reader asks for.
func (r *IFD) want(a *iso7816.ATR) int {
	has := func(t int) bool { return slices.Contains(a.Protocols, t) }
	switch {
	case r.cfg.Protocol == PreferT0 && has(0):
		return 0
	case has(1):
		return 1
	}
	return a.Protocols[0]
}

// pps sends a PPS request for protocol t and Fi/Di fd (ISO/IEC 7816-3 §9)
// and checks the response. It returns the Fi/Di byte in force: fd when the
// card echoed PPS1, 11 (Fd, Dd) when it left PPS1 out.
func (r *IFD) pps(t int, fd byte) (byte, error) {
	req := contact.PPS{T: t}
	if fd != 0x11 {
		req.PPS1 = &fd
	}
	raw := req.Bytes()
	if err := r.line.Send(raw); err != nil {
		return 0, err
	}
	// The PPS response comes within the initial waiting time, 9600 etu.
	wait := contact.InitialRate(r.line.ClockHz()).WT(iso7816.DefaultWI, 372)
	var got []byte
	for {
		f, err := r.line.Receive(wait)
		if err != nil {
			return 0, err
		}
		got = append(got, f...)
		if len(got) < 2 {
			continue
		}
		n := 3
		for i := range 3 {
			if got[1]&(0x10<<i) != 0 {
				n++
			}
		}
		if len(got) >= n {
			break
		}
	}
	resp, err := contact.ParsePPS(got)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%w: %w", ErrProtocol, err)
	case resp.T != t:
		return 0, fmt.Errorf("%w: PPS response for T=%d, asked T=%d", ErrProtocol, resp.T, t)
	case resp.PPS2 != nil || resp.PPS3 != nil:
		return 0, fmt.Errorf("%w: PPS response with PPS2 or PPS3 not asked for", ErrProtocol)
	case resp.PPS1 == nil:
		return 0x11, nil
	case *resp.PPS1 != fd || req.PPS1 == nil:
		return 0, fmt.Errorf("%w: PPS response PPS1 %02X, asked %02X", ErrProtocol, *resp.PPS1, fd)
	}
	return fd, nil
}

// Deactivate implements Reader.
func (r *IFD) Deactivate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active = false
	return r.line.Deactivate()
}

// fail deactivates the card after an error the protocol cannot recover
// from and returns the error to report.
func (r *IFD) fail(cause error) error {
	r.active = false
	if err := r.line.Deactivate(); err != nil {
		return fmt.Errorf("%w: %w (deactivating: %v)", ErrDeactivated, cause, err)
	}
	return fmt.Errorf("%w: %w", ErrDeactivated, cause)
}

// Transmit implements Reader.
func (r *IFD) Transmit(capdu []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active {
		return nil, fmt.Errorf("transmitting %X: %w", capdu, ErrNotActive)
	}
	var out []byte
	var err error
	if r.proto == 1 {
		out, err = r.t1Transmit(capdu)
	} else {
		out, err = r.t0Transmit(capdu)
	}
	if err != nil {
		return nil, fmt.Errorf("transmitting %X: %w", capdu, err)
	}
	return out, nil
}

// Close deactivates the card if it is active.
func (r *IFD) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.active {
		return nil
	}
	r.active = false
	return r.line.Deactivate()
}

var _ io.Closer = (*IFD)(nil)
