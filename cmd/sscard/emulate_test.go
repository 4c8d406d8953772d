package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// Commands of the emulate and ctl tests.
const (
	apduSelectSSSE = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"
	apduVerifyBad  = "0020000003654321"
	apduTriesLeft  = "0020000000"
)

// testWait bounds the waits of the tests.
const testWait = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the emulator's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitOutput waits until out matches re and returns the submatches.
func waitOutput(t testing.TB, out *syncBuffer, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(testWait)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q in the output:\n%s", re, out.String())
	return nil
}

// emulation is "sscard emulate" running in process.
type emulation struct {
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// startEmulate runs emulate with args until stop (or the end of the test).
func startEmulate(t *testing.T, args ...string) *emulation {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &emulation{stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() { e.done <- emulate(ctx, args, io.Discard, e.stderr) }()
	t.Cleanup(func() { e.stop(t) })
	return e
}

// stop interrupts the emulator and returns its exit code.
func (e *emulation) stop(t testing.TB) int {
	t.Helper()
	e.cancel()
	select {
	case code := <-e.done:
		e.done <- code // later calls see it too
		return code
	case <-time.After(testWait):
		t.Fatalf("emulate did not stop; output:\n%s", e.stderr.String())
		return -1
	}
}

// controlURL waits for the control API's line and returns its base URL.
func (e *emulation) controlURL(t testing.TB) string {
	t.Helper()
	return waitOutput(t, e.stderr, `control API on (http://\S+)`)[1]
}

// fakeVPCD listens as vpcd's two slots do.
func fakeVPCD(t testing.TB) (slot0, slot1 *vpcdtest.Reader) {
	t.Helper()
	var rs [2]*vpcdtest.Reader
	for i := range rs {
		r, err := vpcdtest.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		rs[i] = r
	}
	return rs[0], rs[1]
}

func portOf(t testing.TB, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// acceptCard waits for the emulator's card to connect.
func acceptCard(t testing.TB, r *vpcdtest.Reader) *vpcdtest.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, err := r.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(testWait))
	t.Cleanup(func() { c.Close() })
	return c
}

// powerUp does what vpcd does with a new card and returns the ATR.
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

// send transmits a hex command and returns the response in hex.
func send(t testing.TB, c *vpcdtest.Conn, capdu string) string {
	t.Helper()
	b, err := hex.DecodeString(capdu)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Transmit(b)
	if err != nil {
		t.Fatalf("%s: %v", capdu, err)
	}
	return fmt.Sprintf("%X", r)
}

func personaATR(t testing.TB, name string) []byte {
	t.Helper()
	c, err := emulator.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	return c.ATR()
}

// TestEmulate runs the card and the PSAM against a fake vpcd: both slots
// connect and answer, the trace file gets the exchanges, and at the end the
// image holds the card's state.
func TestEmulate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	image, traceFile := filepath.Join(dir, "card.img"), filepath.Join(dir, "trace.txt")
	r0, r1 := fakeVPCD(t)
	e := startEmulate(t, "--card", "activated", "--image", image, "--trace", traceFile, "--seed", "7",
		"--port", portOf(t, r0.Addr()), "--psam-port", portOf(t, r1.Addr()))
	c0, c1 := acceptCard(t, r0), acceptCard(t, r1)
	if atr := powerUp(t, c0); !bytes.Equal(atr, personaATR(t, "activated")) {
		t.Errorf("slot 0 ATR %X", atr)
	}
	if atr := powerUp(t, c1); !bytes.Equal(atr, personaATR(t, "psam")) {
		t.Errorf("slot 1 ATR %X", atr)
	}
	send(t, c0, apduSelectSSSE)
	if got := send(t, c0, apduVerifyBad); got != "63C2" {
		t.Errorf("VERIFY with a wrong PIN: %s", got)
	}
	if got := send(t, c1, "00A4040006D15600000590"); !strings.HasSuffix(got, "9000") && !strings.HasPrefix(got, "61") {
		t.Errorf("SELECT of the PSAM's DF01: %s", got)
	}
	waitOutput(t, e.stderr, `slot 0: activated inserted \(ATR `+spacedHex(personaATR(t, "activated"))+`\), connected to `+regexp.QuoteMeta(r0.Addr()))
	waitOutput(t, e.stderr, `slot 1: psam inserted \(ATR 3B [0-9A-F ]+\), connected to `+regexp.QuoteMeta(r1.Addr()))

	if code := e.stop(t); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, e.stderr.String())
	}
	if _, err := c0.ATR(); err == nil {
		t.Error("slot 0 is still connected after the emulator stopped")
	}
	waitOutput(t, e.stderr, `slot 0: card image saved to `+regexp.QuoteMeta(image)+`\n(.|\n)*sscard emulate: stopped`)
	tr, err := os.ReadFile(traceFile)
	if err != nil {
		t.Fatal(err)
	}
	// The insert events say which card came in: its identifier as EF05
	// holds it, and the persona.
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	insert0 := fmt.Sprintf("slot 0 * insert %s | id=%X profile=activated", spacedHex(personaATR(t, "activated")), ssse.CardIdentifier(&p.SSSE.Identity))
	for _, want := range []string{"slot 0 > apdu 00 20 00 00 03 65 43 21", "slot 0 < resp 63 C2", "slot 1 > power-on", "slot 0 * connect ", insert0, "| profile=psam"} {
		if !strings.Contains(string(tr), want) {
			t.Errorf("trace lacks %q:\n%s", want, tr)
		}
	}
	// And the trace reads back.
	if ev, err := trace.ReadFile(traceFile); err != nil || len(ev) == 0 || ev[0].Kind != trace.Insert {
		t.Errorf("the trace reads as %d events, %v", len(ev), err)
	}

	// The image holds the card with the try used: a new emulation from it
	// goes on from there.
	c, err := emulator.Load(image)
	if err != nil {
		t.Fatal(err)
	}
	c.Transmit(mustDecode(apduSelectSSSE))
	if r, _ := c.Transmit(mustDecode(apduTriesLeft)); fmt.Sprintf("%X", r) != "63C2" {
		t.Errorf("tries left in the saved image: %X, want 63C2", r)
	}
}

