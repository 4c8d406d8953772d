package cardcrypto

import "fmt"

// FactorSize is the length of one diversification factor (CARD.md §3).
const FactorSize = 8

// Diversify derives a card (or intermediate) key from an issuer key and an
// 8-byte factor, the usual PBOC construction [model: CARD.md §3]:
//
//	SM4:  K = SM4(MK, F || ^F)
//	3DES: K = 3DES(MK, F) || 3DES(MK, ^F)
//
// where ^F is the bitwise NOT of every byte of F. The result is 16 bytes.
func Diversify(a Alg, master, factor []byte) ([]byte, error) {
	if len(factor) != FactorSize {
		return nil, fmt.Errorf("diversifying key: %w: factor is %d bytes, want %d", ErrBlockSize, len(factor), FactorSize)
	}
	var in [2 * FactorSize]byte
	copy(in[:], factor)
	for i, f := range factor {
		in[FactorSize+i] = ^f
	}
	out, err := EncryptECB(a, master, in[:])
	if err != nil {
		return nil, fmt.Errorf("diversifying key: %w", err)
	}
	return out, nil
}

// DiversifyLevels applies Diversify once per factor, in order (multi-level
// diversification: region first, then card; CARD.md §3). With no factors it
// returns a copy of master after checking its size.
func DiversifyLevels(a Alg, master []byte, factors ...[]byte) ([]byte, error) {
	if err := checkKey(a, master); err != nil {
		return nil, fmt.Errorf("diversifying key levels: %w", err)
	}
	key := append([]byte(nil), master...)
	for i, f := range factors {
		next, err := Diversify(a, key, f)
		if err != nil {
			return nil, fmt.Errorf("diversifying key level %d: %w", i+1, err)
		}
		key = next
	}
	return key, nil
}
