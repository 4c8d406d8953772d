package cardcrypto

import "fmt"

// ExternalAuthCryptogram computes the EXTERNAL AUTHENTICATE cryptogram
// (ISO/IEC 7816-4 §11.5.3; flow in CARD.md §3) [model: construction]:
// ENC(key, challenge right-padded with 00 to one block). The challenge is the
// card's GET CHALLENGE answer of 4, 8 or 16 bytes; 16 bytes only fit SM4.
// The terminal or PSAM computes it; the card recomputes and compares.
func ExternalAuthCryptogram(a Alg, key, challenge []byte) ([]byte, error) {
	switch len(challenge) {
	case 4, 8, 16:
	default:
		return nil, fmt.Errorf("computing external auth cryptogram: %w: challenge is %d bytes, want 4, 8 or 16", ErrBlockSize, len(challenge))
	}
	if !a.Valid() {
		return nil, fmt.Errorf("computing external auth cryptogram: %w: %s", ErrAlg, a)
	}
	if len(challenge) > a.BlockSize() {
		return nil, fmt.Errorf("computing external auth cryptogram: %w: challenge is %d bytes, block is %d", ErrBlockSize, len(challenge), a.BlockSize())
	}
	in := make([]byte, a.BlockSize())
	copy(in, challenge)
	out, err := EncryptECB(a, key, in)
	if err != nil {
		return nil, fmt.Errorf("computing external auth cryptogram: %w", err)
	}
	return out, nil
}

// InternalAuthResponse computes the card's INTERNAL AUTHENTICATE response
// (ISO/IEC 7816-4 §11.5.2; command 00 88 00 00 10 <8 B factor><8 B random>,
// CARD.md §3) [model: construction]: ENC(key, data) over one block.
//
// For SM4, data must be the whole 16-byte command body. For 3DES, data is 8
// bytes (the random) or the 16-byte body, of which the card uses the last 8
// bytes (the random).
func InternalAuthResponse(a Alg, key, data []byte) ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("computing internal auth response: %w: %s", ErrAlg, a)
	}
	in := data
	switch {
	case a == AlgSM4 && len(data) == 16:
	case a == Alg3DES && len(data) == 8:
	case a == Alg3DES && len(data) == 16:
		in = data[8:]
	default:
		return nil, fmt.Errorf("computing internal auth response: %w: %s takes %s bytes, got %d", ErrBlockSize, a, internalAuthSizes(a), len(data))
	}
	out, err := EncryptECB(a, key, in)
	if err != nil {
		return nil, fmt.Errorf("computing internal auth response: %w", err)
	}
	return out, nil
}

func internalAuthSizes(a Alg) string {
	if a == AlgSM4 {
		return "16"
	}
	return "8 or 16"
}