func mustDecode(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestEmulateSignal: SIGTERM stops "sscard emulate" cleanly, with exit 0.
// Not parallel: the signal goes to the whole test process.
func TestEmulateSignal(t *testing.T) {
	r0, _ := fakeVPCD(t)
	image := filepath.Join(t.TempDir(), "card.img")
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"emulate", "--no-psam", "--image", image, "--port", portOf(t, r0.Addr())}, io.Discard, stderr)
	}()
	c := acceptCard(t, r0)
	powerUp(t, c)
	waitOutput(t, stderr, "slot 0: default inserted") // the signal handler is in place
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after SIGTERM:\n%s", code, stderr.String())
		}
	case <-time.After(testWait):
		t.Fatalf("emulate did not stop on SIGTERM:\n%s", stderr.String())
	}
	if _, err := os.Stat(image); err != nil {
		t.Errorf("no image after SIGTERM: %v", err)
	}
	if !strings.Contains(stderr.String(), "sscard emulate: stopped") {
		t.Errorf("output:\n%s", stderr.String())
	}
}

// TestEmulateReverse: in reversed mode the slots listen and the fake vpcd
// connects to them.
func TestEmulateReverse(t *testing.T) {
	t.Parallel()
	e := startEmulate(t, "--reverse", "127.0.0.1:0")
	for slot, persona := range []string{"default", "psam"} {
		addr := waitOutput(t, e.stderr, fmt.Sprintf(`slot %d: listening for vpcd on (\S+)`, slot))[1]
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		c, err := vpcdtest.Dial(ctx, addr)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testWait))
		if atr := powerUp(t, c); !bytes.Equal(atr, personaATR(t, persona)) {
			t.Errorf("slot %d ATR %X, want %s's", slot, atr, persona)
		}
		waitOutput(t, e.stderr, fmt.Sprintf(`slot %d: %s inserted \(ATR [0-9A-F ]+\), vpcd connected from 127\.0\.0\.1:\d+`, slot, persona))
	}
}

