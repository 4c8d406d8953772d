package vpcd_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// TestSession runs what pcscd does with a card through vpcd: the ATR poll,
// power on, commands, a reset, power off and on again. The answers are those
// of the same card in process.
func TestSession(t *testing.T) {
	t.Parallel()
	card, ref := cardtest.Card(t, "activated"), cardtest.Card(t, "activated")
	rec := newRecorder()
	slot := vpcd.NewSlot(card, fastOptions(rec))
	c := accept(t, dialing(t, slot))

	if atr := powerUp(t, c); !bytes.Equal(atr, card.ATR()) {
		t.Fatalf("ATR %X, want %X", atr, card.ATR())
	}
	for _, capdu := range []string{selectSSSE, readEF05, verifyTries} {
		if got, want := transmit(t, c, capdu), cardtest.Send(t, ref, capdu); got != want {
			t.Errorf("%s: %s, want %s", capdu, got, want)
		}
	}
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if atr, err := c.ATR(); err != nil || !bytes.Equal(atr, card.ATR()) {
		t.Fatalf("ATR after reset: %X, %v", atr, err)
	}
	// The reset lost the selection: READ RECORD by SFI has no SSSE.
	ref.Reset()
	if got, want := transmit(t, c, readEF05), cardtest.Send(t, ref, readEF05); got != want {
		t.Errorf("after reset %s: %s, want %s", readEF05, got, want)
	}
	// A one-byte frame that is no control byte is a command: the card
	// answers it with a status word.
	if got := transmit(t, c, "03"); sw(got) != "6700" {
		t.Errorf("one-byte command 03: %s, want 6700", got)
	}

	if err := c.PowerOff(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ATR(); err != nil { // lock-step: the power-off was handled
		t.Fatal(err)
	}
	if card.Powered() {
		t.Error("the card is powered after power off")
	}
	powerUp(t, c)
	if !card.Powered() {
		t.Error("the card is not powered after power on")
	}

	st := slot.Status()
	if !st.Inserted || !st.Connected || st.APDUs != 5 || st.LastSW != 0x6700 || st.Connects != 1 || st.Peer != c.LocalAddr() {
		t.Errorf("status %+v", st)
	}
	want := []trace.Kind{
		trace.Insert, // the card in the slot from the start
		trace.Connect,
		trace.GetATR, trace.ATR, trace.PowerOn, trace.GetATR, trace.ATR,
		trace.APDU, trace.Response, trace.APDU, trace.Response, trace.APDU, trace.Response,
		trace.Reset, trace.GetATR, trace.ATR,
		trace.APDU, trace.Response, trace.APDU, trace.Response,
		trace.PowerOff, // the next ATR request is a presence poll: not traced
		trace.PowerOn, trace.GetATR, trace.ATR,
	}
	rec.waitLen(t, len(want))
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Errorf("trace kinds\n got  %v\n want %v\ntrace:\n%s", got, want, rec.text())
	}
	events := rec.log.Events()
	if e := events[7]; e.Dir != trace.ToCard || e.Slot != 0 || !bytes.Equal(e.Data, cardtest.Hex(selectSSSE)) {
		t.Errorf("APDU event %v", e)
	}
	if e := events[8]; e.Dir != trace.FromCard || len(e.Data) < 2 {
		t.Errorf("response event %v", e)
	}
	if e := events[1]; e.Dir != trace.Note || e.Text != c.LocalAddr() {
		t.Errorf("connect event %v, want the reader's address %s", e, c.LocalAddr())
	}
}

func TestTracePolls(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	opts := fastOptions(rec)
	opts.TracePolls = true
	opts.Slot = 1
	slot := vpcd.NewSlot(cardtest.Card(t, "psam"), opts)
	c := accept(t, dialing(t, slot))
	for range 3 {
		if _, err := c.ATR(); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if e := rec.waitFor(t, trace.ATR); e.Slot != 1 {
			t.Errorf("event of slot %d, want 1", e.Slot)
		}
	}
}

