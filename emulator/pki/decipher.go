package pki

import (
	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Sizes of an SM2 ciphertext (GB/T 32918.4) of at least one byte.
const (
	// MinCiphertext is the shortest C1‖C3‖C2 with C1 uncompressed:
	// 04‖X‖Y (65 bytes), C3 (32 bytes), C2 (at least 1 byte).
	MinCiphertext = 1 + PublicKeySize + DigestSize + 1
	// MinCiphertextDER is the shortest GM/T 0009 DER form: SEQUENCE of
	// two one-byte INTEGERs, a 32-byte OCTET STRING and a one-byte one.
	MinCiphertextDER = 2 + 3 + 3 + 2 + DigestSize + 3
)

// Leading bytes of the two ciphertext forms the card takes.
const (
	ciphertextPlain = 0x04 // C1 = 04‖X‖Y, then C3, then C2
	ciphertextDER   = 0x30 // SEQUENCE {x, y, hash, ciphertext}
)

// PSO DECIPHER 00 2A 80 86 Lc <SM2 ciphertext> Le [model]: the plaintext of
// an SM2 ciphertext (GB/T 32918.4) under the encryption key, given as
// C1‖C3‖C2 (C1 uncompressed) or in the DER form of GM/T 0009.
func (a *app) decipher(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if sw := ciphertextShape(cmd.Data); sw == iso7816.SWWrongLength {
		return nil, sw
	}
	s := state(x)
	if !s.user {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	k := a.pairKey(x, s, 1)
	if k == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	if sw := ciphertextShape(cmd.Data); sw != iso7816.SWOK {
		return nil, sw
	}
	msg, err := sm2.Decrypt(k, cmd.Data)
	if err != nil || len(msg) == 0 {
		// gmsm checks C1 is a point of the curve and C3 = SM3(x2‖M‖y2)
		// before it returns M: nothing of a wrong ciphertext comes back.
		return nil, iso7816.SWWrongData
	}
	return msg, iso7816.SWOK
}

// ciphertextShape says whether data can be a ciphertext of either form by
// its length (6700 if not) and its first byte (6A80 if not: a compressed
// or hybrid C1, or anything else).
func ciphertextShape(data []byte) iso7816.Status {
	if len(data) < MinCiphertextDER {
		return iso7816.SWWrongLength
	}
	switch data[0] {
	case ciphertextPlain:
		if len(data) < MinCiphertext {
			return iso7816.SWWrongLength
		}
		return iso7816.SWOK
	case ciphertextDER:
		return iso7816.SWOK
	}
	return iso7816.SWWrongData
}
