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
