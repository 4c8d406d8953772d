package contact

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// Line is the contact wire as a reader sees it: the interface between an
// interface device (IFD) and the card (ICC). The card side of this package
// implements it; a reader implementation is written against it and nothing
// else, so the same reader code drives the emulated card, a recording, or a
// card behind a socket.
//
// A frame is what one side sends without waiting for the other: the
// answer-to-reset, a PPS request or response, a T=1 block, a T=0 command
// header, a T=0 procedure byte (ACK or NULL), the data after a T=0
// procedure byte, or the T=0 status bytes. Time is model time: nothing
// sleeps, and waiting times are given, not waited.
type Line interface {
	// Reset activates the card, with a cold reset (power on) or a warm
	// reset (RST only), and returns its answer-to-reset, or ErrTimeout if
	// no ATR came within 40 000 clock cycles.
	Reset(cold bool) ([]byte, error)
	// Send puts a frame on the line.
	Send(frame []byte) error
	// Receive returns the card's next frame if it starts within wait of
	// the leading edge of the last character on the line (or of the end of
	// the previous unsuccessful wait); otherwise ErrTimeout after waiting
	// that long. The frame is valid until the next call on the line.
	Receive(wait time.Duration) ([]byte, error)
	// Deactivate powers the card down.
	Deactivate() error
	// ClockHz is the clock frequency f the reader gives the card.
	ClockHz() int
}

// Errors of a line.
var (
	// ErrTimeout: nothing came within the waiting time.
	ErrTimeout = errors.New("no answer within the waiting time")
	// ErrNotActive: the line is used while the card is not activated.
	ErrNotActive = errors.New("the card is not activated")
	// ErrNoContact: the card has no contact interface.
	ErrNoContact = errors.New("the card has no contact interface")
)

// Config configures the card side of the contact interface. The zero
// value is usable.
type Config struct {
	// ClockHz is the clock frequency; default DefaultClockHz.
	ClockHz int
	// Clock is the model clock; nil: the ICC has its own. Two interfaces
	// of one card share one clock to share one time line.
	Clock *link.Clock
	// Trace receives every frame and event; nil: nothing is traced.
	Trace *link.Trace
	// Faults injects faults into the card's frames; nil: none.
	Faults *link.Injector
	// Work is how long the card computes a command, given the command and
	// the NVM writes it made; nil: DefaultWork.
	Work func(capdu []byte, nvmWrites uint64) time.Duration
	// Outgoing tells the T=0 card whether a command sends data to the
	// reader (P3 is Le) rather than receiving it (P3 is Lc); nil:
	// DefaultOutgoing.
	Outgoing func(cla, ins, p1, p2 byte) bool
}

// DefaultOutgoing is how the model card tells the direction of a T=0
// command from its header (ISO/IEC 7816-3 §12.2.1: the card knows each
// command's case): READ BINARY, READ RECORD, GET RESPONSE, GET DATA, GET
// CHALLENGE and the PKI application's EXPORT PUBLIC KEY (80 C9) send data;
// every other command receives data or none [model choice, see CARD.md].
func DefaultOutgoing(cla, ins, p1, p2 byte) bool {
	switch ins {
	case 0xB0, 0xB1, 0xB2, 0xB3, 0xC0, 0xCA, 0xCB, 0x84:
		return true
	case 0xC9:
		return cla&0x80 != 0
	}
	return false
}

// Phases of the line after a reset.
const (
	phaseATR = iota // the ATR was sent: a PPS request may come
	phaseRun        // protocol T=0 or T=1 runs
)

