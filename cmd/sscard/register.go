package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/profile"
)

func init() {
	register(&command{
		name:    "register",
		summary: "the card register: serve its API to terminals, enrol cards, add terminals, show cards and the journal",
		run:     runRegister,
	})
}

// registerCommands are the subcommands of "sscard register".
var registerCommands = []struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}{
	{"serve", "serve the terminals' API (HTTP and JSON on loopback) until interrupted", registerServe},
	{"init", "create the register file, or migrate it to this sscard's schema", registerInit},
	{"enroll", "enrol the cards of personas or profile files", registerEnroll},
	{"terminal", "add a terminal (printing its key), list them, revoke one", registerTerminal},
	{"cards", "list the cards", registerCards},
	{"show", "show a card, by card identifier or card number", registerShow},
	{"journal", "print the journal (--json: the form sscard check --journal reads)", registerJournal},
	{"set", "change a card's state or a holder's arrears from the issuer's side", registerSet},
}

func runRegister(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		w, code := stdout, exitOK
		if len(args) == 0 {
			w, code = stderr, exitUsage
		}
		fmt.Fprint(w, `usage: sscard register <command> [--db FILE] [flags]

The card register is the issuing side's record of persons and cards: each
card's state (sealed, enabled, temporary-loss, formal-loss, cancelled), its
expiry, the arrears on the holder's medical account, the card a reissued
card replaces, the chip's state as terminals reported it, and a journal of
every event with its route, terminal and time. It lives in one SQLite file
(--db, default `+defaultRegisterPath()+`).

Commands:

`)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range registerCommands {
			fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
		}
		tw.Flush()
		fmt.Fprint(w, "\nRun \"sscard register <command> -h\" for its flags.\n")
		return code
	}
	for _, c := range registerCommands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sscard register: unknown command %q (try sscard register -h)\n", args[0])
	return exitUsage
}

func defaultRegisterPath() string {
	p, err := cardreg.DefaultPath()
	if err != nil {
		return "cardreg.db in the user's state directory"
	}
	return p
}

// dbFlag adds --db to a register subcommand.
func dbFlag(f *flags) *string {
	return f.String("db", "", "the register `FILE` (default "+defaultRegisterPath()+")")
}

func dbPath(p string) (string, error) {
	if p != "" {
		return p, nil
	}
	return cardreg.DefaultPath()
}

// openRegister opens the register for changes (creating or migrating it).
func openRegister(db string) (*cardreg.Store, error) {
	path, err := dbPath(db)
	if err != nil {
		return nil, err
	}
	return cardreg.Open(path, cardreg.Options{})
}

// readRegister opens the register for reading only.
func readRegister(db string) (*cardreg.Store, error) {
	path, err := dbPath(db)
	if err != nil {
		return nil, err
	}
	return cardreg.OpenReadOnly(path, nil)
}

func registerFail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "sscard register: %v\n", err)
	return exitFail
}

func registerServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveRegister(ctx, args, stdout, stderr)
}

