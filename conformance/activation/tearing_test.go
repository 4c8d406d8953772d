package activation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator"
)

// The scenarios whose routes change the chip, for the power-loss tests.
var tearScenarios = []Scenario{
	{Route: register.Hospital, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipActivated},
	{Route: register.Bank, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipActivated},
	{Route: register.Pharmacy, Card: "sealed", Other: "gen2", Want: Migrated, State: register.Enabled, Chip: register.ChipActivated, OtherState: register.Cancelled},
	{Route: register.Bureau, Card: "expired", Want: Reactivated, State: register.Enabled, Chip: register.ChipActivated},
	{Route: register.Bureau, Card: "blocked", Want: Reactivated, State: register.Enabled, Chip: register.ChipActivated},
	{Route: register.Bureau, Card: "lost", Other: "sealed", Want: Reissued, State: register.Cancelled, Chip: register.ChipBlocked, OtherState: register.Enabled, OtherChip: register.ChipActivated},
	{Route: register.Online, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipDeactivated},
}

// retryWant is what a retry of a route that was cut short may say: the
// scenario's result, or that there was nothing left to activate.
func retryOK(o *Outcome, s Scenario) bool {
	return o.Result == s.Want || o.Result == AlreadyEnabled
}

// stateChanges counts, per card, the journal entries that changed a
// card's back-end state: each must be done once, never twice.
func stateChanges(t *testing.T, e *Env) map[string]int {
	t.Helper()
	js, err := e.Store().Journal(context.Background(), register.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, j := range js {
		if j.Outcome == register.OutcomeOK && j.From != j.To && j.Event != "enroll" && j.Event != "reissue" {
			m[j.Card+" "+string(j.To)]++
		}
	}
	return m
}

func noDoubles(t *testing.T, e *Env) {
	t.Helper()
	for k, n := range stateChanges(t, e) {
		if n != 1 {
			t.Errorf("%s: done %d times", k, n)
		}
	}
}

// chipAhead reports a chip that runs ahead of the register: activated or
// unblocked while the register does not enable the card. The register is
// authoritative; a chip may lag behind it, never lead.
func chipAhead(ctx context.Context, e *Env, card *emulator.Card, id string) error {
	chip, _, err := ReadChip(card)
	if err != nil {
		return err
	}
	rec, err := e.Store().Card(ctx, id)
	if err != nil {
		return fmt.Errorf("card %s: %v", id, err)
	}
	if rec == nil {
		if chip == register.ChipActivated {
			return fmt.Errorf("the chip of card %s, not in the register, is activated", id)
		}
		return nil
	}
	if chip == register.ChipActivated && rec.State != register.Enabled && rec.Chip != register.ChipActivated {
		return fmt.Errorf("the chip is activated and the register says %s (chip %s)", rec.State, rec.Chip)
	}
	return nil
}

// TestCardTornAtEveryWrite cuts the card's power at each of its NVM
// writes during a route; after power-up the chip never leads the register,
// and a retry completes the route with each state change done once.
func TestCardTornAtEveryWrite(t *testing.T) {
	scenarios := tearScenarios
	if testing.Short() {
		scenarios = scenarios[:1]
	}
	for _, s := range scenarios {
		for _, target := range []string{"card", "other"} {
			if target == "other" && s.Other == "" {
				continue
			}
			t.Run(s.Name()+"/"+target, func(t *testing.T) {
				t.Parallel()
				tearSweep(t, s, target)
			})
		}
	}
}

func tearSweep(t *testing.T, s Scenario, target string) {
	ctx := context.Background()
	for n := 1; ; n++ {
		e := newEnv(t)
		sr := prepare(t, e, s)
		card := sr.Card
		if target == "other" {
			card = sr.Other
		}
		card.TearAfter(n)
		o, err := sr.Run(ctx)
		card.TearAfter(0)
		card.PowerOn()
		if err == nil {
			if err := sr.Check(ctx, o); err != nil {
				t.Fatalf("untorn run (write %d): %v", n, err)
			}
			if n == 1 && target == "card" && s.Route != register.Pharmacy {
				t.Fatal("the route wrote nothing to the card")
			}
			return
		}
		for _, c := range []struct {
			card *emulator.Card
			id   string
		}{{sr.Card, sr.CardID}, {sr.Other, sr.OtherID}} {
			if c.card == nil {
				continue
			}
			if err := chipAhead(ctx, e, c.card, c.id); err != nil {
				t.Fatalf("torn at write %d (%v): %v", n, err, err)
			}
		}
		o, err = sr.Run(ctx)
		if err != nil {
			t.Fatalf("torn at write %d, retry: %v", n, err)
		}
		if !retryOK(o, s) {
			t.Fatalf("torn at write %d, retry: %+v", n, o)
		}
		sr.Want, sr.Code = o.Result, o.Code
		if err := sr.Check(ctx, o); err != nil {
			t.Fatalf("torn at write %d, after the retry: %v", n, err)
		}
		noDoubles(t, e)
		e.Close()
	}
}

var errCrash = errors.New("the terminal lost its power")

// TestTerminalStopsAtEveryStep stops the terminal before each step of its
// route (a terminal losing power, a card pulled between two steps); a
// retry by a fresh terminal completes the route.
func TestTerminalStopsAtEveryStep(t *testing.T) {
	for _, s := range tearScenarios {
		for _, step := range Steps[s.Route] {
			t.Run(s.Name()+"/"+step.ID(), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e := newEnv(t)
				sr := prepare(t, e, s)
				sr.Terminal.Before = func(st Step) error {
					if st == step {
						return errCrash
					}
					return nil
				}
				o, err := sr.Run(ctx)
				if err == nil {
					// The route did not reach the step: it ended first.
					if err := sr.Check(ctx, o); err != nil {
						t.Fatal(err)
					}
					return
				}
				if !errors.Is(err, errCrash) {
					t.Fatal(err)
				}
				fresh, err := e.Terminal(ctx, s.Route)
				if err != nil {
					t.Fatal(err)
				}
				sr.Terminal = fresh
				if o, err = sr.Run(ctx); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if !retryOK(o, s) {
					t.Fatalf("retry: %+v", o)
				}
				sr.Want, sr.Code = o.Result, o.Code
				if s.Route == register.Pharmacy && sr.OtherChip == "" {
					sr.OtherChip = "" // blocked or not, depending on the step: agreement is checked
				}
				if err := sr.Check(ctx, o); err != nil {
					t.Fatalf("after the retry: %v", err)
				}
				noDoubles(t, e)
			})
		}
	}
}

