package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// TestEmulateRegister: --register serves the card register beside the
// cards, with the card of slot 0 enrolled in its declared state.
func TestEmulateRegister(t *testing.T) {
	t.Parallel()
	r0, err := vpcdtest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer r0.Close()
	db := filepath.Join(t.TempDir(), "register.db")
	e := startEmulate(t, "--card", "lost", "--no-psam", "--port", portOf(t, r0.Addr()),
		"--register", "127.0.0.1:0", "--register-db", db)
	waitOutput(t, e.stderr, `card register on http://127\.0\.0\.1:\d+ \(`+regexp.QuoteMeta(db)+`\)`)
	if code := e.stop(t); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, e.stderr.String())
	}
	st, err := cardreg.OpenReadOnly(db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cards, err := st.Cards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 || cards[0].State != cardreg.FormalLoss || !strings.HasSuffix(cards[0].ID, "01160185D3A5C7E9") {
		t.Errorf("register holds %+v, want the lost persona's card in formal-loss", cards)
	}
}

func TestEmulateRegisterRefusesOtherAddresses(t *testing.T) {
	t.Parallel()
	code, _, errs := runCLI(t, "emulate", "--register", "192.0.2.1:35961", "--no-psam", "--port", "1")
	if code == exitOK || !strings.Contains(errs, "--register") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
