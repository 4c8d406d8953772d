package conformance

import (
	"fmt"
	"strings"
	"testing"
)

// Run runs the suites against target as subtests of t, one per case, so
// that an integrator's own test file runs them in one line:
//
//	func TestCard(t *testing.T) { conformance.Run(t, conformance.Model()) }
//
// Options may select suites and cases. Cases on a model target run in
// parallel.
func Run(t *testing.T, target Target, opts ...Options) {
	t.Helper()
	var opt Options
	if len(opts) > 0 {
		opt = opts[0]
	}
	cases, err := Select(opt.Selection)
	if err != nil {
		t.Fatal(err)
	}
	cache := &syncCache{m: profileCache{}}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if !target.Real() {
				t.Parallel()
			}
			res := runOne(target, c, opt, cache)
			switch res.Outcome {
			case Skip:
				t.Skip(res.Reason)
			case Error:
				t.Fatalf("%s: %s", c.Title, res.Reason)
			case Fail:
				var sb strings.Builder
				writeFailure(&sb, res)
				t.Error(sb.String())
			}
		})
	}
}

// Model returns the model target with per-case personas and the built-in
// PSAM, the target of the default run.
func Model() Target {
	m, err := NewModel("", "")
	if err != nil {
		panic(fmt.Sprintf("the built-in personas do not load: %v", err))
	}
	return m
}
