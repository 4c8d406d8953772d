package pki_test

import (
	"bytes"
	"crypto/ecdsa"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/emulator/profile"
)

// TestPINKeyVector pins the user PIN key of CARD.md §4: the first 16 bytes
// of SM3 over the BCD PIN 12 34 56 (public code's vector; SM3 is GB/T
// 32905-2016, whose own example, SM3("abc") = 66C7F0F4..., gmsm's tests
// carry and this test repeats).
func TestPINKeyVector(t *testing.T) {
	k := cardcrypto.PKIPINKey("123456")
	if got, want := k[:], cardtest.Hex("3DE741F445DD357BEA4E6C3FE6437036"); !bytes.Equal(got, want) {
		t.Errorf("PIN key %X, want %X", got, want)
	}
	abc := sm3.Sum([]byte("abc"))
	if want := cardtest.Hex("66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0"); !bytes.Equal(abc[:], want) {
		t.Errorf("SM3(abc) = %X", abc)
	}
}

func TestSelect(t *testing.T) {
	c := newCard(t, nil)
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x03, P2: 0x0C}, iso7816.SWOK) // back to the PKI DF
	r := c.sw(iso7816.Command{INS: 0xA4, P1: 0x01, Data: []byte{0xDF, 0x01}}, iso7816.SWOK)
	if v, ok := iso7816.Find(r.Data, 0x6F, 0x84); !ok || string(v) != "SS.CERT.ADF1" {
		t.Errorf("FCI of DF01: %X", r.Data)
	}
	c.sw(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{0x00, 0x12}}, iso7816.SWOK)
}

func TestReadFiles(t *testing.T) {
	c := newCard(t, nil)
	for _, tc := range []struct {
		fid uint16
		key string
	}{{pki.FIDSignPublic, signKP}, {pki.FIDEncPublic, encKP}} {
		r := c.sw(iso7816.Command{INS: 0xB0, P1: 0x80 | byte(tc.fid), Ne: 0x42}, iso7816.SWOK)
		want := append([]byte{0x01, 0x00}, xy(mustKey(t, tc.key))...)
		if !bytes.Equal(r.Data, want) {
			t.Errorf("%04X: %X, want %X", tc.fid, r.Data, want)
		}
	}
	for _, tc := range []struct {
		fid  uint16
		cert string
	}{{pki.FIDSignCert, signKP}, {pki.FIDEncCert, encKP}} {
		if err := checkPadded(c.certificate(tc.fid), mustCertDER(t, tc.cert)); err != nil {
			t.Errorf("%04X: %v", tc.fid, err)
		}
	}
}