// ICC is the card side of the contact interface of one emulated card
// (ISO/IEC 7816-3): answer-to-reset, PPS, T=0 and T=1, each frame timed
// and traced. It implements Line. It is safe for concurrent use, though a
// line has one reader at a time.
type ICC struct {
	mu    sync.Mutex
	card  *emulator.Card
	cfg   Config
	clock *link.Clock
	atr   []byte
	info  *iso7816.ATR
	// errorReplies is the profile's atr.t1.errorReplies (rule 7.4.3).
	errorReplies int
	// atrDelay is when the ATR starts after RST, in clock cycles.
	atrDelay int
	// nullPercent is when a T=0 NULL byte goes out, in percent of WT.
	nullPercent int

	active bool
	mute   bool // the card answers nothing until the next reset (power lost, failed PPS)
	phase  int
	rate   Rate
	proto  int

	lastLead     time.Duration // leading edge of the last character on the line
	lastEnd      time.Duration // end of the last frame on the line
	lastFromCard bool
	waitRef      time.Duration // where the reader's next wait starts
	expectBy     time.Duration // the card may still answer until then (0: it owes nothing)
	expectFrom   time.Duration
	owe          time.Duration // waiting time the card is owed for its answer to the frame being handled
	out          []outFrame
	silent       bool // the card sends nothing more in this exchange (dropped or cut frame)

	t0 t0State
	t1 t1State

	violations []string
	traced     time.Duration // start of the last frame or event traced
	apdu       []byte
	resp       []byte
	outBuf     []byte
}

// outFrame is a frame the card has put on the line and the reader has not
// read yet; a frame without data is an event for the trace (a frame the
// card did not send because of a fault).
type outFrame struct {
	data    []byte
	start   time.Duration
	charDur time.Duration
	note    string
	fault   string
	// owe is the waiting time the card may still take after this frame's
	// leading edge for its next frame (0: its answer is complete).
	owe time.Duration
	// extra is time on the line beyond the characters (a repeated
	// character after a parity error).
	extra time.Duration
}

func (f outFrame) duration() time.Duration {
	return time.Duration(len(f.data))*f.charDur + f.extra
}

// New returns the contact interface of card. It fails if the card's
// profile has no contact interface or its ATR offers neither T=0 nor T=1
// first.
func New(card *emulator.Card, cfg Config) (*ICC, error) {
	p := card.Profile()
	if p != nil && !p.Interfaces.Contact {
		return nil, fmt.Errorf("contact interface of card %q: %w", p.Name, ErrNoContact)
	}
	if cfg.ClockHz <= 0 {
		cfg.ClockHz = DefaultClockHz
	}
	var timing *profile.Timing
	if p != nil {
		timing = p.Timing
	}
	if cfg.Work == nil {
		cfg.Work = profileWork(timing)
	}
	if cfg.Outgoing == nil {
		cfg.Outgoing = DefaultOutgoing
	}
	atr := card.ATR()
	info, err := iso7816.ParseATR(atr)
	if err != nil {
		return nil, fmt.Errorf("contact interface: %w", err)
	}
	if proto := firstProtocol(info); proto != 0 && proto != 1 {
		return nil, fmt.Errorf("contact interface: the ATR offers T=%d first; the card speaks T=0 and T=1", proto)
	}
	c := &ICC{card: card, cfg: cfg, clock: cfg.Clock, atr: atr, info: info,
		errorReplies: p.T1ErrorReplies(), atrDelay: timing.ATRDelay(atrDelayClocks),
		nullPercent: timing.NullAt(keepAlivePercent)}
	if c.clock == nil {
		c.clock = &link.Clock{}
	}
	return c, nil
}

func firstProtocol(a *iso7816.ATR) int {
	if a.SpecificMode {
		return a.SpecificProtocol
	}
	return a.Protocols[0]
}

// SetFaults replaces the fault injector (nil: none). Frames are counted
// from here on, so a test can arm faults after activation.
func (c *ICC) SetFaults(in *link.Injector) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.Faults = in
}

// Card returns the emulated card behind the interface.
func (c *ICC) Card() *emulator.Card { return c.card }

// ATR returns the card's answer-to-reset, decoded.
func (c *ICC) ATR() *iso7816.ATR { return c.info }

// ClockHz implements Line.
func (c *ICC) ClockHz() int { return c.cfg.ClockHz }

