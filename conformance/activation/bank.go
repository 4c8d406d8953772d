package activation

import (
	"context"
	"errors"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Bank runs route 1 at a bank outlet: the holder brings the card and the
// identity document; the outlet reads and checks the identity, activates
// the card, has the holder set the social security PIN if it is still the
// default (or resets a blocked PIN with the PSAM) and the bank card PIN
// separately (an issuer script on the financial application), and
// invalidates the original card of a reissue: the register cancels it when
// the new card is activated, and any original card the holder brought
// (originals) is blocked on-chip.
func (t *Terminal) Bank(ctx context.Context, card terminal.Transport, h Holder, originals ...terminal.Transport) (*Outcome, error) {
	r, err := t.start(ctx, register.Bank)
	if err != nil {
		return nil, err
	}
	if h.SSN == "" {
		return nil, errors.New("the bank route checks the holder's identity document: give its social security number")
	}
	c, o, err := r.openAt(1, card)
	if c == nil {
		return o, err
	}
	if err := r.step(2); err != nil {
		return nil, err
	}
	if o, done := r.checkHolder(c, h); done {
		return o, nil
	}
	rec, _, o, err := r.enable(c, 3, 4, register.ActivateRequest{})
	if rec == nil {
		return o, err
	}
	if err := r.step(5); err != nil {
		return nil, err
	}
	if err := r.follow(c, rec); err != nil {
		return nil, err
	}
	if err := r.step(6); err != nil {
		return nil, err
	}
	if err := r.bankSSSEPIN(c, rec, h); err != nil {
		return nil, err
	}
	if err := r.step(7); err != nil {
		return nil, err
	}
	if err := r.bankCardPIN(card, c, h); err != nil {
		return nil, err
	}
	if err := r.step(8); err != nil {
		return nil, err
	}
	return r.o, r.invalidateOriginals(rec, originals)
}

// bankSSSEPIN sets the social security PIN if the register says it is
// still the default, or resets it if it is blocked. It never spends the
// last try on the default PIN.
func (r *run) bankSSSEPIN(c *chipCard, rec *register.Card, h Holder) error {
	tries, blocked, err := c.pinTries()
	if err != nil {
		return err
	}
	switch {
	case blocked && h.PIN == "":
		r.o.note("the social security PIN is blocked and the holder chose no new PIN")
	case blocked:
		sw, err := c.ssc.ReloadPIN(h.PIN)
		if err != nil {
			return cardErr("PIN reload", err)
		}
		if sw != iso7816.SWOK {
			return cardErr("PIN reload", sw)
		}
		if _, err := r.t.Register.RecordEvent(r.ctx, c.id, register.EventRequest{Event: "pin-reload"}); err != nil {
			return err
		}
		r.o.PINReset = true
	case !rec.PINDefault:
		r.o.note("the social security PIN was set before: kept")
	case h.PIN == "":
		r.o.note("the holder chose no social security PIN")
	case tries >= 0 && tries < 2:
		r.o.note("the social security PIN has %d tries left: the default PIN is not tried", tries)
	default:
		sw, err := c.ssc.ChangePIN(r.t.defaultPIN(), h.PIN)
		if err != nil {
			return cardErr("CHANGE PIN", err)
		}
		switch {
		case sw == iso7816.SWOK:
			if _, err := r.t.Register.RecordEvent(r.ctx, c.id, register.EventRequest{Event: "pin-set"}); err != nil {
				return err
			}
			r.o.PINSet = true
		case sw.SW1() == 0x63:
			r.o.note("the social security PIN is not the default (the card answered %04X): kept", uint16(sw))
		default:
			return cardErr("CHANGE PIN", sw)
		}
	}
	return nil
}

// bankCardPIN sets the bank card PIN through the bank's host.
func (r *run) bankCardPIN(card terminal.Transport, c *chipCard, h Holder) error {
	switch {
	case h.BankPIN == "":
		r.o.note("the holder chose no bank card PIN")
		return nil
	case r.t.BankHost == nil:
		r.o.note("no bank host: the bank card PIN is not set")
		return nil
	}
	if err := r.t.BankHost.SetPIN(card, h.BankPIN); err != nil {
		if errors.Is(err, ErrNoFinancialApp) {
			r.o.note("the card has no financial application: no bank card PIN")
			return nil
		}
		return err
	}
	if _, err := r.t.Register.RecordEvent(r.ctx, c.id, register.EventRequest{Event: "bank-pin-set"}); err != nil {
		return err
	}
	r.o.BankPINSet = true
	return nil
}

// invalidateOriginals notes the original card the register cancelled and
// blocks every original card the holder brought.
func (r *run) invalidateOriginals(rec *register.Card, originals []terminal.Transport) error {
	for _, id := range r.o.Cancelled {
		r.o.note("the original card %s is cancelled; its chip is blocked when it is next seen", id)
	}
	for _, t := range originals {
		if err := r.seen(t); err != nil {
			return err
		}
	}
	return nil
}

// seen makes the chip of a card in the reader follow the register (a card
// the holder brought along: an original card).
func (r *run) seen(card terminal.Transport) error {
	c, err := r.open(card, false)
	if err != nil {
		return err
	}
	if c.id == "" {
		return nil // blocked or terminated already
	}
	rec, err := r.t.Register.Lookup(r.ctx, c.id)
	if err != nil {
		if _, ok := register.IsRefusal(err); ok {
			return nil
		}
		return err
	}
	chip := r.o.Chip
	err = r.follow(c, rec)
	r.o.Chip = chip
	return err
}