// TestReconnectAfterReaderCloses: vpcd closing the connection (pcscd
// stopping, the driver reloading) leaves the card as it was, and the slot
// connects again.
func TestReconnectAfterReaderCloses(t *testing.T) {
	t.Parallel()
	card := cardtest.Card(t, "activated")
	rec := newRecorder()
	slot := vpcd.NewSlot(card, fastOptions(rec))
	reader := dialing(t, slot)
	c := accept(t, reader)
	powerUp(t, c)
	transmit(t, c, selectSSSE)
	if got := transmit(t, c, verifyBad); got != "63C2" {
		t.Fatalf("VERIFY with a wrong PIN: %s", got)
	}
	c.Close()
	if e := rec.waitFor(t, trace.Disconnect); !strings.Contains(e.Text, "EOF") {
		t.Errorf("disconnect event %v, want EOF", e)
	}

	c = accept(t, reader)
	powerUp(t, c)
	transmit(t, c, selectSSSE)
	if got := transmit(t, c, verifyTries); got != "63C2" {
		t.Errorf("tries left after reconnecting: %s, want 63C2 (the card kept its state)", got)
	}
	if slot.Card() != card {
		t.Error("the slot holds another card after reconnecting")
	}
	if st := slot.Status(); st.Connects != 2 || st.APDUs != 4 || !strings.Contains(st.LastError, "EOF") {
		t.Errorf("status %+v", st)
	}
}

