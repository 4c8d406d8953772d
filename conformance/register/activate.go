package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// Activate enables a sealed card (POST /v1/cards/{id}/activate): the
// card's holder must be the one the terminal read from the card, and the
// card must not be stopped. The card it replaces and the original card of
// a pharmacy migration are cancelled in the same transaction. A card
// already enabled answers unchanged: activation is idempotent.
func (s *Store) Activate(ctx context.Context, a Actor, id string, req ActivateRequest) (*ActivateResult, error) {
	var out *ActivateResult
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) (err error) {
		if err := w.consume(a); err != nil {
			return err
		}
		out, ref, err = w.activate(a, id, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}

func (w *wtx) activate(a Actor, id string, req ActivateRequest) (*ActivateResult, *Refusal, error) {
	const ev = "activate"
	no := func(c *cardRow, r *Refusal) (*ActivateResult, *Refusal, error) {
		from := State("")
		if c != nil {
			from = c.State
		}
		r, err := w.refused(a, ev, id, r, from)
		return nil, r, err
	}
	c, err := w.card(id)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		return no(nil, refuse(CodeUnknownCard, "no card %s in the register", id))
	}
	if req.SSN != c.SSN {
		return no(c, refuse(CodeIdentityMismatch, "the card read holds social security number %s, the register %s", req.SSN, c.SSN))
	}
	if a.Route == Hospital && req.Service != Outpatient && req.Service != Inpatient {
		return no(c, refuse(CodeNotAllowed, "a hospital activates a card with a registration for outpatient or inpatient service"))
	}
	if a.Route == Pharmacy && req.Original == "" {
		return no(c, refuse(CodeOriginalRequired, "a pharmacy activates a new card after reading the original card"))
	}
	var orig *cardRow
	if req.Original != "" {
		if orig, err = w.card(req.Original); err != nil {
			return nil, nil, err
		}
		switch {
		case orig == nil:
			return no(c, refuse(CodeOriginalMismatch, "no original card %s in the register", req.Original))
		case orig.ID == c.ID:
			return no(c, refuse(CodeOriginalMismatch, "the original card is the new card"))
		case orig.SSN != c.SSN:
			return no(c, refuse(CodeOriginalMismatch, "the original card belongs to %s, the new card to %s", orig.SSN, c.SSN))
		case orig.State == Cancelled && orig.ReplacedBy != c.ID:
			return no(c, refuse(CodeOriginalNotEnabled, "the original card is cancelled"))
		case orig.State != Enabled && orig.State != Cancelled:
			return no(c, refuse(CodeOriginalNotEnabled, "the original card is %s", orig.State))
		}
	}
	// The cards this activation cancels.
	var cancel []*cardRow
	if c.Replaces != "" {
		old, err := w.card(c.Replaces)
		if err != nil {
			return nil, nil, err
		}
		if old != nil && old.State != Cancelled {
			cancel = append(cancel, old)
		}
	}
	if orig != nil && orig.State != Cancelled && orig.ID != c.Replaces {
		cancel = append(cancel, orig)
	}
	res := &ActivateResult{Card: &c.Card}
	from := c.State
	switch {
	case c.State == Enabled:
		// Idempotent; finish a migration the first call left undone.
	case c.State != Sealed:
		return no(c, refuse(string(c.State), "the card is %s", c.State))
	case c.Expired:
		return no(c, refuse(CauseExpired, "the card expired on %s", c.Expiry))
	case c.Arrears > 0:
		return no(c, refuse(CauseArrears, "the medical account owes %d fen: pay first", c.Arrears))
	}
	// One enabled card per person: any other must be one this activation
	// cancels.
	rows, err := w.query("SELECT id FROM cards WHERE ssn = ? AND state = 'enabled' AND id <> ?", c.SSN, c.ID)
	if err != nil {
		return nil, nil, err
	}
	var others []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, nil, err
		}
		others = append(others, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, o := range others {
		if !slices.ContainsFunc(cancel, func(x *cardRow) bool { return x.ID == o }) {
			return no(c, refuse(CodeAnotherCardEnabled, "the holder's card %s is enabled and this card does not replace it", o))
		}
	}
	for _, old := range cancel {
		reason := "reissue"
		if orig != nil && old.ID == orig.ID {
			reason = "migration"
		}
		oldFrom := old.State
		if err := w.setState(old, Cancelled); err != nil {
			return nil, nil, err
		}
		if err := w.journal(a, Entry{Event: "cancel", Card: old.ID, SSN: old.SSN, Outcome: OutcomeOK, From: oldFrom, To: Cancelled,
			Detail: map[string]any{"reason": reason, "replacedBy": c.ID}}); err != nil {
			return nil, nil, err
		}
		res.Cancelled = append(res.Cancelled, old.ID)
	}
	if orig != nil && c.Replaces == "" {
		if _, err := w.exec("UPDATE cards SET replaces = ? WHERE id = ?", orig.ID, c.ID); err != nil {
			return nil, nil, err
		}
		c.Replaces = orig.ID
	}
	detail := map[string]any{}
	if req.Service != "" {
		detail["service"] = req.Service
	}
	if req.Original != "" {
		detail["original"] = req.Original
	}
	if len(res.Cancelled) > 0 {
		detail["cancelled"] = res.Cancelled
	}
	outcome := OutcomeOK
	if c.State == Enabled {
		detail["already"] = true
		outcome = OutcomeUnchanged
		if len(res.Cancelled) > 0 {
			outcome = OutcomeOK
			res.Changed = true
		}
	} else {
		if err := w.setState(c, Enabled); err != nil {
			return nil, nil, err
		}
		res.Changed = true
	}
	if err := w.journal(a, Entry{Event: ev, Card: c.ID, SSN: c.SSN, Outcome: outcome, From: from, To: Enabled, Detail: detail}); err != nil {
		return nil, nil, err
	}
	if req.Service != "" && c.Usable() {
		// A hospital's activation is the holder's registration (route 2).
		err = w.journal(a, Entry{Event: "registration", Card: c.ID, SSN: c.SSN, Outcome: OutcomeOK, From: Enabled, To: Enabled,
			Detail: map[string]any{"service": req.Service}})
	}
	return res, nil, err
}

