package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/conformance/linkcontact"
	"github.com/sscard/sscard/conformance/pcd"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/nvm"
	"github.com/sscard/sscard/emulator/profile"
)

func init() {
	register(&command{
		name:    "conform",
		summary: "run the conformance suites against the model or a card in a reader",
		run:     runConform,
	})
}

// readerOpener connects to a card in a PC/SC reader; the PC/SC build (-tags
// pcsc) sets it. It returns the card's transport, a warm reset, and close.
var readerOpener func(name string) (t terminal.Transport, reset func() error, close func(), err error)

// errNoPCSC explains a --reader in a build without PC/SC.
var errNoPCSC = errors.New("this sscard was built without PC/SC support: build it with -tags pcsc (needs libpcsclite-dev)")

// isTerminal reports whether w is a terminal (for progress display).
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runConform(args []string, stdout, stderr io.Writer) int {
	f := newFlags("conform", "sscard conform [--suite NAME] [--case GLOB] [--card persona|file] [--reader NAME [--diff]] [--ifd SPEC] [--pcd SPEC] [--report text|json|junit] [--out FILE]", `
Run the conformance suites and print a report. Without --reader the suites
run against the built-in model: each case on a fresh emulated card, in the
persona it needs (or the card of --card). With --reader they run against the
card in that PC/SC reader, checked against the profile --card declares for
it (its data, keys and state); destructive cases are skipped there unless
--allow-destructive. With --diff each case runs on the real card and on the
model, and every byte where the chip departs from the model is reported.

With --ifd or --pcd the link-layer suites (link-contact, link-contactless)
play the model card against a reader under test instead of the reference
readers: a program speaking the frame stream on its standard input and
output (exec:PROGRAM [ARGS], one process per case) or a reader listening on
a socket (tcp:HOST:PORT, unix:PATH, one connection per case). Without
--suite, only those suites run.

The exit status is 0 when every case passed (or was skipped), 1 when a case
failed, errored or diverged, 2 for a wrong command line.`)
	var suitesF, casesF multiFlag
	f.Var(&suitesF, "suite", "run only suite `NAME` (repeatable; default all)")
	f.Var(&casesF, "case", "run only cases whose ID matches `GLOB`, e.g. 'SSSE-PIN-*' (repeatable)")
	card := f.String("card", "", "the card: a `persona|file.json` (model: every case on it; reader: what the card is)")
	psam := f.String("psam", "", "the model PSAM's `persona|file.json` (default \"psam\")")
	reader := f.String("reader", "", "PC/SC reader `NAME` holding the card under test")
	diff := f.Bool("diff", false, "with --reader: run each case on the card and on the model and report divergences")
	destructive := f.Bool("allow-destructive", false, "run destructive cases (block PINs, terminate applications) on a real card")
	format := f.String("report", "text", "report `format`: text, json or junit")
	out := f.String("out", "", "write the report to `FILE` (atomically) instead of standard output")
	list := f.Bool("list", false, "list the selected cases and exit")
	mutant := f.String("mutant", "", "run against a deliberately broken model card `NAME` (\"list\" lists them), to see the suites catch it")
	ifdSpec := f.String("ifd", "", "the contact reader under test of suite link-contact: `SPEC` exec:PROGRAM [ARGS], tcp:HOST:PORT or unix:PATH")
	pcdSpec := f.String("pcd", "", "the contactless reader under test of suite link-contactless: `SPEC` as for --ifd")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	rf, err := conformance.ParseFormat(*format)
	if err != nil {
		return f.usageError(stderr, err.Error())
	}
	if *diff && *reader == "" {
		return f.usageError(stderr, "--diff compares a card in a reader with the model: give --reader")
	}
	if *reader != "" && *card == "" {
		return f.usageError(stderr, "--reader needs --card: the persona or profile file the card is checked against")
	}
	if (*ifdSpec != "" || *pcdSpec != "") && (*reader != "" || *mutant != "") {
		return f.usageError(stderr, "--ifd and --pcd test a reader against the model card: no --reader or --mutant")
	}
	under, restore, err := linkReaders(*ifdSpec, *pcdSpec)
	if err != nil {
		return f.usageError(stderr, err.Error())
	}
	defer restore()
	if len(suitesF) == 0 {
		for _, r := range under {
			suitesF = append(suitesF, r.suite)
		}
		// A mutant written for one suite runs against that suite.
		if m, ok := findMutant(*mutant); ok && m.Suite != "" {
			suitesF = append(suitesF, m.Suite)
		}
	}
	opt := conformance.Options{
		Selection:        conformance.Selection{Suites: suitesF, Cases: casesF},
		AllowDestructive: *destructive,
	}
	cases, err := conformance.Select(opt.Selection)
	if err != nil {
		fmt.Fprintf(stderr, "sscard conform: %v\n", err)
		return exitUsage
	}
	if *mutant == "list" {
		for _, m := range conformance.Mutants() {
			suite := m.Suite
			if suite == "" {
				suite = "card"
			}
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", m.Name, suite, m.Description)
		}
		return exitOK
	}
	if *mutant != "" && (*reader != "" || *card != "") {
		return f.usageError(stderr, "--mutant runs on the model with per-case personas: no --card or --reader")
	}
	if *list {
		for _, c := range cases {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", c.ID, c.Suite, c.Title, c.Clause)
		}
		return exitOK
	}

	model, err := conformance.NewModel(*card, *psam)
	if err != nil {
		fmt.Fprintf(stderr, "sscard conform: %v\n", err)
		return exitFail
	}
	var target conformance.Target = model
	if *mutant != "" {
		mt, err := mutantTarget(*mutant)
		if err != nil {
			return f.usageError(stderr, err.Error())
		}
		target = mt
	}
	if *reader != "" {
		ct, closeFn, err := readerTarget(*reader, model.Profile(), *psam)
		if err != nil {
			fmt.Fprintf(stderr, "sscard conform: %v\n", err)
			return exitFail
		}
		defer closeFn()
		target = ct
	}
	if isTerminal(stderr) {
		opt.Progress = progressPrinter(stderr)
	}
	var rep *conformance.Report
	if *diff {
		rep, err = conformance.ExecuteDiff(target, model, opt)
	} else {
		rep, err = conformance.Execute(target, opt)
	}
	if opt.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "sscard conform: %v\n", err)
		return exitFail
	}
	for _, r := range under {
		rep.Target += "; " + r.suite + " reader under test " + r.spec
	}
	return writeReport(rep, rf, *out, "conform", stdout, stderr)
}

