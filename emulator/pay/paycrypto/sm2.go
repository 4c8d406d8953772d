package paycrypto

import (
	"crypto/ecdsa"
	"fmt"
	"io"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// The SM path's offline data authentication [model: the same chain as the
// RSA path, with SM2 signatures (GB/T 32918.2) over SM3 with the user ID
// below, r‖s]. Formats (package pay's documentation):
//
//	issuer certificate  12 ‖ issuer id(4) ‖ MMYY ‖ serial(3) ‖ 04 ‖ 00 ‖ 40 ‖ X‖Y ‖ sig
//	ICC certificate     14 ‖ PAN(10) ‖ MMYY ‖ serial(3) ‖ 04 ‖ 00 ‖ 40 ‖ X‖Y ‖ sig
//	                    (signed over everything before sig ‖ static data)
//	SSAD (93)           13 ‖ DAC(2) ‖ sig over 13 ‖ DAC ‖ static data
//	SDAD (9F4B)         15 ‖ LDD ‖ ICC dynamic data ‖ sig over the same
//	                    ‖ terminal dynamic data
const (
	SMFormatIssuer = 0x12
	SMFormatSSAD   = 0x13
	SMFormatICC    = 0x14
	SMFormatSDAD   = 0x15
	PKAlgSM2       = 0x04 // public key algorithm indicator: SM2
	SMParams       = 0x00 // public key parameter indicator: the SM2 curve
	SMPointSize    = 64   // X‖Y
	SMSigSize      = 64   // r‖s
)

// UserID is the SM2 user ID of every signature of the SM path: the default
// ID of GB/T 35276 [model].
const UserID = "1234567812345678"

// steady absorbs the single byte gmsm may read to make signatures
// non-deterministic, so that a seeded random source gives reproducible
// signatures.
type steady struct{ r io.Reader }

func (s steady) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = 0
		return 1, nil
	}
	return s.r.Read(p)
}

