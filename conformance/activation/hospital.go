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
	c, o, err := r.openAt(1, card)
	if c == nil {
		return o, err
	}
	if o, done := r.checkHolder(c, h); done {
		return o, nil
	}
	// The activation of a sealed card carries the registration: the
	// register journals both.
	rec, registered, o, err := r.enable(c, 2, 3, register.ActivateRequest{Service: service})
	if rec == nil {
		return o, err
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