// TestPrivateKeyNeverLeaves sends every instruction, in every class, with
// parameters and data that name the private key files, before and after
// both PINs are verified and external authentication is done, and checks
// that no response carries any 8 bytes of either private key.
func TestPrivateKeyNeverLeaves(t *testing.T) {
	c := newCard(t, nil)
	secrets := [][]byte{mustKey(t, signKP).D.FillBytes(make([]byte, 32)), mustKey(t, encKP).D.FillBytes(make([]byte, 32))}
	check := func(cmd, resp []byte) {
		for _, s := range secrets {
			for i := 0; i+8 <= len(s); i++ {
				if bytes.Contains(resp, s[i:i+8]) {
					t.Fatalf("%X answered %X: private key bytes", cmd, resp)
				}
			}
		}
	}
	// A ciphertext for PSO DECIPHER (00 2A 80 86), a MAC-sized body for
	// RESET RETRY COUNTER (84 2C 03 81).
	ct := encrypt(t, &mustKey(t, encKP).PublicKey, []byte("not a key"), false)
	sweep := func(verified bool) {
		for _, cla := range []byte{0x00, 0x80, 0x84, 0x04} {
			for ins := 0; ins < 256; ins++ {
				for _, p := range [][2]byte{{0, 0}, {0x93, 0}, {0x95, 0}, {0, 0x13}, {0, 0x15}, {0x82, 0}, {0x9E, 0x9A}, {0x01, 0x81}, {0x80, 0x86}, {0x03, 0x81}, {0x02, 0x81}} {
					for _, body := range [][]byte{nil, {0x00, 0x13}, {0x00, 0x15}, {0xC0, 0x02, 0x00, 0x13}, {0xC2, 0x02, 0x00, 0x13}, {0xC2, 0x02, 0x00, 0x15}, {0, 0, 0, 0}, ct} {
						cmd := []byte{cla, byte(ins), p[0], p[1]}
						if body != nil {
							cmd = append(cmd, byte(len(body)))
							cmd = append(cmd, body...)
						}
						cmd = append(cmd, 0x00)
						if ins == 0x70 || ins == 0xA4 && !bytes.Equal(body, []byte{0x00, 0x13}) && !bytes.Equal(body, []byte{0x00, 0x15}) {
							continue // channels and other selections are covered below
						}
						r, err := c.Transmit(cmd)
						if err != nil {
							t.Fatal(err)
						}
						check(cmd, r)
						if len(r) == 2 && r[0] == 0x61 {
							r, _ = c.Transmit([]byte{cla & 3, 0xC0, 0, 0, r[1]})
							check(cmd, r)
						}
						c.selectADF()
						if verified { // selecting the application again ends the verifications
							c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
							c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
						}
					}
				}
			}
		}
	}
	sweep(false)
	sweep(true)
	// Selected, by every path, the private key files stay closed.
	for _, fid := range []uint16{pki.FIDSignPrivate, pki.FIDEncPrivate} {
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		c.sw(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}}, iso7816.SWOK)
		c.sw(iso7816.Command{INS: 0xB0, Ne: 32}, iso7816.SWSecurityNotSatisfied)
		c.sw(iso7816.Command{INS: 0xB0, P1: 0x80 | byte(fid), Ne: 32}, iso7816.SWSecurityNotSatisfied)
		c.sw(iso7816.Command{INS: 0xB2, P1: 1, P2: 4, Ne: 32}, iso7816.SWCommandIncompatible)
		r := c.do(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x04, Data: []byte{byte(fid >> 8), byte(fid)}, Ne: 256})
		check(nil, r.Data)
		c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSExportPublicKey, P1: pki.P1Export, Data: []byte{0xC0, 0x02, byte(fid >> 8), byte(fid)}, Ne: 64}, iso7816.SWWrongData)
		c.sw(iso7816.Command{INS: 0xD6, P1: 0x80 | byte(fid), Data: make([]byte, 32)}, iso7816.SWSecurityNotSatisfied)
	}
	// A logical channel opened on the ADF gets no further.
	r := c.sw(iso7816.Command{INS: 0x70, Ne: 1}, iso7816.SWOK)
	ch := r.Data[0]
	c.sw(iso7816.Command{CLA: ch, INS: 0xA4, P1: 0x04, Data: pkiAID}, iso7816.SWOK)
	c.sw(iso7816.Command{CLA: ch, INS: 0xA4, P1: 0x04, Data: adfName}, iso7816.SWOK)
	c.sw(iso7816.Command{CLA: ch, INS: 0xB0, P1: 0x80 | byte(pki.FIDSignPrivate), Ne: 32}, iso7816.SWSecurityNotSatisfied)
}

func TestUserPIN(t *testing.T) {
	c := newCard(t, nil)
	pin := c.userPIN()
	status := iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser}
	c.sw(status, 0x63C3)
	c.verify(pki.PINUser, "000000", 0x63C2)
	c.sw(status, 0x63C2)
	c.verify(pki.PINUser, pin, iso7816.SWOK)
	c.sw(status, iso7816.SWOK)
	c.sw(status, iso7816.SWOK)

	t.Run("challenge serves once", func(t *testing.T) {
		c := newCard(t, nil)
		cmd := c.verifyCmd(pki.PINUser, pin)
		c.sw(cmd, iso7816.SWOK)
		c.sw(cmd, iso7816.SWRefDataNotUsable) // replayed: the challenge served once
		c.sw(status, iso7816.SWOK)
		c.Reset() // forgets the challenge
		c.selectADF()
		c.sw(c.verifyCmd(pki.PINUser, "000000"), 0x63C2)
		c.Reset()
		c.selectADF()
		c.sw(cmd, iso7816.SWRefDataNotUsable)
		c.sw(status, 0x63C2)
	})
	t.Run("malformed", func(t *testing.T) {
		c := newCard(t, nil)
		for _, tc := range []struct {
			cmd  iso7816.Command
			want iso7816.Status
		}{
			{iso7816.Command{INS: pki.INSVerify, P1: 0x00, P2: pki.PINUser, Data: make([]byte, 16)}, iso7816.SWWrongP1P2},
			{iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: 0x82, Data: make([]byte, 16)}, iso7816.SWRefDataNotFound},
			{iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser, Data: make([]byte, 15)}, iso7816.SWWrongLength},
			{iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser, Data: make([]byte, 17)}, iso7816.SWWrongLength},
			{iso7816.Command{CLA: 0x04, INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser, Data: make([]byte, 16)}, iso7816.SWSMNotSupported},
		} {
			c.challenge(16)
			c.sw(tc.cmd, tc.want)
		}
		c.sw(status, 0x63C3) // none of them cost a try
	})
	t.Run("blocking", func(t *testing.T) {
		c := newCard(t, nil)
		c.verify(pki.PINUser, "654321", 0x63C2)
		c.verify(pki.PINUser, "654321", 0x63C1)
		c.verify(pki.PINUser, "654321", 0x63C0)
		c.verify(pki.PINUser, pin, iso7816.SWAuthBlocked)
		c.sw(status, iso7816.SWAuthBlocked)
		c.Reset()
		c.selectADF()
		c.verify(pki.PINUser, pin, iso7816.SWAuthBlocked)
	})
	t.Run("challenge lengths", func(t *testing.T) {
		c := newCard(t, nil)
		for _, n := range []int{4, 8, 16} {
			k := cardcrypto.PKIPINKey(pin)
			cr, _ := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, k[:], c.challenge(n))
			c.sw(iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser, Data: cr}, iso7816.SWOK)
		}
	})
	t.Run("state lost on reset and leaving", func(t *testing.T) {
		c := newCard(t, nil)
		c.verify(pki.PINUser, pin, iso7816.SWOK)
		c.sw(iso7816.Command{INS: 0xA4, P1: 0x03, P2: 0x0C}, iso7816.SWOK)
		c.sw(iso7816.Command{INS: 0xA4, P1: 0x04, Data: adfName}, iso7816.SWOK)
		c.sw(status, 0x63C3)
		c.verify(pki.PINUser, pin, iso7816.SWOK)
		c.Reset()
		c.selectADF()
		c.sw(signCmd(make([]byte, 32)), iso7816.SWSecurityNotSatisfied)
	})
}

