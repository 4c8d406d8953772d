package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/activation"
	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/trace"
)

// stepClock moves a millisecond at every reading: the register and the
// trace share it.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// terminalRun runs a terminal against a register file and writes its
// trace: the reference hospital terminal, or a bad one that activates the
// chip without asking the register.
func terminalRun(t *testing.T, bad bool) (db, traceFile string) {
	t.Helper()
	dir := t.TempDir()
	db, traceFile = filepath.Join(dir, "r.db"), filepath.Join(dir, "trace.log")
	clk := &stepClock{t: time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, err := activation.NewEnv(ctx, db, cardreg.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := env.Prepare(ctx, activation.Scenario{Route: cardreg.Hospital, Card: "sealed"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rec := &activation.Recorder{Now: clk.Now}
	sr.Record(rec)
	if bad {
		card := rec.Transport(activation.CardSlot, sr.Card)
		ps := &terminal.PSAM{T: sr.Terminal.PSAM}
		ps.Select()
		ssc := &terminal.SSC{T: card, PSAM: ps}
		ssc.Open()
		ssc.LifeCycle(0x44)
	} else if _, err := sr.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(traceFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := trace.WriteText(f, rec.Events()); err != nil {
		t.Fatal(err)
	}
	return db, traceFile
}

func TestCheckPassesTheReferenceTerminal(t *testing.T) {
	db, tr := terminalRun(t, false)
	code, out, errs := runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--register", db)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "PASS") || !strings.Contains(out, "flow-hospital") {
		t.Errorf("report:\n%s", out)
	}
	// The same from a journal exported as JSON.
	_, js, _ := runCLI(t, "register", "journal", "--json", "--db", db)
	jf := filepath.Join(t.TempDir(), "journal.json")
	os.WriteFile(jf, []byte(js), 0o644)
	if code, out, errs := runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--journal", jf); code != exitOK {
		t.Fatalf("with --journal: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestCheckFailsABadTerminal(t *testing.T) {
	db, tr := terminalRun(t, true)
	code, out, _ := runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--register", db)
	if code != exitFail || !strings.Contains(out, "FAIL ACT-REG-001") || !strings.Contains(out, "hospital step 2") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	jf, xf := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	if code, _, _ := runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--register", db, "--report", "json", "--out", jf); code != exitFail {
		t.Fatalf("json: exit %d", code)
	}
	var rep struct {
		Results []struct {
			ID, Outcome string
		} `json:"results"`
	}
	b, _ := os.ReadFile(jf)
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Results) == 0 {
		t.Fatalf("JSON report: %v\n%s", err, b)
	}
	if code, _, _ := runCLI(t, "check", "--flow", "hospital", "--trace", tr, "--register", db, "--report", "junit", "--out", xf); code != exitFail {
		t.Fatalf("junit: exit %d", code)
	}
	var ju struct {
		Failures int `xml:"failures,attr"`
	}
	b, _ = os.ReadFile(xf)
	if err := xml.Unmarshal(b, &ju); err != nil || ju.Failures == 0 {
		t.Fatalf("JUnit report: %v\n%s", err, b)
	}
}

func TestCheckCommandLine(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "--flow", "garage", "--trace", "x"},
		{"check", "--flow", "hospital"},
		{"check", "--flow", "hospital", "--trace", "x", "--register", "a", "--journal", "b"},
		{"check", "--flow", "hospital", "--trace", "x", "--report", "pdf"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errs := runCLI(t, "check", "--flow", "hospital", "--trace", filepath.Join(t.TempDir(), "none")); code != exitFail || errs == "" {
		t.Errorf("missing trace: exit %d %s", code, errs)
	}
	code, out, _ := runCLI(t, "check", "--flow", "pharmacy", "--list")
	if code != exitOK || !strings.Contains(out, "PHARM-002") || !strings.Contains(out, "pharmacy step") {
		t.Errorf("--list: %d\n%s", code, out)
	}
}

func TestFleetCommand(t *testing.T) {
	code, out, errs := runCLI(t, "fleet", "--cards", "40", "--sync", "normal")
	if code != exitOK || !strings.Contains(out, "activations/s") || !strings.Contains(out, "ended right") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "fleet", "--cards", "10", "--json", "--db", filepath.Join(t.TempDir(), "f.db"))
	var res activation.FleetResult
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Activated != 10 {
		t.Fatalf("json: %d %s", code, out)
	}
	for _, args := range [][]string{{"fleet", "--cards", "0"}, {"fleet", "--route", "pharmacy"}, {"fleet", "x"}} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}
