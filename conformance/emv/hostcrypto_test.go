package emv

import (
	"bytes"
	"crypto/des"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// kcv is the key check value: 3DES(key)[00..00], leftmost n bytes.
func kcv(t *testing.T, key []byte, n int) string {
	t.Helper()
	k := append(append([]byte(nil), key...), key[:8]...)
	b, err := des.NewTripleDESCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8)
	b.Encrypt(out, make([]byte, 8))
	return fmt.Sprintf("%X", out[:n])
}

// TestHostCryptoEMVVectors pins the issuer host's DES path to the public
// EMV Book 2 Annex A vectors of vectors/pay/emv-vectors.json.
func TestHostCryptoEMVVectors(t *testing.T) {
	v, err := testpay.Vectors()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.CardKeys {
		mk, err := CardMasterKey(AlgDES, testpay.Bytes(c.IMK), c.PAN, c.PSN)
		if err != nil {
			t.Fatal(err)
		}
		if c.MK != "" && fmt.Sprintf("%X", mk) != c.MK {
			t.Errorf("%s: MK %X, want %s", c.Source, mk, c.MK)
		}
		if c.KCV != "" && kcv(t, mk, len(c.KCV)/2) != c.KCV {
			t.Errorf("%s: MK KCV %s, want %s", c.Source, kcv(t, mk, len(c.KCV)/2), c.KCV)
		}
	}
	for _, c := range v.SessionKeys {
		sk, err := SessionKey(AlgDES, testpay.Bytes(c.MK), testpay.Bytes(c.R))
		if err != nil || fmt.Sprintf("%X", sk) != c.SK {
			t.Errorf("%s: SK %X %v, want %s", c.Source, sk, err, c.SK)
		}
	}
	for _, c := range v.Cryptograms {
		mk, err := CardMasterKey(AlgDES, testpay.Bytes(c.IMK), c.PAN, c.PSN)
		if err != nil {
			t.Fatal(err)
		}
		sk, err := SessionKey(AlgDES, mk, testpay.Bytes(c.R))
		if err != nil {
			t.Fatal(err)
		}
		if got := kcv(t, sk, len(c.SKKcv)/2); got != c.SKKcv {
			t.Errorf("%s: SK KCV %s, want %s", c.Source, got, c.SKKcv)
		}
		ac, err := ACMAC(AlgDES, sk, testpay.Bytes(c.Data))
		if err != nil || fmt.Sprintf("%X", ac) != c.AC {
			t.Errorf("%s: AC %X %v, want %s", c.Source, ac, err, c.AC)
		}
		key := sk
		if c.ARPCKey == "mk" {
			key = mk
		}
		arpc, err := ARPCMethod1(AlgDES, key, testpay.Bytes(c.AC), testpay.Bytes(c.ARC))
		if err != nil || fmt.Sprintf("%X", arpc) != c.ARPC {
			t.Errorf("%s: ARPC %X %v, want %s", c.Source, arpc, err, c.ARPC)
		}
	}
	for _, c := range v.ScriptMACs {
		mk, err := CardMasterKey(AlgDES, testpay.Bytes(c.IMK), c.PAN, c.PSN)
		if err != nil {
			t.Fatal(err)
		}
		sk, err := SessionKey(AlgDES, mk, testpay.Bytes(c.R))
		if err != nil {
			t.Fatal(err)
		}
		if got := kcv(t, sk, len(c.SKKcv)/2); got != c.SKKcv {
			t.Errorf("%s: SK KCV %s, want %s", c.Source, got, c.SKKcv)
		}
		mac, err := ACMAC(AlgDES, sk, testpay.Bytes(c.Data))
		if err != nil || !strings.HasPrefix(c.MAC, fmt.Sprintf("%X", mac)) && fmt.Sprintf("%X", mac) != c.MAC {
			t.Errorf("%s: MAC %X %v, want %s", c.Source, mac, err, c.MAC)
		}
	}
}

// TestHostCryptoAgreesWithCardSide cross-checks both paths against the
// card side's implementation on random inputs: the SM path has no public
// vectors, so agreement with an implementation written apart is what
// pins it.
func TestHostCryptoAgreesWithCardSide(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for i := 0; i < 50; i++ {
		for _, a := range []struct {
			mine   Alg
			theirs paycrypto.Alg
		}{{AlgDES, paycrypto.DES}, {AlgSM4, paycrypto.SM4}} {
			imk := randBytes(16)
			pan := fmt.Sprintf("62%014d", r.Uint64()%1e14)
			psn := fmt.Sprintf("%02d", r.IntN(100))
			mk, err := CardMasterKey(a.mine, imk, pan, psn)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := paycrypto.CardKey(a.theirs, imk, pan, psn)
			if err != nil || !bytes.Equal(mk, theirs) {
				t.Fatalf("%s card key %X, card side %X %v", a.mine, mk, theirs, err)
			}
			atc := uint16(r.Uint32())
			sk, err := SessionKey(a.mine, mk, []byte{byte(atc >> 8), byte(atc), 0, 0, 0, 0, 0, 0})
			if err != nil {
				t.Fatal(err)
			}
			theirSK, err := paycrypto.ACSessionKey(a.theirs, mk, atc)
			if err != nil || !bytes.Equal(sk, theirSK) {
				t.Fatalf("%s session key %X, card side %X", a.mine, sk, theirSK)
			}
			data := randBytes(r.IntN(80))
			ac, _ := ACMAC(a.mine, sk, data)
			theirAC, _ := paycrypto.MAC(a.theirs, sk, data)
			if !bytes.Equal(ac, theirAC) {
				t.Fatalf("%s MAC %X, card side %X", a.mine, ac, theirAC)
			}
			arc := randBytes(2)
			arpc, _ := ARPCMethod1(a.mine, sk, ac, arc)
			theirARPC, _ := paycrypto.ARPC(a.theirs, sk, ac, arc)
			if !bytes.Equal(arpc, theirARPC) {
				t.Fatalf("%s ARPC %X, card side %X", a.mine, arpc, theirARPC)
			}
			scriptSK, _ := SessionKey(a.mine, mk, ac)
			theirScriptSK, _ := paycrypto.ScriptSessionKey(a.theirs, mk, ac)
			if !bytes.Equal(scriptSK, theirScriptSK) {
				t.Fatalf("%s script key %X, card side %X", a.mine, scriptSK, theirScriptSK)
			}
		}
	}
	if _, err := CardMasterKey(AlgDES, make([]byte, 16), "62A4", "01"); err == nil {
		t.Error("a PAN with a letter was accepted")
	}
	if _, err := SessionKey(AlgDES, make([]byte, 15), make([]byte, 8)); err == nil {
		t.Error("a 15-byte key was accepted")
	}
	if _, err := ARPCMethod1(AlgSM4, make([]byte, 16), make([]byte, 7), []byte("00")); err == nil {
		t.Error("a 7-byte ARQC was accepted")
	}
}
