package cardcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestAlg(t *testing.T) {
	tests := []struct {
		a          Alg
		valid      bool
		block, key int
		name       string
	}{
		{Alg3DES, true, 8, 16, "3DES"},
		{AlgSM4, true, 16, 16, "SM4"},
		{0x00, false, 0, 0, "Alg(0x00)"},
		{0x02, false, 0, 0, "Alg(0x02)"},
		{0xFF, false, 0, 0, "Alg(0xFF)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.a.BlockSize(); got != tt.block {
				t.Errorf("BlockSize() = %d, want %d", got, tt.block)
			}
			if got := tt.a.KeySize(); got != tt.key {
				t.Errorf("KeySize() = %d, want %d", got, tt.key)
			}
			if got := tt.a.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
		})
	}
}

func TestParseAlg(t *testing.T) {
	tests := []struct {
		in   string
		want Alg
		ok   bool
	}{
		{"sm4", AlgSM4, true},
		{"SM4", AlgSM4, true},
		{"03", AlgSM4, true},
		{"3des", Alg3DES, true},
		{"3DES", Alg3DES, true},
		{"des3", Alg3DES, true},
		{"DES3", Alg3DES, true},
		{"01", Alg3DES, true},
		{"", 0, false},
		{"des", 0, false},
		{"1", 0, false},
		{"3", 0, false},
		{"02", 0, false},
		{" sm4", 0, false},
		{"sm4\x00", 0, false},
		{"aes", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAlg(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrAlg) {
					t.Fatalf("ParseAlg(%q) error = %v, want ErrAlg", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAlg(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	// String and ParseAlg round-trip for the valid algorithms.
	for _, a := range algs {
		if got, err := ParseAlg(a.String()); err != nil || got != a {
			t.Errorf("ParseAlg(%q) = %v, %v", a.String(), got, err)
		}
	}
}

func TestECB(t *testing.T) {
	for _, a := range algs {
		for _, n := range []int{0, 1, 2, 5} {
			src := seq(byte(n), n*a.BlockSize())
			enc, err := EncryptECB(a, key16a, src)
			if err != nil {
				t.Fatalf("%v EncryptECB(%d blocks): %v", a, n, err)
			}
			if len(enc) != len(src) || (n > 0 && bytes.Equal(enc, src)) {
				t.Fatalf("%v EncryptECB(%d blocks) = %X", a, n, enc)
			}
			dec, err := DecryptECB(a, key16a, enc)
			if err != nil || !bytes.Equal(dec, src) {
				t.Fatalf("%v DecryptECB round trip: %X, %v", a, dec, err)
			}
		}
	}
	// ECB: equal plaintext blocks give equal ciphertext blocks, and the
	// input is not modified.
	src := bytes.Repeat([]byte{0xA5}, 32)
	enc, err := EncryptECB(AlgSM4, key16b, src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc[:16], enc[16:]) || !bytes.Equal(src, bytes.Repeat([]byte{0xA5}, 32)) {
		t.Fatal("EncryptECB is not ECB or changed its input")
	}
}

func TestECBHostile(t *testing.T) {
	tests := []struct {
		name string
		a    Alg
		key  []byte
		src  []byte
		want error
	}{
		{"bad alg", 0x02, key16a, make([]byte, 16), ErrAlg},
		{"zero alg", 0x00, key16a, make([]byte, 16), ErrAlg},
		{"nil key", AlgSM4, nil, make([]byte, 16), ErrKeySize},
		{"short key sm4", AlgSM4, key16a[:15], make([]byte, 16), ErrKeySize},
		{"long key sm4", AlgSM4, append(key16a, 0), make([]byte, 16), ErrKeySize},
		{"8 byte key 3des", Alg3DES, key16a[:8], make([]byte, 8), ErrKeySize},
		{"24 byte key 3des", Alg3DES, append(key16a, key16a[:8]...), make([]byte, 8), ErrKeySize},
		{"partial block sm4", AlgSM4, key16a, make([]byte, 15), ErrBlockSize},
		{"block and a byte sm4", AlgSM4, key16a, make([]byte, 17), ErrBlockSize},
		{"3des block on sm4", AlgSM4, key16a, make([]byte, 8), ErrBlockSize},
		{"partial block 3des", Alg3DES, key16a, make([]byte, 7), ErrBlockSize},
		{"one byte 3des", Alg3DES, key16a, []byte{1}, ErrBlockSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := EncryptECB(tt.a, tt.key, tt.src); !errors.Is(err, tt.want) || out != nil {
				t.Errorf("EncryptECB = %X, %v; want %v", out, err, tt.want)
			}
			if out, err := DecryptECB(tt.a, tt.key, tt.src); !errors.Is(err, tt.want) || out != nil {
				t.Errorf("DecryptECB = %X, %v; want %v", out, err, tt.want)
			}
		})
	}
	if b, err := NewCipher(AlgSM4, key16a[:4]); !errors.Is(err, ErrKeySize) || b != nil {
		t.Errorf("NewCipher short key = %v, %v", b, err)
	}
}
