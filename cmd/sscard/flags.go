package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flags is the flag set of one command with its usage text.
type flags struct {
	*flag.FlagSet
	synopsis string // "sscard script [flags] [FILE|-]"
	about    string // what the command does, one or more paragraphs
}

// newFlags returns an empty flag set for a command. The flag package's own
// output is discarded: parse prints the messages.
func newFlags(name, synopsis, about string) *flags {
	fs := flag.NewFlagSet("sscard "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, synopsis: synopsis, about: about}
}

// printUsage writes the command's usage: synopsis, description and flags.
func (f *flags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", f.synopsis, strings.TrimSpace(f.about))
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// parse parses args. Flags may come before or after the positional
// arguments; "--" ends the flags. When done is true the command must return
// code at once: exitOK after -h (usage printed on stdout), exitUsage after a
// bad flag (message and usage on stderr).
func (f *flags) parse(args []string, stdout, stderr io.Writer) (positional []string, code int, done bool) {
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(stdout)
			return nil, exitOK, true
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n\n", f.Name(), err)
			f.printUsage(stderr)
			return nil, exitUsage, true
		}
		rest := f.Args()
		if len(rest) == 0 {
			return positional, exitOK, false
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), exitOK, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// isSet reports whether the flag called name was given on the command line.
func (f *flags) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	return set
}

// usageError prints msg and the usage on stderr and returns exitUsage.
func (f *flags) usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "%s: %s\n\n", f.Name(), msg)
	f.printUsage(stderr)
	return exitUsage
}
