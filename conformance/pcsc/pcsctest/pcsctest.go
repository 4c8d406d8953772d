//go:build pcsc

package pcsctest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/pcsc"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/vpcd"
)

// Ports of vpcd's slots 0 and 1.
const (
	CardPort = vpcd.DefaultPort
	PSAMPort = vpcd.DefaultPort + 1
)

// Required reports whether SSCARD_REQUIRE_PCSC asks for PC/SC tests to fail
// rather than skip when pcscd or vpcd is missing.
func Required() bool {
	v, _ := strconv.ParseBool(os.Getenv(RequireEnv))
	return v
}

// Unavailable stops t because what it needs is missing: a skip, or a
// failure when Required.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (%s=1: required)", msg, RequireEnv)
	}
	t.Skipf("%s (set %s=1 to make this a failure)", msg, RequireEnv)
}

// Need checks that pcscd runs with vpcd's two readers, both empty, and
// returns a PC/SC context released at the end of t. It holds, until the
// end of t, a lock that other tests taking it wait for: vpcd serves one card
// per reader, so tests that use the readers, in this process or another
// (go test runs packages in parallel), take turns.
func Need(t testing.TB) *pcsc.Context {
	t.Helper()
	lock(t)
	ctx, err := pcsc.Establish()
	if errors.Is(err, pcsc.ErrNoService) {
		Unavailable(t, "pcscd is not running: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Release() })
	readers, err := ctx.Readers()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{CardReader, PSAMReader} {
		if !slices.Contains(readers, r) {
			Unavailable(t, "pcscd has no reader %q (readers: %q): install vsmartcard-vpcd and restart pcscd", r, readers)
		}
		busy, err := ctx.CardPresent(r)
		if err != nil {
			t.Fatal(err)
		}
		if busy {
			// pcscd may still show a card just taken out: give it a poll.
			wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := ctx.WaitForRemoval(wctx, r)
			cancel()
			if err != nil {
				Unavailable(t, "%q already holds a card: another virtual card (sscard emulate?) is using vpcd", r)
			}
		}
	}
	return ctx
}

// lockPath is the file whose lock the tests using vpcd take in turn.
var lockPath = filepath.Join(os.TempDir(), "sscard-vpcd.lock")

// lock takes the vpcd lock until the end of t.
func lock(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("opening the vpcd lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("taking the vpcd lock %s: %v", lockPath, err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// Swap is a card for a vpcd slot whose emulated card can be replaced while
// it stays in the reader: to pcscd it is one card, which a test gives a
// fresh state (a new emulator.Card) before a warm reset.
type Swap struct {
	mu sync.Mutex
	c  *emulator.Card
}

// NewSwap returns a Swap holding c.
func NewSwap(c *emulator.Card) *Swap { return &Swap{c: c} }

// Set replaces the card.
func (s *Swap) Set(c *emulator.Card) {
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
}

// Card returns the card.
func (s *Swap) Card() *emulator.Card {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// ATR implements vpcd.Card.
func (s *Swap) ATR() []byte { return s.Card().ATR() }

// PowerOn implements vpcd.Card.
func (s *Swap) PowerOn() []byte { return s.Card().PowerOn() }

// PowerOff implements vpcd.Card.
func (s *Swap) PowerOff() { s.Card().PowerOff() }

// Reset implements vpcd.Card.
func (s *Swap) Reset() []byte { return s.Card().Reset() }

// TransmitAppend implements vpcd.Card.
func (s *Swap) TransmitAppend(dst, capdu []byte) ([]byte, error) {
	return s.Card().TransmitAppend(dst, capdu)
}

// Emulation is cards in vpcd's readers.
type Emulation struct {
	// Ctx is the PC/SC context of Need.
	Ctx *pcsc.Context
	// Slots are the vpcd slots of the card (0) and the PSAM (1).
	Slots [2]*vpcd.Slot
}

// Emulate puts card in vpcd's slot 0 and psam (if not nil) in slot 1 and
// waits until pcscd sees them. At the end of t the cards are taken out and
// Emulate waits until pcscd sees the readers empty. It calls Need first.
func Emulate(t testing.TB, card, psam vpcd.Card) *Emulation {
	t.Helper()
	e := &Emulation{Ctx: Need(t)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	readers := []string{CardReader, PSAMReader}
	for i, c := range []vpcd.Card{card, psam} {
		if c == nil {
			continue
		}
		s := vpcd.NewSlot(c, vpcd.Options{Slot: i})
		e.Slots[i] = s
		addr := fmt.Sprintf("127.0.0.1:%d", vpcd.DefaultPort+i)
		wg.Go(func() { _ = s.Dial(ctx, addr) })
	}
	t.Cleanup(func() {
		for _, s := range e.Slots {
			if s != nil {
				s.Remove()
			}
		}
		cancel()
		wg.Wait()
		for i, s := range e.Slots {
			if s == nil {
				continue
			}
			wctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
			if err := e.Ctx.WaitForRemoval(wctx, readers[i]); err != nil {
				t.Errorf("pcscd still sees the card after the test: %v", err)
			}
			stop()
		}
	})
	for i, s := range e.Slots {
		if s == nil {
			continue
		}
		wctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.Ctx.WaitForCard(wctx, readers[i])
		stop()
		if err != nil {
			t.Fatalf("the emulated card did not appear in %q: %v (slot: %+v)", readers[i], err, s.Status())
		}
	}
	return e
}
