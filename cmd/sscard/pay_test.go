package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPayTransactions(t *testing.T) {
	t.Parallel()
	image := filepath.Join(t.TempDir(), "card.img")
	tests := []struct {
		name string
		args []string
		code int
		want []string
		not  []string
	}{
		{"contactless offline approval on the SM path",
			[]string{"pay", "--amount", "12.34", "--contactless", "--seed", "1"}, exitOK,
			[]string{"outcome:     approved offline", "fDDA on the SM (SM2) path, verified", "cryptogram:  TC", "e-cash:      87.66",
				"9F4B Signed Dynamic Application Data", "SELECT PPSE", "9F5D Available Offline Spending Amount: 000000008766 (87.66)"}, nil},
		{"contactless on the DES/RSA path",
			[]string{"pay", "--amount", "1", "--contactless", "--no-sm"}, exitOK,
			[]string{"approved offline", "fDDA on the DES/RSA path, verified"}, nil},
		{"contactless above the balance goes online",
			[]string{"pay", "--amount", "200", "--contactless"}, exitOK,
			[]string{"approved online", "cryptogram:  ARQC", `issuer:      ARC "00"`}, nil},
		{"contactless without a host is an online request",
			[]string{"pay", "--amount", "200", "--contactless", "--no-host", "--brief"}, exitOK,
			[]string{"outcome:     online request"}, []string{"exchanges:"}},
		{"contact goes online with CDA and issuer authentication",
			[]string{"pay", "--amount", "12.34"}, exitOK,
			[]string{"approved online", "CDA on the SM (SM2) path, verified", "issuer auth: accepted by the card: true", "GENERATE AC 2", "EXTERNAL AUTHENTICATE"}, nil},
		{"contact without a host is declined by the default action codes",
			[]string{"pay", "--amount", "12.34", "--no-host"}, exitFail,
			[]string{"declined offline", "reason:"}, nil},
		{"an image keeps the balance across runs (first)",
			[]string{"pay", "--amount", "2.34", "--contactless", "--image", image, "--brief"}, exitOK,
			[]string{"e-cash:      97.66"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, errs := runCLI(t, "pay", "--amount", "2.34", "--contactless", "--image", image, "--brief")
	if code != exitOK || !strings.Contains(out, "e-cash:      95.32") {
		t.Errorf("second run on the image: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestPayCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no amount", []string{"pay"}, exitUsage, "--amount is required"},
		{"three decimals", []string{"pay", "--amount", "1.234"}, exitUsage, "at most two decimals"},
		{"negative", []string{"pay", "--amount", "-1"}, exitUsage, "at most two decimals"},
		{"not a number", []string{"pay", "--amount", "abc"}, exitUsage, "at most two decimals"},
		{"trailing dot", []string{"pay", "--amount", "1."}, exitUsage, "at most two decimals"},
		{"too large", []string{"pay", "--amount", "99999999999"}, exitUsage, "at most two decimals"},
		{"extra argument", []string{"pay", "--amount", "1", "x"}, exitUsage, "unexpected argument x"},
		{"reader and image", []string{"pay", "--amount", "1", "--reader", "r", "--image", "f"}, exitUsage, "no --image or --seed"},
		{"bad PIN", []string{"pay", "--amount", "1", "--pin", "12"}, exitFail, "--pin"},
		{"no financial application", []string{"pay", "--amount", "1", "--card", "psam"}, exitFail, "no financial application"},
		{"unknown card", []string{"pay", "--amount", "1", "--card", "nope"}, exitFail, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d), stderr lacks %q:\n%s\n%s", code, tc.code, tc.want, errs, out)
			}
		})
	}
	if readerOpener == nil {
		code, _, errs := runCLI(t, "pay", "--amount", "1", "--reader", "Virtual PCD 00 00")
		if code != exitFail || !strings.Contains(errs, "-tags pcsc") {
			t.Errorf("--reader without PC/SC: exit %d, %s", code, errs)
		}
	}
	code, out, _ := runCLI(t, "help", "pay")
	if code != exitOK || !strings.Contains(out, "usage: sscard pay --amount 12.34") {
		t.Errorf("help pay: exit %d\n%s", code, out)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]uint64{"12.34": 1234, "12": 1200, "0.5": 50, "0.05": 5, "0": 0, "9999999999.99": 999999999999} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".5", "1.", "1.234", "+1", "-1", "1,5", "1e3", "0x10", "10000000000"} {
		if _, err := parseAmount(in); err == nil {
			t.Errorf("parseAmount(%q) accepted", in)
		}
	}
}

func TestConformPaySuite(t *testing.T) {
	t.Parallel()
	code, out, errs := runCLI(t, "conform", "--suite", "pay")
	if code != exitOK || !strings.Contains(out, "PAY-E2E-001") && !strings.Contains(out, "PASS") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "conform", "--suite", "pay", "--list")
	if code != exitOK || !strings.Contains(out, "PAY-E2E-006") {
		t.Errorf("conform --list: exit %d\n%s", code, out)
	}
}
