package pki_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

func decipherCmd(ct []byte) iso7816.Command {
	return iso7816.Command{INS: pki.INSPSO, P1: 0x80, P2: 0x86, Data: ct, Ne: 256}
}

// encrypt makes an SM2 ciphertext of msg with gmsm: C1‖C3‖C2 with C1
// uncompressed, or the DER form (der).
func encrypt(t testing.TB, pub *ecdsa.PublicKey, msg []byte, der bool) []byte {
	t.Helper()
	var ct []byte
	var err error
	if der {
		ct, err = sm2.EncryptASN1(rand.Reader, pub, msg)
	} else {
		ct, err = sm2.Encrypt(rand.Reader, pub, msg, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

var forms = []struct {
	name string
	der  bool
}{{"C1C3C2", false}, {"DER", true}}

// refused checks a decipher answers want and no data.
func (c *card) refused(ct []byte, want iso7816.Status) {
	c.t.Helper()
	if r := c.sw(decipherCmd(ct), want); len(r.Data) != 0 {
		c.t.Errorf("a refused decipher (%04X) answered data %X", uint16(r.SW), r.Data)
	}
}

func TestDecipher(t *testing.T) {
	c := newCard(t, nil)
	pub := &mustKey(t, encKP).PublicKey
	msg := []byte("a session key, or any short secret")
	for _, f := range forms {
		c.refused(encrypt(t, pub, msg, f.der), iso7816.SWSecurityNotSatisfied)
	}
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	for _, f := range forms {
		c.refused(encrypt(t, pub, msg, f.der), iso7816.SWSecurityNotSatisfied) // the admin PIN is not enough
	}
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	for _, f := range forms {
		// The longest plaintexts that fit a short APDU: 255-97 bytes in
		// C1‖C3‖C2; the DER form has up to 40 bytes of overhead more.
		longest := 255 - 97
		if f.der {
			longest -= 15
		}
		for _, n := range []int{1, 15, 16, 32, 33, 100, longest} {
			m := make([]byte, n)
			rand.Read(m)
			ct := encrypt(t, pub, m, f.der)
			if r := c.sw(decipherCmd(ct), iso7816.SWOK); !bytes.Equal(r.Data, m) {
				t.Errorf("%s, %d bytes: deciphered %X, want %X", f.name, n, r.Data, m)
			}
		}
	}
	// The signing key does not decipher: the encryption key's ciphertext
	// only.
	c.refused(encrypt(t, &mustKey(t, signKP).PublicKey, msg, false), iso7816.SWWrongData)
	// Without Le, over T=0: 61xx and GET RESPONSE.
	ct := encrypt(t, pub, msg, false)
	raw, _ := c.Transmit(append([]byte{0x00, 0x2A, 0x80, 0x86, byte(len(ct))}, ct...))
	if !bytes.Equal(raw, []byte{0x61, byte(len(msg))}) {
		t.Errorf("PSO DECIPHER without Le answered %X, want 61%02X", raw, len(msg))
	}
	// A reset ends the user PIN's verification.
	c.Reset()
	c.selectADF()
	c.refused(ct, iso7816.SWSecurityNotSatisfied)
}

// TestDecipherPublishedVector deciphers the published SM2 encryption
// example on the recommended curve (GM/T 0003.5-2012 and GB/T 32918.5-2017,
// the example of public key encryption): private key d = 3945208F...,
// message "encryption standard", C1 = 04 04EBFC71... E858F9D8..., C3 =
// 59983C18..., C2 = 21886CA9.... The key goes in by IMPORT KEY PAIR into
// the encryption pair; the ciphertext goes in both forms.
func TestDecipherPublishedVector(t *testing.T) {
	d := cardtest.Hex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
	ct := cardtest.Hex("04" +
		"04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73" +
		"E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0" +
		"59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766" +
		"21886CA989CA9C7D58087307CA93092D651EFA")
	der, err := sm2.PlainCiphertext2ASN1(ct, sm2.C1C3C2)
	if err != nil {
		t.Fatal(err)
	}
	c := newCard(t, nil)
	c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	c.refused(ct, iso7816.SWWrongData) // not yet the card's key
	c.importKey(d, pki.FIDEncPublic, pki.FIDEncPrivate, iso7816.SWOK)
	for _, x := range [][]byte{ct, der} {
		if r := c.sw(decipherCmd(x), iso7816.SWOK); string(r.Data) != "encryption standard" {
			t.Errorf("deciphered %q", r.Data)
		}
	}
}

// tlv is one DER element (definite length, shortest form).
func tlv(tag byte, content ...[]byte) []byte {
	v := bytes.Join(content, nil)
	out := []byte{tag}
	switch n := len(v); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, v...)
}

// derInt is the DER INTEGER content of a non-negative v.
func derInt(v []byte) []byte {
	v = bytes.TrimLeft(v, "\x00")
	if len(v) == 0 || v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return v
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

// TestDecipherRefused: every status word of PSO DECIPHER, and hostile
// ciphertexts in both forms; nothing but the status word comes back.
func TestDecipherRefused(t *testing.T) {
	pub := &mustKey(t, encKP).PublicKey
	msg := []byte("thirty-five bytes of secret message")
	plain := encrypt(t, pub, msg, false)
	c1, c3, c2 := plain[:65], plain[65:97], plain[97:]
	x, y := c1[1:33], c1[33:]
	der := tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2))
	if want, _ := sm2.PlainCiphertext2ASN1(plain, sm2.C1C3C2); !bytes.Equal(der, want) {
		t.Fatalf("the test's DER form %X is not gmsm's %X", der, want)
	}
	derOf := func(x, y, c3, c2 []byte) []byte {
		return tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2))
	}
	withOpts := func(o *sm2.EncrypterOpts) []byte {
		ct, err := sm2.Encrypt(rand.Reader, pub, msg, o)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	p := sm2.P256().Params().P.FillBytes(make([]byte, 32))
	xPlusP := new(big.Int).Add(new(big.Int).SetBytes(x), sm2.P256().Params().P).Bytes()
	neg := append([]byte{0xFF}, x...) // a negative INTEGER
	derInner := der[3:]               // after 30 81 LL
	if der[1] != 0x81 {
		t.Fatalf("DER header %X", der[:3])
	}
	cat := func(b ...[]byte) []byte { return bytes.Join(b, nil) }

	for _, tc := range []struct {
		name string
		ct   []byte
		want iso7816.Status
	}{
		// lengths that cannot be a ciphertext
		{"empty", nil, iso7816.SWWrongLength},
		{"one byte", []byte{0x04}, iso7816.SWWrongLength},
		{"44 bytes", der[:44], iso7816.SWWrongLength},
		{"C1 and C3 without C2", plain[:97], iso7816.SWWrongLength},
		{"C1 only", plain[:65], iso7816.SWWrongLength},
		// C1‖C3‖C2 damaged
		{"C1 x bit flipped", flip(plain, 10), iso7816.SWWrongData},
		{"C1 y bit flipped", flip(plain, 64), iso7816.SWWrongData},
		{"C3 bit flipped", flip(plain, 80), iso7816.SWWrongData},
		{"C2 first bit flipped", flip(plain, 97), iso7816.SWWrongData},
		{"C2 last bit flipped", flip(plain, len(plain)-1), iso7816.SWWrongData},
		{"truncated", plain[:len(plain)-1], iso7816.SWWrongData},
		{"a byte more", cat(plain, []byte{0}), iso7816.SWWrongData},
		{"C1 another point of the curve", cat([]byte{4}, xy(mustKey(t, encKP)), c3, c2), iso7816.SWWrongData},
		{"C1 the point at infinity", cat(make([]byte, 1), make([]byte, 64), c3, c2), iso7816.SWWrongData},
		{"C1 zeros", cat([]byte{4}, make([]byte, 64), c3, c2), iso7816.SWWrongData},
		{"C1 x = p", cat([]byte{4}, p, y, c3, c2), iso7816.SWWrongData},
		{"C1 x and y swapped", cat([]byte{4}, y, x, c3, c2), iso7816.SWWrongData},
		{"C1‖C2‖C3 order", cat(c1, c2, c3), iso7816.SWWrongData},
		{"C1‖C2‖C3 from gmsm", withOpts(sm2.NewPlainEncrypterOpts(sm2.MarshalUncompressed, sm2.C1C2C3)), iso7816.SWWrongData},
		{"compressed C1", withOpts(sm2.NewPlainEncrypterOpts(sm2.MarshalCompressed, sm2.C1C3C2)), iso7816.SWWrongData},
		{"hybrid C1 (X9.62 06/07)", cat([]byte{6 | y[31]&1}, x, y, c3, c2), iso7816.SWWrongData},
		{"unknown first byte", cat([]byte{0x05}, plain[1:]), iso7816.SWWrongData},
		{"all zeros", make([]byte, len(plain)), iso7816.SWWrongData},
		{"all FF", bytes.Repeat([]byte{0xFF}, len(plain)), iso7816.SWWrongData},
		// the DER form damaged
		{"DER x bit flipped", derOf(flip(x, 31), y, c3, c2), iso7816.SWWrongData},
		{"DER y bit flipped", derOf(x, flip(y, 0), c3, c2), iso7816.SWWrongData},
		{"DER C3 bit flipped", derOf(x, y, flip(c3, 5), c2), iso7816.SWWrongData},
		{"DER C2 bit flipped", derOf(x, y, c3, flip(c2, 7)), iso7816.SWWrongData},
		{"DER truncated", der[:len(der)-1], iso7816.SWWrongData},
		{"DER trailing byte", cat(der, []byte{0}), iso7816.SWWrongData},
		{"DER indefinite length", cat([]byte{0x30, 0x80}, derInner, []byte{0, 0}), iso7816.SWWrongData},
		{"DER long-form length not minimal", cat([]byte{0x30, 0x82, 0x00, der[2]}, derInner), iso7816.SWWrongData},
		{"DER C3 and C2 swapped", tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x04, c2), tlv(0x04, c3)), iso7816.SWWrongData},
		{"DER C3 of 31 bytes", derOf(x, y, c3[:31], c2), iso7816.SWWrongData},
		{"DER C3 of 33 bytes", derOf(x, y, cat(c3, []byte{0}), c2), iso7816.SWWrongData},
		{"DER C2 empty", derOf(x, y, c3, nil), iso7816.SWWrongData},
		{"DER an element more", tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2), tlv(0x05)), iso7816.SWWrongData},
		{"DER an element less", tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x04, cat(c3, c2))), iso7816.SWWrongData},
		{"DER x negative", tlv(0x30, tlv(0x02, neg), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2)), iso7816.SWWrongData},
		{"DER x not minimal", tlv(0x30, tlv(0x02, cat([]byte{0, 0}, x)), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2)), iso7816.SWWrongData},
		{"DER x + p", derOf(xPlusP, y, c3, c2), iso7816.SWWrongData},
		{"DER x as OCTET STRING", tlv(0x30, tlv(0x04, x), tlv(0x02, derInt(y)), tlv(0x04, c3), tlv(0x04, c2)), iso7816.SWWrongData},
		{"DER C3 as BIT STRING", tlv(0x30, tlv(0x02, derInt(x)), tlv(0x02, derInt(y)), tlv(0x03, c3), tlv(0x04, c2)), iso7816.SWWrongData},
		{"DER SET", cat([]byte{0x31}, der[1:]), iso7816.SWWrongData},
		{"DER of the point at infinity", derOf(nil, nil, c3, c2), iso7816.SWWrongData},
		{"DER 45 bytes", derOf([]byte{1}, []byte{2}, c3, []byte{3}), iso7816.SWWrongData},
		{"DER nested", tlv(0x30, der), iso7816.SWWrongData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCard(t, nil)
			c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
			c.refused(tc.ct, tc.want)
			// The card is unharmed: the genuine ciphertexts still decipher.
			for _, ct := range [][]byte{plain, der} {
				if r := c.sw(decipherCmd(ct), iso7816.SWOK); !bytes.Equal(r.Data, msg) {
					t.Errorf("after the refusal, deciphered %X", r.Data)
				}
			}
		})
	}

	t.Run("parameters and class", func(t *testing.T) {
		c := newCard(t, nil)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		for _, tc := range []struct {
			name string
			cmd  iso7816.Command
			want iso7816.Status
		}{
			{"P1-P2 80 84", iso7816.Command{INS: pki.INSPSO, P1: 0x80, P2: 0x84, Data: plain, Ne: 256}, iso7816.SWWrongP1P2},
			{"P1-P2 86 80", iso7816.Command{INS: pki.INSPSO, P1: 0x86, P2: 0x80, Data: plain, Ne: 256}, iso7816.SWWrongP1P2},
			{"CLA 04", iso7816.Command{CLA: 0x04, INS: pki.INSPSO, P1: 0x80, P2: 0x86, Data: plain, Ne: 256}, iso7816.SWSMNotSupported},
			{"extended on a short-APDU card", iso7816.Command{INS: pki.INSPSO, P1: 0x80, P2: 0x86, Data: plain, Ne: 256, Extended: true}, iso7816.SWWrongLength},
		} {
			if r := c.sw(tc.cmd, tc.want); len(r.Data) != 0 {
				t.Errorf("%s: data %X", tc.name, r.Data)
			}
		}
	})
	t.Run("empty key slot", func(t *testing.T) {
		c := newCard(t, func(m map[string]any) { m["encryption"] = map[string]any{} })
		c.refused(plain, iso7816.SWSecurityNotSatisfied)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		c.refused(plain, iso7816.SWRefDataNotFound)
		c.refused(plain[:97], iso7816.SWWrongLength)
	})
	t.Run("precedence", func(t *testing.T) {
		// Length before the PIN, the PIN before the key and the data.
		c := newCard(t, nil)
		c.refused(plain[:97], iso7816.SWWrongLength)
		c.refused(flip(plain, 80), iso7816.SWSecurityNotSatisfied)
		c.refused(cat([]byte{0x05}, plain[1:]), iso7816.SWSecurityNotSatisfied)
	})
}

