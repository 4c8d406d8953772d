package idauth_test

import (
	"testing"

	"github.com/sscard/sscard/conformance/idauth"
)

// BenchmarkAuthenticate is the whole flow in process: challenge, select,
// certificate read and chain verification, register, PIN, signature and
// its verification (target: ≤ 1 ms).
func BenchmarkAuthenticate(b *testing.B) {
	card := newCard(b, "activated")
	srv := newServer(b, nil, register(b))
	b.ReportAllocs()
	for b.Loop() {
		if res := idauth.Authenticate(srv, card, "123456", nil); !res.Accepted {
			b.Fatal(res.Err)
		}
	}
}
