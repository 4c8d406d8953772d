package cardcrypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncodePINBCD(t *testing.T) {
	tests := []struct {
		pin, want string
	}{
		{"123456", "123456"},
		{"12345", "12345F"},
		{"0", "0F"},
		{"00", "00"},
		{"9", "9F"},
		{"999999999999", "999999999999"},
		{"12345678901", "12345678901F"},
		{"000000", "000000"},
	}
	for _, tt := range tests {
		t.Run(tt.pin, func(t *testing.T) {
			got, err := EncodePINBCD(tt.pin)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("EncodePINBCD(%q) = %X, want %s", tt.pin, got, tt.want)
			}
			back, err := DecodePINBCD(got)
			if err != nil || back != tt.pin {
				t.Fatalf("DecodePINBCD round trip = %q, %v", back, err)
			}
		})
	}
}

func TestEncodePINBCDHostile(t *testing.T) {
	for _, pin := range []string{
		"",
		"12a4",
		"1234567890123", // 13 digits
		strings.Repeat("1", 100),
		" 1234",
		"1234 ",
		"12-34",
		"１２３４", // full-width digits
		"12\x0034",
		"F",
		"12345F",
		"/",
		":",
	} {
		t.Run(pin, func(t *testing.T) {
			if b, err := EncodePINBCD(pin); !errors.Is(err, ErrPIN) || b != nil {
				t.Fatalf("EncodePINBCD(%q) = %X, %v; want ErrPIN", pin, b, err)
			}
		})
	}
}

func TestDecodePINBCDHostile(t *testing.T) {
	for _, in := range []string{
		"",
		"1A",             // nibble A
		"B2",             // nibble B high
		"12C4",           // nibble C
		"1D",             // nibble D low
		"E1",             // nibble E high
		"F1",             // F as the high nibble
		"1F23",           // F not last
		"12FF34",         // FF in the middle
		"FF",             // FF alone: no digit at all
		"12FF",           // FF at the end: the high F is not allowed
		"123456FF",       // F-padding of a whole byte
		"12345678901234", // 7 bytes, 14 digits
		"1234567890123F", // 13 digits
	} {
		t.Run(in, func(t *testing.T) {
			if s, err := DecodePINBCD(unhex(t, in)); !errors.Is(err, ErrPIN) || s != "" {
				t.Fatalf("DecodePINBCD(%s) = %q, %v; want ErrPIN", in, s, err)
			}
		})
	}
}

func TestPINBlockRoundTrip(t *testing.T) {
	digits := "314159265358"
	for _, a := range algs {
		for n := PINMinDigits; n <= PINMaxDigits; n++ {
			pin := digits[:n]
			block, err := EncipherPIN(a, key16a, pin)
			if err != nil {
				t.Fatalf("%v EncipherPIN(%q): %v", a, pin, err)
			}
			if len(block) != a.BlockSize() {
				t.Fatalf("%v EncipherPIN(%q) = %d bytes, want %d", a, pin, len(block), a.BlockSize())
			}
			got, err := DecipherPIN(a, key16a, block)
			if err != nil || got != pin {
				t.Fatalf("%v DecipherPIN = %q, %v; want %q", a, got, err, pin)
			}
		}
	}
}

// TestPINBlockLayout checks the plain block layout by deciphering with ECB.
func TestPINBlockLayout(t *testing.T) {
	tests := []struct {
		a     Alg
		pin   string
		plain string
	}{
		{Alg3DES, "123456", "0312345680000000"},
		{Alg3DES, "12345", "0312345F80000000"},
		{Alg3DES, "123456789012", "0612345678901280"},
		{AlgSM4, "123456", "03123456800000000000000000000000"},
		{AlgSM4, "1", "011F8000000000000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.a.String()+"/"+tt.pin, func(t *testing.T) {
			block, err := EncipherPIN(tt.a, key16b, tt.pin)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := DecryptECB(tt.a, key16b, block)
			if err != nil {
				t.Fatal(err)
			}
			if want := unhex(t, tt.plain); !bytes.Equal(plain, want) {
				t.Fatalf("plain block = %X, want %s", plain, tt.plain)
			}
		})
	}
}

func TestEncipherPINHostile(t *testing.T) {
	tests := []struct {
		name string
		a    Alg
		key  []byte
		pin  string
		want error
	}{
		{"empty pin", AlgSM4, key16a, "", ErrPIN},
		{"letter", AlgSM4, key16a, "12a4", ErrPIN},
		{"13 digits", Alg3DES, key16a, "1234567890123", ErrPIN},
		{"bad alg", 0x02, key16a, "1234", ErrAlg},
		{"short key", AlgSM4, key16a[:15], "1234", ErrKeySize},
		{"long key", Alg3DES, append(key16a, 0), "1234", ErrKeySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := EncipherPIN(tt.a, tt.key, tt.pin); !errors.Is(err, tt.want) || b != nil {
				t.Fatalf("EncipherPIN = %X, %v; want %v", b, err, tt.want)
			}
		})
	}
}

func TestDecipherPINHostile(t *testing.T) {
	// forge enciphers a chosen plain block so the checks after deciphering
	// are reached.
	forge := func(a Alg, plain string) []byte {
		b, err := EncryptECB(a, key16a, unhex(t, plain))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good, err := EncipherPIN(Alg3DES, key16a, "123456")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		a     Alg
		key   []byte
		block []byte
		want  error
	}{
		{"bad alg", 0x05, key16a, good, ErrAlg},
		{"short key", Alg3DES, key16a[:8], good, ErrKeySize},
		{"empty block", Alg3DES, key16a, nil, ErrBlockSize},
		{"short block", Alg3DES, key16a, good[:7], ErrBlockSize},
		{"two blocks 3des", Alg3DES, key16a, append(append([]byte(nil), good...), good...), ErrBlockSize},
		{"3des block for sm4", AlgSM4, key16a, good, ErrBlockSize},
		{"no padding", Alg3DES, key16a, forge(Alg3DES, "0312345612345678"), ErrPadding},
		{"zero padding", Alg3DES, key16a, forge(Alg3DES, "0312345600000000"), ErrPadding},
		{"length too big", Alg3DES, key16a, forge(Alg3DES, "0412345680000000"), ErrPIN},
		{"length too small", Alg3DES, key16a, forge(Alg3DES, "0212345680000000"), ErrPIN},
		{"length zero no pin", Alg3DES, key16a, forge(Alg3DES, "0080000000000000"), ErrPIN},
		{"only padding", Alg3DES, key16a, forge(Alg3DES, "8000000000000000"), ErrPIN},
		{"bad nibble", Alg3DES, key16a, forge(Alg3DES, "031234A680000000"), ErrPIN},
		{"F not last", Alg3DES, key16a, forge(Alg3DES, "031F345680000000"), ErrPIN},
		{"seven bcd bytes", AlgSM4, key16a, forge(AlgSM4, "07123456789012348000000000000000"), ErrPIN},
		{"sm4 length mismatch", AlgSM4, key16a, forge(AlgSM4, "05123456800000000000000000000000"), ErrPIN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if pin, err := DecipherPIN(tt.a, tt.key, tt.block); !errors.Is(err, tt.want) || pin != "" {
				t.Fatalf("DecipherPIN = %q, %v; want %v", pin, err, tt.want)
			}
		})
	}
	// A block enciphered under another key is refused.
	if pin, err := DecipherPIN(Alg3DES, key16b, good); err == nil {
		t.Fatalf("DecipherPIN with the wrong key = %q", pin)
	}
}