// TestEmulateContactless: the card answers with the contactless pseudo-ATR
// built from its historical bytes.
func TestEmulateContactless(t *testing.T) {
	t.Parallel()
	r0, _ := fakeVPCD(t)
	startEmulate(t, "--contactless", "--no-psam", "--port", portOf(t, r0.Addr()))
	atr := powerUp(t, acceptCard(t, r0))
	contact, err := iso7816.ParseATR(personaATR(t, "default"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := iso7816.ParseATR(atr)
	if err != nil {
		t.Fatalf("pseudo-ATR %X: %v", atr, err)
	}
	n := len(contact.Historical)
	if !bytes.Equal(atr[:4], []byte{0x3B, 0x80 | byte(n), 0x80, 0x01}) || !bytes.Equal(a.Historical, contact.Historical) || a.TCK == nil {
		t.Errorf("pseudo-ATR %X, want 3B 8%X 80 01 %X TCK", atr, n, contact.Historical)
	}
}

// TestEmulateContactlessDoor: in a contactless reader the card is
// activated over ISO/IEC 14443 at each power-up and carries APDUs over
// 14443-4; the reader's GET DATA answers the UID and the ATS historical
// bytes; the card behind it is the same card (a wrong PIN counts).
func TestEmulateContactlessDoor(t *testing.T) {
	t.Parallel()
	r0, _ := fakeVPCD(t)
	startEmulate(t, "--contactless", "--no-psam", "--card", "activated", "--seed", "3", "--port", portOf(t, r0.Addr()))
	c := acceptCard(t, r0)
	atr := powerUp(t, c)
	uid := send(t, c, "FFCA000000")
	if n := len(uid) / 2; !strings.HasSuffix(uid, "9000") || n != 4+2 && n != 7+2 && n != 10+2 {
		t.Errorf("GET DATA UID: %s", uid)
	}
	a, err := iso7816.ParseATR(atr)
	if err != nil {
		t.Fatal(err)
	}
	if got := send(t, c, "FFCA010000"); got != fmt.Sprintf("%X9000", a.Historical) {
		t.Errorf("GET DATA historical bytes: %s, the pseudo-ATR %X has %X", got, atr, a.Historical)
	}
	if got := send(t, c, "FFCA020000"); got != "6A81" {
		t.Errorf("GET DATA P1 02: %s, want 6A81", got)
	}
	send(t, c, apduSelectSSSE)
	if got := send(t, c, apduVerifyBad); got != "63C2" {
		t.Errorf("VERIFY with a wrong PIN: %s", got)
	}
	// Power off and on: a new activation, the same card (the try stays
	// spent).
	if err := c.PowerOff(); err != nil {
		t.Fatal(err)
	}
	powerUp(t, c)
	send(t, c, apduSelectSSSE)
	if got := send(t, c, apduTriesLeft); got != "63C2" {
		t.Errorf("tries left after power cycling the field: %s", got)
	}
}

// A card without a contactless interface cannot be put in a contactless
// reader.
func TestEmulateContactlessNeedsTheDoor(t *testing.T) {
	t.Parallel()
	r0, _ := fakeVPCD(t)
	e := startEmulate(t, "--contactless", "--no-psam", "--card", "gen2", "--port", portOf(t, r0.Addr()))
	if code := e.stop(t); code != exitFail || !strings.Contains(e.stderr.String(), "no contactless interface") {
		t.Errorf("exit %d: %s", code, e.stderr.String())
	}
}

func TestContactlessATR(t *testing.T) {
	t.Parallel()
	// A contact ATR with historical bytes 80 31 80 65 B0 ...: the pseudo-ATR
	// keeps them and adds the TCK.
	got, err := contactlessATR([]byte{0x3B, 0x63, 0x00, 0x00, 0x4A, 0x43, 0x4F})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x3B, 0x83, 0x80, 0x01, 0x4A, 0x43, 0x4F, 0x83 ^ 0x80 ^ 0x01 ^ 0x4A ^ 0x43 ^ 0x4F}
	if !bytes.Equal(got, want) {
		t.Errorf("pseudo-ATR %X, want %X", got, want)
	}
	if got, err := contactlessATR([]byte{0x3B, 0x00}); err != nil || !bytes.Equal(got, []byte{0x3B, 0x80, 0x80, 0x01, 0x01}) {
		t.Errorf("no historical bytes: %X, %v", got, err)
	}
	if _, err := contactlessATR([]byte{0x3F}); err == nil {
		t.Error("a malformed contact ATR gave a pseudo-ATR")
	}
}

// TestEmulateNoPSAM: slot 1 stays out of it.
func TestEmulateNoPSAM(t *testing.T) {
	t.Parallel()
	r0, r1 := fakeVPCD(t)
	e := startEmulate(t, "--no-psam", "--port", portOf(t, r0.Addr()), "--psam-port", portOf(t, r1.Addr()), "--control", "127.0.0.1:0")
	powerUp(t, acceptCard(t, r0))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if c, err := r1.Accept(ctx); err == nil {
		c.Close()
		t.Error("slot 1 connected with --no-psam")
	}
	base := e.controlURL(t)
	code, stdout, stderr := runCLI(t, "ctl", "--control", strings.TrimPrefix(base, "http://"), "state")
	if code != exitOK || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, "0     default") {
		t.Errorf("ctl state: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "ctl", "--control", strings.TrimPrefix(base, "http://"), "remove", "1")
	if code != exitFail || !strings.Contains(stderr, `no slot "1": the slots are 0`) {
		t.Errorf("ctl remove 1: exit %d\n%s", code, stderr)
	}
}

// TestEmulateWaitsForVPCD: with no vpcd the emulator says what it waits for
// and connects when vpcd comes.
func TestEmulateWaitsForVPCD(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := startEmulate(t, "--no-psam", "--port", portOf(t, addr))
	waitOutput(t, e.stderr, `slot 0: waiting for vpcd at `+regexp.QuoteMeta(addr)+` \(.*refused\); is pcscd running with vsmartcard-vpcd\?`)
	r, err := vpcdtest.Listen(addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer r.Close()
	powerUp(t, acceptCard(t, r))
	if code := e.stop(t); code != exitOK {
		t.Errorf("exit %d", code)
	}
	if n := strings.Count(e.stderr.String(), "waiting for vpcd"); n != 1 {
		t.Errorf("%d waiting lines, want 1:\n%s", n, e.stderr.String())
	}
}

func TestEmulateErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.img")
	if err := os.WriteFile(garbage, []byte("not a card image"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"argument", []string{"x"}, exitUsage, "takes no arguments"},
		{"port 0", []string{"--port", "0"}, exitUsage, "--port 0 is not a TCP port"},
		{"psam port too big", []string{"--psam-port", "70000"}, exitUsage, "--psam-port 70000 is not a TCP port"},
		{"psam and no psam", []string{"--no-psam", "--psam", "psam"}, exitUsage, "--psam and --no-psam together"},
		{"control not loopback", []string{"--control", "0.0.0.0:0"}, exitUsage, "not a loopback address"},
		{"control all interfaces", []string{"--control", ":35960"}, exitUsage, "not a loopback address"},
		{"control no port", []string{"--control", "127.0.0.1"}, exitUsage, "missing port"},
		{"unknown persona", []string{"--card", "nobody"}, exitFail, "slot 0: opening card"},
		{"unknown psam", []string{"--psam", "nobody"}, exitFail, "slot 1: opening card"},
		{"damaged image", []string{"--image", garbage}, exitFail, "garbage.img"},
		{"trace in no directory", []string{"--trace", filepath.Join(dir, "no", "trace.txt")}, exitFail, "no such file or directory"},
		{"control port busy", []string{"--control", busy.Addr().String()}, exitFail, "control API"},
		{"reverse port busy", []string{"--reverse", busy.Addr().String()}, exitFail, "slot 0"},
		{"reverse bad address", []string{"--reverse", "nowhere"}, exitFail, "--reverse nowhere"},
		{"reverse and port", []string{"--reverse", "127.0.0.1:0", "--port", "1"}, exitUsage, "--reverse listens for vpcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), testWait)
			defer cancel()
			var stderr syncBuffer
			code := emulate(ctx, tt.args, io.Discard, &stderr)
			if ctx.Err() != nil {
				t.Fatalf("emulate ran instead of failing:\n%s", stderr.String())
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tt.code, tt.msg, stderr.String())
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:35960": true, "[::1]:1": true, "localhost:1": true, "127.1.2.3:4": true,
		"0.0.0.0:1": false, ":1": false, "192.168.1.1:1": false, "[::]:1": false, "example.com:1": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v", addr, err)
		}
	}
}

// TestEmulateControlAny: --control-any lets the control API listen beyond
// loopback.
func TestEmulateControlAny(t *testing.T) {
	t.Parallel()
	e := startEmulate(t, "--no-psam", "--port", strconv.Itoa(unusedPort(t)), "--control", "0.0.0.0:0", "--control-any")
	e.controlURL(t)
}

// unusedPort returns a port nothing listens on (for a slot that never
// connects).
func unusedPort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