// Now returns the model time of the line.
func (c *ICC) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock.Now()
}

// Trace returns the trace frames are recorded in (nil if none).
func (c *ICC) Trace() *link.Trace { return c.cfg.Trace }

// Violations returns what the reader did against ISO/IEC 7816-3 timing so
// far: giving up before a waiting time had elapsed, sending while the card
// was computing or answering.
func (c *ICC) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violations)
}

// Params are the transmission parameters in force on the line.
type Params struct {
	Active   bool
	Protocol int
	Rate     Rate
	// N is the extra guard time of TC1.
	N int
	// WT is the T=0 waiting time.
	WT time.Duration
	// IFSC and IFSD are the T=1 information field sizes of the card and
	// of the reader; BWT, CWT and BGT the T=1 waiting and guard times; CRC
	// the error detection code.
	IFSC, IFSD    int
	BWT, CWT, BGT time.Duration
	CRC           bool
}

// Params returns the parameters in force.
func (c *ICC) Params() Params {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Params{
		Active: c.active, Protocol: c.proto, Rate: c.rate, N: c.info.N,
		WT: c.wt(), IFSC: c.t1.ifsc, IFSD: c.t1.ifsd,
		BWT: c.bwt(), CWT: c.rate.CWT(c.info.CWI), BGT: c.rate.ETUs(guardT1), CRC: c.info.CRC,
	}
}

func (c *ICC) wt() time.Duration  { return c.rate.WT(c.info.WI, c.info.Fi) }
func (c *ICC) bwt() time.Duration { return c.rate.BWT(c.info.BWI) }

// guard is the least delay between leading edges of characters in
// opposite directions.
func (c *ICC) guard() time.Duration {
	if c.phase == phaseRun && c.proto == 1 {
		return c.rate.ETUs(guardT1)
	}
	return c.rate.ETUs(guardT0)
}

func (c *ICC) charDur(fromReader bool) time.Duration {
	proto := c.proto
	if c.phase == phaseATR {
		proto = 0
	}
	return c.rate.ETUs(charETUs(proto, c.info.N, fromReader))
}

func (c *ICC) violate(format string, args ...any) {
	c.violations = append(c.violations, fmt.Sprintf("at %v: ", c.clock.Now())+fmt.Sprintf(format, args...))
}

func (c *ICC) event(dir link.Direction, start, d time.Duration, note, fault string) {
	c.traced = max(c.traced, start)
	if c.cfg.Trace == nil {
		return
	}
	e := link.Event(link.Contact, dir, start, d, note)
	e.Fault = fault
	c.cfg.Trace.Add(e)
}

func (c *ICC) traceFrame(dir link.Direction, data []byte, start, d time.Duration, note, fault string) {
	c.traced = max(c.traced, start)
	if c.cfg.Trace == nil {
		return
	}
	c.cfg.Trace.Add(link.Frame{Interface: link.Contact, Dir: dir, Data: data, Start: start, Duration: d, Note: note, Fault: fault})
}

// honoured records a violation when the reader acts before the card's
// waiting time for an answer it still owes has elapsed.
func (c *ICC) honoured(what string, frame []byte) {
	if c.expectBy == 0 {
		return
	}
	now := c.clock.Now()
	if tol := c.rate.ETUs(1); now+tol < c.expectBy {
		if frame != nil {
			what += fmt.Sprintf(" (%X)", frame)
		}
		c.violate("the reader %s %v after the last character, before the waiting time of %v had elapsed",
			what, now-c.expectFrom, c.expectBy-c.expectFrom)
	}
	c.expectBy = 0
}

