package emv

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/big"
)

// The RSA offline data authentication of EMV Book 2 §5 and §6: recovery of
// the issuer and ICC public keys from their certificates, and of signed
// static and dynamic application data. Each function checks every field
// Book 2 lists, and fails with an error naming the first that does not
// hold.

// ErrRecovery is wrapped by every RSA recovery and SM2 certificate error.
var ErrRecovery = errors.New("offline data authentication")

// Recovered data formats (EMV Book 2 Tables 6, 9, 15, 17).
const (
	fmtIssuerCert = 0x02
	fmtSSAD       = 0x03
	fmtICCCert    = 0x04
	fmtSDAD       = 0x05
	hashSHA1      = 0x01
	pkRSA         = 0x01
	maxRSABytes   = 248 // 1984 bits, EMV Book 2 §5.1
)

func recErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRecovery, fmt.Sprintf(format, args...))
}

// rsaExponent decodes a public key exponent; EMV allows 3 and 2^16+1.
func rsaExponent(b []byte) (int, error) {
	switch {
	case bytes.Equal(b, []byte{0x03}):
		return 3, nil
	case bytes.Equal(b, []byte{0x01, 0x00, 0x01}):
		return 65537, nil
	}
	return 0, recErr("public key exponent % X is not 3 or 65537", b)
}

// recoverRSA applies the public key to a certificate or signature of the
// modulus length and checks the header 6A and trailer BC (EMV Book 2
// §5.3 step 1-3).
func recoverRSA(k *rsa.PublicKey, sig []byte) ([]byte, error) {
	n := (k.N.BitLen() + 7) / 8
	if len(sig) != n {
		return nil, recErr("%d bytes where the key has %d", len(sig), n)
	}
	c := new(big.Int).SetBytes(sig)
	if c.Cmp(k.N) >= 0 {
		return nil, recErr("value not below the modulus")
	}
	m := c.Exp(c, big.NewInt(int64(k.E)), k.N)
	out := m.FillBytes(make([]byte, n))
	if out[0] != 0x6A {
		return nil, recErr("recovered header %02X, want 6A", out[0])
	}
	if out[n-1] != 0xBC {
		return nil, recErr("recovered trailer %02X, want BC", out[n-1])
	}
	return out, nil
}

func sha1Of(parts ...[]byte) []byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// cnDigits returns the digits of compressed numeric data, up to the first F.
func cnDigits(b []byte) string {
	var sb []byte
	for _, c := range b {
		for _, d := range [2]byte{c >> 4, c & 0x0F} {
			if d == 0x0F {
				return string(sb)
			}
			if d > 9 {
				return string(sb) + "?"
			}
			sb = append(sb, '0'+d)
		}
	}
	return string(sb)
}

// RSACertContext is what the recovery of a certificate is checked against.
type RSACertContext struct {
	PAN []byte // 5A
	// Today is the transaction date as 20YYMM (a certificate expiring this
	// month is still valid).
	Today int
}

// RecoverIssuerKey recovers the issuer public key from its certificate
// (90), remainder (92) and exponent (9F32) with the CA key (EMV Book 2
// §5.3, Table 6).
func RecoverIssuerKey(ca *rsa.PublicKey, cert, remainder, exp []byte, ctx RSACertContext) (*rsa.PublicKey, error) {
	e, err := rsaExponent(exp)
	if err != nil {
		return nil, err
	}
	x, err := recoverRSA(ca, cert)
	if err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	n := len(x)
	if n < 36+1 {
		return nil, recErr("issuer certificate of %d bytes is too short", n)
	}
	if x[1] != fmtIssuerCert {
		return nil, recErr("issuer certificate format %02X, want 02", x[1])
	}
	if got, want := x[n-21:n-1], sha1Of(x[1:n-21], remainder, exp); !bytes.Equal(got, want) {
		return nil, recErr("issuer certificate hash does not match")
	}
	id := cnDigits(x[2:6])
	if len(id) < 3 || !bytes.HasPrefix([]byte(cnDigits(ctx.PAN)), []byte(id)) {
		return nil, recErr("issuer identifier %s does not begin the PAN", id)
	}
	if exp, ok := mmyy(x[6:8]); !ok || exp < ctx.Today {
		return nil, recErr("issuer certificate expired or malformed date %X", x[6:8])
	}
	if x[11] != hashSHA1 || x[12] != pkRSA {
		return nil, recErr("issuer certificate algorithms %02X %02X, want 01 01", x[11], x[12])
	}
	ni, ne := int(x[13]), int(x[14])
	if ne != len(exp) {
		return nil, recErr("issuer certificate exponent length %d, the card's 9F32 has %d", ne, len(exp))
	}
	mod, err := modulus(x[15:n-21], remainder, ni)
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	return &rsa.PublicKey{N: mod, E: e}, nil
}

