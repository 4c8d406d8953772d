package paycrypto

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
)

// Certificate fields (EMV Book 2 §5.3, §6.3).
const (
	Header         = 0x6A
	Trailer        = 0xBC
	Pad            = 0xBB
	HashSHA1       = 0x01 // hash algorithm indicator
	PKAlgRSA       = 0x01 // public key algorithm indicator
	FormatIssuer   = 0x02
	FormatSSAD     = 0x03
	FormatICC      = 0x04
	FormatSDAD     = 0x05
	IssuerIDSize   = 4
	PANSize        = 10
	ExpirySize     = 2 // MMYY, BCD
	SerialSize     = 3
	DACSize        = 2
	hashSize       = sha1.Size
	issuerOverhead = 36 // N_CA - 36 leftmost bytes of the issuer key fit
	iccOverhead    = 42 // N_I - 42 leftmost bytes of the ICC key fit
)

// ErrAuth is wrapped by every failure to recover or verify a certificate or
// signature: wrong length, header, format, trailer or hash.
var ErrAuth = errors.New("offline data authentication failed")

// RSAPublicKey is an RSA public key as EMV carries it: the modulus and the
// exponent as big-endian bytes.
type RSAPublicKey struct {
	Modulus  []byte
	Exponent []byte
}

// PublicOf returns the EMV form of an RSA key's public part.
func PublicOf(k *rsa.PublicKey) RSAPublicKey {
	return RSAPublicKey{Modulus: k.N.Bytes(), Exponent: big.NewInt(int64(k.E)).Bytes()}
}

// RSASign is the RSA private operation on data already formatted by EMV
// (no other padding): m^d mod n, computed with the CRT values of k. m must
// be as long as the modulus and smaller than it.
func RSASign(k *rsa.PrivateKey, m []byte) ([]byte, error) {
	n := k.Size()
	c := new(big.Int).SetBytes(m)
	if len(m) != n || c.Cmp(k.N) >= 0 {
		return nil, fmt.Errorf("rsa private operation: %w: %d bytes for a %d-byte modulus", ErrSize, len(m), n)
	}
	if len(k.Primes) != 2 || k.Precomputed.Dp == nil {
		return new(big.Int).Exp(c, k.D, k.N).FillBytes(make([]byte, n)), nil
	}
	p, q := k.Primes[0], k.Primes[1]
	m1 := new(big.Int).Exp(c, k.Precomputed.Dp, p)
	m2 := new(big.Int).Exp(c, k.Precomputed.Dq, q)
	h := m1.Sub(m1, m2)
	h.Mul(h, k.Precomputed.Qinv)
	h.Mod(h, p)
	h.Mul(h, q)
	h.Add(h, m2)
	return h.FillBytes(make([]byte, n)), nil
}

// RSARecover is the RSA public operation: s^e mod n, as long as the modulus.
func RSARecover(pub RSAPublicKey, s []byte) ([]byte, error) {
	n := new(big.Int).SetBytes(pub.Modulus)
	e := new(big.Int).SetBytes(pub.Exponent)
	size := (n.BitLen() + 7) / 8
	v := new(big.Int).SetBytes(s)
	if size == 0 || e.Sign() == 0 || len(s) != size || v.Cmp(n) >= 0 {
		return nil, fmt.Errorf("%w: signature of %d bytes for a %d-byte modulus", ErrAuth, len(s), size)
	}
	return v.Exp(v, e, n).FillBytes(make([]byte, size)), nil
}

func sha1Of(parts ...[]byte) []byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// sign formats 6A ‖ body ‖ SHA-1(body ‖ extra...) ‖ BC and signs it.
func sign(k *rsa.PrivateKey, body []byte, extra ...[]byte) ([]byte, error) {
	m := make([]byte, 0, k.Size())
	m = append(m, Header)
	m = append(m, body...)
	m = append(m, sha1Of(append([][]byte{body}, extra...)...)...)
	m = append(m, Trailer)
	return RSASign(k, m)
}

// recoverBody recovers a signature and checks header, trailer and hash; it
// returns the body between the header and the hash.
func recoverBody(pub RSAPublicKey, s []byte, format byte, extra ...[]byte) ([]byte, error) {
	x, err := RSARecover(pub, s)
	if err != nil {
		return nil, err
	}
	n := len(x)
	if n < 2+hashSize+2 || x[0] != Header || x[n-1] != Trailer {
		return nil, fmt.Errorf("%w: recovered data has no 6A header or BC trailer", ErrAuth)
	}
	body := x[1 : n-1-hashSize]
	if body[0] != format {
		return nil, fmt.Errorf("%w: format %02X, want %02X", ErrAuth, body[0], format)
	}
	if subtle.ConstantTimeCompare(sha1Of(append([][]byte{body}, extra...)...), x[n-1-hashSize:n-1]) != 1 {
		return nil, fmt.Errorf("%w: hash does not match", ErrAuth)
	}
	return body, nil
}

