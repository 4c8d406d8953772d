// Package hosttools finds the host programs that tests check the model
// against (OpenSSL 3, tshark). A test skips when one is missing, unless
// the environment requires it (.ci/run installs them and sets
// SSCARD_REQUIRE_OPENSSL=1 and SSCARD_REQUIRE_TSHARK=1): then a missing
// tool fails the test.
package hosttools

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// OpenSSL returns the path of an OpenSSL 3 openssl (SM2, SM3, SM4).
func OpenSSL(t testing.TB) string {
	t.Helper()
	p := lookup(t, "openssl", "SSCARD_REQUIRE_OPENSSL")
	out, err := exec.Command(p, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "OpenSSL 3") {
		if os.Getenv("SSCARD_REQUIRE_OPENSSL") == "1" {
			t.Fatalf("openssl 3 is required, have %q (%v)", out, err)
		}
		t.Skipf("needs OpenSSL 3, have %q", out)
	}
	return p
}

// Tshark returns the path of tshark.
func Tshark(t testing.TB) string {
	t.Helper()
	return lookup(t, "tshark", "SSCARD_REQUIRE_TSHARK")
}

func lookup(t testing.TB, name, env string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(env) == "1" {
			t.Fatalf("%s is required (%s=1) but not installed", name, env)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}