// linkReader is a reader under test of a link-layer suite.
type linkReader struct{ suite, spec string }

// linkReaders points the link-layer suites at the readers --ifd and --pcd
// name, checking the specs first; restore points them back.
func linkReaders(ifdSpec, pcdSpec string) (out []linkReader, restore func(), err error) {
	oldIFD, oldPCD := linkcontact.Reader, conformance.ContactlessReader
	restore = func() { linkcontact.Reader, conformance.ContactlessReader = oldIFD, oldPCD }
	var fac ifd.Factory
	if ifdSpec != "" {
		if fac, err = ifd.OpenFactory(ifdSpec, os.Stderr); err != nil {
			return nil, nil, fmt.Errorf("--ifd: %w", err)
		}
		out = append(out, linkReader{linkcontact.SuiteName, ifdSpec})
	}
	var open func() (pcd.Reader, func() error, error)
	if pcdSpec != "" {
		if open, err = conformance.StreamContactlessReader(pcdSpec); err != nil {
			return nil, nil, fmt.Errorf("--pcd: %w", err)
		}
		out = append(out, linkReader{conformance.LinkContactlessSuite, pcdSpec})
	}
	if fac != nil {
		linkcontact.Reader = fac
	}
	if open != nil {
		conformance.ContactlessReader = open
	}
	return out, restore, nil
}

func mutantTarget(name string) (conformance.Target, error) {
	if m, ok := findMutant(name); ok {
		return conformance.NewMutantTarget(m)
	}
	return nil, fmt.Errorf("no mutant %q (--mutant list lists them)", name)
}

func findMutant(name string) (conformance.Mutant, bool) {
	for _, m := range conformance.Mutants() {
		if m.Name == name {
			return m, true
		}
	}
	return conformance.Mutant{}, false
}

// readerTarget connects to the card in a PC/SC reader.
func readerTarget(name string, declared *profile.Profile, psam string) (*conformance.CardTarget, func(), error) {
	if readerOpener == nil {
		return nil, nil, errNoPCSC
	}
	t, reset, closeFn, err := readerOpener(name)
	if err != nil {
		return nil, nil, err
	}
	return &conformance.CardTarget{
		Label: "reader " + name + " (checked against " + declared.Name + ")", Declared: declared,
		Card: t, Reset: reset, PSAMProfile: psam,
	}, closeFn, nil
}

// progressPrinter shows "cases done of total" and the current case on one
// terminal line.
func progressPrinter(w io.Writer) func(done, total int, next *conformance.Case) {
	return func(done, total int, next *conformance.Case) {
		cur := ""
		if next != nil {
			cur = next.ID + " " + next.Title
			if len(cur) > 60 {
				cur = cur[:57] + "..."
			}
		}
		fmt.Fprintf(w, "\r\033[K[%d/%d] %s", done, total, cur)
	}
}

// multiFlag is a repeatable string flag (also accepting comma lists).
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*m = append(*m, s)
		}
	}
	return nil
}

// writeReport writes a report in format f to out (atomically: a run that
// fails leaves no half-written file) or to stdout, and returns the exit
// status: 0 when the report is OK, 1 otherwise. cmd names the command in
// messages.
func writeReport(rep *conformance.Report, f conformance.Format, out, cmd string, stdout, stderr io.Writer) int {
	var buf bytes.Buffer
	if err := rep.Write(&buf, f); err != nil {
		fmt.Fprintf(stderr, "sscard %s: writing the report: %v\n", cmd, err)
		return exitFail
	}
	if out != "" {
		if err := nvm.WriteFileAtomic(out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "sscard %s: writing the report: %v\n", cmd, err)
			return exitFail
		}
		c := rep.Counts()
		fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped, %d errors; report in %s\n", c[conformance.Pass], c[conformance.Fail], c[conformance.Skip], c[conformance.Error], out)
	} else if _, err := stdout.Write(buf.Bytes()); err != nil {
		return exitFail
	}
	if !rep.OK() {
		return exitFail
	}
	return exitOK
}