// Reset implements Line.
func (c *ICC) Reset(cold bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.active {
		c.honoured("reset the card", nil)
	}
	note := "warm reset"
	if cold {
		note = "cold reset"
		c.card.PowerOff()
		c.card.PowerOn()
	} else {
		c.card.Reset()
	}
	c.event(link.ToCard, now, 0, note, "")
	c.active, c.mute, c.silent = true, false, false
	c.phase = phaseATR
	c.rate = InitialRate(c.cfg.ClockHz)
	c.proto = firstProtocol(c.info)
	c.out = c.out[:0]
	c.expectBy = 0
	c.t0 = t0State{}
	c.t1.reset(c.info)

	start := now + c.rate.Clocks(c.atrDelay)
	atr := c.atr
	fault := ""
	fs := c.cfg.Faults.Frame(link.Contact)
	if f, ok := link.Has(fs, link.PowerLoss); ok {
		c.loseCardPower(now, f)
		return nil, c.noATR(now)
	}
	if f, ok := link.Has(fs, link.Drop); ok {
		c.event(link.FromCard, start, 0, "the card did not send its answer-to-reset", f.String())
		return nil, c.noATR(now)
	}
	cd := c.charDur(false)
	extra := time.Duration(0)
	if f, ok := link.Has(fs, link.CorruptEDC); ok {
		if c.info.TCK != nil {
			atr = slices.Clone(atr)
			atr[len(atr)-1] ^= 0x01
		} else {
			// No check byte: a parity error, signalled and repeated
			// (ISO/IEC 7816-3 §7.3); the reader gets the right bytes later.
			extra = cd
		}
		fault = f.String()
	}
	if f, ok := link.Has(fs, link.Truncate); ok {
		atr = atr[:cutLen(len(atr), f.Arg)]
		fault = f.String()
	}
	d := time.Duration(len(atr))*cd + extra
	c.traceFrame(link.FromCard, atr, start, d, "ATR", fault)
	c.clock.Advance(start + d - c.clock.Now())
	c.lastLead, c.lastEnd, c.lastFromCard = start+d-cd, start+d, true
	c.waitRef = c.lastLead
	if c.info.SpecificMode {
		c.phase = phaseRun
		if !c.info.ImplicitParams {
			c.rate = Rate{ClockHz: c.cfg.ClockHz, F: c.info.Fi, D: c.info.Di}
		}
	}
	return slices.Clone(atr), nil
}

// noATR lets the reader wait the longest time for an ATR that never comes.
func (c *ICC) noATR(from time.Duration) error {
	end := from + c.rate.Clocks(atrMaxClocks)
	c.event(link.FromCard, from, end-from, "no answer to reset within 40000 clock cycles", "")
	c.clock.Advance(end - c.clock.Now())
	c.lastLead, c.lastEnd, c.lastFromCard, c.waitRef = end, end, true, end
	return ErrTimeout
}

// cutLen is the length a truncated frame keeps: arg if it is shorter than
// the frame, else half of it.
func cutLen(n, arg int) int {
	if arg > 0 && arg < n {
		return arg
	}
	return n / 2
}

// loseCardPower is the PowerLoss fault outside a command: the card is off
// and answers nothing until the next reset.
func (c *ICC) loseCardPower(at time.Duration, f link.Fault) {
	c.card.PowerOff()
	c.mute = true
	c.out = c.out[:0]
	c.event(link.FromCard, at, 0, "the card lost power", f.String())
}

// Deactivate implements Line.
func (c *ICC) Deactivate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active {
		c.honoured("deactivated the card", nil)
	}
	c.event(link.ToCard, c.clock.Now(), 0, "deactivation", "")
	c.card.PowerOff()
	c.active = false
	c.out = c.out[:0]
	c.expectBy = 0
	return nil
}

