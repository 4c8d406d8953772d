package cardcrypto

import "fmt"

// PIN length limits of the PIN block (model choice, see CARD.md §3; the SSSE
// profile narrows this to its own range, default 2–6 digits).
const (
	// PINMinDigits is the shortest PIN the PIN block encodes.
	PINMinDigits = 1
	// PINMaxDigits is the longest PIN the PIN block encodes.
	PINMaxDigits = 12
)

// EncodePINBCD packs a PIN of 1..12 decimal digits into BCD, two digits a
// byte, an odd length completed with an F nibble (CARD.md §3, as in VERIFY
// 00 20 00 00 03 123456): "123456" gives 12 34 56, "12345" gives 12 34 5F.
func EncodePINBCD(pin string) ([]byte, error) {
	if len(pin) < PINMinDigits || len(pin) > PINMaxDigits {
		return nil, fmt.Errorf("encoding pin: %w: %d digits, want %d..%d", ErrPIN, len(pin), PINMinDigits, PINMaxDigits)
	}
	out := make([]byte, (len(pin)+1)/2)
	for i := 0; i < len(pin); i++ {
		c := pin[i]
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("encoding pin: %w: character %d is not a digit", ErrPIN, i)
		}
		d := c - '0'
		if i%2 == 0 {
			out[i/2] = d << 4
		} else {
			out[i/2] |= d
		}
	}
	if len(pin)%2 == 1 {
		out[len(out)-1] |= 0x0F
	}
	return out, nil
}

// DecodePINBCD is the strict inverse of EncodePINBCD: 1..6 bytes of decimal
// nibbles, of which only the very last may be F (odd-length PIN).
func DecodePINBCD(b []byte) (string, error) {
	if len(b) == 0 || len(b) > (PINMaxDigits+1)/2 {
		return "", fmt.Errorf("decoding pin: %w: %d bytes, want 1..%d", ErrPIN, len(b), (PINMaxDigits+1)/2)
	}
	out := make([]byte, 0, 2*len(b))
	for i, v := range b {
		hi, lo := v>>4, v&0x0F
		if hi > 9 {
			return "", fmt.Errorf("decoding pin: %w: nibble %X at byte %d", ErrPIN, hi, i)
		}
		out = append(out, '0'+hi)
		if lo == 0x0F && i == len(b)-1 {
			break
		}
		if lo > 9 {
			return "", fmt.Errorf("decoding pin: %w: nibble %X at byte %d", ErrPIN, lo, i)
		}
		out = append(out, '0'+lo)
	}
	return string(out), nil
}

// EncipherPIN builds the enciphered PIN block of the SSSE PIN reload
// (84 24 00 01 ..; model choice for the layout, see CARD.md §3): the plain
// block Lpin || BCD PIN, where Lpin is the number of BCD bytes, padded with
// Pad80 to one block and enciphered in ECB under key. The result is one block
// (8 bytes for 3DES, 16 for SM4).
func EncipherPIN(a Alg, key []byte, pin string) ([]byte, error) {
	bcd, err := EncodePINBCD(pin)
	if err != nil {
		return nil, fmt.Errorf("enciphering pin: %w", err)
	}
	if !a.Valid() {
		return nil, fmt.Errorf("enciphering pin: %w: %s", ErrAlg, a)
	}
	plain := make([]byte, 0, a.BlockSize())
	plain = append(plain, byte(len(bcd)))
	plain = Pad80(append(plain, bcd...), a.BlockSize())
	out, err := EncryptECB(a, key, plain)
	if err != nil {
		return nil, fmt.Errorf("enciphering pin: %w", err)
	}
	return out, nil
}

// DecipherPIN reverses EncipherPIN: block must be exactly one cipher block;
// after deciphering, the padding, the length byte and the BCD digits are all
// checked strictly, so a wrong key or a forged block gives an error.
func DecipherPIN(a Alg, key, block []byte) (string, error) {
	if !a.Valid() {
		return "", fmt.Errorf("deciphering pin: %w: %s", ErrAlg, a)
	}
	if len(block) != a.BlockSize() {
		return "", fmt.Errorf("deciphering pin: %w: %d bytes, want %d", ErrBlockSize, len(block), a.BlockSize())
	}
	plain, err := DecryptECB(a, key, block)
	if err != nil {
		return "", fmt.Errorf("deciphering pin: %w", err)
	}
	body, err := Unpad80Block(plain, a.BlockSize())
	if err != nil {
		return "", fmt.Errorf("deciphering pin: %w", err)
	}
	if len(body) < 1 || int(body[0]) != len(body)-1 {
		return "", fmt.Errorf("deciphering pin: %w: length byte does not match", ErrPIN)
	}
	pin, err := DecodePINBCD(body[1:])
	if err != nil {
		return "", fmt.Errorf("deciphering pin: %w", err)
	}
	return pin, nil
}
