package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/link"
)

// TestScriptInterfaceContact runs the example through the contact link
// layer: the exchanges are the same as straight into the card, and the
// trace holds the activation and every frame.
func TestScriptInterfaceContact(t *testing.T) {
	t.Parallel()
	_, plain, _ := runCLI(t, "script", "--card", "trace-1.00", readIdentity)
	tracePath := filepath.Join(t.TempDir(), "t.json")
	code, stdout, stderr := runCLI(t, "script", "--card", "trace-1.00", "--interface", "contact", "--trace-out", tracePath, readIdentity)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stdout != plain {
		t.Errorf("through the contact interface:\n%s\nstraight into the card:\n%s", stdout, plain)
	}
	tr, err := link.LoadTrace(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Frames) < 10 || tr.Frames[0].Note != "cold reset" || tr.Frames[1].Note != "ATR" || tr.Frames[len(tr.Frames)-1].Note != "deactivation" {
		t.Errorf("trace: %d frames, first %q %q", len(tr.Frames), tr.Frames[0].Note, tr.Frames[1].Note)
	}
	for i := 1; i < len(tr.Frames); i++ {
		if tr.Frames[i].Start < tr.Frames[i-1].Start {
			t.Errorf("frame %d starts before frame %d", i, i-1)
		}
	}
}

// TestScriptInterfaceT1 runs a script over T=1 on a card that offers it.
func TestScriptInterfaceT1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prof := filepath.Join(dir, "t1.json")
	os.WriteFile(prof, []byte(`{"schema":1,"name":"t1","extends":"activated","atr":{"protocols":[0,1],"ta1":"96","t1":{"ifsc":16}}}`), 0o644)
	script := writeScript(t, selectSSSE+"00B2012C00\nreset\n00200000\n")
	_, plain, _ := runCLI(t, "script", "--card", prof, "--seed", "1", script)
	tracePath := filepath.Join(dir, "t.json")
	code, stdout, stderr := runCLI(t, "script", "--card", prof, "--seed", "1", "--interface", "contact", "--trace-out", tracePath, script)
	if code != exitOK || stdout != plain {
		t.Fatalf("exit %d, stderr %s\n%s\nwant\n%s", code, stderr, stdout, plain)
	}
	code, text, stderr := runCLI(t, "trace", tracePath)
	if code != exitOK || stderr != "" {
		t.Fatalf("trace: exit %d %s", code, stderr)
	}
	for _, want := range []string{"PPS request T=1 Fi/Di 96", "S(IFS request) FE", "I(0)+", "R(1)", "-- warm reset", "-- deactivation", "contact frames"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace output lacks %q:\n%s", want, text)
		}
	}
}

// TestScriptInterfaceFaults: a fault the reader recovers from changes
// nothing; one it cannot ends the script with an error, the trace saved.
func TestScriptInterfaceFaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := writeScript(t, selectSSSE+"00B2012C00\n")
	_, plain, _ := runCLI(t, "script", script)
	code, stdout, stderr := runCLI(t, "script", "--interface", "contact", "--fault", "contact:wtx:always", "--fault", "contact:edc:p=1/2", script)
	if code != exitOK || stdout != plain {
		t.Errorf("recoverable faults: exit %d %s\n%s", code, stderr, stdout)
	}
	tracePath := filepath.Join(dir, "t.json")
	code, _, stderr = runCLI(t, "script", "--interface", "contact", "--fault", "contact:drop:nth=3", "--trace-out", tracePath, script)
	if code != exitFail || !strings.Contains(stderr, "no answer from the card") || !strings.Contains(stderr, "deactivated") {
		t.Errorf("dropped answer: exit %d, stderr %s", code, stderr)
	}
	_, text, _ := runCLI(t, "trace", tracePath)
	if !strings.Contains(text, "[fault: contact:drop:nth=3]") || !strings.Contains(text, "-- no answer: the reader waited 1s") {
		t.Errorf("trace:\n%s", text)
	}
}

func TestScriptInterfaceErrors(t *testing.T) {
	t.Parallel()
	script := writeScript(t, selectSSSE)
	dir := t.TempDir()
	cl := filepath.Join(dir, "cl.json")
	os.WriteFile(cl, []byte(`{"schema":1,"name":"cl","extends":"activated","interfaces":{"contact":false,"contactless":true}}`), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--trace-out", filepath.Join(dir, "x"), script}, exitUsage, "need --interface"},
		{[]string{"--fault", "contact:edc:always", script}, exitUsage, "need --interface"},
		{[]string{"--interface", "usb", script}, exitUsage, `--interface "usb"`},
		{[]string{"--interface", "contact", "--fault", "contact:nope:always", script}, exitUsage, "unknown kind"},
		{[]string{"--interface", "contact", "--reader", "x", script}, exitUsage, "no --reader"},
		{[]string{"--interface", "contact", "--card", cl, script}, exitFail, "no contact interface"},
		{[]string{"--interface", "contact", "--trace-out", filepath.Join(dir, "missing", "t.json"), script}, exitFail, "saving trace"},
	} {
		code, _, stderr := runCLI(t, append([]string{"script"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %s; want %d with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}
