package main

import (
	"strings"
	"testing"
)

func TestScriptReaderFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"script", "--reader", "R", "--card", "activated", "x.apdu"},
		{"script", "--reader", "R", "--image", "card.img", "x.apdu"},
		{"script", "--reader", "R", "--seed", "1", "x.apdu"},
	} {
		code, out, errs := runCLI(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, "--reader runs the script on the card in the reader") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	code, out, _ := runCLI(t, "script", "-h")
	if code != exitOK || !strings.Contains(out, "-reader NAME") {
		t.Errorf("script -h: exit %d, no --reader:\n%s", code, out)
	}
}

func TestScriptReaderWithoutPCSC(t *testing.T) {
	if scriptReaderOpener != nil {
		t.Skip("built with PC/SC")
	}
	code, out, errs := runCLI(t, "script", "--reader", "Virtual PCD 00 00", "../../examples/read-identity.apdu")
	if code != exitFail || out != "" || !strings.Contains(errs, "built without PC/SC support: build it with -tags pcsc") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// A bad script is reported before any reader is looked for.
func TestScriptReaderBadScript(t *testing.T) {
	code, _, errs := runCLI(t, "script", "--reader", "R", "nonexistent.apdu")
	if code != exitFail || !strings.Contains(errs, "nonexistent.apdu") || strings.Contains(errs, "PC/SC") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
