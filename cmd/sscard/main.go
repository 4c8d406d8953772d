// Command sscard is the one command-line tool of sscard, the software model
// of the third-generation social security card: it lists the built-in card
// personas and runs APDU scripts against an emulated card.
//
// Usage:
//
//	sscard <command> [flags] [arguments]
//
// Run "sscard help" for the list of commands and "sscard <command> -h" for
// the flags of one command.
//
// Each command lives in a file of its own and registers itself in init with
// register; main only dispatches by name, so the whole tool runs in-process
// in tests through run.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"
)

// Exit codes.
const (
	exitOK    = 0 // the command did what it was asked
	exitFail  = 1 // the command ran and failed: bad input, card or I/O error
	exitUsage = 2 // the command line is wrong
)

// command is one subcommand of sscard.
type command struct {
	name    string
	summary string // one line for the command list
	// run executes the command with its arguments (without the command
	// name) and returns the exit code. "-h" among the arguments prints the
	// command's usage on stdout and returns exitOK.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands holds every subcommand by name; each command's file adds itself
// with register.
var commands = map[string]*command{}

// register adds c to the command table; a duplicate name is a programming
// error.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("sscard: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// stdin is where commands read standard input from; tests replace it.
var stdin io.Reader = os.Stdin

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args[0] to its command and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	default:
		c, ok := commands[name]
		if !ok {
			fmt.Fprintf(stderr, "sscard: unknown command %q\n\n", name)
			usage(stderr)
			return exitUsage
		}
		return c.run(args[1:], stdout, stderr)
	}
}

// usage prints the top-level help: the commands and what they do.
func usage(w io.Writer) {
	fmt.Fprint(w, `sscard is a software model of the third-generation social security card
(card OS, SSSE, PKI and payment applications, PSAM, contact and contactless
links, the card register) and its conformance harness.

Usage:

  sscard <command> [flags] [arguments]

Commands:

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range commandNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", name, commands[name].summary)
	}
	tw.Flush()
	fmt.Fprint(w, `
Run "sscard help <command>" or "sscard <command> -h" for the flags of one command.
`)
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func init() {
	register(&command{
		name:    "help",
		summary: "show this help, or the help of one command",
		run:     runHelp,
	})
}

// runHelp is "sscard help [command]".
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintln(stderr, "usage: sscard help [command]")
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		fmt.Fprintln(stdout, "usage: sscard help [command]")
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sscard help: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run([]string{"-h"}, stdout, stderr)
}
