package activation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
)

// DefaultPIN is the social security PIN cards are issued with [model:
// "usually 123456", CARD.md §3].
const DefaultPIN = "123456"

// Terminal is a reference terminal of one route: the register through its
// API, the PSAM in its second slot, and what else its route needs.
type Terminal struct {
	Route    register.Route
	Register *register.Client
	// PSAM is the terminal's security module; nil for a phone (online).
	PSAM terminal.Transport
	// Rand gives the random numbers of internal authentication (default
	// crypto/rand); Now is the terminal's clock (default time.Now).
	Rand io.Reader
	Now  func() time.Time
	// DefaultPIN is the social security PIN the issuer personalises
	// (default DefaultPIN).
	DefaultPIN string
	// BankHost is the bank's host for the bank card PIN (route 1); nil: the
	// step is skipped.
	BankHost *BankHost
	// Verifier is the online identity-authentication server (route 5).
	Verifier *idauth.Server
	// Before, if set, is called before each step; an error it returns
	// stops the route there, as a terminal that lost its power would
	// (tests use it to cut flows short).
	Before func(s Step) error
}

// Holder is the person at the counter and what they ask for.
type Holder struct {
	// SSN and Name are read from the holder's identity document.
	SSN  string
	Name string
	// CardNumber is the number printed on the card (finds a card whose
	// chip cannot be read, e.g. a blocked one).
	CardNumber string
	// PIN is the social security PIN the holder chooses (bank, bureau);
	// empty: the terminal does not set one.
	PIN string
	// BankPIN is the bank card PIN the holder chooses (bank); empty: not
	// set.
	BankPIN string
	// PKIPIN is the PIN of the card's PKI application (online).
	PKIPIN string
	// Service is the hospital service: outpatient or inpatient.
	Service string
}

// Result is what a route achieved.
type Result string

// Results.
const (
	Activated      Result = "activated"       // a sealed card enabled
	AlreadyEnabled Result = "already-enabled" // nothing to activate (activation is idempotent)
	Migrated       Result = "migrated"        // pharmacy: new card enabled, original cancelled
	Reactivated    Result = "reactivated"     // bureau: a stopped card back in use
	Reissued       Result = "reissued"        // bureau: a new card enabled, the old cancelled
	Refused        Result = "refused"         // the route refused; Code says why
)

// Terminal refusal codes, beside the register's (register.Refusal codes).
const (
	CodeCardBlocked    = "card-blocked"    // the chip is blocked (APPLICATION BLOCK) and the route cannot lift it
	CodeCardTerminated = "card-terminated" // the SSSE is terminated
	CodeNoCard         = "no-card"         // no card in the register for the printed number
	CodeNotAuthentic   = "not-authentic"   // the online verifier refused the card
)

// Outcome is the outcome of a route.
type Outcome struct {
	Route  register.Route `json:"route"`
	Result Result         `json:"result"`
	// Code and Reason say why a route refused.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Card is the card the route was about (the new card of a migration
	// or reissue).
	Card string `json:"cardId,omitempty"`
	// Cancelled lists the cards the route cancelled in the register.
	Cancelled []string `json:"cancelled,omitempty"`
	// Chip is the state the route left the card's chip in.
	Chip register.Chip `json:"chip,omitempty"`
	// Blocked lists the cards the route blocked on-chip.
	Blocked []string `json:"blocked,omitempty"`
	// PINSet, PINReset and BankPINSet say what the bank route did with
	// the PINs; Note says what it skipped.
	PINSet     bool     `json:"pinSet,omitempty"`
	PINReset   bool     `json:"pinReset,omitempty"`
	BankPINSet bool     `json:"bankPinSet,omitempty"`
	Notes      []string `json:"notes,omitempty"`
	// Done lists the steps the route went through.
	Done []string `json:"done,omitempty"`
}

func (o *Outcome) refuse(code, format string, args ...any) *Outcome {
	o.Result, o.Code, o.Reason = Refused, code, fmt.Sprintf(format, args...)
	return o
}

func (o *Outcome) note(format string, args ...any) {
	o.Notes = append(o.Notes, fmt.Sprintf(format, args...))
}

// run is one route under way.
type run struct {
	t   *Terminal
	ctx context.Context
	o   *Outcome
}

func (t *Terminal) start(ctx context.Context, route register.Route) (*run, error) {
	if t.Route != route {
		return nil, fmt.Errorf("a %s terminal cannot run the %s route", t.Route, route)
	}
	if t.Register == nil {
		return nil, errors.New("the terminal has no register client")
	}
	return &run{t: t, ctx: ctx, o: &Outcome{Route: route}}, nil
}

// step marks the start of step n of the route.
func (r *run) step(n int) error {
	s := stepOf(r.o.Route, n)
	if r.t.Before != nil {
		if err := r.t.Before(s); err != nil {
			return fmt.Errorf("before %s: %w", s, err)
		}
	}
	r.o.Done = append(r.o.Done, s.ID())
	return nil
}

func (t *Terminal) rand() io.Reader {
	if t.Rand != nil {
		return t.Rand
	}
	return rand.Reader
}

func (t *Terminal) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Terminal) defaultPIN() string {
	if t.DefaultPIN != "" {
		return t.DefaultPIN
	}
	return DefaultPIN
}

// psam returns the PSAM with DF01 selected.
func (t *Terminal) psam() (*terminal.PSAM, error) {
	if t.PSAM == nil {
		return nil, nil
	}
	p := &terminal.PSAM{T: t.PSAM}
	if err := p.Select(); err != nil {
		return nil, fmt.Errorf("PSAM: %w", err)
	}
	return p, nil
}

