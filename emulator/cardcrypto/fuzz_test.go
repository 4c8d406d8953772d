package cardcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzDecodePINBCD(f *testing.F) {
	for _, s := range []string{"123456", "12345F", "0F", "999999999999", "", "1A", "F1", "1F23", "12FF34", "FF", "12345678901234"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pin, err := DecodePINBCD(b)
		if err != nil {
			if !errors.Is(err, ErrPIN) || pin != "" {
				t.Fatalf("DecodePINBCD(%X) = %q, %v", b, pin, err)
			}
			return
		}
		if len(pin) < PINMinDigits || len(pin) > PINMaxDigits {
			t.Fatalf("DecodePINBCD(%X) = %q: bad length", b, pin)
		}
		back, err := EncodePINBCD(pin)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("round trip of %X: %X, %v", b, back, err)
		}
	})
}

func FuzzUnpad80(f *testing.F) {
	for _, s := range []string{"", "80", "0180", "0102038000000000", "00", "8001", "0180000000000000000000", "01020304050607088000000000000000"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append([]byte(nil), b...)
		out, err := Unpad80(b)
		if !bytes.Equal(in, b) {
			t.Fatal("Unpad80 modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrPadding) {
				t.Fatalf("Unpad80(%X): %v", b, err)
			}
		} else {
			if len(out) >= len(b) || !bytes.Equal(b[:len(out)], out) || b[len(out)] != 0x80 {
				t.Fatalf("Unpad80(%X) = %X", b, out)
			}
			for _, z := range b[len(out)+1:] {
				if z != 0 {
					t.Fatalf("Unpad80(%X) = %X: nonzero padding", b, out)
				}
			}
		}
		for _, bs := range []int{8, 16} {
			out, err := Unpad80Block(b, bs)
			if err != nil {
				continue
			}
			if re := Pad80(append([]byte(nil), out...), bs); !bytes.Equal(re, b) {
				t.Fatalf("Unpad80Block(%X, %d) = %X does not pad back", b, bs, out)
			}
		}
	})
}

func FuzzDecipherPIN(f *testing.F) {
	for _, a := range algs {
		for _, pin := range []string{"123456", "1", "123456789012"} {
			block, err := EncipherPIN(a, key16a, pin)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(byte(a), key16a, block)
		}
		f.Add(byte(a), key16b, make([]byte, a.BlockSize()))
	}
	f.Add(byte(0x02), key16a, make([]byte, 8))
	f.Add(byte(AlgSM4), key16a[:3], make([]byte, 16))
	f.Add(byte(Alg3DES), key16a, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, alg byte, key, block []byte) {
		a := Alg(alg)
		pin, err := DecipherPIN(a, key, block)
		if err != nil {
			if pin != "" {
				t.Fatalf("DecipherPIN returned %q with error %v", pin, err)
			}
			return
		}
		again, err := EncipherPIN(a, key, pin)
		if err != nil || !bytes.Equal(again, block) {
			t.Fatalf("DecipherPIN(%v, %X, %X) = %q; re-enciphered %X, %v", a, key, block, pin, again, err)
		}
	})
}

func FuzzMAC(f *testing.F) {
	f.Add(byte(AlgSM4), key16a, seq(0, 16), []byte("84240001"))
	f.Add(byte(Alg3DES), key16a, seq(0, 8), []byte{})
	f.Add(byte(Alg3DES), key16a, seq(0, 9), []byte{1})
	f.Add(byte(0x07), key16a[:5], []byte{}, []byte{1})
	f.Fuzz(func(t *testing.T, alg byte, key, iv, data []byte) {
		a := Alg(alg)
		m, err := MAC(a, key, iv, data)
		if err != nil {
			if m != nil || VerifyMAC(a, key, iv, data, make([]byte, MACSize)) {
				t.Fatalf("MAC error %v but got %X or verified", err, m)
			}
			return
		}
		if len(m) != MACSize || !VerifyMAC(a, key, iv, data, m) {
			t.Fatalf("MAC = %X does not verify", m)
		}
	})
}
