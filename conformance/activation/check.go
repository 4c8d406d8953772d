package activation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/trace"
)

// CheckInput is what a terminal is checked on: the APDU trace of the
// virtual reader it used (card in slot 0, PSAM in slot 1) and the
// register's journal.
type CheckInput struct {
	// Flow is the terminal's route.
	Flow register.Route
	// Trace is the trace of the reader (ReadTraceFile).
	Trace []trace.Event
	// Journal is the register's journal: every entry (the state of a card
	// at a time is read from all of them).
	Journal []register.Entry
	// Terminal names the terminal under test in the journal; empty: every
	// terminal of the route whose entries fall within the trace's time
	// (with a minute of slack either side).
	Terminal string
	// Generations gives the generation of cards by identifier (from the
	// register), for cards whose version the terminal did not read; a card
	// of unknown generation is checked as a third-generation card.
	Generations map[string]string
	// Name describes the input in the report ("trace t.log, register
	// r.db").
	Name string
}

// Rule is one rule a terminal is checked against; it names the step of the
// route it comes from.
type Rule struct {
	ID    string
	Title string
	// Routes are the routes the rule applies to; nil: every route.
	Routes []register.Route
	// Step is the step of each route the rule comes from.
	Step func(r register.Route) Step
	// Model: the rule checks a model choice of CARD.md §6 (the chip
	// following the register) rather than a published requirement.
	Model bool
	check func(c *checker) (findings []finding, skip string)
}

// finding is one violation of a rule.
type finding struct {
	at  time.Time
	msg string
	x   []*ax
	got string
}

// checker is the state of one check.
type checker struct {
	in      CheckInput
	a       *analysis
	mine    []register.Entry // the terminal's own entries
	byCard  map[string][]register.Entry
	gens    map[string]string
	started time.Time
}

// Check checks a terminal's trace and journal entries against the rules of
// its route and returns the report: one result per rule (skipped when the
// trace gives it nothing to check).
func Check(in CheckInput) (*conformance.Report, error) {
	if !in.Flow.Valid() {
		return nil, fmt.Errorf("no route %q (routes: %v)", in.Flow, register.Routes)
	}
	c := &checker{in: in, a: analyze(in.Trace), byCard: map[string][]register.Entry{}, gens: in.Generations, started: time.Now()}
	if c.gens == nil {
		c.gens = map[string]string{}
	}
	from, to := c.a.start.Add(-time.Minute), c.a.end.Add(time.Minute)
	for _, e := range in.Journal {
		if e.Card != "" {
			c.byCard[e.Card] = append(c.byCard[e.Card], e)
		}
		if e.Route == register.Issuer {
			continue
		}
		if in.Terminal != "" {
			if e.Terminal == in.Terminal {
				c.mine = append(c.mine, e)
			}
			continue
		}
		if e.Route == in.Flow && !e.Time.Before(from) && !e.Time.After(to) {
			c.mine = append(c.mine, e)
		}
	}
	for _, l := range c.byCard {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Seq < l[j].Seq })
	}
	c.inferBlocked()
	name := in.Name
	if name == "" {
		name = "terminal trace"
	}
	rep := &conformance.Report{Target: fmt.Sprintf("%s terminal (%s)", in.Flow, name), Started: c.started}
	if len(c.a.card) == 0 {
		rep.Results = append(rep.Results, &conformance.Result{ID: "ACT-TRACE-001", Title: "The trace holds the terminal's exchanges with the card",
			Suite: "flow-" + string(in.Flow), Clause: "sscard emulate --trace", Outcome: conformance.Error,
			Reason: "no command to the card (slot 0) in the trace"})
	}
	for _, r := range Rules {
		if r.Routes != nil && !slices.Contains(r.Routes, in.Flow) {
			continue
		}
		rep.Results = append(rep.Results, c.run(r))
	}
	rep.Duration = time.Since(c.started)
	return rep, nil
}

