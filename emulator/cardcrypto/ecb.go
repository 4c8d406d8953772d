package cardcrypto

import "fmt"

// EncryptECB enciphers src block by block (ECB, ISO/IEC 10116 §6) and returns
// a new slice. len(src) must be a multiple of a.BlockSize(); empty src gives
// an empty result.
func EncryptECB(a Alg, key, src []byte) ([]byte, error) {
	out, err := ecb(a, key, src, true)
	if err != nil {
		return nil, fmt.Errorf("encrypting ecb: %w", err)
	}
	return out, nil
}

// DecryptECB deciphers src block by block (ECB, ISO/IEC 10116 §6) and returns
// a new slice. len(src) must be a multiple of a.BlockSize().
func DecryptECB(a Alg, key, src []byte) ([]byte, error) {
	out, err := ecb(a, key, src, false)
	if err != nil {
		return nil, fmt.Errorf("decrypting ecb: %w", err)
	}
	return out, nil
}

func ecb(a Alg, key, src []byte, encrypt bool) ([]byte, error) {
	b, err := NewCipher(a, key)
	if err != nil {
		return nil, err
	}
	bs := b.BlockSize()
	if len(src)%bs != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a multiple of %d", ErrBlockSize, len(src), bs)
	}
	out := make([]byte, len(src))
	for i := 0; i < len(src); i += bs {
		if encrypt {
			b.Encrypt(out[i:i+bs], src[i:i+bs])
		} else {
			b.Decrypt(out[i:i+bs], src[i:i+bs])
		}
	}
	return out, nil
}
