package cardtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// OpenSSL returns the path of OpenSSL 3, the independent checker of the
// card's SM2/SM3 and RSA material. It skips the test when OpenSSL 3 is
// missing, or fails it when SSCARD_REQUIRE_OPENSSL=1 (as CI sets).
func OpenSSL(t testing.TB) string {
	t.Helper()
	required := os.Getenv("SSCARD_REQUIRE_OPENSSL") == "1"
	p, err := exec.LookPath("openssl")
	if err != nil {
		if required {
			t.Fatal("openssl is required (SSCARD_REQUIRE_OPENSSL=1) but not installed")
		}
		t.Skip("openssl not installed")
	}
	out, err := exec.Command(p, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "OpenSSL 3") {
		if required {
			t.Fatalf("openssl 3 is required, have %q (%v)", out, err)
		}
		t.Skipf("needs OpenSSL 3, have %q", out)
	}
	return p
}

// WriteFile writes data to dir/name (mode 0600) and returns the path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
