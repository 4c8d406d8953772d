package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// op is one operation for the writer: fn runs in a savepoint of the
// batch's transaction (an error rolls back fn's changes only), or raw runs
// alone, outside any transaction.
type op struct {
	ctx  context.Context
	fn   func(w *wtx) error
	raw  func(db *sql.DB) error
	err  error
	done chan struct{}
}

// wtx is the writer's transaction as one operation sees it.
type wtx struct {
	ctx   context.Context
	tx    *sql.Tx
	now   time.Time
	s     *Store
	stmts map[string]*sql.Stmt
}

// stmt returns the prepared statement for q in this transaction, prepared
// once per batch.
func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

// queryRow runs q and scans its one row into dest; sql.ErrNoRows when
// there is none.
func (w *wtx) queryRow(q string, args []any, dest ...any) error {
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(w.ctx, args...).Scan(dest...)
}

// write runs fn in the writer's next transaction and returns when that
// transaction is committed (nil) or has failed. fn's own error rolls back
// what fn did, and nothing else.
func (s *Store) write(ctx context.Context, fn func(w *wtx) error) error {
	return s.submit(ctx, &op{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// exclusive runs fn with the writer's connection, between transactions.
func (s *Store) exclusive(ctx context.Context, fn func(db *sql.DB) error) error {
	return s.submit(ctx, &op{ctx: ctx, raw: fn, done: make(chan struct{})})
}

func (s *Store) submit(ctx context.Context, o *op) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ops <- o:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	// Once queued, the operation runs: a caller that stops waiting does not
	// know whether it was committed (like a terminal whose answer is lost).
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pruneEvery is how often the writer forgets nonces too old to be replayed.
const pruneEvery = time.Minute

// writer commits the queued operations, as many together as are waiting.
func (s *Store) writer(maxBatch int) {
	defer close(s.done)
	var lastPrune time.Time
	batch := make([]*op, 0, maxBatch)
	for first := range s.ops {
		if first.raw != nil {
			first.err = first.raw(s.w)
			close(first.done)
			continue
		}
		batch = append(batch[:0], first)
		var after *op // an exclusive operation met while filling the batch
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break fill
				}
				if o.raw != nil {
					after = o
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		now := s.now()
		prune := now.Sub(lastPrune) > pruneEvery
		s.commit(batch, now, prune)
		if prune {
			lastPrune = now
		}
		s.batches++
		if after != nil {
			after.err = after.raw(s.w)
			close(after.done)
		}
	}
}

// commit runs one batch in one transaction.
func (s *Store) commit(batch []*op, now time.Time, prune bool) {
	finish := func(err error) {
		for _, o := range batch {
			if err != nil {
				o.err = err
			}
			close(o.done)
		}
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		finish(fmt.Errorf("register: starting a transaction: %w", err))
		return
	}
	if prune {
		if _, err := tx.Exec("DELETE FROM nonces WHERE ts < ?", now.Add(-2*NonceWindow).UnixNano()); err != nil {
			tx.Rollback()
			finish(fmt.Errorf("register: forgetting old nonces: %w", err))
			return
		}
	}
	stmts := map[string]*sql.Stmt{}
	for _, o := range batch {
		o.err = s.runOne(tx, o, now, stmts)
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("register: committing: %w", err))
		return
	}
	finish(nil)
}

// runOne runs one operation in its own savepoint.
func (s *Store) runOne(tx *sql.Tx, o *op, now time.Time, stmts map[string]*sql.Stmt) (err error) {
	if _, err := tx.Exec("SAVEPOINT op"); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	w := &wtx{ctx: context.Background(), tx: tx, now: now, s: s, stmts: stmts}
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("register: internal error: %v", v)
			}
		}()
		err = o.fn(w)
	}()
	if err != nil {
		if _, e := tx.Exec("ROLLBACK TO op"); e != nil {
			err = errors.Join(err, e)
		}
	}
	if _, e := tx.Exec("RELEASE op"); e != nil && err == nil {
		err = fmt.Errorf("register: %w", e)
	}
	return err
}
