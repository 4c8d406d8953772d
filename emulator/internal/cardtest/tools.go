package cardtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sscard/sscard/internal/hosttools"
)

// OpenSSL returns the path of OpenSSL 3, the independent checker of the
// card's SM2/SM3 and RSA material. It skips the test when OpenSSL 3 is
// missing, or fails it when SSCARD_REQUIRE_OPENSSL=1 (as CI sets).
func OpenSSL(t testing.TB) string { t.Helper(); return hosttools.OpenSSL(t) }

// WriteFile writes data to dir/name (mode 0600) and returns the path.
func WriteFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
