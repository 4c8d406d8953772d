package register

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Card returns a card as the issuer sees it (no journal entry), or nil.
func (s *Store) Card(ctx context.Context, id string) (*Card, error) {
	c, err := scanCard(s.r.QueryRowContext(ctx, "SELECT "+cardColumns+" WHERE c.id = ?", id), s.now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading card %s: %w", id, err)
	}
	return &c.Card, nil
}

// Cards returns every card, in enrolment order.
func (s *Store) Cards(ctx context.Context) ([]*Card, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+cardColumns+" ORDER BY c.rowid")
	if err != nil {
		return nil, fmt.Errorf("reading the cards: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []*Card
	for rows.Next() {
		c, err := scanCard(rows, now)
		if err != nil {
			return nil, fmt.Errorf("reading the cards: %w", err)
		}
		out = append(out, &c.Card)
	}
	return out, rows.Err()
}

// JournalQuery selects journal entries; zero fields select everything.
type JournalQuery struct {
	After    int64  // entries with a greater sequence number
	Card     string // about this card
	Terminal string // by this terminal
	Since    time.Time
	Until    time.Time
	Limit    int // at most this many (0: no limit)
}

// Journal returns journal entries in order.
func (s *Store) Journal(ctx context.Context, q JournalQuery) ([]Entry, error) {
	var where []string
	var args []any
	where = append(where, "seq > ?")
	args = append(args, q.After)
	if q.Card != "" {
		where = append(where, "card = ?")
		args = append(args, q.Card)
	}
	if q.Terminal != "" {
		where = append(where, "terminal = ?")
		args = append(args, q.Terminal)
	}
	if !q.Since.IsZero() {
		where = append(where, "ts >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		where = append(where, "ts <= ?")
		args = append(args, q.Until.UnixNano())
	}
	query := `SELECT seq, ts, terminal, route, event, ifnull(card, ''), ifnull(ssn, ''), outcome, ifnull(code, ''),
		ifnull(from_state, ''), ifnull(to_state, ''), ifnull(detail, '') FROM journal WHERE ` + strings.Join(where, " AND ") + " ORDER BY seq"
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var ts int64
		var detail string
		if err := rows.Scan(&e.Seq, &ts, &e.Terminal, &e.Route, &e.Event, &e.Card, &e.SSN, &e.Outcome, &e.Code, &e.From, &e.To, &detail); err != nil {
			return nil, fmt.Errorf("reading the journal: %w", err)
		}
		e.Time = time.Unix(0, ts).UTC()
		if detail != "" {
			if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
				return nil, fmt.Errorf("reading the journal: entry %d: detail: %w", e.Seq, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Counts returns the number of cards in each state.
func (s *Store) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT state, count(*) FROM cards GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("counting the cards: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// TerminalInfo describes a terminal known to the register.
type TerminalInfo struct {
	ID      string    `json:"id"`
	Route   Route     `json:"route"`
	Created time.Time `json:"created"`
	Revoked bool      `json:"revoked"`
}

// KeySize is the length of a terminal key in bytes.
const KeySize = 32

// AddTerminal registers a terminal of a route and returns its new key,
// which the register keeps and the terminal's operator must be given.
func (s *Store) AddTerminal(ctx context.Context, id string, route Route) ([]byte, error) {
	if err := CheckTerminalID(id); err != nil {
		return nil, err
	}
	if !route.Valid() {
		return nil, fmt.Errorf("route %q: want one of %v", route, Routes)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, s.AddTerminalKey(ctx, id, route, key)
}

// AddTerminalKey registers a terminal with a key the caller chose.
func (s *Store) AddTerminalKey(ctx context.Context, id string, route Route, key []byte) error {
	if err := CheckTerminalID(id); err != nil {
		return err
	}
	if !route.Valid() {
		return fmt.Errorf("route %q: want one of %v", route, Routes)
	}
	if len(key) < 16 {
		return fmt.Errorf("terminal key: %d bytes, want at least 16", len(key))
	}
	return s.write(ctx, func(w *wtx) error {
		var n int
		if err := w.queryRow("SELECT count(*) FROM terminals WHERE id = ?", []any{id}, &n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("terminal %q is registered already", id)
		}
		if _, err := w.exec("INSERT INTO terminals (id, route, key, created) VALUES (?, ?, ?, ?)", id, string(route), key, w.now.UnixNano()); err != nil {
			return err
		}
		s.keys.Delete(id)
		return w.journal(IssuerActor, Entry{Event: "terminal", Outcome: OutcomeOK, Detail: map[string]any{"terminal": id, "route": string(route)}})
	})
}

// RevokeTerminal stops a terminal: its requests are refused from now on.
func (s *Store) RevokeTerminal(ctx context.Context, id string) error {
	return s.write(ctx, func(w *wtx) error {
		res, err := w.exec("UPDATE terminals SET revoked = ? WHERE id = ? AND revoked IS NULL", w.now.UnixNano(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no active terminal %q", id)
		}
		s.keys.Delete(id)
		return w.journal(IssuerActor, Entry{Event: "revoke", Outcome: OutcomeOK, Detail: map[string]any{"terminal": id}})
	})
}

// Terminals lists the terminals.
func (s *Store) Terminals(ctx context.Context) ([]TerminalInfo, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, route, created, revoked IS NOT NULL FROM terminals ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("listing the terminals: %w", err)
	}
	defer rows.Close()
	var out []TerminalInfo
	for rows.Next() {
		var t TerminalInfo
		var created int64
		if err := rows.Scan(&t.ID, &t.Route, &created, &t.Revoked); err != nil {
			return nil, err
		}
		t.Created = time.Unix(0, created).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// keyCacheTTL is how long the API trusts a terminal key it read: a
// revoked terminal is refused at most this long after its revocation.
const keyCacheTTL = 2 * time.Second

type cachedKey struct {
	route Route
	key   []byte
	ok    bool
	at    time.Time
}

// terminalKey returns an active terminal's route and key; ok is false for
// an unknown or revoked terminal. Answers are cached for keyCacheTTL.
func (s *Store) terminalKey(ctx context.Context, id string) (route Route, key []byte, ok bool, err error) {
	now := time.Now()
	if v, hit := s.keys.Load(id); hit {
		if c := v.(cachedKey); now.Sub(c.at) < keyCacheTTL {
			return c.route, c.key, c.ok, nil
		}
	}
	err = s.r.QueryRowContext(ctx, "SELECT route, key FROM terminals WHERE id = ? AND revoked IS NULL", id).Scan(&route, &key)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		route, key, ok, err = "", nil, false, nil
	case err != nil:
		return "", nil, false, fmt.Errorf("reading terminal %q: %w", id, err)
	default:
		ok = true
	}
	s.keys.Store(id, cachedKey{route: route, key: key, ok: ok, at: now})
	return route, key, ok, nil
}
