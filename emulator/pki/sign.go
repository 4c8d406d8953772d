package pki

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"math/big"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// maxMessage bounds M in the "message" sign input (a short APDU's data).
const maxMessage = 255

// pso runs PERFORM SECURITY OPERATION: the signature or the decipherment,
// by P1-P2.
func (a *app) pso(x *cos.Context) ([]byte, iso7816.Status) {
	switch uint16(x.Cmd.P1)<<8 | uint16(x.Cmd.P2) {
	case P1P2Sign:
		return a.sign(x)
	case P1P2Decipher:
		return a.decipher(x)
	}
	return nil, iso7816.SWWrongP1P2
}

// PSO COMPUTE DIGITAL SIGNATURE 00 2A 9E 9A Lc <e or M> Le [model, CARD.md
// §4]: the SM2 signature (GB/T 32918.2) with the signing key, as r‖s.
func (a *app) sign(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if a.message && (len(cmd.Data) == 0 || len(cmd.Data) > maxMessage) || !a.message && len(cmd.Data) != DigestSize {
		return nil, iso7816.SWWrongLength
	}
	s := state(x)
	if !s.user && !a.has(DefectSignWithoutPIN) {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	k := a.pairKey(x, s, 0)
	if k == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	var opts *sm2.SM2SignerOption
	if a.message {
		opts = sm2.NewSM2SignerOption(true, a.uid)
	}
	var der []byte
	var err error
	if opts != nil {
		der, err = sm2.SignASN1(steady{x.Rand()}, k, cmd.Data, opts)
	} else {
		der, err = sm2.SignASN1(steady{x.Rand()}, k, cmd.Data, nil)
	}
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	rs, err := RawSignature(der)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	return rs, iso7816.SWOK
}

// pairKey returns the private key of pair i (0 signing, 1 encryption),
// parsed once per session while the key file stays the same; nil for an
// empty slot.
func (a *app) pairKey(x *cos.Context, s *session, i int) *sm2.PrivateKey {
	d := privateKey(x, &a.pairs[i])
	if d == nil {
		return nil
	}
	c := &s.keys[i]
	if c.key != nil && bytes.Equal(c.d[:], d) {
		return c.key
	}
	k, err := sm2.NewPrivateKey(d)
	if err != nil {
		return nil
	}
	copy(c.d[:], d)
	c.key = k
	return k
}

type ecSignature struct{ R, S *big.Int }

// RawSignature converts an ASN.1 DER SM2 signature (SEQUENCE of r and s,
// GB/T 35276 §7.3) to r‖s, each 32 bytes big-endian.
func RawSignature(der []byte) ([]byte, error) {
	var sig ecSignature
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("pki: malformed DER signature")
	}
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("pki: signature integers out of range")
	}
	out := make([]byte, SignatureSize)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// DERSignature converts r‖s (64 bytes, as PSO COMPUTE DIGITAL SIGNATURE
// answers) to the ASN.1 DER form that X.509 tools and OpenSSL verify.
func DERSignature(rs []byte) ([]byte, error) {
	if len(rs) != SignatureSize {
		return nil, errors.New("pki: a raw signature is 64 bytes (r‖s)")
	}
	r, s := new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, errors.New("pki: r or s is zero")
	}
	return asn1.Marshal(ecSignature{R: r, S: s})
}