// open opens the card in the reader and reads its identity.
func (r *run) open(card terminal.Transport, identity bool) (*chipCard, error) {
	ps, err := r.t.psam()
	if err != nil {
		return nil, err
	}
	c, err := openCard(card, ps)
	if err != nil {
		return nil, err
	}
	if identity && c.id != "" {
		if err := c.readIdentity(r.t.rand()); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// openAt is the opening of a route at step n: the card is opened and its
// identity read, a card whose chip cannot be read is refused, and the
// outcome names the card. A nil card ends the route with (o, err).
func (r *run) openAt(n int, card terminal.Transport) (c *chipCard, o *Outcome, err error) {
	if err := r.step(n); err != nil {
		return nil, nil, err
	}
	if c, err = r.open(card, true); err != nil {
		return nil, nil, err
	}
	if o, done := r.chipBlocked(c); done {
		return nil, o, nil
	}
	r.o.Card = c.id
	return c, nil, nil
}

// enable looks the card up at step lookup, refuses a card the register
// stops, and asks the register to activate a sealed card at step act with
// req. rec is the card's record after it, activated says the activation
// ran (the outcome says Activated if it changed the card, AlreadyEnabled
// otherwise). A nil rec ends the route with (o, err).
func (r *run) enable(c *chipCard, lookup, act int, req register.ActivateRequest) (rec *register.Card, activated bool, o *Outcome, err error) {
	if err := r.step(lookup); err != nil {
		return nil, false, nil, err
	}
	if rec, err = r.t.Register.Lookup(r.ctx, c.id); err != nil {
		o, err = r.refused(err)
		return nil, false, o, err
	}
	if o, done, err := r.stopped(c, rec); done {
		return nil, false, o, err
	}
	r.o.Result = AlreadyEnabled
	if rec.State != register.Sealed {
		return rec, false, nil, nil
	}
	if err := r.step(act); err != nil {
		return nil, false, nil, err
	}
	res, err := r.activate(c, req)
	if err != nil {
		o, err = r.refused(err)
		return nil, false, o, err
	}
	if res.Changed {
		r.o.Result = Activated
	}
	return res.Card, true, nil, nil
}

// refused turns a refusal of the register into the outcome; other errors
// are returned.
func (r *run) refused(err error) (*Outcome, error) {
	if ref, ok := register.IsRefusal(err); ok {
		return r.o.refuse(ref.Code, "%s", ref.Message), nil
	}
	return nil, err
}

// follow makes the chip follow the register (CARD.md §6 [model]) and
// reports the chip's state: an enabled card is activated, a cancelled or
// formally lost card blocked. rec is updated with what the register says
// after the report.
func (r *run) follow(c *chipCard, rec *register.Card) error {
	if r.t.PSAM == nil {
		// A phone changes no chip: the next terminal with a PSAM will.
		r.o.Chip = c.chipState()
		return nil
	}
	switch {
	case c.terminated:
	case rec.State == register.Cancelled || rec.State == register.FormalLoss:
		if !c.blocked {
			if err := c.block(); err != nil {
				return err
			}
			r.o.Blocked = append(r.o.Blocked, rec.ID)
		}
	case rec.State == register.Enabled && !c.blocked && c.lcs == lcsDeactivated:
		if err := c.activate(); err != nil {
			return err
		}
	}
	chip := c.chipState()
	r.o.Chip = chip
	if rec.Chip == chip {
		return nil
	}
	res, err := r.t.Register.ReportChip(r.ctx, rec.ID, chip)
	if err != nil {
		return fmt.Errorf("reporting the chip's state: %w", err)
	}
	*rec = *res.Card
	return nil
}

// stopped refuses a card whose register state or stop causes end the
// route (anything but sealed or enabled and not stopped), after making the
// chip follow.
func (r *run) stopped(c *chipCard, rec *register.Card) (o *Outcome, done bool, err error) {
	if rec.State != register.Sealed && rec.State != register.Enabled {
		if err := r.follow(c, rec); err != nil {
			return nil, true, err
		}
		return r.o.refuse(string(rec.State), "the card is %s in the register", rec.State), true, nil
	}
	for _, cause := range []string{register.CauseExpired, register.CauseArrears} {
		for _, sc := range rec.StopCauses {
			if sc == cause {
				return r.o.refuse(cause, "the card is stopped: %s", cause), true, nil
			}
		}
	}
	return nil, false, nil
}

// chipBlocked refuses a card whose chip cannot be read (blocked or
// terminated) on a route that cannot lift it.
func (r *run) chipBlocked(c *chipCard) (*Outcome, bool) {
	switch {
	case c.terminated:
		return r.o.refuse(CodeCardTerminated, "the social security application is terminated"), true
	case c.blocked:
		return r.o.refuse(CodeCardBlocked, "the social security application is blocked: the holder goes to the bureau"), true
	}
	return nil, false
}

// checkHolder refuses a card whose holder is not the person whose document
// the terminal read.
func (r *run) checkHolder(c *chipCard, h Holder) (*Outcome, bool) {
	if h.SSN != "" && c.ssn != h.SSN {
		return r.o.refuse(register.CodeIdentityMismatch, "the card holds social security number %s, the identity document %s", c.ssn, h.SSN), true
	}
	if h.Name != "" && c.name != "" && c.name != h.Name {
		return r.o.refuse(register.CodeIdentityMismatch, "the card holds the name %s, the identity document %s", c.name, h.Name), true
	}
	return nil, false
}

// activate asks the register to enable the card.
func (r *run) activate(c *chipCard, req register.ActivateRequest) (*register.ActivateResult, error) {
	req.SSN = c.ssn
	res, err := r.t.Register.Activate(r.ctx, c.id, req)
	if err != nil {
		return nil, err
	}
	r.o.Cancelled = append(r.o.Cancelled, res.Cancelled...)
	return res, nil
}