// leftmost splits a modulus into the part a certificate holds, padded with
// BB to room bytes, and the remainder.
func leftmost(mod []byte, room int) (part, remainder []byte) {
	part = bytes.Repeat([]byte{Pad}, room)
	if len(mod) <= room {
		copy(part, mod)
		return part, nil
	}
	copy(part, mod[:room])
	return part, append([]byte(nil), mod[room:]...)
}

// assemble rebuilds a modulus of length n from the certificate's part and
// the remainder.
func assemble(part []byte, n int, remainder []byte) ([]byte, error) {
	if n <= len(part) {
		if len(remainder) != 0 || len(bytes.Trim(part[n:], "\xBB")) != 0 {
			return nil, fmt.Errorf("%w: key padding or remainder wrong", ErrAuth)
		}
		return append([]byte(nil), part[:n]...), nil
	}
	if len(part)+len(remainder) != n {
		return nil, fmt.Errorf("%w: remainder of %d bytes, want %d", ErrAuth, len(remainder), n-len(part))
	}
	return append(append([]byte(nil), part...), remainder...), nil
}

// IssuerCert is what an issuer public key certificate certifies (EMV Book
// 2 §5.3 Table 6).
type IssuerCert struct {
	IssuerID [IssuerIDSize]byte // leftmost PAN digits, F-padded
	Expiry   [ExpirySize]byte   // MMYY
	Serial   [SerialSize]byte
	Key      RSAPublicKey
}

// IssuerCertificate signs an issuer public key certificate with the CA
// key; the part of the issuer modulus that does not fit is the remainder
// (tag 92).
func IssuerCertificate(ca *rsa.PrivateKey, c IssuerCert) (cert, remainder []byte, err error) {
	room := ca.Size() - issuerOverhead
	if len(c.Key.Modulus) > ca.Size() || len(c.Key.Exponent) > 3 || room < 1 {
		return nil, nil, fmt.Errorf("issuer certificate: %w: issuer key larger than the CA key", ErrSize)
	}
	part, remainder := leftmost(c.Key.Modulus, room)
	body := []byte{FormatIssuer}
	body = append(body, c.IssuerID[:]...)
	body = append(body, c.Expiry[:]...)
	body = append(body, c.Serial[:]...)
	body = append(body, HashSHA1, PKAlgRSA, byte(len(c.Key.Modulus)), byte(len(c.Key.Exponent)))
	body = append(body, part...)
	cert, err = sign(ca, body, remainder, c.Key.Exponent)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer certificate: %w", err)
	}
	return cert, remainder, nil
}

// RecoverIssuerCertificate checks an issuer public key certificate against
// the CA public key (EMV Book 2 §5.3 steps 1 to 9) and returns its content.
func RecoverIssuerCertificate(ca RSAPublicKey, cert, remainder, exponent []byte) (IssuerCert, error) {
	var c IssuerCert
	body, err := recoverBody(ca, cert, FormatIssuer, remainder, exponent)
	if err != nil {
		return c, fmt.Errorf("issuer certificate: %w", err)
	}
	if len(body) < 14 || body[10] != HashSHA1 || body[11] != PKAlgRSA || int(body[13]) != len(exponent) {
		return c, fmt.Errorf("issuer certificate: %w: algorithm or exponent length", ErrAuth)
	}
	copy(c.IssuerID[:], body[1:5])
	copy(c.Expiry[:], body[5:7])
	copy(c.Serial[:], body[7:10])
	mod, err := assemble(body[14:], int(body[12]), remainder)
	if err != nil {
		return c, fmt.Errorf("issuer certificate: %w", err)
	}
	c.Key = RSAPublicKey{Modulus: mod, Exponent: append([]byte(nil), exponent...)}
	return c, nil
}

// ICCCert is what an ICC public key certificate certifies (EMV Book 2
// §6.4 Table 14).
type ICCCert struct {
	PAN    [PANSize]byte // F-padded BCD
	Expiry [ExpirySize]byte
	Serial [SerialSize]byte
	Key    RSAPublicKey
}