func (c *checker) run(r *Rule) *conformance.Result {
	st := r.Step(c.in.Flow)
	res := &conformance.Result{ID: r.ID, Title: r.Title, Suite: "flow-" + string(c.in.Flow), Model: r.Model,
		Clause: fmt.Sprintf("CARD.md §6 route %d, %s", RouteNumber[c.in.Flow], st)}
	start := time.Now()
	fs, skip := r.check(c)
	res.Duration = time.Since(start)
	switch {
	case len(fs) > 0:
		res.Outcome = conformance.Fail
	case skip != "":
		res.Outcome, res.Reason = conformance.Skip, skip
	default:
		res.Outcome = conformance.Pass
	}
	seen := map[*ax]bool{}
	for _, f := range fs {
		res.Failures = append(res.Failures, conformance.Failure{Step: at(f.at), Message: f.msg, Got: f.got})
		for _, x := range f.x {
			if x == nil || seen[x] {
				continue
			}
			seen[x] = true
			res.Exchanges = append(res.Exchanges, exchangeOf(x))
		}
	}
	return res
}

func at(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("15:04:05.000000")
}

func exchangeOf(x *ax) conformance.Exchange {
	e := conformance.Exchange{Device: "card", Command: x.cmd}
	if x.p != nil {
		e.Step = fmt.Sprintf("card %d %s at %s", x.p.n, x.p.id, at(x.t))
	}
	if x.answer {
		e.Response = append(append([]byte(nil), x.data...), byte(x.sw>>8), byte(x.sw))
	} else {
		e.Err = "no answer"
	}
	return e
}

// stateAt is a card's register state at t, from the journal: the state
// the last entry about it before t left it in ("" when none).
func (c *checker) stateAt(id string, t time.Time) register.State {
	st := register.State("")
	for _, e := range c.byCard[id] {
		if e.Time.After(t) {
			break
		}
		switch {
		case e.To != "":
			st = e.To
		case e.From != "":
			st = e.From
		}
	}
	return st
}

// askedDuring reports whether the terminal asked the register about the
// card of a presence while the card was in the reader.
func (c *checker) askedDuring(p *presence) bool {
	for _, e := range c.mine {
		if e.Card == p.id && !e.Time.Before(p.start) && e.Time.Before(p.until) {
			return true
		}
	}
	return false
}

// blockedFrom reports whether the card of a presence was blocked in it or
// in a later presence (the holder hands the card in twice).
func (c *checker) blockedFrom(p *presence) bool {
	for _, q := range c.presencesOf(p.id) {
		if q.n >= p.n && q.blocked {
			return true
		}
	}
	return false
}

// inferBlocked names the cards whose identifier the terminal did not
// read: the one the emulator's trace named when the card came in, else,
// for a card the terminal met blocked (and so could not read), the card
// it asked the register about while the card was in the reader (found by
// its printed number).
func (c *checker) inferBlocked() {
	for _, p := range c.a.presences {
		if p.id == "" && p.inserted != "" {
			p.id, p.inferred = p.inserted, true
		}
		if p.id != "" || !p.wasBlocked {
			continue
		}
		for _, e := range c.mine {
			if e.Card != "" && !e.Time.Before(p.start) && e.Time.Before(p.until) {
				p.id, p.inferred = e.Card, true
				break
			}
		}
	}
}

// stoppedAt reports whether the last lookup of a card before t found it
// stopped (expired, arrears).
func (c *checker) stoppedAt(id string, t time.Time) bool {
	stopped := false
	for _, e := range c.byCard[id] {
		if e.Time.After(t) {
			break
		}
		if e.Event == "lookup" {
			_, stopped = e.Detail["stopCauses"]
		}
	}
	return stopped
}

// presencesOf returns the presences of a card.
func (c *checker) presencesOf(id string) []*presence {
	var out []*presence
	for _, p := range c.a.presences {
		if p.id == id {
			out = append(out, p)
		}
	}
	return out
}

// changes are the terminal's entries that asked to change a card.
func (c *checker) changes(events ...string) []register.Entry {
	var out []register.Entry
	for _, e := range c.mine {
		if slices.Contains(events, e.Event) {
			out = append(out, e)
		}
	}
	return out
}

// ReadJournalFile reads journal entries saved as JSON (an array, or an
// object with "entries" as GET /v1/journal answers).
func ReadJournalFile(path string) ([]register.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the journal: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	var list []register.Entry
	if err := json.Unmarshal(b, &list); err == nil {
		return list, nil
	}
	var obj struct {
		Entries []register.Entry `json:"entries"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("reading the journal %s: %w", path, errors.Join(errors.New("not a JSON array of entries nor {\"entries\": [...]}"), err))
	}
	return obj.Entries, nil
}