// serveRegister is "sscard register serve" until ctx is done.
func serveRegister(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("register serve", "sscard register serve [--db FILE] [--addr ADDR] [--enroll persona|file.json ...]", `
Serve the register's API to terminals on ADDR (loopback only) until
interrupted (SIGINT or SIGTERM). Every request is authenticated with the
terminal's key ("sscard register terminal add"). A line on standard error
tells every request refused before it reached the register (malformed,
unauthenticated, forged, stale, replayed).`)
	db := dbFlag(f)
	addr := f.String("addr", cardreg.DefaultAddr, "listen on `ADDR` (a loopback address)")
	var enroll multiFlag
	f.Var(&enroll, "enroll", "enrol the card of a `persona|file.json` first, unless it is there (repeatable)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	if err := cardreg.CheckLoopback(*addr); err != nil {
		return f.usageError(stderr, err.Error())
	}
	path, err := dbPath(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	svc, err := cardreg.Start(ctx, *addr, path)
	if err != nil {
		return registerFail(stderr, err)
	}
	errw := &lockedWriter{w: stderr}
	svc.Server.Log = func(msg string) { errw.printf("sscard register: refused %s\n", msg) }
	for _, spec := range enroll {
		p, err := profile.Load(spec)
		if err == nil {
			err = svc.Enroll(ctx, p)
		}
		if err != nil {
			svc.Stop()
			return registerFail(stderr, fmt.Errorf("enrolling %s: %w", spec, err))
		}
	}
	errw.printf("sscard register: API on %s, register %s\n", svc.URL(), svc.Store.Path())
	<-ctx.Done()
	if err := svc.Stop(); err != nil {
		return registerFail(stderr, err)
	}
	errw.printf("sscard register: stopped\n")
	return exitOK
}

func registerInit(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register init", "sscard register init [--db FILE]", `
Create the register file, or migrate an existing one to this sscard's
schema. A damaged file, another program's database or a register of a
newer sscard is refused and left untouched.`)
	db := dbFlag(f)
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	st, err := openRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	fmt.Fprintf(stdout, "register %s at schema %d\n", st.Path(), cardreg.SchemaVersion)
	return exitOK
}

func registerEnroll(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register enroll", "sscard register enroll [--db FILE] [--replaces CARD-ID] persona|file.json ...", `
Enrol the cards the personas or profile files describe: identity, state and
arrears from the profile's register section, the chip's state from its
SSSE life cycle. A card already in the register is left as it is. With
--replaces, the (one) card enrolled is a reissue of that card: the old card
is cancelled when the new one is activated.`)
	db := dbFlag(f)
	replaces := f.String("replaces", "", "the card `CARD-ID` the enrolled card replaces (a reissue)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 {
		return f.usageError(stderr, "name at least one persona or profile file")
	}
	if *replaces != "" && len(pos) != 1 {
		return f.usageError(stderr, "--replaces goes with one card")
	}
	var es []cardreg.Enrollment
	for _, spec := range pos {
		p, err := profile.Load(spec)
		if err != nil {
			return registerFail(stderr, err)
		}
		e, err := cardreg.EnrollmentOf(p)
		if err != nil {
			return registerFail(stderr, err)
		}
		e.Replaces = *replaces
		es = append(es, e)
	}
	st, err := openRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	n, err := st.Enroll(context.Background(), es...)
	if err != nil {
		return registerFail(stderr, err)
	}
	for _, e := range es {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", e.ID, e.Number, e.SSN, e.State)
	}
	fmt.Fprintf(stdout, "%d enrolled, %d there already\n", n, len(es)-n)
	return exitOK
}

func registerTerminal(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register terminal", "sscard register terminal [--db FILE] add NAME --route ROUTE | list | revoke NAME", `
Manage the terminals that may use the API. "add" registers a terminal of a
route (bank, hospital, pharmacy, bureau, online) and prints its key, hex, on
standard output: the terminal signs every request with it (the register
keeps it; give it to the terminal's operator). "list" lists the terminals;
"revoke" refuses a terminal's requests from now on (within two seconds for
a register being served).`)
	db := dbFlag(f)
	route := f.String("route", "", "the new terminal's `ROUTE`")
	key := f.String("key", "", "with add: use this `HEX` key (at least 16 bytes) instead of a random one")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 {
		return f.usageError(stderr, "add, list or revoke")
	}
	ctx := context.Background()
	switch pos[0] {
	case "add":
		if len(pos) != 2 || *route == "" {
			return f.usageError(stderr, "add NAME --route ROUTE")
		}
		st, err := openRegister(*db)
		if err != nil {
			return registerFail(stderr, err)
		}
		defer st.Close()
		var k []byte
		if *key != "" {
			if k, err = cardreg.ParseKey(*key); err != nil {
				return f.usageError(stderr, err.Error())
			}
			err = st.AddTerminalKey(ctx, pos[1], cardreg.Route(*route), k)
		} else {
			k, err = st.AddTerminal(ctx, pos[1], cardreg.Route(*route))
		}
		if err != nil {
			return registerFail(stderr, err)
		}
		fmt.Fprintln(stdout, hex.EncodeToString(k))
	case "list":
		st, err := readRegister(*db)
		if err != nil {
			return registerFail(stderr, err)
		}
		defer st.Close()
		ts, err := st.Terminals(ctx)
		if err != nil {
			return registerFail(stderr, err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "terminal\troute\tadded\tstate")
		for _, t := range ts {
			state := "active"
			if t.Revoked {
				state = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Route, t.Created.Format(time.RFC3339), state)
		}
		tw.Flush()
	case "revoke":
		if len(pos) != 2 {
			return f.usageError(stderr, "revoke NAME")
		}
		st, err := openRegister(*db)
		if err != nil {
			return registerFail(stderr, err)
		}
		defer st.Close()
		if err := st.RevokeTerminal(ctx, pos[1]); err != nil {
			return registerFail(stderr, err)
		}
	default:
		return f.usageError(stderr, "unknown terminal command "+pos[0])
	}
	return exitOK
}

func registerCards(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register cards", "sscard register cards [--db FILE] [--json]", `
List the cards of the register with their state, chip, expiry and stop
causes.`)
	db := dbFlag(f)
	asJSON := f.Bool("json", false, "print JSON")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	st, err := readRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	cards, err := st.Cards(context.Background())
	if err != nil {
		return registerFail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, cards)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "card identifier\tnumber\tholder\tstate\tchip\texpiry\tstopped")
	for _, c := range cards {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Number, c.SSN, c.State, c.Chip, c.Expiry, strings.Join(c.StopCauses, ","))
	}
	tw.Flush()
	return exitOK
}

func registerShow(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register show", "sscard register show [--db FILE] [--json] CARD", `
Show a card, named by its card identifier (32 hex digits) or its card
number, with its journal.`)
	db := dbFlag(f)
	asJSON := f.Bool("json", false, "print JSON")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return f.usageError(stderr, "name one card")
	}
	st, err := readRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	ctx := context.Background()
	c, err := findCard(ctx, st, pos[0])
	if err != nil {
		return registerFail(stderr, err)
	}
	js, err := st.Journal(ctx, cardreg.JournalQuery{Card: c.ID})
	if err != nil {
		return registerFail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, map[string]any{"card": c, "journal": js})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"card identifier", c.ID}, {"card number", c.Number}, {"holder", c.SSN + " " + c.Name},
		{"generation", c.Generation}, {"state", string(c.State)}, {"chip", string(c.Chip)},
		{"issued", c.Issued}, {"expiry", c.Expiry}, {"arrears", fmt.Sprintf("%d fen", c.Arrears)},
		{"stopped", strings.Join(c.StopCauses, ", ")}, {"PIN", map[bool]string{true: "default", false: "set by the holder"}[c.PINDefault]},
		{"replaces", c.Replaces}, {"replaced by", c.ReplacedBy},
	} {
		if kv[1] != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	writeJournal(stdout, js)
	return exitOK
}

// findCard finds a card by identifier or number.
func findCard(ctx context.Context, st *cardreg.Store, s string) (*cardreg.Card, error) {
	if id, err := cardreg.NormalizeCardID(s); err == nil {
		c, err := st.Card(ctx, id)
		if err != nil {
			return nil, err
		}
		if c != nil {
			return c, nil
		}
	}
	cards, err := st.Cards(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		if c.Number == s {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no card %q in the register", s)
}

func registerJournal(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register journal", "sscard register journal [--db FILE] [--card ID] [--terminal NAME] [--after SEQ] [--json]", `
Print the journal: every event with its time, terminal, route, card,
outcome and details. --json prints the JSON array "sscard check --journal"
reads.`)
	db := dbFlag(f)
	card := f.String("card", "", "only the entries about card `ID`")
	term := f.String("terminal", "", "only the entries of terminal `NAME`")
	after := f.Int64("after", 0, "only the entries after sequence number `SEQ`")
	asJSON := f.Bool("json", false, "print JSON")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	st, err := readRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	js, err := st.Journal(context.Background(), cardreg.JournalQuery{Card: strings.ToUpper(*card), Terminal: *term, After: *after})
	if err != nil {
		return registerFail(stderr, err)
	}
	if *asJSON {
		if js == nil {
			js = []cardreg.Entry{}
		}
		return printJSON(stdout, stderr, js)
	}
	writeJournal(stdout, js)
	return exitOK
}

func writeJournal(w io.Writer, js []cardreg.Entry) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "seq\ttime\tterminal\troute\tevent\tcard\toutcome\tstate\tdetail")
	for _, e := range js {
		outcome := e.Outcome
		if e.Code != "" {
			outcome += " " + e.Code
		}
		state := string(e.To)
		if e.From != "" && e.From != e.To {
			state = string(e.From) + "→" + string(e.To)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05.000"),
			e.Terminal, e.Route, e.Event, e.Card, outcome, state, detailText(e.Detail))
	}
	tw.Flush()
}

func detailText(d map[string]any) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, d[k]))
	}
	return strings.Join(parts, " ")
}

func registerSet(args []string, stdout, stderr io.Writer) int {
	f := newFlags("register set", "sscard register set [--db FILE] CARD [--state STATE] [--arrears FEN]", `
Change a card from the issuer's side, journaled as such: its state
(sealed, enabled, temporary-loss, formal-loss, cancelled), or the arrears
of its holder's medical account, in fen. For setting up the cases a
terminal is tried on; terminals change cards through the API.`)
	db := dbFlag(f)
	state := f.String("state", "", "the card's new `STATE`")
	arrears := f.Int64("arrears", -1, "the holder's arrears in `FEN`")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 || (*state == "" && *arrears < 0) {
		return f.usageError(stderr, "name one card and --state or --arrears")
	}
	st, err := openRegister(*db)
	if err != nil {
		return registerFail(stderr, err)
	}
	defer st.Close()
	ctx := context.Background()
	c, err := findCard(ctx, st, pos[0])
	if err != nil {
		return registerFail(stderr, err)
	}
	if *state != "" {
		if _, err := st.SetState(ctx, c.ID, cardreg.State(*state)); err != nil {
			return registerFail(stderr, err)
		}
	}
	if *arrears >= 0 {
		if err := st.SetArrears(ctx, c.SSN, *arrears); err != nil {
			return registerFail(stderr, err)
		}
	}
	c, err = st.Card(ctx, c.ID)
	if err != nil {
		return registerFail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s %s, arrears %d fen\n", c.ID, c.State, c.Arrears)
	return exitOK
}

func printJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "sscard: %v\n", err)
		return exitFail
	}
	return exitOK
}
