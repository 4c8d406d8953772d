package cardcrypto

import "github.com/emmansun/gmsm/sm3"

// SM3 returns the SM3 digest of data (GB/T 32905-2016).
func SM3(data []byte) [32]byte { return sm3.Sum(data) }

// PKIPINKey returns the SM4 key of the PKI application's user PIN
// verification (00 20 01 81 10 <SM4(key, challenge)>, CARD.md §4): the first
// 16 bytes of SM3 over the PIN as the card holds it, packed BCD
// (EncodePINBCD: "123456" is hashed as the bytes 12 34 56, which gives the
// public vector 3DE741F4..., not the ASCII text).
//
// A pin that EncodePINBCD rejects (not 1..12 decimal digits) is hashed as
// its raw bytes, so every input still yields a key of its own; validate the
// PIN with EncodePINBCD first where that matters.
func PKIPINKey(pin string) [16]byte {
	bcd, err := EncodePINBCD(pin)
	if err != nil {
		return PKIPINKeyBCD([]byte(pin))
	}
	return PKIPINKeyBCD(bcd)
}

// PKIPINKeyBCD returns the first 16 bytes of SM3(pin), pin being the PIN
// value bytes as the card receives them (BCD, CARD.md §4). It is the card's
// side of PKIPINKey.
func PKIPINKeyBCD(pin []byte) [16]byte {
	d := sm3.Sum(pin)
	var k [16]byte
	copy(k[:], d[:16])
	return k
}
