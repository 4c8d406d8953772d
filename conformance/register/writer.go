package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// op is one operation for the writer: fn runs in the batch's transaction
// (an error of its own undoes fn's changes only, see commit), or raw runs
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
	ctx context.Context
	tx  *sql.Tx
	now time.Time
	s   *Store
}

func (w *wtx) exec(q string, args ...any) (sql.Result, error) {
	return w.tx.ExecContext(w.ctx, q, args...)
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	return w.tx.QueryContext(w.ctx, q, args...)
}

// queryRow runs q and scans its one row into dest; sql.ErrNoRows when
// there is none.
func (w *wtx) queryRow(q string, args []any, dest ...any) error {
	return w.tx.QueryRowContext(w.ctx, q, args...).Scan(dest...)
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

// commit runs one batch in one transaction. The operations run one after
// the other with no savepoint between them (statements are what the
// register spends its time on); if one fails, the transaction is rolled
// back and each operation of the batch runs again alone, so that a failing
// operation undoes only itself.
func (s *Store) commit(batch []*op, now time.Time, prune bool) {
	if prune {
		if err := s.prune(now); err != nil {
			for _, o := range batch {
				o.err = err
				close(o.done)
			}
			return
		}
	}
	if len(batch) > 1 {
		if err := s.runTx(batch, now); err == nil {
			for _, o := range batch {
				close(o.done)
			}
			return
		}
	}
	for _, o := range batch {
		if err := s.runTx([]*op{o}, now); err != nil && o.err == nil {
			o.err = err
		}
		close(o.done)
	}
}

// errOpFailed stops a transaction whose operation failed.
var errOpFailed = errors.New("an operation failed")

// runTx runs ops in one transaction and commits it. An operation's own
// error is left in its err and ends the transaction (errOpFailed); a
// failure of the transaction itself is returned.
func (s *Store) runTx(ops []*op, now time.Time) error {
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("register: starting a transaction: %w", err)
	}
	for _, o := range ops {
		o.err = s.runOne(tx, o, now)
		if o.err != nil {
			tx.Rollback()
			return errOpFailed
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("register: committing: %w", err)
	}
	return nil
}

// prune forgets the nonces too old to be replayed.
func (s *Store) prune(now time.Time) error {
	if _, err := s.w.Exec("DELETE FROM nonces WHERE ts < ?", now.Add(-2*NonceWindow).UnixNano()); err != nil {
		return fmt.Errorf("register: forgetting old nonces: %w", err)
	}
	return nil
}

// runOne runs one operation, catching a panic as its error.
func (s *Store) runOne(tx *sql.Tx, o *op, now time.Time) (err error) {
	w := &wtx{ctx: context.Background(), tx: tx, now: now, s: s}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("register: internal error: %v", v)
		}
	}()
	return o.fn(w)
}
