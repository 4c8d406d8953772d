package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/trace"
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

// An APDU trace (sscard emulate --trace, ctl trace --json) is printed with
// what each command asks and what each status word means.
func TestTraceAPDUs(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 22, 13, 42, 34, 329001000, time.UTC)
	at := func(us int) time.Time { return t0.Add(time.Duration(us) * time.Microsecond) }
	events := []trace.Event{
		{Time: at(0), Slot: 0, Dir: trace.Note, Kind: trace.Insert, Data: []byte{0x3B, 0x6D}, Text: "id=110100D15600000501160185D3A5C7E9 profile=activated"},
		{Time: at(1), Slot: 0, Dir: trace.ToCard, Kind: trace.APDU, Data: mustDecode("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00")},
		{Time: at(2), Slot: 0, Dir: trace.FromCard, Kind: trace.Response, Data: []byte{0x61, 0x1E}},
		{Time: at(3), Slot: 1, Dir: trace.ToCard, Kind: trace.APDU, Data: mustDecode("0020000000")},
		{Time: at(4), Slot: 1, Dir: trace.FromCard, Kind: trace.Response, Data: []byte{0x63, 0xC2}},
	}
	text, js := filepath.Join(dir, "apdu.log"), filepath.Join(dir, "apdu.json")
	for path, write := range map[string]func(*os.File) error{
		text: func(f *os.File) error { return trace.WriteText(f, events) },
		js:   func(f *os.File) error { return trace.WriteJSON(f, events) },
	} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		code, out, errs := runCLI(t, "trace", path)
		if code != exitOK || errs != "" {
			t.Fatalf("%s: exit %d %s", path, code, errs)
		}
		for _, want := range []string{
			"13:42:34.329001 slot 0 *  insert 3B 6D  id=110100D15600000501160185D3A5C7E9 profile=activated",
			"13:42:34.329002 slot 0 >  SELECT by name 7378312E73682EC9E7BBE1B1A3D5CF (SSSE)\n                          00 A4 04 00 0F 73 78",
			"13:42:34.329003 slot 0 <  61 1E  30 response bytes still available",
			"slot 1 >  VERIFY reference 00: tries left?",
			"slot 1 <  63 C2  verification failed, 2 tries left",
			"-- commands: slot 0: 1, slot 1: 1\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", path, want, out)
			}
		}
	}
	code, out, _ := runCLI(t, "trace", "--slot", "1", text)
	if code != exitOK || strings.Contains(out, "slot 0") || !strings.Contains(out, "-- commands: slot 1: 1") {
		t.Errorf("--slot 1: exit %d\n%s", code, out)
	}
	// Neither kind of trace: the message names both writers.
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("hello\n"), 0o600)
	if code, _, errs := runCLI(t, "trace", junk); code != exitFail || !strings.Contains(errs, "sscard emulate --trace") {
		t.Errorf("junk: exit %d, %q", code, errs)
	}
}
