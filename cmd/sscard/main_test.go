package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs sscard in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings
		stderr   []string
		noStdout bool
		noStderr bool
	}{
		{name: "no command", args: nil, code: exitUsage, stderr: []string{"Usage:", "personas", "script"}, noStdout: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: []string{`unknown command "frobnicate"`, "Usage:"}, noStdout: true},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: []string{"Usage:", "help ", "personas ", "script ", "list the built-in card personas"}, noStderr: true},
		{name: "-h", args: []string{"-h"}, code: exitOK, stdout: []string{"Usage:"}, noStderr: true},
		{name: "--help", args: []string{"--help"}, code: exitOK, stdout: []string{"Usage:"}, noStderr: true},
		{name: "help script", args: []string{"help", "script"}, code: exitOK, stdout: []string{"usage: sscard script", "-image FILE", "-card persona|file.json", "-seed N"}, noStderr: true},
		{name: "help help", args: []string{"help", "help"}, code: exitOK, stdout: []string{"usage: sscard help"}, noStderr: true},
		{name: "help unknown", args: []string{"help", "nope"}, code: exitUsage, stderr: []string{`unknown command "nope"`}, noStdout: true},
		{name: "help too many", args: []string{"help", "a", "b"}, code: exitUsage, stderr: []string{"usage: sscard help"}, noStdout: true},
		{name: "script -h", args: []string{"script", "-h"}, code: exitOK, stdout: []string{"usage: sscard script", "scriptor"}, noStderr: true},
		{name: "script --help", args: []string{"script", "--help"}, code: exitOK, stdout: []string{"usage: sscard script"}, noStderr: true},
		{name: "personas -h", args: []string{"personas", "-h"}, code: exitOK, stdout: []string{"usage: sscard personas", "extends"}, noStderr: true},
		{name: "bad flag", args: []string{"script", "--bogus"}, code: exitUsage, stderr: []string{"flag provided but not defined: -bogus", "usage: sscard script"}, noStdout: true},
		{name: "bad flag value", args: []string{"script", "--seed", "x"}, code: exitUsage, stderr: []string{`invalid value "x" for flag -seed`}, noStdout: true},
		{name: "personas takes no arguments", args: []string{"personas", "x"}, code: exitUsage, stderr: []string{"takes no arguments"}, noStdout: true},
		{name: "two scripts", args: []string{"script", "a.apdu", "b.apdu"}, code: exitUsage, stderr: []string{"one script at most, got 2: a.apdu b.apdu"}, noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.noStdout && stdout != "" {
				t.Errorf("stdout not empty:\n%s", stdout)
			}
			if tt.noStderr && stderr != "" {
				t.Errorf("stderr not empty:\n%s", stderr)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, name := range commandNames() {
		code, stdout, stderr := runCLI(t, name, "-h")
		if code != exitOK || !strings.HasPrefix(stdout, "usage: sscard "+name) || stderr != "" {
			t.Errorf("sscard %s -h: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout, stderr)
		}
	}
}
