package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

func TestTraceCommand(t *testing.T) {
	dir := t.TempDir()
	tr := &link.Trace{}
	tr.Add(link.Event(link.Contact, link.ToCard, 0, 0, "cold reset"))
	tr.Add(link.Frame{Interface: link.Contact, Dir: link.FromCard, Data: []byte{0x3B, 0x00}, Start: 2800179 * time.Nanosecond, Duration: 2500 * time.Microsecond, Note: "ATR"})
	tr.Add(link.Frame{Interface: link.Contactless, Dir: link.ToCard, Data: []byte{0x26}, Bits: 7, Start: time.Second, Duration: 80 * time.Microsecond, Note: "REQA", Fault: "contactless:drop:nth=1"})
	path := filepath.Join(dir, "t.json")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "trace", path)
	if code != exitOK || errs != "" {
		t.Fatalf("exit %d %s", code, errs)
	}
	for _, want := range []string{
		"0.000000 ms   +0.000000 ms  contact      >  -- cold reset",
		"2.800179 ms   +2.500000 ms  contact      <  3B 00  ATR",
		"1000.000000 ms   +0.080000 ms  contactless  >  26 (7 bits)  REQA  [fault: contactless:drop:nth=1]",
		"-- 1 contact and 1 contactless frames, 1000.080000 ms of model time",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "trace", "--interface", "contact", path)
	if code != exitOK || strings.Contains(out, "REQA") || !strings.Contains(out, "-- 1 contact frames") {
		t.Errorf("--interface contact:\n%s", out)
	}

	saved := stdin
	t.Cleanup(func() { stdin = saved })
	data, _ := os.ReadFile(path)
	stdin = strings.NewReader(string(data))
	if code, out, _ := runCLI(t, "trace", "-"); code != exitOK || !strings.Contains(out, "ATR") {
		t.Errorf("from standard input: %d\n%s", code, out)
	}

	notTrace := filepath.Join(dir, "x.bin")
	os.WriteFile(notTrace, []byte{0x0A, 0x0D, 0x0D, 0x0A}, 0o644)
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte(`{"format":"sscard-link-trace","version":9,"frames":[]}`), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"trace"}, exitUsage, "want one trace FILE"},
		{[]string{"trace", "a", "b"}, exitUsage, "want one trace FILE"},
		{[]string{"trace", "--interface", "usb", path}, exitUsage, `--interface "usb"`},
		{[]string{"trace", filepath.Join(dir, "missing")}, exitFail, "reading trace"},
		{[]string{"trace", notTrace}, exitFail, "not a trace file"},
		{[]string{"trace", badJSON}, exitFail, "version 9"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %s; want %d with %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}
