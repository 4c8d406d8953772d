package emv

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"
)

// The EMV Book 2 structures of these tests are built here, field by field,
// from the tables of Book 2 (not by the card's code), and signed with the
// raw RSA private operation.

func rsaRaw(k *rsa.PrivateKey, m []byte) []byte {
	return new(big.Int).Exp(new(big.Int).SetBytes(m), k.D, k.N).FillBytes(make([]byte, k.Size()))
}

// book2 formats 6A ‖ body ‖ SHA-1(body ‖ extra) ‖ BC and signs it.
func book2(k *rsa.PrivateKey, body []byte, extra ...[]byte) []byte {
	m := cat([]byte{0x6A}, body, sha1Of(append([][]byte{body}, extra...)...), []byte{0xBC})
	return rsaRaw(k, m)
}

// certBody is the body of Book 2 Table 6 (issuer) or Table 14 (ICC):
// format, identifier, expiry, serial, algorithms, lengths and the leftmost
// modulus bytes padded with BB to room bytes; it returns the remainder.
func certBody(format byte, id []byte, exp string, key *rsa.PublicKey, room int) (body, remainder []byte) {
	mod := key.N.Bytes()
	e := big.NewInt(int64(key.E)).Bytes()
	field := bytes.Repeat([]byte{0xBB}, room)
	if len(mod) > room {
		copy(field, mod[:room])
		remainder = mod[room:]
	} else {
		copy(field, mod)
	}
	body = cat([]byte{format}, id, mustHex(exp), []byte{0x00, 0x00, 0x01, 0x01, 0x01, byte(len(mod)), byte(len(e))}, field)
	return body, remainder
}

var (
	panBytes = mustHex(simPAN)
	issuerID = []byte{0x62, 0x12, 0x34, 0xFF}
	ctxToday = RSACertContext{PAN: panBytes, Today: 202611}
	exp65537 = []byte{0x01, 0x00, 0x01}
)

func TestRecoverIssuerKey(t *testing.T) {
	k, err := loadSimKeys()
	if err != nil {
		t.Fatal(err)
	}
	ca, iss := k.caRSA, &k.issuerRSA.PublicKey
	room := ca.Size() - 36
	valid, _ := certBody(0x02, issuerID, "1230", iss, room)
	rebuild := func(f func(b []byte) []byte) func() ([]byte, []byte, []byte, RSACertContext) {
		return func() ([]byte, []byte, []byte, RSACertContext) {
			b := f(append([]byte(nil), valid...))
			return book2(ca, b, nil, exp65537), nil, exp65537, ctxToday
		}
	}
	raw := func(f func(m []byte)) func() ([]byte, []byte, []byte, RSACertContext) {
		return func() ([]byte, []byte, []byte, RSACertContext) {
			m := cat([]byte{0x6A}, valid, sha1Of(valid, exp65537), []byte{0xBC})
			f(m)
			return rsaRaw(ca, m), nil, exp65537, ctxToday
		}
	}
	tests := []struct {
		name  string
		build func() (cert, rem, exp []byte, ctx RSACertContext)
		ok    bool
	}{
		{"valid", rebuild(func(b []byte) []byte { return b }), true},
		{"valid this month", func() ([]byte, []byte, []byte, RSACertContext) {
			b, _ := certBody(0x02, issuerID, "1126", iss, room)
			return book2(ca, b, exp65537), nil, exp65537, ctxToday
		}, true},
		{"header not 6A", raw(func(m []byte) { m[0] = 0x6B }), false},
		{"trailer not BC", raw(func(m []byte) { m[len(m)-1] = 0xBD }), false},
		{"hash differs", raw(func(m []byte) { m[len(m)-2] ^= 1 }), false},
		{"format 03", rebuild(func(b []byte) []byte { b[0] = 0x03; return b }), false},
		{"issuer id not the PAN's", rebuild(func(b []byte) []byte { copy(b[1:5], []byte{0x62, 0x99, 0xFF, 0xFF}); return b }), false},
		{"issuer id of two digits", rebuild(func(b []byte) []byte { copy(b[1:5], []byte{0x62, 0xFF, 0xFF, 0xFF}); return b }), false},
		{"expired", rebuild(func(b []byte) []byte { copy(b[5:7], mustHex("1026")); return b }), false},
		{"month 13", rebuild(func(b []byte) []byte { copy(b[5:7], mustHex("1330")); return b }), false},
		{"hash algorithm 02", rebuild(func(b []byte) []byte { b[10] = 0x02; return b }), false},
		{"key algorithm 02", rebuild(func(b []byte) []byte { b[11] = 0x02; return b }), false},
		{"exponent length 1", rebuild(func(b []byte) []byte { b[13] = 0x01; return b }), false},
		{"key length 0", rebuild(func(b []byte) []byte { b[12] = 0x00; return b }), false},
		{"key longer than the field, no remainder", rebuild(func(b []byte) []byte { b[12] = byte(room + 1); return b }), false},
		{"padding not BB", rebuild(func(b []byte) []byte { b[len(b)-1] = 0x00; return b }), false},
		{"exponent 2", func() ([]byte, []byte, []byte, RSACertContext) {
			return book2(ca, valid, []byte{0x02}), nil, []byte{0x02}, ctxToday
		}, false},
		{"unexpected remainder", func() ([]byte, []byte, []byte, RSACertContext) {
			return book2(ca, valid, []byte{1}, exp65537), []byte{1}, exp65537, ctxToday
		}, false},
		{"one byte short", func() ([]byte, []byte, []byte, RSACertContext) {
			c := book2(ca, valid, exp65537)
			return c[1:], nil, exp65537, ctxToday
		}, false},
		{"not below the modulus", func() ([]byte, []byte, []byte, RSACertContext) {
			return bytes.Repeat([]byte{0xFF}, ca.Size()), nil, exp65537, ctxToday
		}, false},
		{"empty", func() ([]byte, []byte, []byte, RSACertContext) { return nil, nil, exp65537, ctxToday }, false},
		{"PAN of another issuer", func() ([]byte, []byte, []byte, RSACertContext) {
			return book2(ca, valid, exp65537), nil, exp65537, RSACertContext{PAN: mustHex("6299345678901234"), Today: 202611}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cert, rem, exp, ctx := tc.build()
			got, err := RecoverIssuerKey(&ca.PublicKey, cert, rem, exp, ctx)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if got.N.Cmp(iss.N) != 0 || got.E != iss.E {
					t.Error("recovered another key")
				}
				return
			}
			if err == nil || !errors.Is(err, ErrRecovery) {
				t.Fatalf("err = %v, want a recovery error", err)
			}
		})
	}
}