func TestChangePIN(t *testing.T) {
	for _, ref := range []byte{pki.PINAdmin, pki.PINUser} {
		c := newCard(t, nil)
		old := c.adminPIN()
		if ref == pki.PINUser {
			old = c.userPIN()
		}
		status := iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: ref}
		c.sw(c.changeCmd(ref, old, "24681357"), iso7816.SWOK)
		c.verify(ref, old, 0x63C2)
		c.verify(ref, "24681357", iso7816.SWOK)

		// A wrong MAC proves nothing and costs a try.
		bad := c.changeCmd(ref, "24681357", "11112222")
		bad.Data[len(bad.Data)-1] ^= 1
		c.sw(bad, 0x63C2)
		c.verify(ref, "24681357", iso7816.SWOK)
		// A wrong old PIN is a wrong MAC.
		c.sw(c.changeCmd(ref, "99999999", "11112222"), 0x63C2)
		c.sw(status, 0x63C2)
		// Plain class, no challenge, wrong lengths: refused for free.
		plain := c.changeCmd(ref, "24681357", "11112222")
		plain.CLA = 0x80
		c.sw(plain, iso7816.SWSecurityNotSatisfied)
		noChal := c.changeCmd(ref, "24681357", "11112222")
		c.Reset() // forgets the challenge
		c.selectADF()
		c.sw(noChal, iso7816.SWSMDataIncorrect)
		short := c.changeCmd(ref, "24681357", "11112222")
		short.Data = short.Data[:19]
		c.sw(short, iso7816.SWWrongLength)
		c.sw(status, 0x63C2)
		c.verify(ref, "24681357", iso7816.SWOK)
	}
}

// TestPINsSurviveImage: the PIN keys and try counters are card state, kept
// in the card image.
func TestPINsSurviveImage(t *testing.T) {
	c := newCard(t, nil)
	c.sw(c.changeCmd(pki.PINAdmin, c.adminPIN(), "20252025"), iso7816.SWOK)
	c.verify(pki.PINUser, "111111", 0x63C2)
	c2, err := emulator.FromImage(c.Image(), emulator.WithSeed(9))
	if err != nil {
		t.Fatal(err)
	}
	k := &card{t: t, Card: c2, p: c.p}
	k.selectADF()
	k.sw(iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser}, 0x63C2)
	k.verify(pki.PINAdmin, "20252025", iso7816.SWOK)
}

