package idauth

import (
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
)

// Sizes of the card's answers (CARD.md §4).
const (
	publicFileSize = 66 // 2-byte header + X‖Y
	signatureSize  = 64 // r‖s
)

// ErrResponse marks a card answer the verifier cannot use: truncated, too
// long or malformed. Returned errors wrap it.
var ErrResponse = errors.New("malformed card response")

// derLength returns the length of the DER element at the start of b (tag
// and length octets included); b needs its first 4 bytes at most.
func derLength(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, fmt.Errorf("%w: %d bytes", ErrResponse, len(b))
	}
	if b[0] != 0x30 {
		if b[0] == 0x00 {
			return 0, fmt.Errorf("%w: no certificate (the file is empty)", ErrResponse)
		}
		return 0, fmt.Errorf("%w: tag %02X, not a DER SEQUENCE", ErrResponse, b[0])
	}
	l := int(b[1])
	switch {
	case l < 0x80:
		return 2 + l, nil
	case l == 0x81 && len(b) >= 3 && b[2] >= 0x80:
		return 3 + int(b[2]), nil
	case l == 0x82 && len(b) >= 4 && b[2] != 0:
		return 4 + (int(b[2])<<8 | int(b[3])), nil
	}
	return 0, fmt.Errorf("%w: DER length %X not minimal or too long", ErrResponse, b[1:min(len(b), 4)])
}

// ParseCertificateFile returns the DER certificate at the start of a
// certificate file's content (the certificate, then zero padding).
func ParseCertificateFile(f []byte) ([]byte, error) {
	n, err := derLength(f)
	if err != nil {
		return nil, err
	}
	if n > len(f) {
		return nil, fmt.Errorf("%w: certificate of %d bytes in %d bytes", ErrResponse, n, len(f))
	}
	for _, b := range f[n:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: data after the certificate", ErrResponse)
		}
	}
	return f[:n:n], nil
}

// ParsePublicKeyFile reads a public key file: a 2-byte header (not
// checked: its value is a model choice) and X‖Y of a point on the SM2 curve.
func ParsePublicKeyFile(f []byte) (*ecdsa.PublicKey, error) {
	if len(f) != publicFileSize {
		return nil, fmt.Errorf("%w: public key file of %d bytes, want %d", ErrResponse, len(f), publicFileSize)
	}
	return ParsePublicKey(f[2:])
}

// ParsePublicKey reads X‖Y (64 bytes) of a point on the SM2 curve.
func ParsePublicKey(xy []byte) (*ecdsa.PublicKey, error) {
	if len(xy) != 64 {
		return nil, fmt.Errorf("%w: public key of %d bytes, want 64", ErrResponse, len(xy))
	}
	k, err := sm2.NewPublicKey(append([]byte{4}, xy...))
	if err != nil {
		return nil, fmt.Errorf("%w: not a point of the SM2 curve", ErrResponse)
	}
	return k, nil
}

// ParseSignature reads the card's r‖s (64 bytes, each in [1, n-1]) and
// returns the DER signature.
func ParseSignature(rs []byte) ([]byte, error) {
	if len(rs) != signatureSize {
		return nil, fmt.Errorf("%w: signature of %d bytes, want %d (r‖s)", ErrResponse, len(rs), signatureSize)
	}
	n := sm2.P256().Params().N
	r, s := new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return nil, fmt.Errorf("%w: r or s out of range", ErrResponse)
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}
