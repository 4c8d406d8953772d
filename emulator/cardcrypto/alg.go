package cardcrypto

import (
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm4"
)

// Alg is the card's symmetric algorithm, coded as in the SSSE FCI
// algorithm identifier (tag 9F0C, inner tag 86; CARD.md §1): 01 = 3DES,
// 03 = SM4. Readers assume 3DES when the identifier is absent.
type Alg byte

// Algorithm identifiers of the SSSE FCI (CARD.md §2).
const (
	// Alg3DES is two-key triple DES (ISO/IEC 18033-3, NIST SP 800-67 keying
	// option 2): a 16-byte key K1||K2 used as K1 K2 K1, 8-byte blocks.
	Alg3DES Alg = 0x01
	// AlgSM4 is SM4 (GB/T 32907-2016): a 16-byte key, 16-byte blocks.
	AlgSM4 Alg = 0x03
)

// Sentinel errors; returned errors wrap them, test with errors.Is.
var (
	// ErrKeySize reports a key whose length is not Alg.KeySize.
	ErrKeySize = errors.New("wrong key size")
	// ErrBlockSize reports data, an IV or a challenge whose length does not
	// fit the algorithm's block size.
	ErrBlockSize = errors.New("wrong data size for block size")
	// ErrAlg reports an algorithm identifier other than 01 or 03.
	ErrAlg = errors.New("unknown algorithm")
	// ErrPadding reports malformed ISO/IEC 9797-1 padding method 2.
	ErrPadding = errors.New("malformed 80 padding")
	// ErrPIN reports a PIN string or BCD PIN that is not well formed.
	ErrPIN = errors.New("malformed pin")
)

// Valid reports whether a is one of the defined algorithms.
func (a Alg) Valid() bool { return a == Alg3DES || a == AlgSM4 }

// BlockSize returns the cipher block size in bytes: 8 for 3DES, 16 for SM4,
// 0 for an invalid algorithm.
func (a Alg) BlockSize() int {
	switch a {
	case Alg3DES:
		return des.BlockSize
	case AlgSM4:
		return sm4.BlockSize
	}
	return 0
}

// KeySize returns the key size in bytes: 16 for both algorithms (3DES is the
// two-key variant K1||K2), 0 for an invalid algorithm.
func (a Alg) KeySize() int {
	if a.Valid() {
		return 16
	}
	return 0
}

// String returns "3DES", "SM4", or "Alg(0xNN)" for an invalid value.
func (a Alg) String() string {
	switch a {
	case Alg3DES:
		return "3DES"
	case AlgSM4:
		return "SM4"
	}
	return fmt.Sprintf("Alg(0x%02X)", byte(a))
}

// ParseAlg parses an algorithm name or its FCI code, case-insensitively:
// "sm4" or "03" for SM4; "3des", "des3" or "01" for 3DES.
func ParseAlg(s string) (Alg, error) {
	switch strings.ToLower(s) {
	case "sm4", "03":
		return AlgSM4, nil
	case "3des", "des3", "01":
		return Alg3DES, nil
	}
	return 0, fmt.Errorf("parsing algorithm %q: %w", s, ErrAlg)
}

// NewCipher returns the block cipher of a under key: SM4, or two-key triple
// DES with key K1||K2 expanded to K1||K2||K1.
func NewCipher(a Alg, key []byte) (cipher.Block, error) {
	if err := checkKey(a, key); err != nil {
		return nil, err
	}
	if a == AlgSM4 {
		b, err := sm4.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("creating sm4 cipher: %w", err)
		}
		return b, nil
	}
	var k3 [24]byte
	copy(k3[:16], key)
	copy(k3[16:], key[:8])
	b, err := des.NewTripleDESCipher(k3[:])
	if err != nil {
		return nil, fmt.Errorf("creating 3des cipher: %w", err)
	}
	return b, nil
}

// checkKey validates the algorithm and the key length.
func checkKey(a Alg, key []byte) error {
	if !a.Valid() {
		return fmt.Errorf("checking key: %w: %s", ErrAlg, a)
	}
	if len(key) != a.KeySize() {
		return fmt.Errorf("checking key: %w: %s needs %d bytes, got %d", ErrKeySize, a, a.KeySize(), len(key))
	}
	return nil
}
