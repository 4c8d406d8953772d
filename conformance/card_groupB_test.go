package conformance

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// gbSuite is the channel, life cycle, error and addressing groups of the
// card suite, as a suite of its own for these tests (copies of the cases,
// so the registered suites are not touched).
func gbSuite() *Suite {
	s := &Suite{Name: "test-gbSuite", Title: "card: channels, life cycle, errors, addressing"}
	for _, g := range [][]*Case{channelCases, lifeCycleCases, errorCases, moreCases} {
		for _, c := range g {
			cc := *c
			cc.Suite = s.Name
			s.Cases = append(s.Cases, &cc)
		}
	}
	return s
}

// gbRun runs a suite's cases on target, in parallel, into a report.
func gbRun(target Target, s *Suite) *Report {
	rep := &Report{Target: target.Name(), Started: time.Now(), Results: make([]*Result, len(s.Cases))}
	cache := &syncCache{m: profileCache{}}
	var wg sync.WaitGroup
	for i, c := range s.Cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep.Results[i] = runOne(target, c, Options{}, cache)
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(rep.Started)
	return rep
}

func TestGroupBCasesAreWellFormed(t *testing.T) {
	s := gbSuite()
	if len(s.Cases) < 60 {
		t.Errorf("%d cases, want at least 60", len(s.Cases))
	}
	others := map[string]*Case{}
	for _, reg := range Suites() {
		for _, c := range reg.Cases {
			others[c.ID] = c
		}
	}
	prefixes := map[*Case]string{}
	for _, g := range []struct {
		cases  []*Case
		prefix string
	}{{channelCases, "SSSE-CHAN-"}, {lifeCycleCases, "SSSE-LIFE-"}, {errorCases, "SSSE-ERR-"}, {moreCases, "SSSE-MORE-"}} {
		for _, c := range g.cases {
			prefixes[c] = g.prefix
		}
	}
	id := regexp.MustCompile(`^SSSE-(CHAN|LIFE|ERR|MORE)-\d{3}$`)
	mine := map[string]bool{}
	for _, g := range [][]*Case{channelCases, lifeCycleCases, errorCases, moreCases} {
		for _, c := range g {
			switch {
			case !id.MatchString(c.ID) || !strings.HasPrefix(c.ID, prefixes[c]):
				t.Errorf("case ID %q: not %sNNN", c.ID, prefixes[c])
			case mine[c.ID]:
				t.Errorf("case ID %s used twice", c.ID)
			case others[c.ID] != nil && others[c.ID] != c:
				t.Errorf("case ID %s is also the ID of another registered case", c.ID)
			}
			mine[c.ID] = true
			if c.Title == "" || c.Clause == "" || c.Requires == nil || c.Run == nil {
				t.Errorf("%s: title, clause, requirement and body are all required", c.ID)
			}
			if c.Model != strings.Contains(c.Clause, "[model") {
				t.Errorf("%s: Model is %v but the clause %q says otherwise", c.ID, c.Model, c.Clause)
			}
			if c.Destructive && c.Restores {
				t.Errorf("%s: both destructive and restoring", c.ID)
			}
		}
	}
	t.Logf("channel %d, life cycle %d, error %d, addressing %d: %d cases",
		len(channelCases), len(lifeCycleCases), len(errorCases), len(moreCases), len(s.Cases))
}

// gbModelBugs are the cases of the groups that fail because the model is
// wrong, with the defect. Each must fail on the model until the model is
// fixed; then it leaves this list and must pass like every other case.
var gbModelBugs = map[string]string{}

// TestGroupBOnTheModel: the model passes every case of the groups, none
// skipped on the default personas, except the known model bugs, which
// must fail.
func TestGroupBOnTheModel(t *testing.T) {
	s := gbSuite()
	rep := gbRun(Model(), s)
	bad := 0
	for _, r := range rep.Results {
		if bug, ok := gbModelBugs[r.ID]; ok {
			if r.Outcome != Fail {
				bad++
				t.Errorf("%s: %s, want a failure while the model bug stands (%s); fixed? remove it from gbModelBugs", r.ID, r.Outcome, bug)
			} else {
				t.Logf("%s fails on the model bug: %s", r.ID, bug)
			}
			continue
		}
		if r.Outcome != Pass {
			bad++
			t.Errorf("%s %s: %s %s", r.ID, r.Title, r.Outcome, r.Reason)
		}
	}
	if bad > 0 {
		var sb strings.Builder
		if err := rep.WriteText(&sb); err != nil {
			t.Fatal(err)
		}
		t.Log("\n" + sb.String())
	}
}

// TestGroupBCatchesItsMutants: each deliberately wrong card these groups
// are about fails at least one of their cases.
func TestGroupBCatchesItsMutants(t *testing.T) {
	want := map[string]bool{
		"channels-shared": true, "block-ignored": true, "no-life-cycle-check": true,
		"wrong-length-sw": true, "unknown-ins-6e00": true, "state-kept-on-select": true,
		"challenge-reusable": true, "mac-not-checked": true, "no-get-response": true,
		"fci-no-algorithm": true,
	}
	s := gbSuite()
	found := 0
	for _, m := range Mutants() {
		if !want[m.Name] {
			continue
		}
		found++
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			target, err := NewMutantTarget(m)
			if err != nil {
				t.Fatal(err)
			}
			rep := gbRun(target, s)
			var caught []string
			for _, r := range rep.Results {
				if _, bug := gbModelBugs[r.ID]; !bug && (r.Outcome == Fail || r.Outcome == Error) {
					caught = append(caught, r.ID)
				}
			}
			if len(caught) == 0 {
				t.Errorf("mutant %s (%s) passes every case of the groups", m.Name, m.Description)
				return
			}
			t.Logf("caught by %s", strings.Join(caught, ", "))
		})
	}
	if found == 0 {
		t.Fatalf("none of the mutants %v exists", want)
	}
}