// Send implements Line.
func (c *ICC) Send(frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active {
		return fmt.Errorf("sending %X: %w", frame, ErrNotActive)
	}
	if len(frame) == 0 {
		return errors.New("sending an empty frame")
	}
	cd := c.charDur(true)
	start := max(c.clock.Now(), c.lastEnd)
	if c.lastFromCard {
		start = max(start, c.lastLead+c.guard())
	}
	d := time.Duration(len(frame)) * cd
	end := start + d
	ignored := ""
	var lost []outFrame // the card's frames a collision garbled, starting after the reader's
	if len(c.out) > 0 {
		if c.out[0].start < end {
			ignored = "collision: the card was answering"
			c.violate("the reader sent %X while the card was sending %X", frame, c.out[0].data)
			for _, f := range c.out {
				if f.start < start {
					c.event(link.FromCard, f.start, f.duration(), "lost in a collision: "+f.note, f.fault)
				} else {
					lost = append(lost, f)
				}
			}
			c.out = c.out[:0]
		} else {
			ignored = "ignored: the card was computing"
			c.violate("the reader sent %X while the card was computing (its answer was due at %v)", frame, c.out[0].start)
		}
		c.expectBy = 0
	} else {
		c.honoured("sent a frame", frame)
	}
	note := ignored
	if note == "" && c.cfg.Trace != nil {
		note = c.describeReaderFrame(frame)
	}
	c.traceFrame(link.ToCard, frame, start, d, note, "")
	for _, f := range lost {
		c.event(link.FromCard, f.start, f.duration(), "lost in a collision: "+f.note, f.fault)
	}
	c.clock.Advance(end - c.clock.Now())
	c.lastLead, c.lastEnd, c.lastFromCard = end-cd, end, false
	c.waitRef = c.lastLead
	if ignored != "" {
		return nil
	}
	c.silent = false
	c.owe = c.defaultOwe()
	if !c.mute {
		c.handle(frame)
	}
	if c.owe > 0 {
		c.expectFrom, c.expectBy = c.lastLead, c.lastLead+c.owe
	}
	return nil
}

// defaultOwe is the waiting time the card has for its answer to a frame
// of the reader.
func (c *ICC) defaultOwe() time.Duration {
	switch {
	case c.phase == phaseATR:
		return InitialRate(c.cfg.ClockHz).WT(iso7816.DefaultWI, 372)
	case c.proto == 1:
		return c.bwt()
	}
	return c.wt()
}

func (c *ICC) describeReaderFrame(frame []byte) string {
	switch {
	case c.phase == phaseATR && frame[0] == PPSS:
		return PPSName(frame, false)
	case c.proto == 1:
		return BlockName(frame, c.info.CRC)
	}
	return c.t0.describe(frame)
}

// handle passes a frame of the reader to the protocol.
func (c *ICC) handle(frame []byte) {
	if c.phase == phaseATR {
		c.phase = phaseRun
		if frame[0] == PPSS {
			c.handlePPS(frame)
			return
		}
	}
	if c.proto == 1 {
		c.t1Handle(frame)
		return
	}
	c.t0Handle(frame)
}

// Receive implements Line.
func (c *ICC) Receive(wait time.Duration) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active {
		return nil, fmt.Errorf("receiving: %w", ErrNotActive)
	}
	wait = max(wait, 0)
	deadline := max(c.waitRef+wait, c.clock.Now())
	for len(c.out) > 0 && c.out[0].start <= deadline {
		f := c.out[0]
		copy(c.out, c.out[1:])
		c.out = c.out[:len(c.out)-1]
		d := f.duration()
		if len(f.data) == 0 {
			c.event(link.FromCard, f.start, 0, f.note, f.fault)
			continue
		}
		c.traceFrame(link.FromCard, f.data, f.start, d, f.note, f.fault)
		c.clock.Advance(f.start + d - c.clock.Now())
		c.lastLead, c.lastEnd, c.lastFromCard = f.start+d-f.charDur, f.start+d, true
		c.waitRef = c.lastLead
		c.expectBy = 0
		if f.owe > 0 {
			c.expectFrom, c.expectBy = c.lastLead, c.lastLead+f.owe
		}
		return f.data, nil
	}
	// The event starts when the line went quiet (not before what is
	// already traced), and says how long the reader waited in all.
	from := max(c.waitRef, c.clock.Now(), c.traced)
	c.event(link.FromCard, from, deadline-from, "no answer: the reader waited "+fmtDuration(deadline-c.waitRef), "")
	c.clock.Advance(deadline - c.clock.Now())
	c.waitRef = deadline
	return nil, ErrTimeout
}

