package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Options control a run.
type Options struct {
	Selection
	// AllowDestructive runs destructive cases on real cards.
	AllowDestructive bool
	// Progress, if set, is called after each case (done of total) and
	// before each (with the case about to run). It is called from one
	// goroutine at a time.
	Progress func(done, total int, next *Case)
	// Parallel is the number of cases run at once on model targets
	// (default GOMAXPROCS); real targets always run one case at a time.
	Parallel int
}

// Outcome of a case.
type Outcome string

// Outcomes.
const (
	Pass  Outcome = "pass"
	Fail  Outcome = "fail"
	Skip  Outcome = "skip"
	Error Outcome = "error" // the case could not run (target failure, case panic)
)

// Result is the outcome of one case.
type Result struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Suite       string        `json:"suite"`
	Clause      string        `json:"clause"`
	Model       bool          `json:"modelChoice,omitempty"`
	Outcome     Outcome       `json:"outcome"`
	Reason      string        `json:"reason,omitempty"`
	Failures    []Failure     `json:"failures,omitempty"`
	Exchanges   []Exchange    `json:"exchanges,omitempty"`
	Divergences []Divergence  `json:"divergences,omitempty"`
	Duration    time.Duration `json:"durationNs"`
	// ModelOutcome is the model's outcome in a differential run.
	ModelOutcome Outcome `json:"modelOutcome,omitempty"`

	lost error
}

// ErrCardLost is returned by Execute when a real card stopped answering
// (removed, reader gone, pcscd stopped): the run is abandoned, since every
// later case would fail for the same reason.
var ErrCardLost = errors.New("the card stopped answering")

