package cardcrypto

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"fmt"

	"github.com/emmansun/gmsm/sm4"
)

// MACSize is the length of the secure-messaging MAC of CLA 84 commands.
const MACSize = 4

// MAC computes the 4-byte MAC of CLA 84 secure messaging (CARD.md §3).
//
// The IV is the card challenge, right-padded with 00 to one block; an iv
// longer than the block size is an error (ErrBlockSize). data is usually
// header || Lc || body; it is always padded with Pad80.
//
//   - SM4 [known]: SM4-CBC over the padded data; the MAC is the XOR of the
//     four 4-byte words of the last cipher block.
//   - 3DES [model: PBOC retail MAC, ISO/IEC 9797-1 MAC algorithm 3 with DES,
//     padding method 2]: single-DES CBC with K1 over every block, then the
//     last block is deciphered with K2 and enciphered with K1; the MAC is its
//     first 4 bytes.
func MAC(a Alg, key, iv, data []byte) ([]byte, error) {
	if err := checkKey(a, key); err != nil {
		return nil, fmt.Errorf("computing mac: %w", err)
	}
	if len(iv) > a.BlockSize() {
		return nil, fmt.Errorf("computing mac: %w: iv is %d bytes, block is %d", ErrBlockSize, len(iv), a.BlockSize())
	}
	var m [MACSize]byte
	var err error
	if a == AlgSM4 {
		m, err = sm4MAC(key, iv, data)
	} else {
		m, err = retailMAC(key, iv, data, true)
	}
	if err != nil {
		return nil, fmt.Errorf("computing mac: %w", err)
	}
	return m[:], nil
}

// VerifyMAC recomputes the MAC of data and compares it with mac in constant
// time (crypto/subtle). Any error, including a wrong mac length, gives false.
func VerifyMAC(a Alg, key, iv, data, mac []byte) bool {
	want, err := MAC(a, key, iv, data)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(want, mac) == 1
}

// sm4MAC is the SM4 CBC-MAC folded to 4 bytes by XOR of the last block's
// four words. iv must be at most 16 bytes.
func sm4MAC(key, iv, data []byte) ([MACSize]byte, error) {
	var m [MACSize]byte
	b, err := sm4.NewCipher(key)
	if err != nil {
		return m, fmt.Errorf("creating sm4 cipher: %w", err)
	}
	var state [sm4.BlockSize]byte
	copy(state[:], iv)
	cbcMAC(b, state[:], data, true)
	for i := 0; i < sm4.BlockSize; i += MACSize {
		subtle.XORBytes(m[:], m[:], state[i:i+MACSize])
	}
	return m, nil
}

// retailMAC is ISO/IEC 9797-1 MAC algorithm 3 with DES (ANSI X9.19 retail
// MAC) truncated to 4 bytes. key is K1||K2, iv at most 8 bytes. With pad set,
// data gets padding method 2; without it, len(data) must be a multiple of 8
// and trailing bytes that do not fill a block are ignored.
func retailMAC(key, iv, data []byte, pad bool) ([MACSize]byte, error) {
	var m [MACSize]byte
	k1, err := des.NewCipher(key[:8])
	if err != nil {
		return m, fmt.Errorf("creating des cipher: %w", err)
	}
	k2, err := des.NewCipher(key[8:16])
	if err != nil {
		return m, fmt.Errorf("creating des cipher: %w", err)
	}
	var state [des.BlockSize]byte
	copy(state[:], iv)
	cbcMAC(k1, state[:], data, pad)
	k2.Decrypt(state[:], state[:])
	k1.Encrypt(state[:], state[:])
	copy(m[:], state[:MACSize])
	return m, nil
}

// cbcMAC runs CBC encryption over data, keeping only the chaining value in
// state (len(state) == b.BlockSize()). With pad set the last, partial block
// is completed with Pad80 (a whole 80 00.. block when data is aligned).
func cbcMAC(b cipher.Block, state, data []byte, pad bool) {
	bs := len(state)
	n := len(data) - len(data)%bs
	for i := 0; i < n; i += bs {
		subtle.XORBytes(state, state, data[i:i+bs])
		b.Encrypt(state, state)
	}
	if !pad {
		return
	}
	var last [sm4.BlockSize]byte
	tail := Pad80(append(last[:0], data[n:]...), bs)
	subtle.XORBytes(state, state, tail)
	b.Encrypt(state, state)
}
