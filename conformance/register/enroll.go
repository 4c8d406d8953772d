package register

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// Enrollment is a card as the issuer enrols it.
type Enrollment struct {
	ID         string // card identifier, 32 hex digits
	Number     string // card number (卡号)
	SSN        string
	Name       string
	Generation string
	State      State
	Issued     string // YYYYMMDD
	Expiry     string // YYYYMMDD
	Chip       Chip
	PINDefault bool
	// Replaces is the card this one replaces (a reissue), or "".
	Replaces string
	// Arrears on the holder's medical account in fen; 0 leaves the
	// person's arrears as they are.
	Arrears int64
}

// DefaultArrears is the debt of a persona whose register section says
// "arrears": true [model: 12,345 fen].
const DefaultArrears = 12345

// EnrollmentOf returns the enrolment of the card a profile describes: its
// identity (EF05, EF06), its register section (state, arrears) and its
// SSSE life cycle.
func EnrollmentOf(p *profile.Profile) (Enrollment, error) {
	if p.Kind != profile.KindCard || p.SSSE == nil {
		return Enrollment{}, fmt.Errorf("profile %q is not a social security card", p.Name)
	}
	id := &p.SSSE.Identity
	e := Enrollment{
		ID:         strings.ToUpper(hex.EncodeToString(ssse.CardIdentifier(id))),
		Number:     id.CardNumber,
		SSN:        id.SSN,
		Name:       id.Name,
		Generation: p.Generation,
		State:      Sealed,
		Issued:     id.IssueDate,
		Expiry:     id.ExpiryDate,
		Chip:       ChipActivated,
		PINDefault: true,
	}
	if r := p.Register; r != nil {
		if r.State != "" {
			e.State = State(r.State)
		}
		if r.Arrears {
			e.Arrears = DefaultArrears
		}
	}
	switch {
	case p.SSSE.Blocked:
		e.Chip = ChipBlocked
	case p.SSSE.LifeCycle == "deactivated":
		e.Chip = ChipDeactivated
	case p.SSSE.LifeCycle == "terminated":
		e.Chip = ChipTerminated
	}
	return e, e.check()
}

func (e *Enrollment) check() error {
	id, err := NormalizeCardID(e.ID)
	if err != nil {
		return err
	}
	e.ID = id
	if err := CheckCardNumber(e.Number); err != nil {
		return err
	}
	if err := CheckSSN(e.SSN); err != nil {
		return err
	}
	if e.Name == "" || len(e.Name) > 90 {
		return fmt.Errorf("name: want 1 to 90 bytes")
	}
	if !validGeneration(e.Generation) {
		return fmt.Errorf("generation %q: want 1.00, 2.00 or 3.00", clip(e.Generation))
	}
	if !e.State.Valid() {
		return fmt.Errorf("state %q: want one of %v", clip(string(e.State)), States)
	}
	if !e.Chip.Valid() {
		return fmt.Errorf("chip %q: want one of %v", clip(string(e.Chip)), Chips)
	}
	if err := CheckDate(e.Issued); err != nil {
		return fmt.Errorf("issued: %w", err)
	}
	if err := CheckDate(e.Expiry); err != nil {
		return fmt.Errorf("expiry: %w", err)
	}
	if e.Arrears < 0 {
		return errors.New("arrears: negative")
	}
	if e.Replaces != "" {
		r, err := NormalizeCardID(e.Replaces)
		if err != nil {
			return fmt.Errorf("replaces: %w", err)
		}
		e.Replaces = r
	}
	return nil
}

// Enroll adds cards (and their holders) to the register in one
// transaction, journaled as the issuer's "enroll" events. A card already
// there with the same holder is left as it is (its state is the
// register's, not the profile's); a card there with another holder, or a
// person there under another name, is an error and nothing is added.
func (s *Store) Enroll(ctx context.Context, es ...Enrollment) (added int, err error) {
	for i := range es {
		if err := es[i].check(); err != nil {
			return 0, fmt.Errorf("enrolling card %d: %w", i+1, err)
		}
	}
	err = s.write(ctx, func(w *wtx) error {
		added = 0
		for _, e := range es {
			ok, err := w.enroll(e)
			if err != nil {
				return fmt.Errorf("enrolling card %s: %w", e.ID, err)
			}
			if ok {
				added++
			}
		}
		return nil
	})
	return added, err
}

