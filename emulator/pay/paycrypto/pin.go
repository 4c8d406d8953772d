package paycrypto

import (
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
)

// PIN lengths of the offline PIN block (EMV Book 3 §6.5.12).
const (
	MinPIN = 4
	MaxPIN = 12
)

// MakePINBlock formats a PIN as the plaintext offline PIN block of VERIFY
// (EMV Book 3 §6.5.12, Table 24): control field 2, the PIN length N, the
// PIN digits, filler F: 2N P P P P P/F .. F F (8 bytes).
func MakePINBlock(pin string) ([PINBlock]byte, error) {
	var b [PINBlock]byte
	if len(pin) < MinPIN || len(pin) > MaxPIN || !digits(pin) {
		return b, fmt.Errorf("pin block: %w: a pin is %d to %d digits", ErrDigits, MinPIN, MaxPIN)
	}
	nib := make([]byte, 2*PINBlock)
	nib[0], nib[1] = 2, byte(len(pin))
	for i := 2; i < len(nib); i++ {
		nib[i] = 0xF
	}
	for i, c := range []byte(pin) {
		nib[2+i] = c - '0'
	}
	for i := range b {
		b[i] = nib[2*i]<<4 | nib[2*i+1]
	}
	return b, nil
}

// ParsePINBlock reads a plaintext PIN block: ok is false unless the control
// field is 2, the length 4 to 12, the PIN digits 0..9 and the filler F.
func ParsePINBlock(b []byte) (pin string, ok bool) {
	if len(b) != PINBlock || b[0]>>4 != 2 {
		return "", false
	}
	n := int(b[0] & 0x0F)
	if n < MinPIN || n > MaxPIN {
		return "", false
	}
	out := make([]byte, 0, n)
	for i := 2; i < 2*PINBlock; i++ {
		v := b[i/2] >> 4
		if i%2 == 1 {
			v = b[i/2] & 0x0F
		}
		switch {
		case i-2 < n && v <= 9:
			out = append(out, '0'+v)
		case i-2 >= n && v == 0xF:
		default:
			return "", false
		}
	}
	return string(out), true
}

// EncipherPIN enciphers a new PIN for PIN CHANGE/UNBLOCK with the script
// encipherment session key [model]: 3DES-ECB of the 8-byte PIN block on the
// DES path; SM4-ECB of the PIN block padded with FF to 16 bytes on the SM
// path.
func EncipherPIN(a Alg, sk []byte, pin string) ([]byte, error) {
	b, err := MakePINBlock(pin)
	if err != nil {
		return nil, fmt.Errorf("enciphering pin: %w", err)
	}
	in := make([]byte, a.BlockSize())
	for i := range in {
		in[i] = 0xFF
	}
	copy(in, b[:])
	out, err := cardcrypto.EncryptECB(a, sk, in)
	if err != nil {
		return nil, fmt.Errorf("enciphering pin: %w", err)
	}
	return out, nil
}

// DecipherPIN reverses EncipherPIN; ok is false for data of the wrong
// length or a malformed block.
func DecipherPIN(a Alg, sk, data []byte) (pin string, ok bool) {
	if len(data) != a.BlockSize() || len(data) < PINBlock {
		return "", false
	}
	in, err := cardcrypto.DecryptECB(a, sk, data)
	if err != nil {
		return "", false
	}
	for _, c := range in[PINBlock:] {
		if c != 0xFF {
			return "", false
		}
	}
	return ParsePINBlock(in[:PINBlock])
}
