package activation

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/register"
)

// testNow is the clock of the tests: inside the test PKI's certificates
// (2024-03-15 to 2034-03-15), after the expired persona's expiry.
var testNow = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

func newEnv(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := NewEnv(ctx, filepath.Join(t.TempDir(), "register.db"), register.Options{Now: func() time.Time { return testNow }, Sync: "normal"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		cancel()
	})
	return e
}

// TestScenarios runs every route on every relevant persona, checks the
// outcome, the register and the chips, then runs it again: activation is
// idempotent, and a second run changes nothing.
func TestScenarios(t *testing.T) {
	for i, s := range Scenarios {
		t.Run(s.Name(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			sr, err := e.Prepare(ctx, s, uint64(100+i))
			if err != nil {
				t.Fatal(err)
			}
			o, err := sr.Run(ctx)
			if err != nil {
				t.Fatalf("route failed: %v", err)
			}
			if err := sr.Check(ctx, o); err != nil {
				t.Fatalf("%v\noutcome: %+v", err, o)
			}
			before := activations(t, e)
			again, err := sr.Run(ctx)
			if err != nil {
				t.Fatalf("second run failed: %v", err)
			}
			want := sr.Want
			switch want {
			case Activated, Migrated, Reactivated, Reissued:
				want = AlreadyEnabled
			}
			if again.Result != want {
				t.Errorf("second run: %s %s (%s), want %s", again.Result, again.Code, again.Reason, want)
			}
			sr.Want, sr.Code = again.Result, again.Code
			if s.Route == register.Pharmacy && s.OtherState == register.Cancelled && s.OtherChip == register.ChipActivated {
				sr.OtherChip = register.ChipBlocked // the original card was seen again
			}
			if err := sr.Check(ctx, again); err != nil {
				t.Errorf("after the second run: %v", err)
			}
			if after := activations(t, e); after != before {
				t.Errorf("the second run changed the register: %d activations and cancellations, then %d", before, after)
			}
		})
	}
}

// activations counts the journal entries that changed a card's state.
func activations(t testing.TB, e *Env) int {
	t.Helper()
	js, err := e.Store().Journal(context.Background(), register.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range js {
		if j.Outcome == register.OutcomeOK && j.From != j.To && j.Event != "enroll" {
			n++
		}
	}
	return n
}
