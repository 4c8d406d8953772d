package vpcd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

// Dial connects the slot's card to vpcd at addr ("127.0.0.1:35963") and
// serves it, connecting again after every disconnection, with a backoff
// while the connection fails. While the slot is empty it waits for a card.
// Dial returns only when ctx is done, with ctx's error.
func (s *Slot) Dial(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: s.opts.DialTimeout}
	bo := backoff{min: s.opts.MinBackoff, max: s.opts.MaxBackoff}
	failing := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.Card() == nil {
			if err := s.pause(ctx, 0); err != nil {
				return err
			}
			continue
		}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.failed(err)
			if !failing { // once per run of failures, not every retry
				s.emit(trace.Note, trace.Error, nil, err.Error())
				failing = true
			}
			if err := s.pause(ctx, bo.next()); err != nil {
				return err
			}
			continue
		}
		failing = false
		bo.reset()
		err = s.ServeConn(ctx, conn)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrRemoved), errors.Is(err, ErrDisconnected), errors.Is(err, ErrNoCard):
			// The slot closed the connection itself: go on at once.
		default:
			if err := s.pause(ctx, bo.next()); err != nil {
				return err
			}
		}
	}
}

// Serve is reversed mode: vpcd connects to the card. Serve accepts
// connections on ln and serves the slot's card on each, a new connection
// replacing the previous one; while the slot is empty connections are closed
// at once, so vpcd sees no card. Serve closes ln and returns when ctx is
// done, with ctx's error, or when ln fails.
func (s *Slot) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	bo := backoff{min: s.opts.MinBackoff, max: s.opts.MaxBackoff}
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("vpcd: accepting: %w", err)
			}
			s.failed(err) // out of file descriptors...: wait and go on
			if err := s.pause(ctx, bo.next()); err != nil {
				return err
			}
			continue
		}
		bo.reset()
		wg.Go(func() { _ = s.ServeConn(ctx, conn) })
	}
}

// ServeConn serves the slot's card on one connection to the reader until
// the connection ends or ctx is done, and closes it. It returns why the
// connection ended: io.EOF when the reader closed it between frames,
// ErrRemoved or ErrDisconnected when the slot closed it, ErrNoCard at once
// when the slot is empty, ctx's error when ctx is done, or the protocol
// error that made the slot give up.
func (s *Slot) ServeConn(ctx context.Context, conn net.Conn) error {
	l, card, err := s.attach(conn)
	if err != nil {
		conn.Close()
		return err
	}
	tune(conn)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	err = s.exchange(l, card)
	stop()
	conn.Close()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	err = s.detach(l, err)
	s.emit(trace.Note, trace.Disconnect, nil, err.Error())
	return err
}

// exchange runs the lock-step loop: read a frame, act, answer. The link is
// up, and traced as connected, at the first frame: until then the
// connection may be waiting in vpcd's queue.
func (s *Slot) exchange(l *link, card Card) error {
	conn := l.conn
	fr := frameReader{conn: conn, br: bufio.NewReader(ackReader(conn)), buf: make([]byte, 0, 512), timeout: s.opts.FrameTimeout}
	out := make([]byte, 2, 512)
	powered := true // vpcd asks for the ATR at once on a new connection
	for first := true; ; first = false {
		p, err := fr.next()
		if err != nil {
			return err
		}
		if first && s.up(l) {
			s.emit(trace.Note, trace.Connect, nil, l.peer)
		}
		if len(p) == 1 && isControl(p[0]) {
			if out, err = s.control(conn, card, p[0], out, &powered); err != nil {
				return err
			}
			continue
		}
		s.emit(trace.ToCard, trace.APDU, p, "")
		out, err = card.TransmitAppend(out[:2], p)
		if err != nil {
			s.emit(trace.Note, trace.Error, nil, err.Error())
			return fmt.Errorf("vpcd: the card gave no answer: %w", err)
		}
		n := len(out) - 2
		if n > MaxPayload {
			return fmt.Errorf("vpcd: response of %d bytes: %w", n, ErrFrameTooLong)
		}
		out[0], out[1] = byte(n>>8), byte(n)
		s.answered(l, out[2:])
		if _, err := conn.Write(out); err != nil {
			return fmt.Errorf("vpcd: sending response: %w", err)
		}
		s.emit(trace.FromCard, trace.Response, out[2:], "")
	}
}

func isControl(b byte) bool {
	return b == CtrlPowerOff || b == CtrlPowerOn || b == CtrlReset || b == CtrlGetATR
}

// control acts on a control byte; only the ATR request is answered.
// *powered tells whether the next ATR request follows a power-on or reset
// (traced) or is a presence poll (traced only with TracePolls).
func (s *Slot) control(conn net.Conn, card Card, c byte, out []byte, powered *bool) ([]byte, error) {
	switch c {
	case CtrlPowerOff:
		s.emit(trace.ToCard, trace.PowerOff, nil, "")
		card.PowerOff()
	case CtrlPowerOn:
		s.emit(trace.ToCard, trace.PowerOn, nil, "")
		card.PowerOn()
		*powered = true
	case CtrlReset:
		s.emit(trace.ToCard, trace.Reset, nil, "")
		card.Reset()
		*powered = true
	case CtrlGetATR:
		traced := *powered || s.opts.TracePolls
		*powered = false
		if traced {
			s.emit(trace.ToCard, trace.GetATR, nil, "")
		}
		atr := card.ATR()
		var err error
		if out, err = AppendFrame(out[:0], atr); err != nil {
			return out, err
		}
		if _, err := conn.Write(out); err != nil {
			return out, fmt.Errorf("vpcd: sending ATR: %w", err)
		}
		if traced {
			s.emit(trace.FromCard, trace.ATR, atr, "")
		}
	}
	return out, nil
}

// frameReader reads frames from a connection. Between frames it waits for
// ever; once a frame has begun, the rest must arrive within timeout.
type frameReader struct {
	conn    net.Conn
	br      *bufio.Reader
	buf     []byte
	timeout time.Duration
}

func (fr *frameReader) next() ([]byte, error) {
	if _, err := fr.br.Peek(1); err != nil {
		return nil, err
	}
	deadline := !fr.buffered()
	if deadline {
		fr.conn.SetReadDeadline(time.Now().Add(fr.timeout))
	}
	p, err := ReadFrame(fr.br, fr.buf)
	if deadline {
		fr.conn.SetReadDeadline(time.Time{})
	}
	if err != nil {
		return nil, err
	}
	if cap(p) > cap(fr.buf) {
		fr.buf = p[:0]
	}
	return p, nil
}

// buffered reports whether a whole frame is already buffered.
func (fr *frameReader) buffered() bool {
	b := fr.br.Buffered()
	if b < 2 {
		return false
	}
	h, _ := fr.br.Peek(2)
	return b >= 2+(int(h[0])<<8|int(h[1]))
}

// backoff is a doubling, jittered wait between connection attempts.
type backoff struct {
	min, max, cur time.Duration
}

// next returns the wait before the next attempt: a random duration between
// half the current step and the step, which then doubles up to max.
func (b *backoff) next() time.Duration {
	if b.cur < b.min {
		b.cur = b.min
	}
	d := b.cur/2 + rand.N(b.cur/2+1)
	b.cur = min(2*b.cur, b.max)
	return d
}

func (b *backoff) reset() { b.cur = 0 }

// pause waits for d (for ever if d is 0), for a wake-up from Insert, Remove
// or Disconnect, or for ctx to be done.
func (s *Slot) pause(ctx context.Context, d time.Duration) error {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake:
	case <-timeout:
	}
	return nil
}
