package main

import (
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"accepted", []string{"auth"}, exitOK, []string{"1. challenge", "4. chain       ok", "5. pin         ok", "7. verify      ok", "verdict: ACCEPTED: 张三", "11010519491231002X"}, nil},
		{"lost card", []string{"auth", "--card", "lost"}, exitFail, []string{"4. chain       FAILED", "verdict: REFUSED", "formal-loss"}, nil},
		{"cancelled card", []string{"auth", "--card", "cancelled"}, exitFail, []string{"verdict: REFUSED", "cancelled"}, nil},
		{"wrong PIN", []string{"auth", "--pin", "000000"}, exitFail, []string{"5. pin         FAILED", "63C2"}, nil},
		{"after expiry", []string{"auth", "--at", "2035-01-01"}, exitFail, []string{"outside its validity period"}, nil},
		{"no PKI", []string{"auth", "--card", "gen2"}, exitFail, nil, []string{"no PKI application"}},
		{"bad time", []string{"auth", "--at", "yesterday"}, exitUsage, nil, []string{"--at"}},
		{"no reader support", []string{"auth", "--reader", "x"}, exitFail, nil, []string{"PC/SC"}},
		{"help", []string{"auth", "-h"}, exitOK, []string{"usage: sscard auth", "--pin"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "no reader support" && readerOpener != nil {
				t.Skip("built with PC/SC")
			}
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}