// TestDecipherExtended: a card that takes extended APDUs deciphers a
// ciphertext longer than a short APDU carries, and answers a plaintext
// longer than 256 bytes.
func TestDecipherExtended(t *testing.T) {
	c := newCardOf(t, func(m map[string]any) { m["extendedLength"] = true })
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	pub := &mustKey(t, encKP).PublicKey
	for _, f := range forms {
		for _, n := range []int{200, 1000, 4000} {
			m := make([]byte, n)
			rand.Read(m)
			ct := encrypt(t, pub, m, f.der)
			cmd := iso7816.Command{INS: pki.INSPSO, P1: 0x80, P2: 0x86, Data: ct, Ne: iso7816.MaxExtendedNe}
			if r := c.sw(cmd, iso7816.SWOK); !bytes.Equal(r.Data, m) {
				t.Errorf("%s, %d bytes: deciphered %d bytes", f.name, n, len(r.Data))
			}
			bad := flip(ct, len(ct)-1)
			c.refused(bad, iso7816.SWWrongData)
			if r := c.sw(iso7816.Command{INS: pki.INSPSO, P1: 0x80, P2: 0x86, Data: bad, Ne: iso7816.MaxExtendedNe}, iso7816.SWWrongData); len(r.Data) != 0 {
				t.Errorf("%s: data for a wrong ciphertext", f.name)
			}
		}
	}
}
