package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/vectors"
)

func TestPKIShow(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "pki", "show", "--pem")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, s := range []string{"signing key pair", "certificate 0018: 574 bytes", "CN=张三", "issuer     CN=sscard Test Issuing CA SM2 1",
		"2024-03-15T00:00:00Z to 2034-03-15T00:00:00Z", "digitalSignature, nonRepudiation", "clientAuth", "certifies the public key of the pair",
		"encryption key pair", "keyEncipherment", "SM2 with SM3", "-----BEGIN CERTIFICATE-----"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"pki"}, exitUsage, "usage: sscard pki show"},
		{[]string{"pki", "frob"}, exitUsage, `unknown subcommand "frob"`},
		{[]string{"pki", "show", "--card", "gen2"}, exitFail, "no PKI application"},
		{[]string{"pki", "show", "extra"}, exitUsage, "unexpected argument"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.err)
		}
	}
}

// TestPKIGen: sscard pki gen writes exactly the embedded test PKI.
func TestPKIGen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki")
	code, stdout, stderr := runCLI(t, "pki", "gen", "--out", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, name := range vectors.PKIFiles() {
		want, _ := vectors.PKI(name)
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: generated file differs from vectors/pki (%v)", name, err)
		}
	}
}

// TestConformListsThePKISuite: the CLI carries the PKI suite.
func TestConformListsThePKISuite(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCLI(t, "conform", "--suite", "pki", "--list")
	if code != exitOK || !strings.Contains(stdout, "PKI-FLOW-001") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}
