package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConformDefaultRunPasses(t *testing.T) {
	code, out, errs := runCLI(t, "conform")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"sscard conformance report", "card ", "PASS: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if errs != "" {
		t.Errorf("no progress expected off a terminal, got %q", errs)
	}
}

func TestConformReports(t *testing.T) {
	dir := t.TempDir()
	jf := filepath.Join(dir, "r.json")
	if code, _, errs := runCLI(t, "conform", "--case", "SSSE-READ-*", "--report", "json", "--out", jf); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Results []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		} `json:"results"`
	}
	b, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("JSON report does not parse: %v", err)
	}
	if len(rep.Results) == 0 || !strings.HasPrefix(rep.Results[0].ID, "SSSE-READ-") {
		t.Errorf("unexpected results %+v", rep.Results)
	}
	xf := filepath.Join(dir, "r.xml")
	if code, _, errs := runCLI(t, "conform", "--suite", "card", "--case", "SSSE-PIN-00*", "--report", "junit", "--out", xf); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var ju struct {
		XMLName xml.Name `xml:"testsuites"`
		Tests   int      `xml:"tests,attr"`
		Suites  []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	b, _ = os.ReadFile(xf)
	if err := xml.Unmarshal(b, &ju); err != nil {
		t.Fatalf("JUnit report does not parse: %v", err)
	}
	if ju.Tests == 0 || len(ju.Suites) != 1 || ju.Suites[0].Name != "card" || len(ju.Suites[0].Cases) != ju.Tests {
		t.Errorf("unexpected JUnit shape: %+v", ju)
	}
}

func TestConformBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "never.txt")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"conform", "--suite", "nope", "--out", out}, exitUsage, `no suite "nope"`},
		{[]string{"conform", "--case", "NOPE-*", "--out", out}, exitUsage, `no case matches "NOPE-*"`},
		{[]string{"conform", "--case", "[", "--out", out}, exitUsage, "case pattern"},
		{[]string{"conform", "--card", "nope", "--out", out}, exitFail, `persona "nope"`},
		{[]string{"conform", "--card", "psam", "--out", out}, exitFail, "not a social security card"},
		{[]string{"conform", "--report", "pdf", "--out", out}, exitUsage, "unknown report format"},
		{[]string{"conform", "--diff", "--out", out}, exitUsage, "give --reader"},
		{[]string{"conform", "--reader", "X", "--out", out}, exitUsage, "--reader needs --card"},
		{[]string{"conform", "extra"}, exitUsage, "unexpected argument"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left a report file: %v", err)
	}
}

func TestConformReaderWithoutPCSC(t *testing.T) {
	if readerOpener != nil {
		t.Skip("built with PC/SC")
	}
	code, _, errs := runCLI(t, "conform", "--reader", "Virtual PCD 00 00", "--card", "activated")
	if code != exitFail || !strings.Contains(errs, "-tags pcsc") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestConformFailingCardExitsNonZero(t *testing.T) {
	code, out, errs := runCLI(t, "conform", "--mutant", "pin-no-decrement", "--case", "SSSE-PIN-*")
	if code != exitFail {
		t.Fatalf("a broken card: exit %d, want %d\n%s%s", code, exitFail, out, errs)
	}
	for _, want := range []string{"FAIL SSSE-PIN-002", "expected: 63C2", "> 00 20 00 00", "FAIL: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := runCLI(t, "conform", "--mutant", "nope"); code != exitUsage || !strings.Contains(errs, `no mutant "nope"`) {
		t.Errorf("unknown mutant: exit %d, %q", code, errs)
	}
}

func TestConformList(t *testing.T) {
	code, out, _ := runCLI(t, "conform", "--list", "--case", "TRACE-*")
	if code != exitOK || !strings.Contains(out, "TRACE-100-001") || strings.Contains(out, "SSSE-") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// The pay and PKI suites' mutants are listed with their suite, and one of
// them runs against its own suite: the cases written for it fail.
func TestConformSuiteMutants(t *testing.T) {
	code, out, _ := runCLI(t, "conform", "--mutant", "list")
	if code != exitOK {
		t.Fatalf("list: exit %d", code)
	}
	for _, want := range []string{"pin-no-decrement\tcard\t", "pay-blocked-app-selected\tpay\t", "pki-decipher-without-pin\tpki\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list lacks %q:\n%s", want, out)
		}
	}
	code, rep, _ := conformReport(t, "conform", "--mutant", "pki-decipher-without-pin")
	if code != exitFail {
		t.Fatalf("exit %d, want %d", code, exitFail)
	}
	failed := map[string]bool{}
	for _, r := range rep.Results {
		if r.Suite != "pki" {
			t.Fatalf("%s of suite %s ran; a PKI mutant runs the PKI suite", r.ID, r.Suite)
		}
		if r.Outcome == "fail" {
			failed[r.ID] = true
		}
	}
	if !failed["PKI-DEC-003"] {
		t.Errorf("PKI-DEC-003 passes on a card that deciphers without the PIN: %v", failed)
	}
}