// TestReconnectAfterReaderRestarts: while vpcd is away the slot retries with
// a growing backoff, reports the failure once, and connects when vpcd is back.
func TestReconnectAfterReaderRestarts(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	slot := vpcd.NewSlot(cardtest.Card(t, "default"), fastOptions(rec))
	reader := dialing(t, slot)
	addr := reader.Addr()
	c := accept(t, reader)
	powerUp(t, c)
	reader.Close()
	c.Close()
	rec.waitFor(t, trace.Disconnect)
	rec.waitFor(t, trace.Error) // connection refused
	time.Sleep(300 * time.Millisecond)

	reader, err := vpcdtest.Listen(addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer reader.Close()
	c = accept(t, reader)
	powerUp(t, c)
	if got := transmit(t, c, readEF05); len(got) < 4 {
		t.Errorf("READ RECORD after the restart: %s", got)
	}
	n := 0
	for _, e := range rec.log.Events() {
		if e.Kind == trace.Error {
			n++
			if !strings.Contains(e.Text, "refused") {
				t.Errorf("error event %v, want connection refused", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d error events for one run of failed attempts, want 1:\n%s", n, rec.text())
	}
}

// TestHostileReader: a peer that breaks the protocol gets the connection
// closed with an error naming what was wrong; the slot connects again and
// the card is untouched.
func TestHostileReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		send  []byte
		close bool  // close after sending; else stall
		err   error // the disconnect's reason
		text  string
	}{
		{name: "zero length", send: []byte{0x00, 0x00}, err: vpcd.ErrEmptyFrame, text: "length 0"},
		{name: "zero length then a command", send: []byte{0x00, 0x00, 0x00, 0x05, 0x00, 0xB2, 0x01, 0x28, 0x12}, err: vpcd.ErrEmptyFrame},
		{name: "closed within the length", send: []byte{0x00}, close: true, err: vpcd.ErrTruncatedFrame, text: "after 1 of 2 bytes"},
		{name: "closed after the length", send: []byte{0x00, 0x05}, close: true, err: vpcd.ErrTruncatedFrame, text: "after 2 of 7 bytes"},
		{name: "closed mid-APDU", send: []byte{0x00, 0x05, 0x00, 0xB2, 0x01}, close: true, err: vpcd.ErrTruncatedFrame, text: "after 5 of 7 bytes"},
		{name: "length never completed", send: []byte{0x00}, err: vpcd.ErrFrameTimeout},
		{name: "payload never completed", send: []byte{0x00, 0x10, 0x00, 0xA4}, err: vpcd.ErrFrameTimeout, text: "got 4 of 18 bytes"},
		{name: "garbage, huge length", send: []byte{0xFF, 0xFE, 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E}, err: vpcd.ErrFrameTimeout},
		{name: "garbage, closed", send: []byte("GET / HTTP/1.1\r\n\r\n"), close: true, err: vpcd.ErrTruncatedFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			card := cardtest.Card(t, "activated")
			before, writes := card.Cells(), card.NVMWrites()
			rec := newRecorder()
			slot := vpcd.NewSlot(card, fastOptions(rec))
			reader := dialing(t, slot)
			c := accept(t, reader)
			powerUp(t, c)
			if err := c.Send(tt.send); err != nil {
				t.Fatal(err)
			}
			if tt.close {
				c.Close()
			}
			e := rec.waitFor(t, trace.Disconnect)
			if !strings.Contains(e.Text, tt.err.Error()) || !strings.Contains(e.Text, tt.text) {
				t.Errorf("disconnect %q, want %q and %q", e.Text, tt.err, tt.text)
			}
			if st := slot.Status(); !strings.Contains(st.LastError, tt.err.Error()) {
				t.Errorf("last error %q, want %q", st.LastError, tt.err)
			}
			c = accept(t, reader)
			if atr := powerUp(t, c); !bytes.Equal(atr, card.ATR()) {
				t.Errorf("ATR after reconnecting: %X", atr)
			}
			if got := transmit(t, c, selectSSSE); sw(got) != "9000" && got[:2] != "61" {
				t.Errorf("SELECT after reconnecting: %s", got)
			}
			if !slices.EqualFunc(card.Cells(), before, bytes.Equal) || card.NVMWrites() != writes {
				t.Error("the card's NVM changed")
			}
		})
	}
}

// TestPowerLoss: a card that loses power during a command gives no answer;
// the slot drops the connection (to pcscd the card was pulled out), and
// connects again with the card recovered at its next power-up.
func TestPowerLoss(t *testing.T) {
	t.Parallel()
	card := cardtest.Card(t, "activated")
	rec := newRecorder()
	slot := vpcd.NewSlot(card, fastOptions(rec))
	reader := dialing(t, slot)
	c := accept(t, reader)
	powerUp(t, c)
	transmit(t, c, selectSSSE)
	card.TearAfter(1)
	if r, err := c.Transmit(cardtest.Hex(verifyBad)); err == nil {
		t.Fatalf("VERIFY torn by a power loss answered %X", r)
	}
	if e := rec.waitFor(t, trace.Error); !strings.Contains(e.Text, emulator.ErrPowerLost.Error()) {
		t.Errorf("error event %v, want power lost", e)
	}
	c = accept(t, reader)
	powerUp(t, c)
	transmit(t, c, selectSSSE)
	if got := transmit(t, c, verifyTries); got != "63C3" && got != "63C2" {
		t.Errorf("tries left after the power loss: %s, want 63C3 or 63C2", got)
	}
}

// TestInsertRemove: removing the card closes the connection and keeps the
// slot empty; inserting connects the new card; inserting over a card swaps.
func TestInsertRemove(t *testing.T) {
	t.Parallel()
	a, b, p := cardtest.Card(t, "activated"), cardtest.Card(t, "gen2"), cardtest.Card(t, "psam")
	if bytes.Equal(a.ATR(), b.ATR()) || bytes.Equal(b.ATR(), p.ATR()) {
		t.Fatal("the test needs cards with different ATRs")
	}
	rec := newRecorder()
	slot := vpcd.NewSlot(a, fastOptions(rec))
	reader := dialing(t, slot)
	c := accept(t, reader)
	powerUp(t, c)
	transmit(t, c, readEF05)

	if old := slot.Remove(); old != a {
		t.Errorf("Remove returned %v, want the card", old)
	}
	if _, err := c.ATR(); err == nil {
		t.Error("the connection is open after Remove")
	}
	rec.waitFor(t, trace.Disconnect)
	if st := slot.Status(); st.Inserted || st.Connected {
		t.Errorf("status after Remove %+v", st)
	}
	noConnection(t, reader, 200*time.Millisecond)
	if old := slot.Remove(); old != nil {
		t.Errorf("Remove of an empty slot returned %v", old)
	}

	if old := slot.Insert(b); old != nil {
		t.Errorf("Insert into an empty slot returned %v", old)
	}
	c = accept(t, reader)
	if atr := powerUp(t, c); !bytes.Equal(atr, b.ATR()) {
		t.Errorf("ATR %X, want the inserted card's %X", atr, b.ATR())
	}
	transmit(t, c, readEF05)
	if st := slot.Status(); st.APDUs != 1 {
		t.Errorf("status %+v, want 1 APDU", st)
	}

	if old := slot.Insert(p); old != b {
		t.Errorf("Insert over a card returned %v, want the card it replaced", old)
	}
	if _, err := c.ATR(); err == nil {
		t.Error("the old card's connection is open after the swap")
	}
	c = accept(t, reader)
	if atr := powerUp(t, c); !bytes.Equal(atr, p.ATR()) {
		t.Errorf("ATR %X, want the new card's %X", atr, p.ATR())
	}
	if st := slot.Status(); st.APDUs != 0 || st.LastSW != 0 || !st.Inserted || !st.Connected {
		t.Errorf("status after the swap %+v", st)
	}
	var kinds []trace.Kind
	for _, k := range rec.kinds() {
		if k == trace.Insert || k == trace.Remove {
			kinds = append(kinds, k)
		}
	}
	// The card the slot starts with is inserted too.
	if want := []trace.Kind{trace.Insert, trace.Remove, trace.Insert, trace.Remove, trace.Insert}; !slices.Equal(kinds, want) {
		t.Errorf("insert and remove events %v, want %v", kinds, want)
	}
}

// described is a card that says what it is.
type described struct {
	vpcd.Card
	text string
}

func (d described) Describe() string { return d.text }

// A Describer's description is the text of its insert event.
func TestInsertDescribed(t *testing.T) {
	var mu sync.Mutex
	var got []trace.Event
	hook := func(e trace.Event) {
		mu.Lock()
		got = append(got, e.Clone())
		mu.Unlock()
	}
	a := described{Card: cardtest.Card(t, "activated"), text: "id=00 profile=activated"}
	slot := vpcd.NewSlot(a, vpcd.Options{Trace: hook})
	slot.Insert(cardtest.Card(t, "gen2")) // no description
	mu.Lock()
	defer mu.Unlock()
	var inserts []trace.Event
	for _, e := range got {
		if e.Kind == trace.Insert {
			inserts = append(inserts, e)
		}
	}
	if len(inserts) != 2 || inserts[0].Text != a.text || !bytes.Equal(inserts[0].Data, a.ATR()) || inserts[1].Text != "" {
		t.Errorf("insert events %v", inserts)
	}
}

// TestDisconnect: the card stays, the connection is made again at once.
func TestDisconnect(t *testing.T) {
	t.Parallel()
	card := cardtest.Card(t, "activated")
	slot := vpcd.NewSlot(card, fastOptions(nil))
	reader := dialing(t, slot)
	c := accept(t, reader)
	powerUp(t, c)
	slot.Disconnect()
	if _, err := c.ATR(); err == nil {
		t.Error("the connection is open after Disconnect")
	}
	c = accept(t, reader)
	powerUp(t, c)
	if slot.Card() != card || !slot.Status().Inserted {
		t.Error("Disconnect took the card out")
	}
}

// TestEmptySlot: a slot made empty never connects until a card is inserted.
func TestEmptySlot(t *testing.T) {
	t.Parallel()
	slot := vpcd.NewSlot(nil, fastOptions(nil))
	reader := dialing(t, slot)
	noConnection(t, reader, 200*time.Millisecond)
	slot.Insert(cardtest.Card(t, "default"))
	powerUp(t, accept(t, reader))
}

// TestConcurrentInsertRemove hammers a running slot with Insert, Remove,
// Disconnect and Status while the fake vpcd keeps talking to it; run with
// -race.
func TestConcurrentInsertRemove(t *testing.T) {
	t.Parallel()
	cards := []*emulator.Card{cardtest.Card(t, "activated"), cardtest.Card(t, "gen2")}
	slot := vpcd.NewSlot(cards[0], fastOptions(newRecorder()))
	reader := dialing(t, slot)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { // the reader side: accept and talk until told to stop
		for ctx.Err() == nil {
			c, err := reader.Accept(ctx)
			if err != nil {
				continue
			}
			c.SetDeadline(time.Now().Add(waitTime))
			for i := 0; i < 5; i++ {
				if _, err := c.ATR(); err != nil {
					break
				}
				if _, err := c.Transmit(cardtest.Hex(readEF05)); err != nil {
					break
				}
			}
			c.Close()
		}
	})
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				switch (g + i) % 4 {
				case 0:
					slot.Insert(cards[i%2])
				case 1:
					slot.Remove()
				case 2:
					slot.Disconnect()
				case 3:
					_ = slot.Status()
					_ = slot.Card()
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	wg.Wait()

	// Connections the reader did not accept in time may wait in the
	// listener's queue, closed since: skip them.
	slot.Insert(cards[1])
	for {
		c := accept(t, reader)
		atr, err := c.ATR()
		if err != nil {
			continue
		}
		if !bytes.Equal(atr, cards[1].ATR()) {
			t.Errorf("ATR %X after the storm, want %X", atr, cards[1].ATR())
		}
		transmit(t, c, readEF05)
		break
	}
}

// TestServeReversed: vpcd connects to the card; a new connection replaces
// the old one; an empty slot refuses connections.
func TestServeReversed(t *testing.T) {
	t.Parallel()
	card := cardtest.Card(t, "activated")
	slot := vpcd.NewSlot(card, fastOptions(nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- slot.Serve(ctx, ln) }()
	dial := func() *vpcdtest.Conn {
		c, err := vpcdtest.Dial(ctx, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(waitTime))
		t.Cleanup(func() { c.Close() })
		return c
	}

	c1 := dial()
	if atr := powerUp(t, c1); !bytes.Equal(atr, card.ATR()) {
		t.Fatalf("ATR %X", atr)
	}
	transmit(t, c1, selectSSSE)
	c2 := dial()
	powerUp(t, c2)
	if _, err := c1.ATR(); err == nil {
		t.Error("the first connection is open after vpcd made a new one")
	}
	transmit(t, c2, readEF05)

	slot.Remove()
	if _, err := c2.ATR(); err == nil {
		t.Error("the connection is open after Remove")
	}
	if _, err := dial().ATR(); err == nil {
		t.Error("an empty slot answered")
	}
	slot.Insert(card)
	powerUp(t, dial())

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(waitTime):
		t.Fatal("Serve did not return")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the listener is open after Serve returned")
	}
}

// TestCancelWhileFailing: Dial returns at once when cancelled during its
// backoff, with no vpcd to talk to.
func TestCancelWhileFailing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts := fastOptions(nil)
	opts.MinBackoff, opts.MaxBackoff = time.Hour, time.Hour
	slot := vpcd.NewSlot(cardtest.Card(t, "default"), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- slot.Dial(ctx, addr) }()
	for slot.Status().LastError == "" {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Dial returned %v", err)
		}
	case <-time.After(waitTime):
		t.Fatal("Dial did not return")
	}
}
