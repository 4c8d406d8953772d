package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/activation"
	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/trace"
)

func init() {
	register(&command{
		name:    "check",
		summary: "check a third-party terminal's trace and the register's journal against an activation route's rules",
		run:     runCheck,
	})
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	f := newFlags("check", "sscard check --flow ROUTE --trace FILE [--register DB | --journal FILE] [--terminal NAME] [--report text|json|junit] [--out FILE]", `
Check what a terminal did on an activation route. Run the terminal's
software against "sscard emulate --trace FILE --register" (the cards, the
PSAM, the register); the emulator records every APDU and the register
journals every call. This command reads both and evaluates them against the
route's rules: the card's identity read before activation, the register
asked about the card's own holder, activation only for a card whose
register state allows it, PIN tries never exceeding what is left, valid
MACs, no personal data read without authentication, the chip following the
register, and the rules of the route (hospital registration, pharmacy
migration, bureau payment and renewal, online PKI authentication). Each
rule names the step of the route it comes from. The report is the
conformance runner's (text, JSON, JUnit).

The trace is the file "sscard emulate --trace" appends to (text lines), or
the control API's GET /v1/slots/0/trace?format=json. The journal comes from
the register file (--register, read only; default: the register's default
file) or from a JSON file of "sscard register journal --json" (--journal).
--terminal names the terminal under test; by default every terminal of the
route that worked during the trace.

The exit status is 0 when every rule passed (or had nothing to check), 1
when a rule failed, 2 for a wrong command line.`)
	flow := f.String("flow", "", "the terminal's `ROUTE`: bank, hospital, pharmacy, bureau or online")
	traceFile := f.String("trace", "", "the trace `FILE`")
	db := f.String("register", "", "the register `DB` whose journal to read")
	journal := f.String("journal", "", "a JSON journal `FILE` instead of the register")
	term := f.String("terminal", "", "the terminal under test: its `NAME` in the register")
	format := f.String("report", "text", "report `format`: text, json or junit")
	out := f.String("out", "", "write the report to `FILE` (atomically) instead of standard output")
	list := f.Bool("list", false, "list the route's rules and exit")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	route := cardreg.Route(*flow)
	if !route.Valid() {
		return f.usageError(stderr, fmt.Sprintf("--flow %q: want one of %v", *flow, cardreg.Routes))
	}
	if *list {
		for _, r := range activation.Rules {
			if r.Routes == nil || slices.Contains(r.Routes, route) {
				fmt.Fprintf(stdout, "%s\t%s\t%s\n", r.ID, r.Title, r.Step(route))
			}
		}
		return exitOK
	}
	rf, err := conformance.ParseFormat(*format)
	if err != nil {
		return f.usageError(stderr, err.Error())
	}
	if *traceFile == "" {
		return f.usageError(stderr, "--trace FILE is required")
	}
	if *db != "" && *journal != "" {
		return f.usageError(stderr, "--register and --journal together")
	}
	events, err := trace.ReadFile(*traceFile)
	if err != nil {
		fmt.Fprintf(stderr, "sscard check: %v\n", err)
		return exitFail
	}
	in := activation.CheckInput{Flow: route, Trace: events, Terminal: *term}
	if *journal != "" {
		if in.Journal, err = activation.ReadJournalFile(*journal); err != nil {
			fmt.Fprintf(stderr, "sscard check: %v\n", err)
			return exitFail
		}
		in.Name = "trace " + *traceFile + ", journal " + *journal
	} else {
		st, err := readRegister(*db)
		if err != nil {
			fmt.Fprintf(stderr, "sscard check: %v\n", err)
			return exitFail
		}
		defer st.Close()
		ctx := context.Background()
		if in.Journal, err = st.Journal(ctx, cardreg.JournalQuery{}); err != nil {
			fmt.Fprintf(stderr, "sscard check: %v\n", err)
			return exitFail
		}
		cards, err := st.Cards(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "sscard check: %v\n", err)
			return exitFail
		}
		in.Generations = map[string]string{}
		for _, c := range cards {
			in.Generations[c.ID] = c.Generation
		}
		in.Name = "trace " + *traceFile + ", register " + st.Path()
	}
	rep, err := activation.Check(in)
	if err != nil {
		fmt.Fprintf(stderr, "sscard check: %v\n", err)
		return exitFail
	}
	return writeReport(rep, rf, *out, "check", stdout, stderr)
}
