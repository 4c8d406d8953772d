package cardcrypto

import (
	"bytes"
	"crypto/des"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm4"
)

// refDiversify computes the diversified key independently with the block
// ciphers used directly.
func refDiversify(t testing.TB, a Alg, master, f []byte) []byte {
	t.Helper()
	notF := make([]byte, 8)
	for i := range f {
		notF[i] = ^f[i]
	}
	out := make([]byte, 16)
	if a == AlgSM4 {
		b, err := sm4.NewCipher(master)
		if err != nil {
			t.Fatal(err)
		}
		b.Encrypt(out, append(append([]byte(nil), f...), notF...))
		return out
	}
	b, err := des.NewTripleDESCipher(append(append([]byte(nil), master...), master[:8]...))
	if err != nil {
		t.Fatal(err)
	}
	b.Encrypt(out[:8], f)
	b.Encrypt(out[8:], notF)
	return out
}

func TestDiversify(t *testing.T) {
	factors := [][]byte{
		unhex(t, "0114F199D286DF7E"), // unique part of the CARD.md §2 card identifier
		unhex(t, "3301007378000000"), // region code + "sx", zero filled
		make([]byte, 8),
		bytes.Repeat([]byte{0xFF}, 8),
	}
	for _, a := range algs {
		for _, f := range factors {
			got, err := Diversify(a, key16a, f)
			if err != nil {
				t.Fatalf("%v Diversify(%X): %v", a, f, err)
			}
			if want := refDiversify(t, a, key16a, f); !bytes.Equal(got, want) {
				t.Fatalf("%v Diversify(%X) = %X, want %X", a, f, got, want)
			}
		}
	}
	// The factor must not be modified.
	f := unhex(t, "0102030405060708")
	if _, err := Diversify(AlgSM4, key16a, f); err != nil || !bytes.Equal(f, unhex(t, "0102030405060708")) {
		t.Fatalf("Diversify changed its factor: %X, %v", f, err)
	}
}

func TestDiversifyLevels(t *testing.T) {
	f1 := unhex(t, "3301007378FFFFFF")
	f2 := unhex(t, "0114F199D286DF7E")
	for _, a := range algs {
		l1, err := Diversify(a, key16a, f1)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Diversify(a, l1, f2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DiversifyLevels(a, key16a, f1, f2)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%v DiversifyLevels = %X, %v; want %X", a, got, err, want)
		}
		// Order matters.
		if swapped, _ := DiversifyLevels(a, key16a, f2, f1); bytes.Equal(swapped, got) {
			t.Fatalf("%v DiversifyLevels ignores factor order", a)
		}
		// No factors: a copy of the master key, not an alias.
		same, err := DiversifyLevels(a, key16a)
		if err != nil || !bytes.Equal(same, key16a) {
			t.Fatalf("%v DiversifyLevels() = %X, %v", a, same, err)
		}
		same[0] ^= 0xFF
		if key16a[0] != 0x01 {
			t.Fatal("DiversifyLevels() aliases the master key")
		}
	}
}

func TestDiversifyHostile(t *testing.T) {
	good := make([]byte, 8)
	tests := []struct {
		name    string
		a       Alg
		master  []byte
		factors [][]byte
		want    error
	}{
		{"bad alg", 0x04, key16a, [][]byte{good}, ErrAlg},
		{"short master", AlgSM4, key16a[:8], [][]byte{good}, ErrKeySize},
		{"long master", Alg3DES, append(key16a, key16a[:8]...), [][]byte{good}, ErrKeySize},
		{"nil factor", AlgSM4, key16a, [][]byte{nil}, ErrBlockSize},
		{"7 byte factor", Alg3DES, key16a, [][]byte{make([]byte, 7)}, ErrBlockSize},
		{"9 byte factor", AlgSM4, key16a, [][]byte{make([]byte, 9)}, ErrBlockSize},
		{"16 byte factor", AlgSM4, key16a, [][]byte{make([]byte, 16)}, ErrBlockSize},
		{"bad second level", AlgSM4, key16a, [][]byte{good, make([]byte, 4)}, ErrBlockSize},
		{"bad alg no factors", 0x00, key16a, nil, ErrAlg},
		{"short master no factors", AlgSM4, nil, nil, ErrKeySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if k, err := DiversifyLevels(tt.a, tt.master, tt.factors...); !errors.Is(err, tt.want) || k != nil {
				t.Fatalf("DiversifyLevels = %X, %v; want %v", k, err, tt.want)
			}
			if len(tt.factors) == 1 {
				if k, err := Diversify(tt.a, tt.master, tt.factors[0]); !errors.Is(err, tt.want) || k != nil {
					t.Fatalf("Diversify = %X, %v; want %v", k, err, tt.want)
				}
			}
		})
	}
}
