package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/conformance/pcd"
)

// When the test binary runs with SSCARD_TEST_MAIN=1 it is sscard: the
// tests start it as a reader program (sscard reader) behind --ifd and
// --pcd, the way a reader's firmware built for the host is plugged in.
func TestMain(m *testing.M) {
	if os.Getenv("SSCARD_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// selfAs returns the exec: spec that runs this test binary as sscard with
// args.
func selfAs(t *testing.T, args string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	t.Setenv("SSCARD_TEST_MAIN", "1")
	return "exec:" + exe + " " + args
}

type conformJSON struct {
	Target  string `json:"target"`
	Results []struct {
		ID      string `json:"id"`
		Suite   string `json:"suite"`
		Outcome string `json:"outcome"`
	} `json:"results"`
}

func conformReport(t *testing.T, args ...string) (int, conformJSON, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, errs := runCLI(t, append(args, "--report", "json", "--out", out)...)
	var rep conformJSON
	if b, err := os.ReadFile(out); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	return code, rep, errs
}

// The link-layer suites against reader programs: the reference readers
// served by "sscard reader" pass them, and only the link suites run.
func TestConformReaderPrograms(t *testing.T) {
	code, rep, errs := conformReport(t, "conform",
		"--ifd", selfAs(t, "reader --interface contact"),
		"--pcd", selfAs(t, "reader --interface contactless"),
		"--case", "LINK-C-01*", "--case", "LINK-CL-00*")
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%+v", code, errs, rep)
	}
	suites := map[string]int{}
	for _, r := range rep.Results {
		suites[r.Suite]++
		if r.Outcome != "pass" {
			t.Errorf("%s: %s", r.ID, r.Outcome)
		}
	}
	if len(suites) != 2 || suites["link-contact"] == 0 || suites["link-contactless"] == 0 {
		t.Errorf("suites run: %v, want link-contact and link-contactless only", suites)
	}
	for _, want := range []string{"link-contact reader under test exec:", "link-contactless reader under test exec:"} {
		if !strings.Contains(rep.Target, want) {
			t.Errorf("target %q does not name %q", rep.Target, want)
		}
	}
	// The run left the suites on the reference readers.
	code, rep, _ = conformReport(t, "conform", "--suite", "link-contact", "--case", "LINK-C-010")
	if code != exitOK || strings.Contains(rep.Target, "under test") {
		t.Errorf("after the run: exit %d, target %q", code, rep.Target)
	}
}

// A program that is no reader (it prints its help on the stream and
// exits) fails every case it is given: none passes, none is skipped for
// want of a behaviour it never had the chance to show.
func TestConformDeadReader(t *testing.T) {
	for _, c := range []struct{ flag, suite string }{{"--ifd", "link-contact"}, {"--pcd", "link-contactless"}} {
		code, rep, _ := conformReport(t, "conform", c.flag, selfAs(t, "help"))
		if code != exitFail {
			t.Errorf("%s: exit %d, want %d", c.flag, code, exitFail)
		}
		if len(rep.Results) == 0 {
			t.Fatalf("%s: no results", c.flag)
		}
		for _, r := range rep.Results {
			if r.Outcome != "fail" && r.Outcome != "error" || r.Suite != c.suite {
				t.Errorf("%s: %s %s: %s", c.flag, r.Suite, r.ID, r.Outcome)
			}
		}
	}
}

// A reader listening on a socket, one connection per case.
func TestConformReaderSocket(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	for _, iface := range []string{"contact", "contactless"} {
		ln, err := net.Listen("unix", filepath.Join(dir, iface))
		if err != nil {
			t.Skip(err)
		}
		serve := func(rw io.ReadWriter) error { return ifd.Serve(rw, ifd.Reference) }
		if iface == "contactless" {
			serve = func(rw io.ReadWriter) error { return pcd.Serve(rw, pcd.New(pcd.Options{})) }
		}
		go func() { done <- serveSessions(ctx, ln, serve, io.Discard) }()
	}
	code, rep, errs := conformReport(t, "conform",
		"--ifd", "unix:"+filepath.Join(dir, "contact"), "--pcd", "unix:"+filepath.Join(dir, "contactless"),
		"--case", "LINK-C-03*", "--case", "LINK-CL-01*")
	cancel()
	for range 2 {
		if c := <-done; c != exitOK {
			t.Errorf("the reader exits %d", c)
		}
	}
	if code != exitOK || len(rep.Results) < 10 {
		t.Fatalf("exit %d, %d results: %s", code, len(rep.Results), errs)
	}
}

func TestConformReaderFlagsHostile(t *testing.T) {
	for _, args := range [][]string{
		{"conform", "--ifd", "serial:/dev/ttyS0"},
		{"conform", "--ifd", "exec:"},
		{"conform", "--ifd", "exec:   "},
		{"conform", "--pcd", "tcp:"},
		{"conform", "--pcd", "nothing"},
		{"conform", "--ifd", "exec:x", "--reader", "r", "--card", "activated"},
		{"conform", "--pcd", "exec:x", "--mutant", "pin-no-decrement"},
		{"reader"},
		{"reader", "--interface", "optical"},
		{"reader", "--interface", "contact", "--listen", "udp:1.2.3.4:5"},
		{"reader", "--interface", "contact", "--listen", "tcp:"},
		{"reader", "--interface", "contact", "extra"},
	} {
		if code, _, errs := runCLI(t, args...); code != exitUsage || errs == "" {
			t.Errorf("%q: exit %d, stderr %q; want %d and a reason", args, code, errs, exitUsage)
		}
	}
}

// sscard reader on standard input and output is the reference IFD: a
// harness on the other end of a pipe activates the card through it.
func TestReaderStdio(t *testing.T) {
	code, _, errs := runCLI(t, "conform", "--ifd", selfAs(t, "reader --interface contact"), "--case", "LINK-C-001")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
}
