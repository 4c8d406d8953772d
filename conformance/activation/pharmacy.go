package activation

import (
	"context"
	"errors"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
)

// Pharmacy runs route 3 at a designated pharmacy: at first use the holder
// inserts the original medical insurance card, then the new social
// security card. Both must carry the same social security number, or the
// pharmacy refuses before anything changes. The register enables the new
// card and cancels the original in one transaction; the new card's chip is
// activated; the original, out of the reader by then, is blocked on-chip
// the next time a terminal sees it (Terminal.Seen).
func (t *Terminal) Pharmacy(ctx context.Context, original, newCard terminal.Transport, h Holder) (*Outcome, error) {
	r, err := t.start(ctx, register.Pharmacy)
	if err != nil {
		return nil, err
	}
	if err := r.step(1); err != nil {
		return nil, err
	}
	oc, err := r.open(original, true)
	if err != nil {
		return nil, err
	}
	if o, done := r.chipBlocked(oc); done {
		return o, nil
	}
	if o, done := r.checkHolder(oc, h); done {
		return o, nil
	}
	if err := r.step(2); err != nil {
		return nil, err
	}
	orec, err := t.Register.Lookup(ctx, oc.id)
	if err != nil {
		return r.refused(err)
	}
	// The original card is seen: its chip follows the register (a card
	// cancelled by an earlier migration is blocked now).
	chip := r.o.Chip
	if err := r.follow(oc, orec); err != nil {
		return nil, err
	}
	r.o.Chip = chip
	nc, o, err := r.openAt(3, newCard)
	if nc == nil {
		return o, err
	}
	if err := r.step(4); err != nil {
		return nil, err
	}
	if nc.ssn != oc.ssn {
		return r.o.refuse(register.CodeOriginalMismatch, "the original card holds social security number %s, the new card %s", oc.ssn, nc.ssn), nil
	}
	if nc.id == oc.id {
		return r.o.refuse(register.CodeOriginalMismatch, "the same card was inserted twice"), nil
	}
	migrated := orec.State == register.Cancelled && orec.ReplacedBy == nc.id
	if orec.State != register.Enabled && !migrated {
		return r.o.refuse(register.CodeOriginalNotEnabled, "the original card is %s in the register", orec.State), nil
	}
	if err := r.step(5); err != nil {
		return nil, err
	}
	rec, err := t.Register.Lookup(ctx, nc.id)
	if err != nil {
		return r.refused(err)
	}
	if o, done, err := r.stopped(nc, rec); done {
		return o, err
	}
	if err := r.step(6); err != nil {
		return nil, err
	}
	res, err := r.activate(nc, register.ActivateRequest{Original: oc.id})
	if err != nil {
		return r.refused(err)
	}
	rec = res.Card
	r.o.Result = AlreadyEnabled
	if res.Changed {
		r.o.Result = Migrated
	}
	if err := r.step(7); err != nil {
		return nil, err
	}
	if err := r.follow(nc, rec); err != nil {
		return nil, err
	}
	if err := r.step(8); err != nil {
		return nil, err
	}
	if !contains(r.o.Blocked, oc.id) {
		r.o.note("the original card %s is cancelled; its chip is blocked when it is next seen", oc.id)
	}
	return r.o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Seen is what every terminal with a PSAM does with a card it sees before
// anything else: the chip follows the register. A cancelled or formally
// lost card is blocked (APPLICATION BLOCK), an enabled card still
// deactivated is activated, and the register hears the chip's state. The
// outcome says what the card is and what was done; Result is Refused for a
// card that is not usable.
func (t *Terminal) Seen(ctx context.Context, card terminal.Transport) (*Outcome, error) {
	r := &run{t: t, ctx: ctx, o: &Outcome{Route: t.Route}}
	if t.PSAM == nil {
		return nil, errors.New("a terminal without a PSAM cannot change a chip")
	}
	c, err := r.open(card, false)
	if err != nil {
		return nil, err
	}
	if o, done := r.chipBlocked(c); done {
		return o, nil
	}
	r.o.Card = c.id
	rec, err := t.Register.Lookup(ctx, c.id)
	if err != nil {
		return r.refused(err)
	}
	if err := r.follow(c, rec); err != nil {
		return nil, err
	}
	if !rec.Usable() {
		code := string(rec.State)
		if rec.State == register.Enabled || rec.State == register.Sealed {
			code = register.CodeNotUsable
		}
		return r.o.refuse(code, "the card is %s %v", rec.State, rec.StopCauses), nil
	}
	r.o.Result = AlreadyEnabled
	return r.o, nil
}