func TestSign(t *testing.T) {
	c := newCard(t, nil)
	e := sm3.Sum([]byte("to be signed"))
	c.sw(signCmd(e[:]), iso7816.SWSecurityNotSatisfied)
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	c.sw(signCmd(e[:31]), iso7816.SWWrongLength)
	c.sw(signCmd(append(e[:], 0)), iso7816.SWWrongLength)
	c.sw(iso7816.Command{INS: pki.INSPSO, P1: 0x9E, P2: 0x9B, Data: e[:]}, iso7816.SWWrongP1P2)
	r := c.sw(signCmd(e[:]), iso7816.SWOK)
	if len(r.Data) != pki.SignatureSize {
		t.Fatalf("signature of %d bytes", len(r.Data))
	}
	der, err := pki.DERSignature(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	pub := &mustKey(t, signKP).PublicKey
	if !sm2.VerifyASN1(pub, e[:], der) {
		t.Error("the card's signature does not verify with its certificate's key")
	}
	// Over T=0 without Le: 61 40 and GET RESPONSE.
	raw, _ := c.Transmit(append([]byte{0x00, 0x2A, 0x9E, 0x9A, 0x20}, e[:]...))
	if !bytes.Equal(raw, []byte{0x61, 0x40}) {
		t.Errorf("PSO without Le answered %X, want 6140", raw)
	}

	// A card with a fixed seed signs reproducibly.
	sig := func() []byte {
		c := newCard(t, nil)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
		return c.sw(signCmd(e[:]), iso7816.SWOK).Data
	}
	if a, b := sig(), sig(); !bytes.Equal(a, b) {
		t.Errorf("two cards with one seed signed differently:\n%X\n%X", a, b)
	}
}

// queue is a random source that yields the queued bytes first.
type queue struct{ b []byte }

func (q *queue) Read(p []byte) (int, error) {
	n := copy(p, q.b)
	q.b = q.b[n:]
	for i := n; i < len(p); i++ {
		p[i] = byte(i)
	}
	return len(p), nil
}

// TestSignPublishedVector runs the published SM2 signature example on the
// recommended curve through the card: private key d = 3945208F..., message
// "message digest", user ID 1234567812345678, nonce k = 59276E27...,
// r = F5A03B06..., s = B1B6AA29... (GM/T 0003.5-2012 and GB/T 32918.5-2017,
// the example on the SM2 recommended parameters; Z_A = B2E14C5C...). The key
// goes in by IMPORT KEY PAIR, the nonce is the card's next random bytes, and
// the card's r‖s must be the published one, in both sign inputs.
func TestSignPublishedVector(t *testing.T) {
	d := cardtest.Hex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
	k := cardtest.Hex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21")
	want := cardtest.Hex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3" +
		"B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")
	wantZ := cardtest.Hex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
	msg := []byte("message digest")
	for _, input := range []string{"digest", "message"} {
		t.Run(input, func(t *testing.T) {
			q := &queue{}
			c := newCard(t, func(m map[string]any) { m["signInput"] = input }, emulator.WithRand(q))
			c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
			c.importKey(d, pki.FIDSignPublic, pki.FIDSignPrivate, iso7816.SWOK)
			priv, err := sm2.NewPrivateKey(d)
			if err != nil {
				t.Fatal(err)
			}
			z, err := sm2.CalculateZA(&priv.PublicKey, []byte("1234567812345678"))
			if err != nil || !bytes.Equal(z, wantZ) {
				t.Fatalf("Z_A = %X (%v)", z, err)
			}
			data := msg
			if input == "digest" {
				e := sm3.Sum(append(z, msg...))
				data = e[:]
			}
			c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
			q.b = append([]byte(nil), k...)
			r := c.sw(signCmd(data), iso7816.SWOK)
			if !bytes.Equal(r.Data, want) {
				t.Errorf("r‖s = %X\nwant    %X", r.Data, want)
			}
		})
	}
}

// importKey imports private key d into a pair with IMPORT KEY PAIR.
func (c *card) importKey(d []byte, pub, priv uint16, want iso7816.Status) {
	c.t.Helper()
	ik, err := pki.CardKey(c.p, c.p.PKI.KeyImportKey)
	if err != nil {
		c.t.Fatal(err)
	}
	enc, err := cardcrypto.EncryptECB(cardcrypto.AlgSM4, ik, d)
	if err != nil {
		c.t.Fatal(err)
	}
	data := []byte{0xC0, 2, byte(pub >> 8), byte(pub), 0xC2, 2, byte(priv >> 8), byte(priv)}
	c.sw(iso7816.Command{CLA: 0x80, INS: pki.INSImportKeyPair, Data: append(data, enc...)}, want)
}

func TestRawSignatureHostile(t *testing.T) {
	ok, _ := pki.DERSignature(append(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)...))
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"truncated", ok[:len(ok)-1]},
		{"trailing", append(append([]byte(nil), ok...), 0)},
		{"negative r", cardtest.Hex("3006020180020101")},
		{"zero s", cardtest.Hex("3006020101020100")},
		{"r too long", append(cardtest.Hex("3026022101"), append(bytes.Repeat([]byte{1}, 32), cardtest.Hex("020101")...)...)},
		{"not a sequence", cardtest.Hex("0406020101020101")},
	} {
		if _, err := pki.RawSignature(tc.der); err == nil {
			t.Errorf("%s: RawSignature(%X) accepted", tc.name, tc.der)
		}
	}
	for _, rs := range [][]byte{nil, make([]byte, 63), make([]byte, 65), make([]byte, 64)} {
		if _, err := pki.DERSignature(rs); err == nil {
			t.Errorf("DERSignature(%X) accepted", rs)
		}
	}
	back, err := pki.RawSignature(ok)
	if err != nil || !bytes.Equal(back[:32], bytes.Repeat([]byte{1}, 32)) {
		t.Errorf("round trip: %X %v", back, err)
	}
}

var _ = ecdsa.PublicKey{}
var _ = profile.KindCard