// modulus joins the modulus digits of a certificate with its remainder
// (EMV Book 2 §5.3 step 10, §6.4 step 10).
func modulus(field, remainder []byte, n int) (*big.Int, error) {
	switch {
	case n == 0 || n > maxRSABytes:
		return nil, recErr("modulus length %d", n)
	case n <= len(field):
		if len(remainder) != 0 {
			return nil, recErr("a remainder of %d bytes for a modulus that fits the certificate", len(remainder))
		}
		for _, b := range field[n:] {
			if b != 0xBB {
				return nil, recErr("certificate padding is not BB")
			}
		}
		field = field[:n]
	case n != len(field)+len(remainder):
		return nil, recErr("modulus of %d bytes from %d certificate bytes and a %d-byte remainder", n, len(field), len(remainder))
	default:
		field = append(field[:len(field):len(field)], remainder...)
	}
	m := new(big.Int).SetBytes(field)
	if field[0] == 0 || m.Bit(0) == 0 {
		return nil, recErr("the recovered modulus is not a full-length odd number")
	}
	return m, nil
}

// RecoverICCKey recovers the ICC public key from its certificate (9F46),
// remainder (9F48) and exponent (9F47) with the issuer key; the
// certificate also signs the static data to be authenticated (EMV Book 2
// §6.4, Table 14).
func RecoverICCKey(issuer *rsa.PublicKey, cert, remainder, exp, static []byte, ctx RSACertContext) (*rsa.PublicKey, error) {
	e, err := rsaExponent(exp)
	if err != nil {
		return nil, err
	}
	x, err := recoverRSA(issuer, cert)
	if err != nil {
		return nil, fmt.Errorf("ICC certificate: %w", err)
	}
	n := len(x)
	if n < 42+1 {
		return nil, recErr("ICC certificate of %d bytes is too short", n)
	}
	if x[1] != fmtICCCert {
		return nil, recErr("ICC certificate format %02X, want 04", x[1])
	}
	if got, want := x[n-21:n-1], sha1Of(x[1:n-21], remainder, exp, static); !bytes.Equal(got, want) {
		return nil, recErr("ICC certificate hash does not match (certificate or static data changed)")
	}
	if got, want := cnDigits(x[2:12]), cnDigits(ctx.PAN); got != want || want == "" {
		return nil, recErr("ICC certificate PAN %s is not the card's %s", got, want)
	}
	if exp, ok := mmyy(x[12:14]); !ok || exp < ctx.Today {
		return nil, recErr("ICC certificate expired or malformed date %X", x[12:14])
	}
	if x[17] != hashSHA1 || x[18] != pkRSA {
		return nil, recErr("ICC certificate algorithms %02X %02X, want 01 01", x[17], x[18])
	}
	ni, ne := int(x[19]), int(x[20])
	if ne != len(exp) {
		return nil, recErr("ICC certificate exponent length %d, the card's 9F47 has %d", ne, len(exp))
	}
	mod, err := modulus(x[21:n-21], remainder, ni)
	if err != nil {
		return nil, fmt.Errorf("ICC key: %w", err)
	}
	return &rsa.PublicKey{N: mod, E: e}, nil
}

// VerifySSAD verifies signed static application data (93) with the issuer
// key and returns the data authentication code (EMV Book 2 §5.4, Table 7).
func VerifySSAD(issuer *rsa.PublicKey, ssad, static []byte) ([]byte, error) {
	x, err := recoverRSA(issuer, ssad)
	if err != nil {
		return nil, fmt.Errorf("signed static data: %w", err)
	}
	n := len(x)
	if n < 26 {
		return nil, recErr("signed static data too short")
	}
	if x[1] != fmtSSAD || x[2] != hashSHA1 {
		return nil, recErr("signed static data format %02X hash %02X, want 03 01", x[1], x[2])
	}
	if got, want := x[n-21:n-1], sha1Of(x[1:n-21], static); !bytes.Equal(got, want) {
		return nil, recErr("signed static data hash does not match")
	}
	return append([]byte(nil), x[3:5]...), nil
}

// RecoverSDAD verifies signed dynamic application data (9F4B) with the ICC
// key over the terminal's dynamic data and returns the ICC dynamic data
// (EMV Book 2 §6.5.2, Table 17).
func RecoverSDAD(icc *rsa.PublicKey, sdad, terminalData []byte) ([]byte, error) {
	x, err := recoverRSA(icc, sdad)
	if err != nil {
		return nil, fmt.Errorf("signed dynamic data: %w", err)
	}
	n := len(x)
	if n < 25 {
		return nil, recErr("signed dynamic data too short")
	}
	if x[1] != fmtSDAD || x[2] != hashSHA1 {
		return nil, recErr("signed dynamic data format %02X hash %02X, want 05 01", x[1], x[2])
	}
	ld := int(x[3])
	if ld > n-25 {
		return nil, recErr("ICC dynamic data length %d exceeds the signature", ld)
	}
	if got, want := x[n-21:n-1], sha1Of(x[1:n-21], terminalData); !bytes.Equal(got, want) {
		return nil, recErr("signed dynamic data hash does not match")
	}
	return append([]byte(nil), x[4:4+ld]...), nil
}