func (w *wtx) enroll(e Enrollment) (bool, error) {
	var name string
	var arrears int64
	err := w.queryRow("SELECT name, arrears FROM persons WHERE ssn = ?", []any{e.SSN}, &name, &arrears)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := w.exec("INSERT INTO persons (ssn, name, arrears) VALUES (?, ?, ?)", e.SSN, e.Name, e.Arrears); err != nil {
			return false, err
		}
	case err != nil:
		return false, err
	case name != e.Name:
		return false, fmt.Errorf("person %s is in the register as %q, not %q", e.SSN, name, e.Name)
	case e.Arrears > 0 && e.Arrears != arrears:
		if _, err := w.exec("UPDATE persons SET arrears = ? WHERE ssn = ?", e.Arrears, e.SSN); err != nil {
			return false, err
		}
	}
	var ssn string
	err = w.queryRow("SELECT ssn FROM cards WHERE id = ?", []any{e.ID}, &ssn)
	switch {
	case err == nil && ssn == e.SSN:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("the card is in the register for %s", ssn)
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	if e.Replaces != "" {
		var rs string
		if err := w.queryRow("SELECT ssn FROM cards WHERE id = ?", []any{e.Replaces}, &rs); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return false, fmt.Errorf("replaces card %s, which is not in the register", e.Replaces)
			}
			return false, err
		}
		if rs != e.SSN {
			return false, fmt.Errorf("replaces card %s of another holder", e.Replaces)
		}
	}
	if e.State == Enabled {
		var other string
		err := w.queryRow("SELECT id FROM cards WHERE ssn = ? AND state = 'enabled'", []any{e.SSN}, &other)
		if err == nil {
			return false, fmt.Errorf("the holder's card %s is enabled already: one enabled card per person", other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return false, err
		}
	}
	pin := 0
	if e.PINDefault {
		pin = 1
	}
	if _, err := w.exec(`INSERT INTO cards (id, number, ssn, generation, state, issued, expiry, chip, pin_default, replaces, version, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
		e.ID, e.Number, e.SSN, e.Generation, string(e.State), e.Issued, e.Expiry, string(e.Chip), pin, nullable(e.Replaces), w.now.UnixNano()); err != nil {
		return false, err
	}
	detail := map[string]any{"cardNumber": e.Number, "generation": e.Generation, "expiry": e.Expiry, "chip": string(e.Chip)}
	if e.Replaces != "" {
		detail["replaces"] = e.Replaces
	}
	return true, w.journal(IssuerActor, Entry{Event: "enroll", Card: e.ID, SSN: e.SSN, Outcome: OutcomeOK, To: e.State, Detail: detail})
}

// SetState changes a card's state from the issuer's side (test set-ups,
// corrections), journaled as a "set" event.
func (s *Store) SetState(ctx context.Context, id string, st State) (*CardResult, error) {
	if !st.Valid() {
		return nil, fmt.Errorf("state %q: want one of %v", st, States)
	}
	return s.cardOp(ctx, IssuerActor, id, "set", func(w *wtx, c *cardRow) (bool, *Refusal, map[string]any, error) {
		if c.State == st {
			return false, nil, nil, nil
		}
		if st == Enabled {
			var other string
			err := w.queryRow("SELECT id FROM cards WHERE ssn = ? AND state = 'enabled' AND id <> ?", []any{c.SSN, c.ID}, &other)
			if err == nil {
				return false, refuse(CodeAnotherCardEnabled, "the holder's card %s is enabled", other), nil, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return false, nil, nil, err
			}
		}
		return true, nil, map[string]any{"state": string(st)}, w.setState(c, st)
	})
}

// SetArrears sets the arrears of a person's medical account from the
// issuer's side, journaled as a "set" event.
func (s *Store) SetArrears(ctx context.Context, ssn string, fen int64) error {
	if fen < 0 {
		return errors.New("arrears: negative")
	}
	return s.write(ctx, func(w *wtx) error {
		res, err := w.exec("UPDATE persons SET arrears = ? WHERE ssn = ?", fen, ssn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no person %s in the register", ssn)
		}
		return w.journal(IssuerActor, Entry{Event: "set", SSN: ssn, Outcome: OutcomeOK, Detail: map[string]any{"arrears": fen}})
	})
}
