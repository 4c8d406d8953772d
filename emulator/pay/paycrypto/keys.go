package paycrypto

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"

	"github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/emulator/cardcrypto"
)

// Alg is the symmetric algorithm of a path: cardcrypto.Alg3DES (the DES/RSA
// path) or cardcrypto.AlgSM4 (the SM path).
type Alg = cardcrypto.Alg

// The two algorithms.
const (
	DES = cardcrypto.Alg3DES
	SM4 = cardcrypto.AlgSM4
)

// Sizes.
const (
	KeySize  = 16 // every key: double-length 3DES or SM4
	ACSize   = 8  // application cryptogram, ARPC
	MACSize  = 4  // issuer script MAC
	ATCSize  = 2
	ARCSize  = 2
	YSize    = 8 // the PAN block of Option A
	PINBlock = 8 // the plaintext offline PIN block
)

// Errors; returned errors wrap them.
var (
	ErrDigits = errors.New("not a decimal number")
	ErrSize   = errors.New("wrong size")
	ErrAlg    = errors.New("unknown algorithm")
)

// PANBlock is Y of Option A (EMV Book 2 A1.4.1): PAN ‖ PSN as decimal
// digits (a missing PSN is 00), right-justified in 16 digits padded on the
// left with zeros, or the rightmost 16 digits of a longer string; packed
// two digits a byte.
func PANBlock(pan, psn string) ([YSize]byte, error) {
	var y [YSize]byte
	if psn == "" {
		psn = "00"
	}
	x := pan + psn
	if len(pan) == 0 || len(psn) != 2 || !digits(x) {
		return y, fmt.Errorf("pan block: %w: pan %q, psn %q", ErrDigits, pan, psn)
	}
	for len(x) < 2*YSize {
		x = "0" + x
	}
	x = x[len(x)-2*YSize:]
	if _, err := hex.Decode(y[:], []byte(x)); err != nil {
		return y, fmt.Errorf("pan block: %w", err)
	}
	return y, nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CardKey derives the card's master key from an issuer master key with
// Option A (EMV Book 2 A1.4.1): 3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF..FF], odd
// parity. On the SM path, SM4(IMK)[Y ‖ (Y ⊕ FF..FF)], one SM4 block, no
// parity [model].
func CardKey(a Alg, imk []byte, pan, psn string) ([]byte, error) {
	y, err := PANBlock(pan, psn)
	if err != nil {
		return nil, fmt.Errorf("deriving card key: %w", err)
	}
	in := make([]byte, 2*YSize)
	copy(in, y[:])
	for i := range YSize {
		in[YSize+i] = ^y[i]
	}
	out, err := cardcrypto.EncryptECB(a, imk, in)
	if err != nil {
		return nil, fmt.Errorf("deriving card key: %w", err)
	}
	if a == DES {
		AdjustParity(out)
	}
	return out, nil
}

// SessionKey is the common session key derivation (EMV Book 2 A1.3.1) of
// a card master key and a diversification value R: on the DES path R is 8
// bytes, SK = 3DES(MK)[F1] ‖ 3DES(MK)[F2] with F1 = R0 R1 F0 R3..R7 and F2
// = R0 R1 0F R3..R7, odd parity. On the SM path R is padded with zeros to
// 16 bytes and SK = SM4(MK)[F1], F1 = R with its third byte F0 (one block
// covers the 16-byte key, as for AES in A1.3.1) [model].
func SessionKey(a Alg, mk, r []byte) ([]byte, error) {
	switch a {
	case DES:
		if len(r) != 8 {
			return nil, fmt.Errorf("deriving session key: %w: r is %d bytes, want 8", ErrSize, len(r))
		}
		in := make([]byte, 16)
		copy(in, r)
		copy(in[8:], r)
		in[2], in[10] = 0xF0, 0x0F
		out, err := cardcrypto.EncryptECB(a, mk, in)
		if err != nil {
			return nil, fmt.Errorf("deriving session key: %w", err)
		}
		AdjustParity(out)
		return out, nil
	case SM4:
		if len(r) > 16 {
			return nil, fmt.Errorf("deriving session key: %w: r is %d bytes, want at most 16", ErrSize, len(r))
		}
		in := make([]byte, 16)
		copy(in, r)
		in[2] = 0xF0
		out, err := cardcrypto.EncryptECB(a, mk, in)
		if err != nil {
			return nil, fmt.Errorf("deriving session key: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("deriving session key: %w %02X", ErrAlg, byte(a))
}

// ACSessionKey is the session key of the application cryptogram and the
// ARPC: R = ATC ‖ 00.. (EMV Book 2 A1.3.1).
func ACSessionKey(a Alg, mk []byte, atc uint16) ([]byte, error) {
	return SessionKey(a, mk, []byte{byte(atc >> 8), byte(atc), 0, 0, 0, 0, 0, 0})
}

// ScriptSessionKey is the session key of issuer script MACs and PIN
// encipherment: R = the application cryptogram of the transaction (EMV
// Book 2 A1.3.1, secure messaging keys).
func ScriptSessionKey(a Alg, mk, ac []byte) ([]byte, error) {
	if len(ac) != ACSize {
		return nil, fmt.Errorf("deriving script session key: %w: cryptogram is %d bytes", ErrSize, len(ac))
	}
	return SessionKey(a, mk, ac)
}

// AdjustParity sets the least significant bit of every byte so that each
// byte has an odd number of one bits (DES key parity).
func AdjustParity(k []byte) {
	for i, b := range k {
		if bits.OnesCount8(b&0xFE)%2 == 0 {
			k[i] = b&0xFE | 1
		} else {
			k[i] = b & 0xFE
		}
	}
}

// MAC is the 8-byte MAC of the application cryptogram (EMV Book 2 A1.2):
// on the DES path ISO/IEC 9797-1 MAC algorithm 3 (single DES CBC with K1,
// the last block deciphered with K2 and enciphered with K1), on the SM path
// SM4 CBC-MAC keeping the leftmost 8 bytes of the last block [model]; zero
// IV, padding method 2 (80 00..) always applied.
func MAC(a Alg, key, data []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("computing mac: %w: key is %d bytes", ErrSize, len(key))
	}
	switch a {
	case DES:
		k1, err := des.NewCipher(key[:8])
		if err != nil {
			return nil, fmt.Errorf("computing mac: %w", err)
		}
		k2, err := des.NewCipher(key[8:])
		if err != nil {
			return nil, fmt.Errorf("computing mac: %w", err)
		}
		state := cbcMAC(k1, data)
		k2.Decrypt(state, state)
		k1.Encrypt(state, state)
		return state, nil
	case SM4:
		b, err := sm4.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("computing mac: %w", err)
		}
		return cbcMAC(b, data)[:ACSize], nil
	}
	return nil, fmt.Errorf("computing mac: %w %02X", ErrAlg, byte(a))
}

// cbcMAC is the last block of CBC encryption of data padded with 80 00..,
// zero IV.
func cbcMAC(b cipher.Block, data []byte) []byte {
	bs := b.BlockSize()
	state := make([]byte, bs)
	padded := cardcrypto.Pad80(append(make([]byte, 0, len(data)+bs), data...), bs)
	for i := 0; i < len(padded); i += bs {
		subtle.XORBytes(state, state, padded[i:i+bs])
		b.Encrypt(state, state)
	}
	return state
}

// ScriptMAC is the MAC of an issuer script command (EMV Book 2 §9.2.1):
// the leftmost 4 bytes of MAC with the script session key over CLA INS P1
// P2 Lc ‖ ATC ‖ AC ‖ the command data before the MAC.
func ScriptMAC(a Alg, sk []byte, header [4]byte, lc byte, atc uint16, ac, data []byte) ([]byte, error) {
	in := make([]byte, 0, 5+ATCSize+len(ac)+len(data))
	in = append(in, header[:]...)
	in = append(in, lc, byte(atc>>8), byte(atc))
	in = append(in, ac...)
	in = append(in, data...)
	m, err := MAC(a, sk, in)
	if err != nil {
		return nil, err
	}
	return m[:MACSize], nil
}

// ARPC is the authorisation response cryptogram, method 1 (EMV Book 2
// §8.2.1): 3DES(key)[ARQC ⊕ (ARC ‖ 00..)]; on the SM path the leftmost 8
// bytes of SM4(key)[(ARQC ⊕ (ARC ‖ 00..)) ‖ 00×8] [model]. The card uses
// the AC session key.
func ARPC(a Alg, key, arqc, arc []byte) ([]byte, error) {
	if len(arqc) != ACSize || len(arc) != ARCSize {
		return nil, fmt.Errorf("computing arpc: %w: arqc %d, arc %d bytes", ErrSize, len(arqc), len(arc))
	}
	y := make([]byte, a.BlockSize())
	copy(y, arqc)
	y[0] ^= arc[0]
	y[1] ^= arc[1]
	out, err := cardcrypto.EncryptECB(a, key, y)
	if err != nil {
		return nil, fmt.Errorf("computing arpc: %w", err)
	}
	return out[:ACSize], nil
}

// CryptogramInput is the data the card's application cryptogram is
// computed over [model, package pay]: the DOL data as the terminal sent it
// (CDOL1, CDOL2, or the PDOL data on the qUICS path) ‖ AIP ‖ ATC ‖ the CVR
// with its length byte (03 c1 c2 c3, bytes 4 to 7 of the IAD).
func CryptogramInput(dolData []byte, aip [2]byte, atc uint16, cvr [3]byte) []byte {
	in := make([]byte, 0, len(dolData)+8)
	in = append(in, dolData...)
	in = append(in, aip[0], aip[1], byte(atc>>8), byte(atc), 3, cvr[0], cvr[1], cvr[2])
	return in
}

// Cryptogram is an application cryptogram (ARQC, TC or AAC): MAC with the
// AC session key of atc over CryptogramInput.
func Cryptogram(a Alg, mkAC []byte, atc uint16, dolData []byte, aip [2]byte, cvr [3]byte) ([]byte, error) {
	sk, err := ACSessionKey(a, mkAC, atc)
	if err != nil {
		return nil, err
	}
	return MAC(a, sk, CryptogramInput(dolData, aip, atc, cvr))
}