// Report is the outcome of a run.
type Report struct {
	Target   string        `json:"target"`
	Against  string        `json:"against,omitempty"` // the model, in a differential run
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"durationNs"`
	Results  []*Result     `json:"results"`
}

// Counts returns the number of results of each outcome.
func (r *Report) Counts() map[Outcome]int {
	m := map[Outcome]int{}
	for _, res := range r.Results {
		m[res.Outcome]++
	}
	return m
}

// FailedIDs returns the IDs of the cases that failed or errored, in the
// report's order.
func (r *Report) FailedIDs() []string {
	var out []string
	for _, res := range r.Results {
		if res.Outcome == Fail || res.Outcome == Error {
			out = append(out, res.ID)
		}
	}
	return out
}

// OK reports whether no case failed or errored (and, in a differential
// run, none diverged).
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if res.Outcome == Fail || res.Outcome == Error || len(res.Divergences) > 0 {
			return false
		}
	}
	return true
}

// Execute runs the selected cases against target and returns the report.
func Execute(target Target, opt Options) (*Report, error) {
	cases, err := Select(opt.Selection)
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: target.Name(), Started: time.Now()}
	rep.Results = make([]*Result, len(cases))
	par := opt.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	if target.Real() {
		par = 1
	}
	cache := &syncCache{m: profileCache{}}
	var mu sync.Mutex
	done := 0
	progress := func(next *Case, finished bool) {
		if opt.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if finished {
			done++
		}
		opt.Progress(done, len(cases), next)
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var lostMu sync.Mutex
	var lost error
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				progress(cases[i], false)
				res := runOne(target, cases[i], opt, cache)
				rep.Results[i] = res
				if res.lost != nil && target.Real() {
					lostMu.Lock()
					if lost == nil {
						lost = fmt.Errorf("%w: in case %s: %w", ErrCardLost, res.ID, res.lost)
					}
					lostMu.Unlock()
				}
				progress(nil, true)
			}
		}()
	}
	for i := range cases {
		lostMu.Lock()
		stop := lost != nil
		lostMu.Unlock()
		if stop {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if lost != nil {
		return nil, lost
	}
	rep.Duration = time.Since(rep.Started)
	return rep, nil
}

type syncCache struct {
	mu sync.Mutex
	m  profileCache
}

func runOne(target Target, c *Case, opt Options, cache *syncCache) *Result {
	start := time.Now()
	res := &Result{ID: c.ID, Title: c.Title, Suite: c.Suite, Clause: c.Clause, Model: c.Model}
	defer func() { res.Duration = time.Since(start) }()
	p := target.Profile()
	if p == nil {
		cache.mu.Lock()
		var err error
		p, err = cache.m.load(c.persona())
		cache.mu.Unlock()
		if err != nil {
			res.Outcome, res.Reason = Error, err.Error()
			return res
		}
	}
	if c.Requires != nil {
		if why := c.Requires(p); why != "" {
			res.Outcome, res.Reason = Skip, why
			return res
		}
	}
	if c.ModelOnly && target.Real() {
		res.Outcome, res.Reason = Skip, "tests a reader's link layer on a model card, not the card under test"
		return res
	}
	if c.Destructive && target.Real() && !opt.AllowDestructive {
		res.Outcome, res.Reason = Skip, "destructive on a real card (allow with --allow-destructive)"
		return res
	}
	card, psam, closeFn, err := target.Open(c, p)
	if err != nil {
		res.Outcome, res.Reason = Error, fmt.Sprintf("opening the card: %v", err)
		return res
	}
	defer closeFn()
	if c.PSAM && psam == nil {
		res.Outcome, res.Reason = Skip, "needs a PSAM"
		return res
	}
	s := &S{c: c, prof: p}
	s.card = &recorder{s: s, device: "card", t: card}
	if psam != nil {
		s.psam = &recorder{s: s, device: "psam", t: psam}
	}
	if pan := runCase(s); pan != "" {
		res.Outcome, res.Reason = Error, "the case stopped: "+pan
	} else if s.lost != nil {
		res.Outcome, res.Reason = Error, "lost the card: "+s.lost.Error()
		res.lost = s.lost
	} else if s.skip != "" {
		res.Outcome, res.Reason = Skip, s.skip
	} else if len(s.failures) > 0 {
		res.Outcome = Fail
	} else {
		res.Outcome = Pass
	}
	res.Failures = s.failures
	res.Exchanges = s.log
	return res
}

// Divergence is one difference between the real card and the model in a
// differential run.
type Divergence struct {
	Index   int    `json:"index"` // exchange number
	Step    string `json:"step,omitempty"`
	What    string `json:"what"` // "command", "status word", "data", "missing", "extra"
	Real    string `json:"real"`
	Model   string `json:"model"`
	Command string `json:"command,omitempty"`
}

// ExecuteDiff runs every case on the real target and on the model, both checked
// against the real target's profile, and reports each byte-level divergence
// of their card exchanges (bytes marked volatile are compared by status word
// only).
func ExecuteDiff(real, model Target, opt Options) (*Report, error) {
	if real.Profile() == nil {
		return nil, errors.New("differential run: the real card needs a profile (--card)")
	}
	if model.Profile() == nil {
		return nil, errors.New("differential run: the model needs the same profile as the card")
	}
	opt.Parallel = 1
	if m, ok := model.(*ModelTarget); ok && !freshPerCase(real) {
		// The card in the reader lives through the whole run, each case
		// meeting the state the previous ones left (counters, logs, PIN
		// tries). The model must too: one card, reset before each case,
		// with destructive cases gated as they are on the card.
		mc, err := m.singleCard(real.Real())
		if err != nil {
			return nil, err
		}
		model = mc
	}
	rr, err := Execute(real, opt)
	if err != nil {
		return nil, err
	}
	opt.Progress = nil
	mr, err := Execute(model, opt)
	if err != nil {
		return nil, err
	}
	rr.Against = mr.Target
	for i, res := range rr.Results {
		m := mr.Results[i]
		res.ModelOutcome = m.Outcome
		if res.Outcome == Skip {
			// Not run on the card (destructive without permission, or not
			// applicable): nothing to compare.
			continue
		}
		res.Divergences = diverge(res.Exchanges, m.Exchanges)
	}
	rr.Duration = time.Since(rr.Started)
	return rr, nil
}

// freshPerCase reports whether the real target gives each case a fresh card
// (an emulated card swapped in by its Reset hook), not one card for the run.
func freshPerCase(t Target) bool {
	ct, ok := t.(*CardTarget)
	return ok && ct.FreshPerCase
}

func cardOnly(x []Exchange) []Exchange {
	var out []Exchange
	for _, e := range x {
		if e.Device == "card" {
			out = append(out, e)
		}
	}
	return out
}

func diverge(realX, modelX []Exchange) []Divergence {
	r, m := cardOnly(realX), cardOnly(modelX)
	var out []Divergence
	n := max(len(r), len(m))
	for i := 0; i < n; i++ {
		switch {
		case i >= len(r):
			out = append(out, Divergence{Index: i, Step: m[i].Step, What: "missing", Real: "(no exchange)", Model: spaced(m[i].Command)})
			continue
		case i >= len(m):
			out = append(out, Divergence{Index: i, Step: r[i].Step, What: "extra", Real: spaced(r[i].Command), Model: "(no exchange)"})
			continue
		}
		a, b := r[i], m[i]
		cmdText := spaced(a.Command)
		if !a.VolatileCommand && !bytes.Equal(a.Command, b.Command) {
			out = append(out, Divergence{Index: i, Step: a.Step, What: "command", Real: spaced(a.Command), Model: spaced(b.Command)})
			continue
		}
		if a.Err != "" || b.Err != "" {
			if a.Err != b.Err {
				out = append(out, Divergence{Index: i, Step: a.Step, What: "transport", Real: a.Err, Model: b.Err, Command: cmdText})
			}
			continue
		}
		swA, swB := tail(a.Response), tail(b.Response)
		if !bytes.Equal(swA, swB) {
			out = append(out, Divergence{Index: i, Step: a.Step, What: "status word", Real: spaced(swA), Model: spaced(swB), Command: cmdText})
			continue
		}
		if !a.VolatileResponse && !bytes.Equal(a.Response, b.Response) {
			out = append(out, Divergence{Index: i, Step: a.Step, What: "data", Real: spaced(a.Response), Model: spaced(b.Response), Command: cmdText})
		}
	}
	return out
}

func tail(resp []byte) []byte {
	if len(resp) < 2 {
		return resp
	}
	return resp[len(resp)-2:]
}
