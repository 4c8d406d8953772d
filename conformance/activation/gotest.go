package activation

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance"
)

// RunCheck checks a terminal's trace and journal as subtests of t, one per
// rule, so that an integrator's own test file checks their terminal in a
// few lines:
//
//	events, _ := trace.ReadFile("trace.log")
//	journal, _ := store.Journal(ctx, register.JournalQuery{})
//	activation.RunCheck(t, activation.CheckInput{Flow: register.Hospital, Trace: events, Journal: journal})
func RunCheck(t *testing.T, in CheckInput) {
	t.Helper()
	rep, err := Check(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Results {
		t.Run(res.ID, func(t *testing.T) {
			switch res.Outcome {
			case conformance.Skip:
				t.Skip(res.Reason)
			case conformance.Error:
				t.Fatalf("%s: %s", res.Title, res.Reason)
			case conformance.Fail:
				t.Error(describe(res))
			}
		})
	}
}

// describe renders a failed result: the rule, its step, each failure and
// the exchanges involved.
func describe(res *conformance.Result) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s\n  from: %s\n", res.ID, res.Title, res.Clause)
	for _, f := range res.Failures {
		fmt.Fprintf(&sb, "  - ")
		if f.Step != "" {
			fmt.Fprintf(&sb, "[%s] ", f.Step)
		}
		fmt.Fprintf(&sb, "%s\n", f.Message)
	}
	for _, e := range res.Exchanges {
		fmt.Fprintf(&sb, "    %s > %s\n", e.Step, e.Command)
		if e.Err != "" {
			fmt.Fprintf(&sb, "    %s ! %s\n", e.Step, e.Err)
		} else {
			fmt.Fprintf(&sb, "    %s < %s\n", e.Step, e.Response)
		}
	}
	return sb.String()
}