func fmtDuration(d time.Duration) string { return d.String() }

// emit puts a card frame on the line at or after at; the reader reads it
// with Receive. A frame without data is an event for the trace.
func (c *ICC) emit(at time.Duration, data []byte, note, fault string, owe time.Duration) outFrame {
	return c.emitFrame(at, data, note, fault, owe, 0)
}

// emitFrame is emit with extra time on the line after the characters.
func (c *ICC) emitFrame(at time.Duration, data []byte, note, fault string, owe, extra time.Duration) outFrame {
	cd := c.charDur(false)
	start := max(at, c.lastEnd)
	if !c.lastFromCard {
		start = max(start, c.lastLead+c.guard())
	}
	if n := len(c.out); n > 0 {
		prev := c.out[n-1]
		start = max(start, prev.start+prev.duration())
	}
	f := outFrame{data: data, start: start, charDur: cd, note: note, fault: fault, owe: owe, extra: extra}
	c.out = append(c.out, f)
	return f
}

// stash copies a frame's bytes into the card's output buffer, which is
// reused once the reader has read every queued frame: a frame returned by
// Receive is valid until the next call on the line.
func (c *ICC) stash(data []byte) []byte {
	if len(c.out) == 0 {
		c.outBuf = c.outBuf[:0]
	}
	n := len(c.outBuf)
	c.outBuf = append(c.outBuf, data...)
	return c.outBuf[n:len(c.outBuf):len(c.outBuf)]
}

// frameFaults counts one frame the card is about to send and returns the
// faults that fire on it.
func (c *ICC) frameFaults() []link.Fault { return c.cfg.Faults.Frame(link.Contact) }

// run executes one command APDU on the card. fs are the faults decided for
// the first frame of the answer: a PowerLoss tears the command's NVM
// writes (or, if it writes less, cuts the power once it is done) and the
// card answers nothing; Wrong61xx, Wrong6Cxx and ReplaceSW change the
// response. It returns the response, the card's work time and false if the
// card has no answer.
func (c *ICC) run(capdu []byte, fs []link.Fault) ([]byte, time.Duration, bool) {
	if f, ok := link.Has(fs, link.PowerLoss); ok {
		n := f.Arg
		if n <= 0 {
			n = 1
		}
		c.card.TearAfter(n)
		_, writes, err := c.card.TransmitCount(c.resp[:0], capdu)
		note := "the card lost power after the command completed"
		if errors.Is(err, emulator.ErrPowerLost) {
			note = fmt.Sprintf("the card lost power during the command (at NVM write %d)", writes)
		}
		c.card.PowerOff()
		c.mute = true
		c.event(link.FromCard, c.clock.Now(), 0, note, f.String())
		return nil, 0, false
	}
	var err error
	var writes uint64
	c.resp, writes, err = c.card.TransmitCount(c.resp[:0], capdu)
	if err != nil {
		c.mute = true
		c.event(link.FromCard, c.clock.Now(), 0, "the card did not answer: "+err.Error(), "")
		return nil, 0, false
	}
	work := c.cfg.Work(capdu, writes)
	return c.responseFaults(capdu, c.resp, fs), work, true
}