// Reactivate puts a stopped card back in use at the bureau (route 4):
// arrears must be paid first; an expired card gets a new expiry date
// (renewal); a card lost or cancelled is enabled again unless the holder
// has another enabled card.
func (s *Store) Reactivate(ctx context.Context, a Actor, id string, req ReactivateRequest) (*ReactivateResult, error) {
	var out *ReactivateResult
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) (err error) {
		if err := w.consume(a); err != nil {
			return err
		}
		out, ref, err = w.reactivate(a, id, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}

func (w *wtx) reactivate(a Actor, id string, req ReactivateRequest) (*ReactivateResult, *Refusal, error) {
	const ev = "reactivate"
	c, err := w.card(id)
	if err != nil {
		return nil, nil, err
	}
	no := func(r *Refusal) (*ReactivateResult, *Refusal, error) {
		from := State("")
		if c != nil {
			from = c.State
		}
		r, err := w.refused(a, ev, id, r, from)
		return nil, r, err
	}
	if r := allow(a, "reactivate a card", Bureau); r != nil {
		return no(r)
	}
	if c == nil {
		return no(refuse(CodeUnknownCard, "no card %s in the register", id))
	}
	if req.SSN != c.SSN {
		return no(refuse(CodeIdentityMismatch, "the holder's social security number is %s, the register's %s", req.SSN, c.SSN))
	}
	if c.Arrears > 0 {
		return no(refuse(CauseArrears, "the medical account owes %d fen: pay first", c.Arrears))
	}
	if c.Expired {
		if req.Expiry == "" {
			return no(refuse(CauseExpired, "the card expired on %s: renew it with a new expiry date, or reissue it", c.Expiry))
		}
		if req.Expiry <= today(w.now) {
			return no(refuse(CauseExpired, "the new expiry date %s is not after today", req.Expiry))
		}
	}
	rows, err := w.query("SELECT id FROM cards WHERE ssn = ? AND state = 'enabled' AND id <> ?", c.SSN, c.ID)
	if err != nil {
		return nil, nil, err
	}
	other := ""
	if rows.Next() {
		err = rows.Scan(&other)
	}
	rows.Close()
	if err != nil {
		return nil, nil, err
	}
	if other != "" {
		return no(refuse(CodeAnotherCardEnabled, "the holder's card %s is enabled: this card stays %s", other, c.State))
	}
	from := c.State
	res := &ReactivateResult{Card: &c.Card, Cleared: slices.Clone(c.StopCauses)}
	detail := map[string]any{}
	if len(res.Cleared) > 0 {
		detail["cleared"] = res.Cleared
	}
	if c.Expired {
		if _, err := w.exec("UPDATE cards SET expiry = ?, version = version + 1, updated = ? WHERE id = ?", req.Expiry, w.now.UnixNano(), c.ID); err != nil {
			return nil, nil, err
		}
		detail["expiry"] = req.Expiry
		detail["oldExpiry"] = c.Expiry
		c.Expiry = req.Expiry
		c.Version++
		c.fill(w.now)
		res.Changed = true
	}
	if c.State != Enabled {
		if err := w.setState(c, Enabled); err != nil {
			return nil, nil, err
		}
		res.Changed = true
	}
	outcome := OutcomeUnchanged
	if res.Changed {
		outcome = OutcomeOK
	}
	return res, nil, w.journal(a, Entry{Event: ev, Card: c.ID, SSN: c.SSN, Outcome: outcome, From: from, To: c.State, Detail: detail})
}

// Pay pays arrears on a person's medical account (route 4: "pay first").
func (s *Store) Pay(ctx context.Context, a Actor, ssn string, amount int64) (*PaymentResult, error) {
	if amount <= 0 {
		return nil, fmt.Errorf("payment of %d fen: want more than 0", amount)
	}
	var out *PaymentResult
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) error {
		if err := w.consume(a); err != nil {
			return err
		}
		var p Person
		err := w.queryRow("SELECT ssn, name, arrears FROM persons WHERE ssn = ?", []any{ssn}, &p.SSN, &p.Name, &p.Arrears)
		if errors.Is(err, sql.ErrNoRows) {
			ref, err = w.refused(a, "payment", "", refuse(CodeUnknownCard, "no person %s in the register", ssn), "")
			return err
		}
		if err != nil {
			return err
		}
		if r := allow(a, "take payments", Bureau); r != nil {
			ref, err = w.refused(a, "payment", "", r, "")
			return err
		}
		paid := min(amount, p.Arrears)
		if paid > 0 {
			if _, err := w.exec("UPDATE persons SET arrears = arrears - ? WHERE ssn = ?", paid, ssn); err != nil {
				return err
			}
			p.Arrears -= paid
		}
		out = &PaymentResult{Person: &p, Paid: paid}
		outcome := OutcomeOK
		if paid == 0 {
			outcome = OutcomeUnchanged
		}
		return w.journal(a, Entry{Event: "payment", SSN: ssn, Outcome: outcome, Detail: map[string]any{"amount": amount, "paid": paid, "arrears": p.Arrears}})
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}

// Reissue enrols a new, sealed card that replaces a card (route 4).
func (s *Store) Reissue(ctx context.Context, a Actor, id string, req ReissueRequest) (*CardResult, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	var out *CardResult
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) error {
		if err := w.consume(a); err != nil {
			return err
		}
		no := func(r *Refusal) error {
			var err error
			ref, err = w.refused(a, "reissue", id, r, "")
			return err
		}
		if r := allow(a, "reissue a card", Bureau); r != nil {
			return no(r)
		}
		old, err := w.card(id)
		if err != nil {
			return err
		}
		if old == nil {
			return no(refuse(CodeUnknownCard, "no card %s in the register", id))
		}
		if req.SSN != old.SSN {
			return no(refuse(CodeIdentityMismatch, "the card belongs to %s, not %s", old.SSN, req.SSN))
		}
		nc, err := w.card(req.NewCard)
		if err != nil {
			return err
		}
		if nc != nil {
			if nc.Replaces == old.ID && nc.SSN == old.SSN {
				out = &CardResult{Card: &nc.Card}
				return w.journal(a, Entry{Event: "reissue", Card: nc.ID, SSN: nc.SSN, Outcome: OutcomeUnchanged, Detail: map[string]any{"replaces": old.ID}})
			}
			return no(refuse(CodeConflict, "card %s is already in the register", req.NewCard))
		}
		if old.ReplacedBy != "" {
			prev, err := w.card(old.ReplacedBy)
			if err != nil {
				return err
			}
			if prev != nil && prev.State != Cancelled {
				return no(refuse(CodeConflict, "card %s already replaces it", prev.ID))
			}
		}
		if _, err := w.exec(`INSERT INTO cards (id, number, ssn, generation, state, issued, expiry, chip, pin_default, replaces, version, updated)
			VALUES (?, ?, ?, ?, 'sealed', ?, ?, 'deactivated', 1, ?, 1, ?)`,
			req.NewCard, req.Number, req.SSN, req.Generation, req.Issued, req.Expiry, old.ID, w.now.UnixNano()); err != nil {
			return err
		}
		nc, err = w.card(req.NewCard)
		if err != nil {
			return err
		}
		out = &CardResult{Card: &nc.Card, Changed: true}
		return w.journal(a, Entry{Event: "reissue", Card: nc.ID, SSN: nc.SSN, Outcome: OutcomeOK, To: Sealed, Detail: map[string]any{"replaces": old.ID}})
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}

func (r *ReissueRequest) check() error {
	id, err := NormalizeCardID(r.NewCard)
	if err != nil {
		return err
	}
	r.NewCard = id
	if err := CheckCardNumber(r.Number); err != nil {
		return err
	}
	if err := CheckSSN(r.SSN); err != nil {
		return err
	}
	if !validGeneration(r.Generation) {
		return fmt.Errorf("generation %q: want 1.00, 2.00 or 3.00", clip(r.Generation))
	}
	if err := CheckDate(r.Issued); err != nil {
		return fmt.Errorf("issued: %w", err)
	}
	if err := CheckDate(r.Expiry); err != nil {
		return fmt.Errorf("expiry: %w", err)
	}
	return nil
}

func validGeneration(g string) bool { return g == "1.00" || g == "2.00" || g == "3.00" }