// loseAnswers is an HTTP transport that delivers requests whose path ends
// with suffix but loses the register's answer.
type loseAnswers struct {
	suffix string
	lost   int
}

func (l *loseAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, l.suffix) {
		resp.Body.Close()
		l.lost++
		return nil, errors.New("connection reset: the answer was lost")
	}
	return resp, err
}

// TestLostAnswers: the register commits but the terminal never hears it;
// the retry finds the work done and finishes.
func TestLostAnswers(t *testing.T) {
	for _, suffix := range []string{"/activate", "/chip", "/events", "/reactivate", "/payments"} {
		for _, s := range tearScenarios {
			t.Run(s.Name()+suffix, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e := newEnv(t)
				sr := prepare(t, e, s)
				lose := &loseAnswers{suffix: suffix}
				sr.Terminal.Register.HTTP = &http.Client{Transport: lose}
				o, err := sr.Run(ctx)
				if lose.lost == 0 {
					if err != nil {
						t.Fatal(err)
					}
					return // the route makes no such call
				}
				if err == nil {
					t.Fatalf("a lost answer went unnoticed: %+v", o)
				}
				sr.Terminal.Register.HTTP = nil
				if o, err = sr.Run(ctx); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if !retryOK(o, s) {
					t.Fatalf("retry: %+v", o)
				}
				sr.Want, sr.Code = o.Result, o.Code
				if err := sr.Check(ctx, o); err != nil {
					t.Fatalf("after the retry: %v", err)
				}
				noDoubles(t, e)
			})
		}
	}
}

// TestRegisterRestartedMidFlow restarts the register between two steps of
// a route; the route goes on (or, if its next call fails, a retry
// completes it), and nothing is lost or done twice.
func TestRegisterRestartedMidFlow(t *testing.T) {
	for _, s := range tearScenarios {
		for _, step := range Steps[s.Route] {
			t.Run(s.Name()+"/"+step.ID(), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e := newEnv(t)
				sr := prepare(t, e, s)
				sr.Terminal.Before = func(st Step) error {
					if st == step {
						return e.Restart(ctx)
					}
					return nil
				}
				o, err := sr.Run(ctx)
				sr.Terminal.Before = nil
				if err != nil {
					if o, err = sr.Run(ctx); err != nil {
						t.Fatalf("retry after the restart: %v", err)
					}
				}
				if !retryOK(o, s) {
					t.Fatalf("outcome %+v", o)
				}
				sr.Want, sr.Code = o.Result, o.Code
				if err := sr.Check(ctx, o); err != nil {
					t.Fatal(err)
				}
				noDoubles(t, e)
			})
		}
	}
}

// TestRegisterDownMidFlow stops the register before a step and brings it
// back only after the terminal gave up; the retry completes.
func TestRegisterDownMidFlow(t *testing.T) {
	s := tearScenarios[0]
	for _, step := range Steps[s.Route] {
		t.Run(step.ID(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			sr := prepare(t, e, s)
			reached := false
			sr.Terminal.Before = func(st Step) error {
				if st == step {
					reached = true
					return e.Store().Close() // the register stops answering (503)
				}
				return nil
			}
			_, err := sr.Run(ctx)
			sr.Terminal.Before = nil
			if err == nil && reached {
				t.Fatal("the route went on without the register")
			}
			if err := e.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			o, err := sr.Run(ctx)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			sr.Want, sr.Code = o.Result, o.Code
			if !retryOK(o, s) {
				t.Fatalf("retry: %+v", o)
			}
			if err := sr.Check(ctx, o); err != nil {
				t.Fatal(err)
			}
			noDoubles(t, e)
		})
	}
}
