package activation

import (
	"context"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
)

// Hospital runs route 2 at a designated hospital: the first registration
// for outpatient or inpatient service (h.Service, default outpatient)
// activates a sealed card: the activation request carries the service and
// the register journals the registration with it. An enabled card is simply registered; a card the
// register stops is refused (and blocked on-chip when cancelled or
// formally lost). When h carries an identity document, the card must be
// its holder's.
func (t *Terminal) Hospital(ctx context.Context, card terminal.Transport, h Holder) (*Outcome, error) {
	r, err := t.start(ctx, register.Hospital)
	if err != nil {
		return nil, err
	}
	service := h.Service
	if service == "" {
		service = register.Outpatient
	}
	if err := r.step(1); err != nil {
		return nil, err
	}
	c, err := r.open(card, true)
	if err != nil {
		return nil, err
	}
	if o, done := r.chipBlocked(c); done {
		return o, nil
	}
	r.o.Card = c.id
	if o, done := r.checkHolder(c, h); done {
		return o, nil
	}
	if err := r.step(2); err != nil {
		return nil, err
	}
	rec, err := t.Register.Lookup(ctx, c.id)
	if err != nil {
		return r.refused(err)
	}
	if o, done, err := r.stopped(c, rec); done {
		return o, err
	}
	r.o.Result = AlreadyEnabled
	registered := false
	if rec.State == register.Sealed {
		if err := r.step(3); err != nil {
			return nil, err
		}
		// The activation carries the registration: the register
		// journals both.
		res, err := r.activate(c, register.ActivateRequest{Service: service})
		if err != nil {
			return r.refused(err)
		}
		rec, registered = res.Card, true
		if res.Changed {
			r.o.Result = Activated
		}
	}
	if err := r.step(4); err != nil {
		return nil, err
	}
	if err := r.follow(c, rec); err != nil {
		return nil, err
	}
	if registered {
		return r.o, nil
	}
	if err := r.step(5); err != nil {
		return nil, err
	}
	if _, err := t.Register.RecordEvent(ctx, c.id, register.EventRequest{Event: "registration", Service: service}); err != nil {
		return r.refused(err)
	}
	return r.o, nil
}
