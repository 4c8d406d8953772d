package cardcrypto

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
	"testing"

	"github.com/emmansun/gmsm/sm4"
)

// refSM4MAC computes the SM4 MAC independently: crypto/cipher CBC over the
// gmsm SM4 block, then XOR of the four words of the last block.
func refSM4MAC(t testing.TB, key, iv, data []byte) []byte {
	t.Helper()
	b, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	full := make([]byte, 16)
	copy(full, iv)
	padded := Pad80(append([]byte(nil), data...), 16)
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(b, full).CryptBlocks(out, padded)
	last := out[len(out)-16:]
	m := make([]byte, 4)
	for i := range 4 {
		m[i] = last[i] ^ last[4+i] ^ last[8+i] ^ last[12+i]
	}
	return m
}

// refRetailMAC computes the 3DES MAC independently: DES-CBC with K1 over all
// blocks but the last, then the last block (XORed with the chain) enciphered
// with two-key 3DES K1 K2 K1, which equals ISO/IEC 9797-1 output
// transformation 3.
func refRetailMAC(t testing.TB, key, iv, data []byte) []byte {
	t.Helper()
	k1, err := des.NewCipher(key[:8])
	if err != nil {
		t.Fatal(err)
	}
	ede, err := des.NewTripleDESCipher(append(append([]byte(nil), key...), key[:8]...))
	if err != nil {
		t.Fatal(err)
	}
	chain := make([]byte, 8)
	copy(chain, iv)
	padded := Pad80(append([]byte(nil), data...), 8)
	head := padded[:len(padded)-8]
	if len(head) > 0 {
		out := make([]byte, len(head))
		cipher.NewCBCEncrypter(k1, chain).CryptBlocks(out, head)
		chain = out[len(out)-8:]
	}
	last := make([]byte, 8)
	for i := range last {
		last[i] = padded[len(head)+i] ^ chain[i]
	}
	ede.Encrypt(last, last)
	return last[:4]
}

func TestMAC(t *testing.T) {
	header := unhex(t, "84240001 14")
	ivs := map[Alg][][]byte{
		Alg3DES: {nil, unhex(t, "11223344"), unhex(t, "1122334455667788")},
		AlgSM4:  {nil, unhex(t, "11223344"), unhex(t, "1122334455667788"), seq(0xA0, 16)},
	}
	lengths := []int{0, 1, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100}
	for _, a := range algs {
		for _, iv := range ivs[a] {
			for _, n := range lengths {
				name := fmt.Sprintf("%v/iv%d/len%d", a, len(iv), n)
				t.Run(name, func(t *testing.T) {
					data := append(append([]byte(nil), header...), seq(byte(n), n)...)
					got, err := MAC(a, key16a, iv, data)
					if err != nil {
						t.Fatal(err)
					}
					var want []byte
					if a == AlgSM4 {
						want = refSM4MAC(t, key16a, iv, data)
					} else {
						want = refRetailMAC(t, key16a, iv, data)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("MAC = %X, want %X", got, want)
					}
					if !VerifyMAC(a, key16a, iv, data, got) {
						t.Fatal("VerifyMAC rejects its own MAC")
					}
				})
			}
		}
	}
}

