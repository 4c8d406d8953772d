package register

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrReplayed is the answer to a request whose nonce the register has seen.
var ErrReplayed = errors.New("replayed request: the nonce was used before")

const cardColumns = `c.id, c.number, c.ssn, p.name, c.generation, c.state, ifnull(c.prior_state, ''),
	c.issued, c.expiry, c.chip, c.pin_default, ifnull(c.replaces, ''),
	ifnull((SELECT r.id FROM cards r WHERE r.replaces = c.id ORDER BY r.rowid DESC LIMIT 1), ''),
	p.arrears, c.version, c.updated
	FROM cards c JOIN persons p ON p.ssn = c.ssn`

// cardRow is a card with what only the register sees.
type cardRow struct {
	Card
	prior State
}

type scanner interface{ Scan(dest ...any) error }

func scanCard(sc scanner, now time.Time) (*cardRow, error) {
	var c cardRow
	var pin int
	var updated int64
	err := sc.Scan(&c.ID, &c.Number, &c.SSN, &c.Name, &c.Generation, &c.State, &c.prior,
		&c.Issued, &c.Expiry, &c.Chip, &pin, &c.Replaces, &c.ReplacedBy, &c.Arrears, &c.Version, &updated)
	if err != nil {
		return nil, err
	}
	c.PINDefault = pin != 0
	c.Updated = time.Unix(0, updated).UTC()
	c.fill(now)
	return &c, nil
}

// fill computes the fields that depend on the clock.
func (c *Card) fill(now time.Time) {
	c.Expired = c.Expiry < today(now)
	c.StopCauses = c.StopCauses[:0]
	switch c.State {
	case TemporaryLoss, FormalLoss, Cancelled:
		c.StopCauses = append(c.StopCauses, string(c.State))
	}
	if c.Expired {
		c.StopCauses = append(c.StopCauses, CauseExpired)
	}
	if c.Arrears > 0 {
		c.StopCauses = append(c.StopCauses, CauseArrears)
	}
	if len(c.StopCauses) == 0 {
		c.StopCauses = nil
	}
}

func (w *wtx) card(id string) (*cardRow, error) {
	c, err := scanCard(w.tx.QueryRowContext(w.ctx, "SELECT "+cardColumns+" WHERE c.id = ?", id), w.now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, err
}

// consume records the actor's nonce; a nonce seen before is ErrReplayed.
func (w *wtx) consume(a Actor) error {
	if a.Nonce == "" {
		return nil
	}
	res, err := w.exec("INSERT OR IGNORE INTO nonces (terminal, nonce, ts) VALUES (?, ?, ?)", a.Terminal, a.Nonce, a.Time.UnixNano())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrReplayed
	}
	return nil
}

