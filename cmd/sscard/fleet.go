package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/sscard/sscard/conformance/activation"
	cardreg "github.com/sscard/sscard/conformance/register"
)

func init() {
	register(&command{
		name:    "fleet",
		summary: "activate many in-process cards at once against the register and check every card and row",
		run:     runFleet,
	})
}

func runFleet(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return fleet(ctx, args, stdout, stderr)
}

// fleet is "sscard fleet" until ctx is done.
func fleet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("fleet", "sscard fleet [--cards N] [--route hospital|bank] [--parallel P] [--db FILE] [--sync full|normal] [--json]", `
Make N sealed cards in process (the default persona, each with its own card
serial, number and holder), enrol them, and activate them all through a
route's reference terminal, P terminals at once, against one register over
its API. Then check that every card's chip is activated, every register row
is enabled with the chip recorded, and that the journal holds exactly one
activation and one chip report per card: nothing lost, nothing done twice.
Prints the activations per second, the register's size on disk and the
memory each card takes; progress on standard error when it is a terminal.

The register is a temporary file removed at the end unless --db names one.
The exit status is 0 when every card and row ended right, 1 otherwise.`)
	cards := f.Int("cards", 1000, "the number of `N` cards")
	route := f.String("route", "hospital", "the `ROUTE`: hospital or bank")
	par := f.Int("parallel", 0, "`P` terminals at once (default 16 per processor)")
	db := f.String("db", "", "keep the register in `FILE` (which must not hold the fleet's cards already)")
	syncMode := f.String("sync", "full", "the register's `MODE`: full (every commit on disk) or normal")
	asJSON := f.Bool("json", false, "print the result as JSON")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	if *cards < 1 || *cards > 10_000_000 {
		return f.usageError(stderr, "--cards: want 1 to 10000000")
	}
	r := cardreg.Route(*route)
	if r != cardreg.Hospital && r != cardreg.Bank {
		return f.usageError(stderr, "--route: hospital or bank")
	}
	opt := activation.FleetOptions{Cards: *cards, Route: r, Parallel: *par, Path: *db, Sync: *syncMode}
	var finish func()
	if isTerminal(stderr) {
		opt.Progress, finish = fleetProgress(stderr)
	}
	res, err := activation.Fleet(ctx, opt)
	if finish != nil {
		finish()
	}
	if err != nil {
		fmt.Fprintf(stderr, "sscard fleet: %v\n", err)
		return exitFail
	}
	if *asJSON {
		if code := printJSON(stdout, stderr, res); code != exitOK {
			return code
		}
	} else {
		fmt.Fprintf(stdout, "%d cards through the %s route, %d terminals at once\n", res.Cards, res.Route, res.Parallel)
		fmt.Fprintf(stdout, "prepared (made and enrolled) in %s, %s of heap per card\n", res.Prepare.Round(time.Millisecond), bytesText(int64(res.HeapPerCard)))
		fmt.Fprintf(stdout, "%d activated in %s: %.0f activations/s\n", res.Activated, res.Duration.Round(time.Millisecond), res.PerSecond)
		fmt.Fprintf(stdout, "register: %s on disk\n", bytesText(res.RegisterBytes))
		for _, p := range res.Problems {
			fmt.Fprintf(stdout, "PROBLEM %s\n", p)
		}
		if res.OK() {
			fmt.Fprintln(stdout, "every card and every register row ended right")
		}
	}
	if !res.OK() {
		return exitFail
	}
	return exitOK
}

// fleetProgress shows cards done and the current rate on one terminal
// line, at most ten times a second; finish clears the line.
func fleetProgress(w io.Writer) (progress func(done, total int), finish func()) {
	var mu sync.Mutex
	start := time.Now()
	var last time.Time
	progress = func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if now.Sub(last) < 100*time.Millisecond && done != total {
			return
		}
		last = now
		rate := float64(done) / now.Sub(start).Seconds()
		fmt.Fprintf(w, "\r\033[K[%d/%d] %.0f activations/s", done, total, rate)
	}
	finish = func() {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, "\r\033[K")
	}
	return progress, finish
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
