package activation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// FleetOptions configure a fleet run.
type FleetOptions struct {
	// Cards is the number of cards (default 100).
	Cards int
	// Route is hospital (default) or bank.
	Route register.Route
	// Parallel is the number of terminals working at once (default
	// 16 × GOMAXPROCS: a terminal mostly waits for the register's group
	// commits, so more of them in flight fill each commit).
	Parallel int
	// Path is the register file; empty: a file in a temporary directory,
	// removed at the end.
	Path string
	// Sync is the register's synchronous setting (register.Options).
	Sync string
	// Progress, if set, is called after each card with the number done.
	// It is called from many goroutines at once.
	Progress func(done, total int)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// FleetResult is the outcome of a fleet run.
type FleetResult struct {
	Cards     int            `json:"cards"`
	Route     register.Route `json:"route"`
	Parallel  int            `json:"parallel"`
	Activated int            `json:"activated"`
	// Prepare is the time spent making the cards and enrolling them;
	// Duration the time of the activations, and PerSecond their rate.
	Prepare   time.Duration `json:"prepareNs"`
	Duration  time.Duration `json:"durationNs"`
	PerSecond float64       `json:"perSecond"`
	// RegisterBytes is the register's size on disk at the end (after a
	// checkpoint: the database file alone).
	RegisterBytes int64 `json:"registerBytes"`
	// HeapPerCard is the heap the cards take, each (made and enrolled,
	// before the activations).
	HeapPerCard uint64 `json:"heapPerCard"`
	// Problems lists every card or register row not in the state it
	// should be in, every activation lost or done twice.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether every card and every register row ended right.
func (r *FleetResult) OK() bool { return len(r.Problems) == 0 && r.Activated == r.Cards }

// FleetCard is card i of a fleet: the default persona (sealed) with its
// own card serial, card number and holder, and without the applications
// the route does not use (PKI; the financial application unless the route
// is the bank's), which keeps 10,000 cards in a few hundred megabytes.
func FleetCard(i int, route register.Route) (*profile.Profile, error) {
	pay := `,"pay":null`
	if route == register.Bank {
		pay = ""
	}
	js := fmt.Sprintf(`{"extends":"default","name":"fleet-%d","pki":null%s,"ssse":{"identity":{"cardSerial":"03%014X","cardNumber":"F%08d","ssn":"110105%011dX"}}}`,
		i, pay, i, i, i)
	return profile.Parse([]byte(js), "")
}

// Fleet makes opt.Cards sealed cards, enrols them, and activates them all
// through opt.Route, opt.Parallel terminals at once against one register
// over its API; then it checks that every card's chip is activated, every
// register row is enabled with the chip recorded, and that the journal
// holds exactly one activation and one chip report per card: nothing lost,
// nothing done twice.
func Fleet(ctx context.Context, opt FleetOptions) (*FleetResult, error) {
	if opt.Cards <= 0 {
		opt.Cards = 100
	}
	if opt.Route == "" {
		opt.Route = register.Hospital
	}
	if opt.Route != register.Hospital && opt.Route != register.Bank {
		return nil, fmt.Errorf("fleet runs take the hospital or the bank route, not %q", opt.Route)
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 16 * runtime.GOMAXPROCS(0)
	}
	opt.Parallel = min(opt.Parallel, opt.Cards)
	path := opt.Path
	if path == "" {
		dir, err := os.MkdirTemp("", "sscard-fleet-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "register.db")
	}
	env, err := NewEnv(ctx, path, register.Options{Now: opt.Now, Sync: opt.Sync})
	if err != nil {
		return nil, err
	}
	defer env.Close()
	res := &FleetResult{Cards: opt.Cards, Route: opt.Route, Parallel: opt.Parallel}

	start := time.Now()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cards, ids, holders, err := makeFleet(ctx, env, opt)
	if err != nil {
		return nil, err
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc {
		res.HeapPerCard = (after.HeapAlloc - before.HeapAlloc) / uint64(opt.Cards)
	}
	res.Prepare = time.Since(start)

	terms := make([]*Terminal, opt.Parallel)
	for i := range terms {
		if terms[i], err = env.Terminal(ctx, opt.Route); err != nil {
			return nil, err
		}
	}
	outcomes := make([]*Outcome, opt.Cards)
	errs := make([]error, opt.Cards)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start = time.Now()
	for _, t := range terms {
		wg.Add(1)
		go func(t *Terminal) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= opt.Cards || ctx.Err() != nil {
					return
				}
				if opt.Route == register.Bank {
					outcomes[i], errs[i] = t.Bank(ctx, cards[i], holders[i])
				} else {
					outcomes[i], errs[i] = t.Hospital(ctx, cards[i], holders[i])
				}
				n := done.Add(1)
				if opt.Progress != nil {
					opt.Progress(int(n), opt.Cards)
				}
			}
		}(t)
	}
	wg.Wait()
	res.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, o := range outcomes {
		switch {
		case errs[i] != nil:
			res.problem("card %s: %v", ids[i], errs[i])
		case o.Result != Activated:
			res.problem("card %s: %s %s %s", ids[i], o.Result, o.Code, o.Reason)
		default:
			res.Activated++
		}
	}
	if res.Duration > 0 {
		res.PerSecond = float64(res.Activated) / res.Duration.Seconds()
	}
	if err := res.verify(ctx, env, cards, ids); err != nil {
		return nil, err
	}
	if err := env.Store().Checkpoint(ctx); err != nil {
		return nil, err
	}
	res.RegisterBytes = env.Store().Size()
	return res, nil
}

func (r *FleetResult) problem(format string, args ...any) {
	if len(r.Problems) < 1000 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// makeFleet makes and enrols the cards, on every processor.
func makeFleet(ctx context.Context, env *Env, opt FleetOptions) ([]*emulator.Card, []string, []Holder, error) {
	n := opt.Cards
	cards := make([]*emulator.Card, n)
	ids := make([]string, n)
	holders := make([]Holder, n)
	ens := make([]register.Enrollment, n)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += len(errs) {
				p, err := FleetCard(i, opt.Route)
				if err == nil {
					cards[i], err = emulator.New(p, emulator.WithSeed(uint64(i)+1))
				}
				if err == nil {
					ens[i], err = register.EnrollmentOf(p)
				}
				if err != nil {
					errs[w] = fmt.Errorf("fleet card %d: %w", i, err)
					return
				}
				ids[i] = ens[i].ID
				id := &p.SSSE.Identity
				holders[i] = Holder{SSN: id.SSN, Name: id.Name, CardNumber: id.CardNumber, PIN: "246810", BankPIN: "135790", Service: register.Outpatient}
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, nil, err
	}
	const chunk = 2000
	for i := 0; i < n; i += chunk {
		if _, err := env.Store().Enroll(ctx, ens[i:min(i+chunk, n)]...); err != nil {
			return nil, nil, nil, err
		}
	}
	return cards, ids, holders, nil
}

// verify checks every card, every register row and the journal.
func (r *FleetResult) verify(ctx context.Context, env *Env, cards []*emulator.Card, ids []string) error {
	want := map[string]bool{}
	for i, c := range cards {
		want[ids[i]] = true
		chip, _, err := ReadChip(c)
		if err != nil {
			r.problem("card %s: reading the chip: %v", ids[i], err)
			continue
		}
		if chip != register.ChipActivated {
			r.problem("card %s: chip %s, want activated", ids[i], chip)
		}
	}
	rows, err := env.Store().Cards(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range rows {
		if !want[c.ID] {
			r.problem("register row %s: not a card of the fleet", c.ID)
			continue
		}
		if seen[c.ID] {
			r.problem("register row %s: twice", c.ID)
		}
		seen[c.ID] = true
		if c.State != register.Enabled || c.Chip != register.ChipActivated {
			r.problem("register row %s: %s, chip %s; want enabled, chip activated", c.ID, c.State, c.Chip)
		}
	}
	if len(seen) != len(want) {
		r.problem("the register holds %d of the %d cards", len(seen), len(want))
	}
	js, err := env.Store().Journal(ctx, register.JournalQuery{})
	if err != nil {
		return err
	}
	act, chip := map[string]int{}, map[string]int{}
	for _, j := range js {
		switch {
		case j.Event == "activate" && j.Outcome == register.OutcomeOK:
			act[j.Card]++
		case j.Event == "chip" && j.Outcome == register.OutcomeOK:
			chip[j.Card]++
		}
	}
	var bad []string
	for id := range want {
		if act[id] != 1 || chip[id] != 1 {
			bad = append(bad, fmt.Sprintf("card %s: %d activations and %d chip reports journaled, want 1 and 1", id, act[id], chip[id]))
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		r.problem("%s", b)
	}
	return nil
}
