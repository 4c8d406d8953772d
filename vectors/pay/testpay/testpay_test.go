package testpay_test

import (
	"bytes"
	"testing"

	"github.com/sscard/sscard/vectors"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// TestGenerateReproducesVectors: from the stored keys, the generator makes
// exactly the stored capk.json and manifest.json.
func TestGenerateReproducesVectors(t *testing.T) {
	files, err := testpay.Generate(func(name string) ([]byte, bool) {
		b, err := vectors.Pay(name)
		return b, err == nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		stored, err := vectors.Pay(f.Name)
		if err != nil {
			t.Errorf("%s: generated but not stored: %v", f.Name, err)
			continue
		}
		if !bytes.Equal(stored, f.Data) {
			t.Errorf("%s: stored file differs from the generated one; run go generate ./vectors/pay/testpay", f.Name)
		}
	}
}

func TestKeysLoad(t *testing.T) {
	for _, k := range testpay.Keys {
		switch k.Algorithm {
		case "rsa":
			key, err := testpay.RSAKey(k.Name)
			if err != nil {
				t.Fatal(err)
			}
			if key.N.BitLen() != k.Bits || key.E != 65537 {
				t.Errorf("%s: %d bits, exponent %d", k.Name, key.N.BitLen(), key.E)
			}
		case "sm2":
			if _, err := testpay.SM2Key(k.Name); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := testpay.RSAKey("no-such-key"); err == nil {
		t.Error("a missing key loaded")
	}
	if _, err := testpay.RSAKey(testpay.CASM2); err == nil {
		t.Error("an SM2 key loaded as RSA")
	}
}

func TestCAPublicKeysMatchTheKeys(t *testing.T) {
	caps, err := testpay.CAPublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 2 {
		t.Fatalf("%d CA public keys", len(caps))
	}
	rsaCA, _ := testpay.RSAKey(testpay.CARSA)
	c, err := testpay.FindCAPK("F1")
	if err != nil || !bytes.Equal(testpay.Bytes(c.Modulus), rsaCA.N.Bytes()) || c.RID != testpay.RID {
		t.Fatalf("F1: %+v %v", c, err)
	}
	smCA, _ := testpay.SM2Key(testpay.CASM2)
	c, err = testpay.FindCAPK("F2")
	if err != nil || !bytes.Equal(testpay.Bytes(c.Point)[:32], smCA.X.FillBytes(make([]byte, 32))) {
		t.Fatalf("F2: %+v %v", c, err)
	}
	if _, err := testpay.FindCAPK("00"); err == nil {
		t.Fatal("index 00 found")
	}
}

func TestVectorsHaveSources(t *testing.T) {
	v, err := testpay.Vectors()
	if err != nil {
		t.Fatal(err)
	}
	if v.Source == "" || len(v.CardKeys) == 0 || len(v.Cryptograms) == 0 || len(v.PINChanges) == 0 {
		t.Fatalf("vectors incomplete: %+v", v)
	}
	for _, c := range v.CardKeys {
		if c.Source == "" {
			t.Errorf("card key vector without a source: %+v", c)
		}
	}
}

// TestRSAKeysRegenerate: GenerateRSA makes the stored RSA keys again from
// their seed texts.
func TestRSAKeysRegenerate(t *testing.T) {
	for _, k := range testpay.Keys {
		if k.Algorithm != "rsa" || testing.Short() && k.Bits > 1024 {
			continue
		}
		stored, err := testpay.RSAKey(k.Name)
		if err != nil {
			t.Fatal(err)
		}
		again, err := testpay.GenerateRSA(testpay.SeedText(k.Name), k.Bits)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Equal(stored) {
			t.Errorf("%s: GenerateRSA makes another key than the stored one", k.Name)
		}
	}
}
