package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/activation"
	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
)

// The integrator's loop without pcscd: "sscard emulate --trace --register"
// presents the card and the PSAM to a (fake) vpcd; a terminal drives them
// through it and calls the register with its own key; then "sscard check"
// reads the trace and the register. The reference hospital terminal
// passes; a terminal that activates the chip without the register fails.
func TestCheckAgainstEmulate(t *testing.T) {
	for _, bad := range []bool{false, true} {
		name := map[bool]string{false: "reference", true: "bad"}[bad]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db, tr := filepath.Join(dir, "register.db"), filepath.Join(dir, "trace.log")
			r0, r1 := fakeVPCD(t)
			e := startEmulate(t, "--card", "default", "--port", portOf(t, r0.Addr()), "--psam-port", portOf(t, r1.Addr()),
				"--trace", tr, "--register", "127.0.0.1:0", "--register-db", db)
			url := waitOutput(t, e.stderr, `card register on (http://\S+)`)[1]
			card, psam := acceptCard(t, r0), acceptCard(t, r1)
			powerUp(t, card)
			powerUp(t, psam)
			code, out, errs := runCLI(t, "register", "terminal", "add", "hospital-07", "--route", "hospital", "--db", db)
			if code != exitOK {
				t.Fatalf("terminal add: %s", errs)
			}
			key, _ := hex.DecodeString(strings.TrimSpace(out))
			client := &cardreg.Client{BaseURL: url, Terminal: "hospital-07", Key: key}
			ctx := context.Background()
			if bad {
				ps := &terminal.PSAM{T: psam}
				if err := ps.Select(); err != nil {
					t.Fatal(err)
				}
				ssc := &terminal.SSC{T: card, PSAM: ps}
				if err := ssc.Open(); err != nil {
					t.Fatal(err)
				}
				if _, err := client.Lookup(ctx, strings.ToUpper(hex.EncodeToString(ssc.CardID))); err != nil {
					t.Fatal(err)
				}
				if _, err := ssc.LifeCycle(0x44); err != nil {
					t.Fatal(err)
				}
			} else {
				term := &activation.Terminal{Route: cardreg.Hospital, Register: client, PSAM: psam}
				o, err := term.Hospital(ctx, card, activation.Holder{Service: cardreg.Outpatient})
				if err != nil || o.Result != activation.Activated {
					t.Fatalf("hospital: %+v %v", o, err)
				}
			}
			if code := e.stop(t); code != exitOK {
				t.Fatalf("emulate exit %d:\n%s", code, e.stderr.String())
			}
			if b, _ := os.ReadFile(tr); testing.Verbose() {
				t.Logf("trace:\n%s", b)
			}
			code, out, errs = runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--register", db, "--terminal", "hospital-07")
			switch {
			case !bad && code != exitOK:
				t.Fatalf("the reference terminal fails its check: exit %d\n%s\n%s", code, out, errs)
			case bad && (code != exitFail || !strings.Contains(out, "FAIL ACT-REG-001")):
				t.Fatalf("the bad terminal passes: exit %d\n%s\n%s", code, out, errs)
			}
		})
	}
}
