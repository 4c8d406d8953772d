package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/internal/hosttools"
)

// TestScriptInterfaceContactless runs a script over the air: the card's
// answers are those it gives through the contacts, "reset" gives the
// pseudo-ATR, FF CA is the reader's, and the trace and the pcapng file
// hold the activation and every frame.
func TestScriptInterfaceContactless(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	body := selectSSSE + "00 C0 00 00 00\n00B2012C00\n"
	script := writeScript(t, body+"FF CA 00 00 00\nFF CA 01 00 00\nreset\n")
	_, plain, _ := runCLI(t, "script", "--seed", "3", writeScript(t, body))
	pcap, tracePath := filepath.Join(dir, "out.pcapng"), filepath.Join(dir, "t.json")
	code, stdout, stderr := runCLI(t, "script", "--seed", "3", "--interface", "contactless", "--pcapng", pcap, "--trace-out", tracePath, script)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, plain) {
		t.Errorf("over the air:\n%s\nstraight into the card:\n%s", stdout, plain)
	}
	rest := strings.Split(strings.TrimPrefix(stdout, plain), "\n")
	if len(rest) < 6 || !strings.HasPrefix(rest[1], "< 08 ") || !strings.HasSuffix(rest[1], "90 00 : normal processing") ||
		rest[3] != "< 00 8C 54 4C B3 86 84 41 16 01 85 93 CA 90 00 : normal processing" ||
		rest[5] != "< OK: 3B 8D 80 01 00 8C 54 4C B3 86 84 41 16 01 85 93 CA A3" {
		t.Errorf("UID, historical bytes and pseudo-ATR:\n%s", strings.Join(rest, "\n"))
	}
	tr, err := link.LoadTrace(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Frames[0].Note != link.NoteFieldOn || tr.Frames[len(tr.Frames)-1].Note != link.NoteFieldOff {
		t.Errorf("trace from %q to %q", tr.Frames[0].Note, tr.Frames[len(tr.Frames)-1].Note)
	}
	// The same script, the same trace: the random UID is seeded.
	pcap2 := filepath.Join(dir, "again.pcapng")
	runCLI(t, "script", "--seed", "3", "--interface", "contactless", "--pcapng", pcap2, script)
	a, _ := os.ReadFile(pcap)
	b, _ := os.ReadFile(pcap2)
	if len(a) < 200 || !bytes.Equal(a, b) {
		t.Errorf("pcapng files of %d and %d bytes differ", len(a), len(b))
	}
	if le := binary.LittleEndian; le.Uint32(a) != 0x0A0D0D0A || le.Uint16(a[le.Uint32(a[4:])+8:]) != link.LinkTypeISO14443 {
		t.Errorf("not a pcapng file with link type 264: % X", a[:40])
	}
	// sscard trace reads the saved trace, and the pcapng file.
	code, text, _ := runCLI(t, "trace", "--interface", "contactless", tracePath)
	for _, want := range []string{"WUPA", "ATQA", "SAK 20", "RATS", "ATS FSCI 8", "I(0)", "field off"} {
		if code != exitOK || !strings.Contains(text, want) {
			t.Errorf("trace output lacks %q:\n%s", want, text)
		}
	}
	code, text, stderr = runCLI(t, "trace", pcap)
	for _, want := range []string{"52 (7 bits)  WUPA", "RATS FSDI 8", "I(0) 00 A4 04 00", "-- field off", "contactless frames"} {
		if code != exitOK || !strings.Contains(text, want) {
			t.Errorf("sscard trace of the pcapng lacks %q (%s):\n%s", want, stderr, text)
		}
	}
	os.WriteFile(pcap, a[:len(a)-5], 0o644)
	if code, _, stderr := runCLI(t, "trace", pcap); code != exitFail || !strings.Contains(stderr, "pcapng") {
		t.Errorf("a cut pcapng file: exit %d %s", code, stderr)
	}
}

// TestScriptContactlessTshark: the pcapng file of the tool opens in tshark,
// every packet dissected as ISO 14443 and none malformed. It skips without
// tshark unless SSCARD_REQUIRE_TSHARK=1 (set by .ci/run).
func TestScriptContactlessTshark(t *testing.T) {
	tshark := hosttools.Tshark(t)
	t.Parallel()
	pcap := filepath.Join(t.TempDir(), "out.pcapng")
	script := writeScript(t, selectSSSE+"00 C0 00 00 00\n00B2012C00\nFF CA 00 00 00\nreset\n00 84 00 00 08\n")
	for _, args := range [][]string{
		{"--interface", "contactless"},
		{"--interface", "contactless", "--card", writeScript(t, `{"schema":1,"name":"b","extends":"activated","interfaces":{"contact":true,"contactless":true,"type":"B"}}`)},
		{"--interface", "contactless", "--fault", "contactless:edc:nth=6", "--fault", "contactless:wtx:nth=9"},
	} {
		code, _, stderr := runCLI(t, append(append([]string{"script"}, args...), "--pcapng", pcap, script)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		list, err := exec.Command(tshark, "-n", "-r", pcap).CombinedOutput()
		if err != nil {
			t.Fatalf("tshark: %v\n%s", err, list)
		}
		detail, err := exec.Command(tshark, "-n", "-V", "-r", pcap).CombinedOutput()
		if err != nil {
			t.Fatalf("tshark -V: %v\n%s", err, detail)
		}
		if bytes.Contains(detail, []byte("Malformed")) {
			t.Errorf("%v: tshark finds malformed packets:\n%s", args, list)
		}
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
			if strings.Contains(line, "Running as user") {
				continue
			}
			n++
			if !strings.Contains(line, "ISO 14443") {
				t.Errorf("%v: not dissected as ISO 14443: %s", args, line)
			}
		}
		if n < 15 {
			t.Errorf("%v: %d packets:\n%s", args, n, list)
		}
	}
}

func TestScriptContactlessErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := writeScript(t, selectSSSE)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--pcapng", filepath.Join(dir, "x"), script}, exitUsage, "need --interface"},
		{[]string{"--interface", "contactless", "--card", "gen2", script}, exitFail, "no contactless interface"},
		{[]string{"--interface", "contact", "--pcapng", filepath.Join(dir, "c.pcapng"), script}, exitFail, "no contactless frames"},
		{[]string{"--interface", "contactless", "--pcapng", filepath.Join(dir, "missing", "x.pcapng"), script}, exitFail, "missing"},
		{[]string{"--interface", "contactless", "--fault", "contactless:drop:always", script}, exitFail, "activating the card through the contactless interface"},
	} {
		code, _, stderr := runCLI(t, append([]string{"script"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %s; want %d with %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}
