package activation

import (
	"context"
	"errors"
	"time"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
)

// BureauRequest is what the holder asks the bureau for.
type BureauRequest struct {
	// NewCard, if set, is a new card to issue in place of the card
	// (reissue); otherwise the card is reactivated.
	NewCard terminal.Transport
	// Expiry is the new expiry date (YYYYMMDD) of an expired card; empty:
	// RenewYears from today.
	Expiry string
}

// RenewYears is the validity of a renewed card [model: ten years, the
// validity of the personas].
const RenewYears = 10

// Bureau runs route 4 at the social security bureau: the holder brings the
// card and the identity document; the bureau reactivates a stopped card
// for each cause — arrears on the medical account paid first; an expired
// card renewed (the new expiry date in the register and on the chip); a
// temporary or formal loss report lifted; a cancelled card enabled again
// unless another card replaced it — or reissues it: the new card is
// enrolled, activated (which cancels the old one) and the old one blocked
// on-chip. A card whose chip is blocked is found by its printed number
// and unblocked.
func (t *Terminal) Bureau(ctx context.Context, card terminal.Transport, h Holder, req BureauRequest) (*Outcome, error) {
	r, err := t.start(ctx, register.Bureau)
	if err != nil {
		return nil, err
	}
	if h.SSN == "" {
		return nil, errors.New("the bureau checks the holder's identity document: give its social security number")
	}
	if err := r.step(1); err != nil {
		return nil, err
	}
	c, err := r.open(card, true)
	if err != nil {
		return nil, err
	}
	var rec *register.Card
	if c.id == "" {
		// Blocked or terminated: the clerk finds the card by its number.
		cards, err := t.Register.FindByNumber(ctx, h.CardNumber)
		if err != nil {
			return r.refused(err)
		}
		for _, x := range cards {
			if x.SSN == h.SSN {
				rec = x
			}
		}
		if rec == nil {
			return r.o.refuse(CodeNoCard, "no card numbered %q of holder %s in the register", h.CardNumber, h.SSN), nil
		}
		if err := c.setCardID(rec.ID, rec.Generation); err != nil {
			return nil, err
		}
		c.ssn = rec.SSN
	}
	r.o.Card = c.id
	if err := r.step(2); err != nil {
		return nil, err
	}
	if o, done := r.checkHolder(c, h); done {
		return o, nil
	}
	if err := r.step(3); err != nil {
		return nil, err
	}
	if rec, err = t.Register.Lookup(ctx, c.id); err != nil {
		return r.refused(err)
	}
	if req.NewCard != nil {
		return r.reissue(c, rec, req.NewCard)
	}
	if c.terminated {
		return r.o.refuse(CodeCardTerminated, "the social security application is terminated: the card must be reissued"), nil
	}
	return r.reactivate(c, rec, req)
}

func (r *run) reactivate(c *chipCard, rec *register.Card, req BureauRequest) (*Outcome, error) {
	ctx, reg := r.ctx, r.t.Register
	changed, activated := false, false
	if rec.Arrears > 0 {
		if err := r.step(4); err != nil {
			return nil, err
		}
		if _, err := reg.Pay(ctx, rec.SSN, rec.Arrears); err != nil {
			return r.refused(err)
		}
		changed = true
	}
	if err := r.step(5); err != nil {
		return nil, err
	}
	expiry := ""
	if rec.Expired {
		expiry = req.Expiry
		if expiry == "" {
			expiry = r.t.now().AddDate(RenewYears, 0, 0).In(chinaTime).Format("20060102")
		}
	}
	if rec.State == register.Sealed && !rec.Expired {
		res, err := r.activate(c, register.ActivateRequest{})
		if err != nil {
			return r.refused(err)
		}
		rec, changed = res.Card, changed || res.Changed
		if res.Changed {
			activated = true
		}
	} else {
		res, err := reg.Reactivate(ctx, c.id, register.ReactivateRequest{SSN: c.ssn, Expiry: expiry})
		if err != nil {
			if _, ok := register.IsRefusal(err); ok && !c.blocked {
				// The card stays as it is: its chip follows the register.
				if ferr := r.follow(c, rec); ferr != nil {
					return nil, ferr
				}
			}
			return r.refused(err)
		}
		rec, changed = res.Card, changed || res.Changed
	}
	if err := r.step(6); err != nil {
		return nil, err
	}
	if c.blocked {
		if err := c.unblock(); err != nil {
			return nil, err
		}
		changed = true
	}
	if err := r.follow(c, rec); err != nil {
		return nil, err
	}
	if c.expiry != rec.Expiry {
		if err := r.step(7); err != nil {
			return nil, err
		}
		if err := c.renew(rec.Expiry); err != nil {
			return nil, err
		}
		changed = true
	}
	switch {
	case activated:
		r.o.Result = Activated
	case changed:
		r.o.Result = Reactivated
	default:
		r.o.Result = AlreadyEnabled
	}
	return r.o, nil
}

func (r *run) reissue(old *chipCard, oldRec *register.Card, newCard terminal.Transport) (*Outcome, error) {
	ctx, reg := r.ctx, r.t.Register
	nc, o, err := r.openAt(8, newCard)
	if nc == nil {
		return o, err
	}
	if nc.ssn != oldRec.SSN {
		return r.o.refuse(register.CodeIdentityMismatch, "the new card holds social security number %s, the holder's is %s", nc.ssn, oldRec.SSN), nil
	}
	issued, err := nc.readRecord(terminal.SFIEF05, recIssued)
	if err != nil {
		return nil, err
	}
	if _, err := reg.Reissue(ctx, old.id, register.ReissueRequest{
		NewCard: nc.id, Number: nc.number, SSN: nc.ssn, Generation: nc.version,
		Issued: hexString(issued), Expiry: nc.expiry,
	}); err != nil {
		return r.refused(err)
	}
	if err := r.step(9); err != nil {
		return nil, err
	}
	res, err := r.activate(nc, register.ActivateRequest{})
	if err != nil {
		return r.refused(err)
	}
	if err := r.follow(nc, res.Card); err != nil {
		return nil, err
	}
	chip := r.o.Chip
	if err := r.step(10); err != nil {
		return nil, err
	}
	if !old.terminated {
		// The old card, handed in again, is blocked now (or, blocked
		// already, reported so).
		again, err := r.open(old.t, false)
		if err != nil {
			return nil, err
		}
		if again.id == "" {
			again.id, again.ssc.CardID = old.id, old.ssc.CardID
		}
		oldRec, err := reg.Lookup(ctx, old.id)
		if err != nil {
			return nil, err
		}
		if err := r.follow(again, oldRec); err != nil {
			return nil, err
		}
	}
	r.o.Chip = chip
	r.o.Result = AlreadyEnabled
	if res.Changed {
		r.o.Result = Reissued
	}
	return r.o, nil
}

// chinaTime is the calendar of card dates [model: UTC+8].
var chinaTime = time.FixedZone("CST", 8*3600)
