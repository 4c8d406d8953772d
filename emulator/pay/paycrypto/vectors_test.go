package paycrypto_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

var b = testpay.Bytes

func vecs(t *testing.T) *testpay.EMVVectors {
	t.Helper()
	v, err := testpay.Vectors()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// kcv is the key check value: 3DES(key)[00..00], leftmost n bytes.
func kcv(t *testing.T, key []byte, n int) string {
	t.Helper()
	out, err := cardcrypto.EncryptECB(cardcrypto.Alg3DES, key, make([]byte, 8))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(out[:n]))
}

func checkKey(t *testing.T, what string, key []byte, full, check string) {
	t.Helper()
	switch {
	case full != "" && !bytes.Equal(key, b(full)):
		t.Errorf("%s = %X, want %s", what, key, full)
	case check != "" && kcv(t, key, len(check)/2) != check:
		t.Errorf("%s kcv = %s, want %s", what, kcv(t, key, len(check)/2), check)
	}
}

func mk(t *testing.T, imk, pan, psn string) []byte {
	t.Helper()
	k, err := paycrypto.CardKey(paycrypto.DES, b(imk), pan, psn)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sk(t *testing.T, key []byte, r string) []byte {
	t.Helper()
	k, err := paycrypto.SessionKey(paycrypto.DES, key, b(r))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestPublicCardKeys(t *testing.T) {
	for _, v := range vecs(t).CardKeys {
		checkKey(t, v.Source, mk(t, v.IMK, v.PAN, v.PSN), v.MK, v.KCV)
	}
}

func TestPublicSessionKeys(t *testing.T) {
	for _, v := range vecs(t).SessionKeys {
		checkKey(t, v.Source, sk(t, b(v.MK), v.R), v.SK, "")
	}
}

func TestPublicCryptograms(t *testing.T) {
	for _, v := range vecs(t).Cryptograms {
		m := mk(t, v.IMK, v.PAN, v.PSN)
		s := sk(t, m, v.R)
		checkKey(t, v.Source+" session key", s, "", v.SKKcv)
		ac, err := paycrypto.MAC(paycrypto.DES, s, b(v.Data))
		if err != nil || !bytes.Equal(ac, b(v.AC)) {
			t.Errorf("%s: AC %X (%v), want %s", v.Source, ac, err, v.AC)
		}
		key := s
		if v.ARPCKey == "mk" {
			key = m
		}
		arpc, err := paycrypto.ARPC(paycrypto.DES, key, ac, b(v.ARC))
		if err != nil || !bytes.Equal(arpc, b(v.ARPC)) {
			t.Errorf("%s: ARPC %X (%v), want %s", v.Source, arpc, err, v.ARPC)
		}
	}
}

func TestPublicScriptMACs(t *testing.T) {
	for _, v := range vecs(t).ScriptMACs {
		s := sk(t, mk(t, v.IMK, v.PAN, v.PSN), v.R)
		checkKey(t, v.Source+" session key", s, "", v.SKKcv)
		m, err := paycrypto.MAC(paycrypto.DES, s, b(v.Data))
		if err != nil || !bytes.Equal(m, b(v.MAC)) {
			t.Errorf("%s: MAC %X (%v), want %s", v.Source, m, err, v.MAC)
		}
	}
}

func TestPublicPINChanges(t *testing.T) {
	for _, v := range vecs(t).PINChanges {
		enc := sk(t, mk(t, v.IMKEnc, v.PAN, v.PSN), v.R)
		mac := sk(t, mk(t, v.IMKMac, v.PAN, v.PSN), v.R)
		checkKey(t, v.Source+" enc key", enc, "", v.SKEncKcv)
		checkKey(t, v.Source+" mac key", mac, "", v.SKMacKcv)
		blk, err := paycrypto.MakePINBlock(v.PIN)
		if err != nil || !bytes.Equal(blk[:], b(v.PINBlock)) {
			t.Errorf("%s: PIN block %X (%v), want %s", v.Source, blk, err, v.PINBlock)
		}
		ct, err := paycrypto.EncipherPIN(paycrypto.DES, enc, v.PIN)
		if err != nil || !bytes.Equal(ct, b(v.Enciphered)) {
			t.Errorf("%s: enciphered %X (%v), want %s", v.Source, ct, err, v.Enciphered)
		}
		if pin, ok := paycrypto.DecipherPIN(paycrypto.DES, enc, ct); !ok || pin != v.PIN {
			t.Errorf("%s: deciphered %q %v", v.Source, pin, ok)
		}
		m, err := paycrypto.MAC(paycrypto.DES, mac, append(b(v.Header), ct...))
		if err != nil || !bytes.Equal(m, b(v.MAC)) {
			t.Errorf("%s: MAC %X (%v), want %s", v.Source, m, err, v.MAC)
		}
	}
}
