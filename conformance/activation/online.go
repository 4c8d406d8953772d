package activation

import (
	"context"
	"errors"
	"fmt"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Online runs route 5: the holder's phone reads the card contactlessly
// (card is the contactless transport), the online verifier authenticates
// it through its PKI application (the certificate chain, the card's state
// in the register, the PKI PIN, a signature of a fresh challenge), the app
// account's identity (h.SSN) must be the card's, and the register enables
// the card. A phone has no PSAM: the chip is activated by the next
// terminal with a PSAM that sees the card (Terminal.Seen, or any route).
func (t *Terminal) Online(ctx context.Context, card terminal.Transport, h Holder) (*Outcome, error) {
	r, err := t.start(ctx, register.Online)
	if err != nil {
		return nil, err
	}
	if t.Verifier == nil {
		return nil, errors.New("the online route needs a verifier")
	}
	if err := r.step(1); err != nil {
		return nil, err
	}
	c, err := openCard(card, nil)
	if err != nil {
		return nil, err
	}
	if o, done := r.chipBlocked(c); done {
		return o, nil
	}
	r.o.Card = c.id
	r.o.Chip = c.chipState()
	if err := r.step(2); err != nil {
		return nil, err
	}
	res := idauth.Authenticate(t.Verifier, card, h.PKIPIN, nil)
	if !res.Accepted {
		if linkFailure(res.Err) || errors.Is(res.Err, errRegisterUnreachable) {
			return nil, fmt.Errorf("online authentication: %w", res.Err)
		}
		return r.o.refuse(CodeNotAuthentic, "the verifier refused the card: %v", res.Err), nil
	}
	id := res.Identity
	if id.Card.Identifier != c.id {
		return r.o.refuse(CodeNotAuthentic, "the certificate names card %s, the card read is %s", id.Card.Identifier, c.id), nil
	}
	c.ssn, c.name = id.Card.SSN, id.Name
	if err := r.step(3); err != nil {
		return nil, err
	}
	if o, done := r.checkHolder(c, h); done {
		return o, nil
	}
	rec, activated, o, err := r.enable(c, 4, 5, register.ActivateRequest{})
	if rec == nil {
		return o, err
	}
	if activated && c.lcs == lcsDeactivated {
		r.o.note("the chip stays deactivated until a terminal with a PSAM sees the card")
	}
	return r.o, nil
}

// linkFailure tells an authentication that failed because the card could
// not be reached (the phone moved away, the card lost power) from a
// refusal: the card answered, or the verifier refused what it answered.
func linkFailure(err error) bool {
	if err == nil {
		return false
	}
	if _, ok := iso7816.StatusOf(err); ok {
		return false
	}
	for _, e := range []error{idauth.ErrChallengeUnknown, idauth.ErrChallengeExpired, idauth.ErrCertificateTime,
		idauth.ErrUntrusted, idauth.ErrKeyUsage, idauth.ErrNotSM2, idauth.ErrCardRefused, idauth.ErrSignature} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

// errRegisterUnreachable marks a lookup of the verifier that did not reach
// the register: the authentication failed, it was not refused.
var errRegisterUnreachable = errors.New("the card register did not answer")

// RegisterStatus is the card register as the online verifier (idauth)
// sees it: a card's back-end state, looked up through the register API by
// the online platform's terminal.
type RegisterStatus struct {
	Client *register.Client
	// Ctx bounds the lookups (default context.Background()).
	Ctx context.Context
}

// CardStatus implements idauth.Register.
func (s RegisterStatus) CardStatus(ref idauth.CardRef) (idauth.CardStatus, error) {
	ctx := s.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := s.Client.Lookup(ctx, ref.Identifier)
	if err != nil {
		r, ok := register.IsRefusal(err)
		switch {
		case ok && r.Code == register.CodeUnknownCard:
			return "", fmt.Errorf("%w: %s", idauth.ErrUnknownCard, ref.Identifier)
		case !ok:
			return "", fmt.Errorf("%w: %w", errRegisterUnreachable, err)
		}
		return "", err
	}
	if ref.SSN != "" && c.SSN != ref.SSN {
		return "", fmt.Errorf("the certificate names holder %s, the register %s", ref.SSN, c.SSN)
	}
	return idauth.CardStatus(c.State), nil
}