func TestRecoverICCKeyAndSignatures(t *testing.T) {
	k, err := loadSimKeys()
	if err != nil {
		t.Fatal(err)
	}
	iss, icc := k.issuerRSA, k.iccRSA
	static := []byte("static data to be authenticated")
	pan := append(append([]byte(nil), panBytes...), 0xFF, 0xFF)
	body, rem := certBody(0x04, pan, "1230", &icc.PublicKey, iss.Size()-42)
	if len(rem) == 0 {
		t.Fatal("the test keys should need a remainder")
	}
	cert := book2(iss, body, rem, exp65537, static)
	got, err := RecoverICCKey(&iss.PublicKey, cert, rem, exp65537, static, ctxToday)
	if err != nil {
		t.Fatal(err)
	}
	if got.N.Cmp(icc.N) != 0 {
		t.Fatal("recovered another ICC key")
	}
	bad := map[string]func() error{
		"static data changed": func() error {
			_, err := RecoverICCKey(&iss.PublicKey, cert, rem, exp65537, []byte("other"), ctxToday)
			return err
		},
		"remainder missing": func() error {
			_, err := RecoverICCKey(&iss.PublicKey, cert, nil, exp65537, static, ctxToday)
			return err
		},
		"remainder one byte short, hash consistent": func() error {
			short := rem[:len(rem)-1]
			c := book2(iss, body, short, exp65537, static)
			_, err := RecoverICCKey(&iss.PublicKey, c, short, exp65537, static, ctxToday)
			return err
		},
		"another PAN": func() error {
			b := append([]byte(nil), body...)
			b[3] ^= 0x11
			c := book2(iss, b, rem, exp65537, static)
			_, err := RecoverICCKey(&iss.PublicKey, c, rem, exp65537, static, ctxToday)
			return err
		},
		"issuer certificate format": func() error {
			b := append([]byte(nil), body...)
			b[0] = 0x02
			c := book2(iss, b, rem, exp65537, static)
			_, err := RecoverICCKey(&iss.PublicKey, c, rem, exp65537, static, ctxToday)
			return err
		},
		"expired": func() error {
			_, err := RecoverICCKey(&iss.PublicKey, cert, rem, exp65537, static, RSACertContext{PAN: panBytes, Today: 203101})
			return err
		},
	}
	for name, f := range bad {
		if err := f(); !errors.Is(err, ErrRecovery) {
			t.Errorf("%s: err = %v", name, err)
		}
	}

	// Signed static application data, Book 2 Table 7.
	ssadBody := cat([]byte{0x03, 0x01, 0xDA, 0xC1}, bytes.Repeat([]byte{0xBB}, iss.Size()-26))
	ssad := book2(iss, ssadBody, static)
	dac, err := VerifySSAD(&iss.PublicKey, ssad, static)
	if err != nil || !bytes.Equal(dac, []byte{0xDA, 0xC1}) {
		t.Fatalf("SSAD: %X %v", dac, err)
	}
	if _, err := VerifySSAD(&iss.PublicKey, ssad, static[1:]); !errors.Is(err, ErrRecovery) {
		t.Errorf("SSAD over other data: %v", err)
	}
	if _, err := VerifySSAD(&iss.PublicKey, book2(iss, cat([]byte{0x05}, ssadBody[1:]), static), static); !errors.Is(err, ErrRecovery) {
		t.Errorf("SSAD format 05: %v", err)
	}

	// Signed dynamic application data, Book 2 Table 17.
	dyn := cat([]byte{0x08}, mustHex("0102030405060708"))
	term := mustHex("CAFEBABE")
	sdadBody := cat([]byte{0x05, 0x01, byte(len(dyn))}, dyn, bytes.Repeat([]byte{0xBB}, icc.Size()-25-len(dyn)))
	sdad := book2(icc, sdadBody, term)
	gotDyn, err := RecoverSDAD(&icc.PublicKey, sdad, term)
	if err != nil || !bytes.Equal(gotDyn, dyn) {
		t.Fatalf("SDAD: %X %v", gotDyn, err)
	}
	if _, err := RecoverSDAD(&icc.PublicKey, sdad, mustHex("CAFEBABF")); !errors.Is(err, ErrRecovery) {
		t.Errorf("SDAD over another UN: %v", err)
	}
	long := append([]byte(nil), sdadBody...)
	long[2] = 0xF0
	if _, err := RecoverSDAD(&icc.PublicKey, book2(icc, long, term), term); !errors.Is(err, ErrRecovery) {
		t.Errorf("SDAD with an ICC dynamic data length past the signature: %v", err)
	}
	if _, err := RecoverSDAD(&icc.PublicKey, book2(icc, cat([]byte{0x05, 0x02}, sdadBody[2:]), term), term); !errors.Is(err, ErrRecovery) {
		t.Errorf("SDAD with hash algorithm 02: %v", err)
	}
}
