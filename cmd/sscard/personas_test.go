package main

import (
	"strings"
	"testing"
)

func TestPersonas(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "personas")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	rows := map[string][]string{}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "NAME KIND GENERATION REGISTER DESCRIPTION" {
		t.Errorf("header = %q", lines[0])
	}
	descCol := strings.Index(lines[0], "DESCRIPTION")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 {
			t.Errorf("short line %q", l)
			continue
		}
		if len(l) <= descCol || !strings.HasPrefix(l[descCol:], f[4]) || l[descCol-1] != ' ' {
			t.Errorf("description of %s not in the DESCRIPTION column:\n%s", f[0], stdout)
		}
		rows[f[0]] = f[1:4]
	}
	for name, want := range map[string]string{
		"default":     "card 3.00 sealed",
		"activated":   "card 3.00 enabled",
		"gen2":        "card 2.00 enabled",
		"trace-1.00":  "card 1.00 enabled",
		"pin-blocked": "card 3.00 enabled",
		"arrears":     "card 3.00 enabled+arrears",
		"psam":        "psam - -",
	} {
		if got := strings.Join(rows[name], " "); got != want {
			t.Errorf("%s: kind, generation, register = %q, want %q", name, got, want)
		}
	}
	for name := range rows {
		if strings.HasPrefix(name, "base-") {
			t.Errorf("building block %s is listed", name)
		}
	}
	if !strings.Contains(stdout, "The real 1.00 card of CARD.md §2") {
		t.Errorf("descriptions missing:\n%s", stdout)
	}
}
