package vpcd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// Command APDUs of the tests.
const (
	selectSSSE  = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"
	readEF05    = "00B2012812"
	verifyBad   = "0020000003654321"
	verifyTries = "0020000000"
)

// waitTime bounds every wait of the tests; nothing takes near as long when
// the code is right.
const waitTime = 10 * time.Second

// recorder is a trace hook that keeps the events and lets a test wait for
// one.
type recorder struct {
	ch  chan trace.Event
	log *trace.Log
}

func newRecorder() *recorder {
	return &recorder{ch: make(chan trace.Event, 100000), log: trace.NewLog(0)}
}

func (r *recorder) add(e trace.Event) {
	r.log.Add(e)
	select {
	case r.ch <- e.Clone():
	default:
	}
}

// waitFor returns the next event of kind, skipping the others.
func (r *recorder) waitFor(t testing.TB, kind trace.Kind) trace.Event {
	t.Helper()
	timeout := time.After(waitTime)
	for {
		select {
		case e := <-r.ch:
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event in %v; trace:\n%s", kind, waitTime, r.text())
			return trace.Event{}
		}
	}
}

// waitLen waits until the log holds n events.
func (r *recorder) waitLen(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for r.log.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d trace events, want %d:\n%s", r.log.Len(), n, r.text())
		}
		time.Sleep(time.Millisecond)
	}
}

// drain forgets the events not waited for yet.
func (r *recorder) drain() {
	for {
		select {
		case <-r.ch:
		default:
			return
		}
	}
}

func (r *recorder) text() string {
	var b strings.Builder
	trace.WriteText(&b, r.log.Events())
	return b.String()
}

func (r *recorder) kinds() []trace.Kind {
	var ks []trace.Kind
	for _, e := range r.log.Events() {
		ks = append(ks, e.Kind)
	}
	return ks
}

// fastOptions are options with short waits, for tests.
func fastOptions(rec *recorder) vpcd.Options {
	o := vpcd.Options{
		MinBackoff:   5 * time.Millisecond,
		MaxBackoff:   50 * time.Millisecond,
		FrameTimeout: 200 * time.Millisecond,
	}
	if rec != nil {
		o.Trace = rec.add
	}
	return o
}

// dialing starts slot.Dial to a new fake vpcd and stops it at the end of
// the test, checking it returned the context's error.
func dialing(t *testing.T, slot *vpcd.Slot) *vpcdtest.Reader {
	t.Helper()
	reader, err := vpcdtest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- slot.Dial(ctx, reader.Addr()) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Dial returned %v, want context.Canceled", err)
			}
		case <-time.After(waitTime):
			t.Errorf("Dial did not return after its context was cancelled")
		}
	})
	return reader
}

// accept waits for the card to connect to the fake vpcd.
func accept(t testing.TB, reader *vpcdtest.Reader) *vpcdtest.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	c, err := reader.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(waitTime))
	t.Cleanup(func() { c.Close() })
	return c
}

// noConnection checks that the card does not connect within d.
func noConnection(t testing.TB, reader *vpcdtest.Reader, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if c, err := reader.Accept(ctx); err == nil {
		c.Close()
		t.Fatal("the card connected, want no connection")
	}
}

// powerUp does what vpcd does when it finds a card: ATR, power on, ATR.
func powerUp(t testing.TB, c *vpcdtest.Conn) []byte {
	t.Helper()
	if _, err := c.ATR(); err != nil {
		t.Fatal(err)
	}
	if err := c.PowerOn(); err != nil {
		t.Fatal(err)
	}
	atr, err := c.ATR()
	if err != nil {
		t.Fatal(err)
	}
	return atr
}

// transmit sends a hex command through the fake vpcd and returns the
// response as upper-case hex.
func transmit(t testing.TB, c *vpcdtest.Conn, capdu string) string {
	t.Helper()
	r, err := c.Transmit(cardtest.Hex(capdu))
	if err != nil {
		t.Fatalf("%s: %v", capdu, err)
	}
	return fmt.Sprintf("%X", r)
}

func sw(resp string) string {
	if len(resp) < 4 {
		return resp
	}
	return resp[len(resp)-4:]
}
