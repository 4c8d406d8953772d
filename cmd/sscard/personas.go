package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors"
)

func init() {
	register(&command{
		name:    "personas",
		summary: "list the built-in card personas",
		run:     runPersonas,
	})
}

// runPersonas is "sscard personas": one line per built-in persona with its
// kind, generation, register state and description. The "base-" building
// blocks are not cards of their own and are left out.
func runPersonas(args []string, stdout, stderr io.Writer) int {
	f := newFlags("personas", "sscard personas", `
List the built-in personas: the cards (and the PSAM) that --card accepts by
name, with their kind, specification version, state in the card register and
description. A profile file of your own (JSON, usually with "extends": a
persona name) works everywhere a persona name does.`)
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return f.usageError(stderr, "takes no arguments")
	}

	code = exitOK
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tGENERATION\tREGISTER\tDESCRIPTION")
	for _, name := range vectors.Personas() {
		if strings.HasPrefix(name, "base-") {
			continue
		}
		p, err := profile.Load(name)
		if err != nil {
			fmt.Fprintf(stderr, "sscard personas: %v\n", err)
			code = exitFail
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Kind, orDash(p.Generation), orDash(registerState(p)), p.Description)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "sscard personas: %v\n", err)
		return exitFail
	}
	return code
}

func registerState(p *profile.Profile) string {
	if p.Register == nil {
		return ""
	}
	if p.Register.Arrears {
		return p.Register.State + "+arrears"
	}
	return p.Register.State
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