// responseFaults applies the faults that change a response APDU.
func (c *ICC) responseFaults(capdu, resp []byte, fs []link.Fault) []byte {
	if len(fs) == 0 || len(resp) < 2 {
		return resp
	}
	n := len(resp)
	if f, ok := link.Has(fs, link.Wrong61xx); ok && resp[n-2] == 0x61 {
		resp[n-1] = wrongCount(resp[n-1], f.Arg)
	}
	if f, ok := link.Has(fs, link.Wrong6Cxx); ok {
		switch {
		case resp[n-2] == 0x6C:
			resp[n-1] = wrongCount(resp[n-1], f.Arg)
		case n > 2 && c.proto == 1 && le(capdu):
			// The card says the length was wrong when it was right, with a
			// wrong length: the reader must try again.
			resp = append(resp[:0], 0x6C, wrongCount(byte(n-2), f.Arg))
		}
	}
	if f, ok := link.Has(fs, link.ReplaceSW); ok {
		resp[len(resp)-2], resp[len(resp)-1] = byte(f.Arg>>8), byte(f.Arg)
	}
	return resp
}

// le reports whether a command APDU carries Le (cases 2 and 4).
func le(capdu []byte) bool {
	cmd, err := iso7816.ParseCommand(capdu)
	return err == nil && cmd.Ne > 0
}

// wrongCount is the count a Wrong61xx or Wrong6Cxx fault announces: arg if
// given, else one more than the right one.
func wrongCount(right byte, arg int) byte {
	if arg > 0 && byte(arg) != right {
		return byte(arg)
	}
	return right + 1
}

// handlePPS answers a PPS request (ISO/IEC 7816-3 §9). An erroneous
// request gets no answer, and the card then answers nothing until a reset
// (the reader must deactivate). A protocol the ATR does not offer is
// erroneous. PPS1 is accepted when it names the card's TA1 or the default
// 11, or the card's Fi with a smaller defined Di; otherwise the response
// leaves PPS1 out and the defaults Fd and Dd apply. PPS2 and PPS3 are
// never echoed (not supported).
func (c *ICC) handlePPS(frame []byte) {
	req, err := ParsePPS(frame)
	if err != nil || !slices.Contains(c.info.Protocols, req.T) || req.PPS1 != nil && !validFD(*req.PPS1) {
		c.mute = true
		why := "unsupported protocol"
		if err != nil {
			why = err.Error()
		}
		c.event(link.FromCard, c.clock.Now(), 0, "erroneous PPS request ("+why+"): no answer", "")
		return
	}
	resp := PPS{T: req.T}
	rate := InitialRate(c.cfg.ClockHz)
	if req.PPS1 != nil && c.acceptFD(*req.PPS1) {
		v := *req.PPS1
		resp.PPS1 = &v
		rate.F, rate.D = FD(v)
	}
	out := resp.Bytes()
	fs := c.frameFaults()
	if f, ok := link.Has(fs, link.PowerLoss); ok {
		c.loseCardPower(c.clock.Now(), f)
		return
	}
	fault := ""
	switch {
	case hasFault(fs, link.Drop):
		f, _ := link.Has(fs, link.Drop)
		c.emit(c.lastLead, nil, "the card did not send its PPS response", f.String(), 0)
		c.mute = true
		return
	case hasFault(fs, link.CorruptEDC):
		f, _ := link.Has(fs, link.CorruptEDC)
		out[len(out)-1] ^= 0x01
		fault = f.String()
	case hasFault(fs, link.Truncate):
		f, _ := link.Has(fs, link.Truncate)
		out = out[:cutLen(len(out), f.Arg)]
		fault = f.String()
	}
	c.phase = phaseATR // the response still goes at the initial rate
	c.emit(c.lastLead, out, PPSName(out, true), fault, 0)
	c.phase = phaseRun
	c.proto = req.T
	c.rate = rate
}

// acceptFD reports whether the card works at the F and D a PPS1 names.
func (c *ICC) acceptFD(v byte) bool {
	if v == 0x11 {
		return true
	}
	ta1 := c.info.Group(1).TA
	if ta1 == nil {
		return false
	}
	if v == *ta1 {
		return true
	}
	_, d := FD(v)
	return v>>4 == *ta1>>4 && d <= c.info.Di
}

func hasFault(fs []link.Fault, k link.FaultKind) bool {
	_, ok := link.Has(fs, k)
	return ok
}