// SM2Sign signs msg with k (Z computed with UserID), the nonce drawn from
// rand; the answer is r‖s.
func SM2Sign(rand io.Reader, k *sm2.PrivateKey, msg []byte) ([]byte, error) {
	r, s, err := sm2.SignWithSM2(steady{rand}, &k.PrivateKey, []byte(UserID), msg)
	if err != nil {
		return nil, fmt.Errorf("sm2 signature: %w", err)
	}
	out := make([]byte, SMSigSize)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// SM2Verify verifies an r‖s signature of msg with gmsm's verifier.
func SM2Verify(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if pub == nil || len(sig) != SMSigSize {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return sm2.VerifyWithSM2(pub, []byte(UserID), msg, r, s)
}

// Point returns X‖Y of an SM2 public key.
func Point(pub *ecdsa.PublicKey) []byte {
	out := make([]byte, SMPointSize)
	pub.X.FillBytes(out[:32])
	pub.Y.FillBytes(out[32:])
	return out
}

// ParsePoint reads X‖Y as an SM2 public key; it fails for a point that is
// not on the curve.
func ParsePoint(xy []byte) (*ecdsa.PublicKey, error) {
	if len(xy) != SMPointSize {
		return nil, fmt.Errorf("%w: sm2 point of %d bytes", ErrAuth, len(xy))
	}
	pub, err := sm2.NewPublicKey(append([]byte{4}, xy...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return pub, nil
}

// SMCert is what an SM2 certificate of the SM path certifies: ID is the
// issuer identifier (4 bytes) in an issuer certificate, the F-padded PAN
// (10 bytes) in an ICC certificate.
type SMCert struct {
	ID     []byte
	Expiry [ExpirySize]byte
	Serial [SerialSize]byte
	Key    *ecdsa.PublicKey
}

func (c SMCert) body(format byte, idSize int) ([]byte, error) {
	if len(c.ID) != idSize || c.Key == nil {
		return nil, fmt.Errorf("%w: identifier of %d bytes, want %d", ErrSize, len(c.ID), idSize)
	}
	b := append([]byte{format}, c.ID...)
	b = append(b, c.Expiry[:]...)
	b = append(b, c.Serial[:]...)
	b = append(b, PKAlgSM2, SMParams, SMPointSize)
	return append(b, Point(c.Key)...), nil
}

// SMIssuerCertificate signs an issuer certificate of the SM path with the
// CA's SM2 key.
func SMIssuerCertificate(rand io.Reader, ca *sm2.PrivateKey, c SMCert) ([]byte, error) {
	b, err := c.body(SMFormatIssuer, IssuerIDSize)
	if err != nil {
		return nil, fmt.Errorf("sm2 issuer certificate: %w", err)
	}
	sig, err := SM2Sign(rand, ca, b)
	if err != nil {
		return nil, fmt.Errorf("sm2 issuer certificate: %w", err)
	}
	return append(b, sig...), nil
}

// SMICCCertificate signs an ICC certificate of the SM path with the
// issuer's SM2 key; the signature also covers the static data.
func SMICCCertificate(rand io.Reader, issuer *sm2.PrivateKey, c SMCert, static []byte) ([]byte, error) {
	b, err := c.body(SMFormatICC, PANSize)
	if err != nil {
		return nil, fmt.Errorf("sm2 icc certificate: %w", err)
	}
	sig, err := SM2Sign(rand, issuer, append(append([]byte(nil), b...), static...))
	if err != nil {
		return nil, fmt.Errorf("sm2 icc certificate: %w", err)
	}
	return append(b, sig...), nil
}

func parseSMCert(signer *ecdsa.PublicKey, cert []byte, format byte, idSize int, static []byte) (SMCert, error) {
	var c SMCert
	n := 1 + idSize + ExpirySize + SerialSize + 3 + SMPointSize
	if len(cert) != n+SMSigSize || cert[0] != format {
		return c, fmt.Errorf("%w: %d bytes or format %02X", ErrAuth, len(cert), firstByte(cert))
	}
	body := cert[:n]
	p := 1 + idSize + ExpirySize + SerialSize
	if body[p] != PKAlgSM2 || body[p+1] != SMParams || body[p+2] != SMPointSize {
		return c, fmt.Errorf("%w: algorithm %02X %02X %02X", ErrAuth, body[p], body[p+1], body[p+2])
	}
	if !SM2Verify(signer, append(append([]byte(nil), body...), static...), cert[n:]) {
		return c, fmt.Errorf("%w: signature does not verify", ErrAuth)
	}
	key, err := ParsePoint(body[p+3:])
	if err != nil {
		return c, err
	}
	c.ID = append([]byte(nil), body[1:1+idSize]...)
	copy(c.Expiry[:], body[1+idSize:])
	copy(c.Serial[:], body[1+idSize+ExpirySize:])
	c.Key = key
	return c, nil
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// ParseSMIssuerCertificate verifies an SM path issuer certificate with the
// CA public key and returns its content.
func ParseSMIssuerCertificate(ca *ecdsa.PublicKey, cert []byte) (SMCert, error) {
	c, err := parseSMCert(ca, cert, SMFormatIssuer, IssuerIDSize, nil)
	if err != nil {
		return c, fmt.Errorf("sm2 issuer certificate: %w", err)
	}
	return c, nil
}

// ParseSMICCCertificate verifies an SM path ICC certificate with the
// issuer public key and the static data.
func ParseSMICCCertificate(issuer *ecdsa.PublicKey, cert, static []byte) (SMCert, error) {
	c, err := parseSMCert(issuer, cert, SMFormatICC, PANSize, static)
	if err != nil {
		return c, fmt.Errorf("sm2 icc certificate: %w", err)
	}
	return c, nil
}

// SMSignStatic makes the SM path's signed static application data.
func SMSignStatic(rand io.Reader, issuer *sm2.PrivateKey, dac [DACSize]byte, static []byte) ([]byte, error) {
	head := []byte{SMFormatSSAD, dac[0], dac[1]}
	sig, err := SM2Sign(rand, issuer, append(append([]byte(nil), head...), static...))
	if err != nil {
		return nil, fmt.Errorf("sm2 signed static data: %w", err)
	}
	return append(head, sig...), nil
}

// SMVerifyStatic verifies the SM path's signed static application data.
func SMVerifyStatic(issuer *ecdsa.PublicKey, ssad, static []byte) ([DACSize]byte, error) {
	var dac [DACSize]byte
	if len(ssad) != 3+SMSigSize || ssad[0] != SMFormatSSAD {
		return dac, fmt.Errorf("sm2 signed static data: %w: %d bytes or format", ErrAuth, len(ssad))
	}
	if !SM2Verify(issuer, append(append([]byte(nil), ssad[:3]...), static...), ssad[3:]) {
		return dac, fmt.Errorf("sm2 signed static data: %w: signature does not verify", ErrAuth)
	}
	copy(dac[:], ssad[1:3])
	return dac, nil
}

// SMSignDynamic makes the SM path's signed dynamic application data.
func SMSignDynamic(rand io.Reader, icc *sm2.PrivateKey, iccDD, terminalDD []byte) ([]byte, error) {
	if len(iccDD) > 255 {
		return nil, fmt.Errorf("sm2 signed dynamic data: %w", ErrSize)
	}
	head := append([]byte{SMFormatSDAD, byte(len(iccDD))}, iccDD...)
	sig, err := SM2Sign(rand, icc, append(append([]byte(nil), head...), terminalDD...))
	if err != nil {
		return nil, fmt.Errorf("sm2 signed dynamic data: %w", err)
	}
	return append(head, sig...), nil
}

// SMVerifyDynamic verifies the SM path's signed dynamic application data
// and returns the ICC dynamic data.
func SMVerifyDynamic(icc *ecdsa.PublicKey, sdad, terminalDD []byte) ([]byte, error) {
	if len(sdad) < 2+SMSigSize || sdad[0] != SMFormatSDAD || int(sdad[1]) != len(sdad)-2-SMSigSize {
		return nil, fmt.Errorf("sm2 signed dynamic data: %w: length or format", ErrAuth)
	}
	head := sdad[:len(sdad)-SMSigSize]
	if !SM2Verify(icc, append(append([]byte(nil), head...), terminalDD...), sdad[len(head):]) {
		return nil, fmt.Errorf("sm2 signed dynamic data: %w: signature does not verify", ErrAuth)
	}
	return append([]byte(nil), head[2:]...), nil
}

// TransactionHash is the transaction data hash code of CDA (EMV Book 2
// §6.6.1): SHA-1 on the DES/RSA path, SM3 on the SM path [model].
func TransactionHash(a Alg, parts ...[]byte) []byte {
	if a == SM4 {
		h := sm3.New()
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	return sha1Of(parts...)
}
