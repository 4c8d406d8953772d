package emv

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/bits"

	"github.com/emmansun/gmsm/sm4"
)

// The issuer's symmetric cryptography, written from EMV Book 2 Annex A and
// kept apart from the card's implementation so the issuer host checks the
// card rather than agreeing with it: Option A card master keys (A1.4.1),
// the common session key (A1.3.1), the application cryptogram MAC (A1.2,
// ISO/IEC 9797-1 MAC algorithm 3 with padding method 2), ARPC method 1
// (§8.2.1), and the same structure with SM4 on the SM path (CARD.md §5;
// the layout of package emulator/pay [model]). The tests pin the DES path
// to public EMV test vectors.

// Alg is the symmetric algorithm of a path.
type Alg byte

// The two paths' algorithms, with the cryptogram version numbers of the
// issuer application data (CARD.md §5: 01 DES, 04 SM).
const (
	AlgDES Alg = 0x01
	AlgSM4 Alg = 0x04
)

func (a Alg) String() string {
	switch a {
	case AlgDES:
		return "DES"
	case AlgSM4:
		return "SM4"
	}
	return fmt.Sprintf("algorithm %02X", byte(a))
}

var errHostKey = errors.New("issuer key")

func (a Alg) block(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("%w: %d bytes, want 16", errHostKey, len(key))
	}
	switch a {
	case AlgDES:
		k := make([]byte, 24)
		copy(k, key)
		copy(k[16:], key[:8])
		return des.NewTripleDESCipher(k)
	case AlgSM4:
		return sm4.NewCipher(key)
	}
	return nil, fmt.Errorf("%w: unknown algorithm %02X", errHostKey, byte(a))
}

func ecbEncrypt(b cipher.Block, in []byte) []byte {
	out := make([]byte, len(in))
	bs := b.BlockSize()
	for i := 0; i+bs <= len(in); i += bs {
		b.Encrypt(out[i:i+bs], in[i:i+bs])
	}
	return out
}

func oddParity(k []byte) {
	for i, b := range k {
		if bits.OnesCount8(b)%2 == 0 {
			k[i] = b ^ 0x01
		}
	}
}

// panBlock is Y of Option A: the rightmost 16 digits of PAN ‖ PSN, zero
// padded on the left.
func panBlock(pan, psn string) ([]byte, error) {
	if psn == "" {
		psn = "00"
	}
	s := pan + psn
	for _, c := range s {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("%w: PAN %q PSN %q are not digits", errHostKey, pan, psn)
		}
	}
	for len(s) < 16 {
		s = "0" + s
	}
	s = s[len(s)-16:]
	y := make([]byte, 8)
	for i := range y {
		y[i] = (s[2*i]-'0')<<4 | (s[2*i+1] - '0')
	}
	return y, nil
}

// CardMasterKey derives the card's key from an issuer master key (Option
// A): DES: 3DES(IMK)[Y] ‖ 3DES(IMK)[~Y] with odd parity; SM4: SM4(IMK)[Y ‖
// ~Y].
func CardMasterKey(a Alg, imk []byte, pan, psn string) ([]byte, error) {
	y, err := panBlock(pan, psn)
	if err != nil {
		return nil, err
	}
	b, err := a.block(imk)
	if err != nil {
		return nil, err
	}
	in := make([]byte, 16)
	copy(in, y)
	for i := range 8 {
		in[8+i] = ^y[i]
	}
	out := ecbEncrypt(b, in)
	if a == AlgDES {
		oddParity(out)
	}
	return out, nil
}

// SessionKey is the common session key of a card master key and a
// diversification value r (the ATC ‖ zeros, or an application
// cryptogram): DES: 3DES(MK)[r0 r1 F0 r3..r7] ‖ 3DES(MK)[r0 r1 0F r3..r7],
// odd parity; SM4: SM4(MK)[r zero-padded to 16 with byte 3 set to F0].
func SessionKey(a Alg, mk, r []byte) ([]byte, error) {
	b, err := a.block(mk)
	if err != nil {
		return nil, err
	}
	if a == AlgDES {
		if len(r) != 8 {
			return nil, fmt.Errorf("%w: diversification value of %d bytes", errHostKey, len(r))
		}
		in := make([]byte, 16)
		copy(in, r)
		copy(in[8:], r)
		in[2], in[10] = 0xF0, 0x0F
		out := ecbEncrypt(b, in)
		oddParity(out)
		return out, nil
	}
	if len(r) > 16 {
		return nil, fmt.Errorf("%w: diversification value of %d bytes", errHostKey, len(r))
	}
	in := make([]byte, 16)
	copy(in, r)
	in[2] = 0xF0
	return ecbEncrypt(b, in), nil
}

// ACMAC is the 8-byte MAC of an application cryptogram or script command:
// DES: ISO/IEC 9797-1 MAC algorithm 3 (single DES CBC under the left key,
// the last block deciphered with the right key and enciphered with the
// left); SM4: the leftmost 8 bytes of the SM4 CBC-MAC. Both pad with 80
// 00.. and start from a zero IV.
func ACMAC(a Alg, key, data []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("%w: %d bytes, want 16", errHostKey, len(key))
	}
	var first cipher.Block
	var err error
	if a == AlgDES {
		first, err = des.NewCipher(key[:8])
	} else {
		first, err = a.block(key)
	}
	if err != nil {
		return nil, err
	}
	bs := first.BlockSize()
	msg := append(append([]byte(nil), data...), 0x80)
	for len(msg)%bs != 0 {
		msg = append(msg, 0x00)
	}
	state := make([]byte, bs)
	for i := 0; i < len(msg); i += bs {
		subtle.XORBytes(state, state, msg[i:i+bs])
		first.Encrypt(state, state)
	}
	if a == AlgDES {
		right, err := des.NewCipher(key[8:])
		if err != nil {
			return nil, err
		}
		right.Decrypt(state, state)
		first.Encrypt(state, state)
	}
	return state[:8], nil
}

// ARPCMethod1 is the authorisation response cryptogram (EMV Book 2
// §8.2.1): the block cipher under the AC session key of the ARQC with the
// ARC XORed into its first two bytes (zero-padded to the block size on the
// SM path), leftmost 8 bytes.
func ARPCMethod1(a Alg, sk, arqc, arc []byte) ([]byte, error) {
	if len(arqc) != 8 || len(arc) != 2 {
		return nil, fmt.Errorf("%w: ARQC of %d bytes, ARC of %d", errHostKey, len(arqc), len(arc))
	}
	b, err := a.block(sk)
	if err != nil {
		return nil, err
	}
	in := make([]byte, b.BlockSize())
	copy(in, arqc)
	in[0] ^= arc[0]
	in[1] ^= arc[1]
	return ecbEncrypt(b, in)[:8], nil
}