// TestMACDistinguishes checks that the inputs of the MAC all matter: the
// padding (data with and without a trailing 80), the IV, the key and the
// algorithm.
func TestMACDistinguishes(t *testing.T) {
	for _, a := range algs {
		base, err := MAC(a, key16a, []byte{1, 2, 3, 4}, []byte{0xAA})
		if err != nil {
			t.Fatal(err)
		}
		variants := []struct {
			name          string
			key, iv, data []byte
		}{
			{"data with explicit padding", key16a, []byte{1, 2, 3, 4}, []byte{0xAA, 0x80}},
			{"iv", key16a, []byte{1, 2, 3, 5}, []byte{0xAA}},
			{"iv padded explicitly is the same", key16a, []byte{1, 2, 3, 4, 0}, []byte{0xAA}},
			{"key", key16b, []byte{1, 2, 3, 4}, []byte{0xAA}},
		}
		for _, v := range variants {
			got, err := MAC(a, v.key, v.iv, v.data)
			if err != nil {
				t.Fatal(err)
			}
			same := v.name == "iv padded explicitly is the same"
			if bytes.Equal(got, base) != same {
				t.Errorf("%v %s: MAC %X vs base %X", a, v.name, got, base)
			}
		}
	}
	// For 3DES the second key half matters (it is not single DES).
	k := append([]byte(nil), key16a...)
	k[15] ^= 0x02
	m1, _ := MAC(Alg3DES, key16a, nil, []byte("x"))
	m2, _ := MAC(Alg3DES, k, nil, []byte("x"))
	if bytes.Equal(m1, m2) {
		t.Error("3DES MAC ignores K2")
	}
}

func TestMACHostile(t *testing.T) {
	tests := []struct {
		name string
		a    Alg
		key  []byte
		iv   []byte
		want error
	}{
		{"bad alg", 0x02, key16a, nil, ErrAlg},
		{"short key", AlgSM4, key16a[:15], nil, ErrKeySize},
		{"long key", Alg3DES, append(key16a, 1), nil, ErrKeySize},
		{"empty key", Alg3DES, nil, nil, ErrKeySize},
		{"3des iv 9", Alg3DES, key16a, make([]byte, 9), ErrBlockSize},
		{"3des iv 16", Alg3DES, key16a, make([]byte, 16), ErrBlockSize},
		{"sm4 iv 17", AlgSM4, key16a, make([]byte, 17), ErrBlockSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MAC(tt.a, tt.key, tt.iv, []byte("data"))
			if !errors.Is(err, tt.want) || m != nil {
				t.Fatalf("MAC = %X, %v; want %v", m, err, tt.want)
			}
			if VerifyMAC(tt.a, tt.key, tt.iv, []byte("data"), make([]byte, 4)) {
				t.Fatal("VerifyMAC accepted with bad parameters")
			}
		})
	}
}

func TestVerifyMAC(t *testing.T) {
	iv := seq(0x10, 8)
	data := []byte("84 24 00 01 14 ...")
	for _, a := range algs {
		good, err := MAC(a, key16a, iv, data)
		if err != nil {
			t.Fatal(err)
		}
		flipped := append([]byte(nil), good...)
		flipped[3] ^= 0x01
		tests := []struct {
			name string
			key  []byte
			iv   []byte
			data []byte
			mac  []byte
			want bool
		}{
			{"good", key16a, iv, data, good, true},
			{"flipped bit", key16a, iv, data, flipped, false},
			{"short mac", key16a, iv, data, good[:3], false},
			{"long mac", key16a, iv, data, append(append([]byte(nil), good...), 0), false},
			{"nil mac", key16a, iv, data, nil, false},
			{"other key", key16b, iv, data, good, false},
			{"other iv", key16a, seq(0x11, 8), data, good, false},
			{"other data", key16a, iv, append([]byte{0}, data...), good, false},
			{"bad key size", key16a[:8], iv, data, good, false},
		}
		for _, tt := range tests {
			if got := VerifyMAC(a, tt.key, tt.iv, tt.data, tt.mac); got != tt.want {
				t.Errorf("%v %s: VerifyMAC = %v, want %v", a, tt.name, got, tt.want)
			}
		}
	}
}

func benchmarkMAC(b *testing.B, a Alg) {
	iv := seq(0, a.BlockSize())
	data := seq(0x84, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := MAC(a, key16a, iv, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMACSM4(b *testing.B)  { benchmarkMAC(b, AlgSM4) }
func BenchmarkMAC3DES(b *testing.B) { benchmarkMAC(b, Alg3DES) }