// journal appends an entry for the actor.
func (w *wtx) journal(a Actor, e Entry) error {
	var detail any
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return err
		}
		detail = string(b)
	}
	_, err := w.exec(`INSERT INTO journal (ts, terminal, route, event, card, ssn, outcome, code, from_state, to_state, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.now.UnixNano(), a.Terminal, string(a.Route), e.Event, nullable(e.Card), nullable(e.SSN),
		e.Outcome, nullable(e.Code), nullable(string(e.From)), nullable(string(e.To)), detail)
	return err
}

// refused journals a refusal and returns it.
func (w *wtx) refused(a Actor, event, card string, r *Refusal, from State) (*Refusal, error) {
	err := w.journal(a, Entry{Event: event, Card: card, Outcome: OutcomeRefused, Code: r.Code, From: from,
		Detail: map[string]any{"reason": r.Message}})
	return r, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// setState changes a card's state (keeping the state before a loss report,
// so that lifting it knows where to go back).
func (w *wtx) setState(c *cardRow, to State) error {
	prior := any(nil)
	if to == TemporaryLoss || to == FormalLoss {
		prior = string(c.State)
		if c.State == TemporaryLoss || c.State == FormalLoss {
			prior = nullable(string(c.prior))
		}
	}
	_, err := w.exec("UPDATE cards SET state = ?, prior_state = ?, version = version + 1, updated = ? WHERE id = ?",
		string(to), prior, w.now.UnixNano(), c.ID)
	if err == nil {
		c.State = to
		c.Version++
		c.Updated = w.now.UTC()
		c.fill(w.now)
	}
	return err
}

// allow refuses an operation the actor's route may not do.
func allow(a Actor, op string, routes ...Route) *Refusal {
	if a.Route == Issuer || slices.Contains(routes, a.Route) {
		return nil
	}
	return refuse(CodeNotAllowed, "a %s terminal may not %s", a.Route, op)
}

// Lookup returns a card (GET /v1/cards/{id}); the lookup is journaled.
func (s *Store) Lookup(ctx context.Context, a Actor, id string) (*Card, error) {
	var out *Card
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) error {
		if err := w.consume(a); err != nil {
			return err
		}
		c, err := w.card(id)
		if err != nil {
			return err
		}
		if c == nil {
			ref, err = w.refused(a, "lookup", id, refuse(CodeUnknownCard, "no card %s in the register", id), "")
			return err
		}
		out = &c.Card
		var detail map[string]any
		if len(c.StopCauses) > 0 {
			detail = map[string]any{"stopCauses": c.StopCauses}
		}
		return w.journal(a, Entry{Event: "lookup", Card: id, SSN: c.SSN, Outcome: OutcomeUnchanged, From: c.State, To: c.State, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}

// FindByNumber returns the cards with a card number (GET
// /v1/cards?number=N): a clerk finds a card that cannot be read (blocked)
// by the number printed on it. The lookup is journaled.
func (s *Store) FindByNumber(ctx context.Context, a Actor, number string) ([]*Card, error) {
	var out []*Card
	err := s.write(ctx, func(w *wtx) error {
		if err := w.consume(a); err != nil {
			return err
		}
		rows, err := w.query("SELECT "+cardColumns+" WHERE c.number = ? ORDER BY c.rowid", number)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCard(rows, w.now)
			if err != nil {
				return err
			}
			out = append(out, &c.Card)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return w.journal(a, Entry{Event: "lookup", Outcome: OutcomeUnchanged, Detail: map[string]any{"cardNumber": number, "found": len(out)}})
	})
	return out, err
}

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

// ReportChip records the on-chip state a terminal left the card in (POST
// /v1/cards/{id}/chip). It is a report of a fact: it is recorded whatever
// the back-end state.
func (s *Store) ReportChip(ctx context.Context, a Actor, id string, chip Chip) (*CardResult, error) {
	return s.cardOp(ctx, a, id, "chip", func(w *wtx, c *cardRow) (bool, *Refusal, map[string]any, error) {
		detail := map[string]any{"chip": string(chip), "was": string(c.Chip)}
		if c.Chip == chip {
			return false, nil, detail, nil
		}
		_, err := w.exec("UPDATE cards SET chip = ?, version = version + 1, updated = ? WHERE id = ?", string(chip), w.now.UnixNano(), c.ID)
		c.Chip = chip
		c.Version++
		return true, nil, detail, err
	})
}

// RecordEvent records a step of a route (POST /v1/cards/{id}/events): PIN
// set or reset, bank PIN set, hospital registration, identity check.
func (s *Store) RecordEvent(ctx context.Context, a Actor, id string, req EventRequest) (*CardResult, error) {
	routes, ok := Events[req.Event]
	if !ok {
		return nil, fmt.Errorf("unknown event %q", req.Event)
	}
	return s.cardOp(ctx, a, id, req.Event, func(w *wtx, c *cardRow) (bool, *Refusal, map[string]any, error) {
		if r := allow(a, "record "+req.Event, routes...); r != nil {
			return false, r, nil, nil
		}
		detail := map[string]any{}
		switch req.Event {
		case "registration":
			if req.Service != Outpatient && req.Service != Inpatient {
				return false, refuse(CodeNotAllowed, "a registration is for outpatient or inpatient service"), nil, nil
			}
			detail["service"] = req.Service
			if !c.Usable() {
				return false, refuse(CodeNotUsable, "the card is %s%s", c.State, causes(c)), nil, nil
			}
			return true, nil, detail, nil
		case "pin-set", "pin-reload":
			if !c.PINDefault {
				return req.Event == "pin-reload", nil, detail, nil
			}
			_, err := w.exec("UPDATE cards SET pin_default = 0, version = version + 1, updated = ? WHERE id = ?", w.now.UnixNano(), c.ID)
			c.PINDefault = false
			c.Version++
			return true, nil, detail, err
		}
		return true, nil, detail, nil
	})
}

func causes(c *cardRow) string {
	if len(c.StopCauses) == 0 {
		return ""
	}
	return fmt.Sprintf(" (stopped: %v)", c.StopCauses)
}

// ReportLoss reports a card lost, temporarily (it can be lifted at the
// bureau) or formally (POST /v1/cards/{id}/loss).
func (s *Store) ReportLoss(ctx context.Context, a Actor, id string, kind State) (*CardResult, error) {
	if kind != TemporaryLoss && kind != FormalLoss {
		return nil, fmt.Errorf("loss kind %q: want temporary-loss or formal-loss", kind)
	}
	return s.cardOp(ctx, a, id, "loss", func(w *wtx, c *cardRow) (bool, *Refusal, map[string]any, error) {
		if r := allow(a, "report a loss", Bureau, Online); r != nil {
			return false, r, nil, nil
		}
		detail := map[string]any{"kind": string(kind)}
		switch {
		case c.State == kind:
			return false, nil, detail, nil
		case c.State == Cancelled:
			return false, refuse(CauseCancelled, "the card is cancelled"), nil, nil
		case c.State == FormalLoss && kind == TemporaryLoss:
			return false, refuse(CodeConflict, "the card is already formally reported lost"), nil, nil
		}
		return true, nil, detail, w.setState(c, kind)
	})
}

// Cancel cancels a card (the issuer's side: a move, a job change).
func (s *Store) Cancel(ctx context.Context, a Actor, id, reason string) (*CardResult, error) {
	return s.cardOp(ctx, a, id, "cancel", func(w *wtx, c *cardRow) (bool, *Refusal, map[string]any, error) {
		if r := allow(a, "cancel a card", Bureau); r != nil {
			return false, r, nil, nil
		}
		detail := map[string]any{"reason": reason}
		if c.State == Cancelled {
			return false, nil, detail, nil
		}
		return true, nil, detail, w.setState(c, Cancelled)
	})
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

// cardOp runs a one-card operation: it consumes the nonce, loads the card
// (refusing an unknown one), runs fn and journals the outcome. fn reports
// whether it changed anything, or a refusal.
func (s *Store) cardOp(ctx context.Context, a Actor, id, event string,
	fn func(w *wtx, c *cardRow) (changed bool, ref *Refusal, detail map[string]any, err error)) (*CardResult, error) {
	var out *CardResult
	var ref *Refusal
	err := s.write(ctx, func(w *wtx) error {
		if err := w.consume(a); err != nil {
			return err
		}
		c, err := w.card(id)
		if err != nil {
			return err
		}
		if c == nil {
			ref, err = w.refused(a, event, id, refuse(CodeUnknownCard, "no card %s in the register", id), "")
			return err
		}
		from := c.State
		changed, r, detail, err := fn(w, c)
		if err != nil {
			return err
		}
		if r != nil {
			ref, err = w.refused(a, event, id, r, from)
			return err
		}
		out = &CardResult{Card: &c.Card, Changed: changed}
		outcome := OutcomeUnchanged
		if changed {
			outcome = OutcomeOK
		}
		return w.journal(a, Entry{Event: event, Card: c.ID, SSN: c.SSN, Outcome: outcome, From: from, To: c.State, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	if ref != nil {
		return nil, ref
	}
	return out, nil
}