// ICCCertificate signs an ICC public key certificate with the issuer key;
// the hash also covers the static data to be authenticated.
func ICCCertificate(issuer *rsa.PrivateKey, c ICCCert, static []byte) (cert, remainder []byte, err error) {
	room := issuer.Size() - iccOverhead
	if len(c.Key.Modulus) > issuer.Size() || len(c.Key.Exponent) > 3 || room < 1 {
		return nil, nil, fmt.Errorf("icc certificate: %w: icc key larger than the issuer key", ErrSize)
	}
	part, remainder := leftmost(c.Key.Modulus, room)
	body := []byte{FormatICC}
	body = append(body, c.PAN[:]...)
	body = append(body, c.Expiry[:]...)
	body = append(body, c.Serial[:]...)
	body = append(body, HashSHA1, PKAlgRSA, byte(len(c.Key.Modulus)), byte(len(c.Key.Exponent)))
	body = append(body, part...)
	cert, err = sign(issuer, body, remainder, c.Key.Exponent, static)
	if err != nil {
		return nil, nil, fmt.Errorf("icc certificate: %w", err)
	}
	return cert, remainder, nil
}

// RecoverICCCertificate checks an ICC public key certificate against the
// issuer public key and the static data (EMV Book 2 §6.4).
func RecoverICCCertificate(issuer RSAPublicKey, cert, remainder, exponent, static []byte) (ICCCert, error) {
	var c ICCCert
	body, err := recoverBody(issuer, cert, FormatICC, remainder, exponent, static)
	if err != nil {
		return c, fmt.Errorf("icc certificate: %w", err)
	}
	if len(body) < 20 || body[16] != HashSHA1 || body[17] != PKAlgRSA || int(body[19]) != len(exponent) {
		return c, fmt.Errorf("icc certificate: %w: algorithm or exponent length", ErrAuth)
	}
	copy(c.PAN[:], body[1:11])
	copy(c.Expiry[:], body[11:13])
	copy(c.Serial[:], body[13:16])
	mod, err := assemble(body[20:], int(body[18]), remainder)
	if err != nil {
		return c, fmt.Errorf("icc certificate: %w", err)
	}
	c.Key = RSAPublicKey{Modulus: mod, Exponent: append([]byte(nil), exponent...)}
	return c, nil
}

// SignStatic makes the signed static application data, tag 93 (EMV Book 2
// §5.4 Table 7).
func SignStatic(issuer *rsa.PrivateKey, dac [DACSize]byte, static []byte) ([]byte, error) {
	room := issuer.Size() - 26
	if room < 0 {
		return nil, fmt.Errorf("signed static data: %w", ErrSize)
	}
	body := append([]byte{FormatSSAD, HashSHA1, dac[0], dac[1]}, bytes.Repeat([]byte{Pad}, room)...)
	s, err := sign(issuer, body, static)
	if err != nil {
		return nil, fmt.Errorf("signed static data: %w", err)
	}
	return s, nil
}

// RecoverStatic verifies signed static application data and returns the
// data authentication code.
func RecoverStatic(issuer RSAPublicKey, ssad, static []byte) ([DACSize]byte, error) {
	var dac [DACSize]byte
	body, err := recoverBody(issuer, ssad, FormatSSAD, static)
	if err != nil {
		return dac, fmt.Errorf("signed static data: %w", err)
	}
	if len(body) < 4 || body[1] != HashSHA1 {
		return dac, fmt.Errorf("signed static data: %w: hash algorithm", ErrAuth)
	}
	copy(dac[:], body[2:4])
	return dac, nil
}

// SignDynamic makes signed dynamic application data (EMV Book 2 §6.5.2
// Table 17, and §6.6 for CDA): the ICC dynamic data, padding, and a hash
// that also covers the terminal dynamic data (the DDOL data for DDA, the
// unpredictable number for CDA).
func SignDynamic(icc *rsa.PrivateKey, iccDD, terminalDD []byte) ([]byte, error) {
	room := icc.Size() - 25 - len(iccDD)
	if room < 0 || len(iccDD) > 255 {
		return nil, fmt.Errorf("signed dynamic data: %w: %d bytes of icc dynamic data", ErrSize, len(iccDD))
	}
	body := append([]byte{FormatSDAD, HashSHA1, byte(len(iccDD))}, iccDD...)
	body = append(body, bytes.Repeat([]byte{Pad}, room)...)
	s, err := sign(icc, body, terminalDD)
	if err != nil {
		return nil, fmt.Errorf("signed dynamic data: %w", err)
	}
	return s, nil
}

// RecoverDynamic verifies signed dynamic application data and returns the
// ICC dynamic data.
func RecoverDynamic(icc RSAPublicKey, sdad, terminalDD []byte) ([]byte, error) {
	body, err := recoverBody(icc, sdad, FormatSDAD, terminalDD)
	if err != nil {
		return nil, fmt.Errorf("signed dynamic data: %w", err)
	}
	if len(body) < 3 || body[1] != HashSHA1 || int(body[2]) > len(body)-3 {
		return nil, fmt.Errorf("signed dynamic data: %w: hash algorithm or length", ErrAuth)
	}
	return append([]byte(nil), body[3:3+int(body[2])]...), nil
}
