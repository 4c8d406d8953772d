package emv

import (
	"crypto/ecdsa"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
)

// The SM2 offline data authentication of the SM path (CARD.md §5; the
// layout of package emulator/pay, a model of JR/T 0025.17): certificates
// and signed data are in clear, followed by an SM2 signature r‖s (GB/T
// 32918.2: SM3 with the signer's Z value and the user ID
// 1234567812345678) over every byte before it and, for the ICC
// certificate, the static data to be authenticated, for the dynamic
// signature, the terminal's dynamic data.
//
//	issuer certificate (90):    12 | issuer id 4 | expiry MMYY | serial 3 |
//	                            key alg 04 | params 00 | key len 40 | X‖Y | sig 64
//	ICC certificate (9F46):     14 | PAN 10 | expiry MMYY | serial 3 |
//	                            key alg 04 | params 00 | key len 40 | X‖Y | sig 64
//	signed static data (93):    13 | DAC 2 | sig 64
//	signed dynamic data (9F4B): 15 | Ldd | ICC dynamic data | sig 64

// SM2 data formats and algorithm identifiers.
const (
	smIssuerCert = 0x12
	smSSAD       = 0x13
	smICCCert    = 0x14
	smSDAD       = 0x15
	smAlgSM2     = 0x04
	smParams     = 0x00
	smSigLen     = 64
	smKeyLen     = 64
)

// smUserID is the SM2 user ID of every signature of the SM path.
var smUserID = []byte("1234567812345678")

// verifySM2 checks an r‖s signature of msg with the default user ID.
func verifySM2(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if pub == nil || len(sig) != smSigLen {
		return false
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return sm2.VerifyWithSM2(pub, smUserID, msg, r, s)
}

// SM2Key decodes an SM2 public key X‖Y (64 bytes) and checks it is on the
// curve.
func SM2Key(xy []byte) (*ecdsa.PublicKey, error) {
	if len(xy) != smKeyLen {
		return nil, recErr("SM2 key of %d bytes, want 64", len(xy))
	}
	k, err := sm2.NewPublicKey(append([]byte{0x04}, xy...))
	if err != nil {
		return nil, recErr("SM2 key not on the curve")
	}
	return k, nil
}

// smCert decodes the common layout of the two SM2 certificates: header,
// an identifier of idLen bytes, expiry, serial, algorithm, parameters, key
// length, key and signature; signed is the data the signature covers
// (without the static data).
func smCert(cert []byte, header byte, idLen int) (id, expiry, key, signed, sig []byte, err error) {
	const fixed = 1 + 2 + 3 + 3 // header, expiry, serial, algorithm, parameters, key length
	if len(cert) != fixed+idLen+smKeyLen+smSigLen {
		return nil, nil, nil, nil, nil, recErr("SM2 certificate of %d bytes, want %d", len(cert), fixed+idLen+smKeyLen+smSigLen)
	}
	if cert[0] != header {
		return nil, nil, nil, nil, nil, recErr("SM2 certificate header %02X, want %02X", cert[0], header)
	}
	p := 1
	id = cert[p : p+idLen]
	p += idLen
	expiry = cert[p : p+2]
	p += 2 + 3
	if cert[p] != smAlgSM2 || cert[p+1] != smParams || int(cert[p+2]) != smKeyLen {
		return nil, nil, nil, nil, nil, recErr("SM2 certificate algorithm, parameters, key length %02X %02X %02X, want 04 00 40", cert[p], cert[p+1], cert[p+2])
	}
	p += 3
	key = cert[p : p+smKeyLen]
	p += smKeyLen
	return id, expiry, key, cert[:p], cert[p:], nil
}

// RecoverIssuerKeySM2 verifies the SM2 issuer certificate with the CA key
// and returns the issuer public key.
func RecoverIssuerKeySM2(ca *ecdsa.PublicKey, cert []byte, ctx RSACertContext) (*ecdsa.PublicKey, error) {
	id, expiry, key, signed, sig, err := smCert(cert, smIssuerCert, 4)
	if err != nil {
		return nil, err
	}
	if !verifySM2(ca, signed, sig) {
		return nil, recErr("SM2 issuer certificate signature does not verify")
	}
	d := cnDigits(id)
	if len(d) < 3 || !hasPrefix(cnDigits(ctx.PAN), d) {
		return nil, recErr("issuer identifier %s does not begin the PAN", d)
	}
	if e, ok := mmyy(expiry); !ok || e < ctx.Today {
		return nil, recErr("SM2 issuer certificate expired or malformed date %X", expiry)
	}
	return SM2Key(key)
}

// RecoverICCKeySM2 verifies the SM2 ICC certificate, which also signs the
// static data, with the issuer key and returns the ICC public key.
func RecoverICCKeySM2(issuer *ecdsa.PublicKey, cert, static []byte, ctx RSACertContext) (*ecdsa.PublicKey, error) {
	pan, expiry, key, signed, sig, err := smCert(cert, smICCCert, 10)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, 0, len(signed)+len(static))
	msg = append(append(msg, signed...), static...)
	if !verifySM2(issuer, msg, sig) {
		return nil, recErr("SM2 ICC certificate signature does not verify (certificate or static data changed)")
	}
	if got, want := cnDigits(pan), cnDigits(ctx.PAN); got != want || want == "" {
		return nil, recErr("ICC certificate PAN %s is not the card's %s", got, want)
	}
	if e, ok := mmyy(expiry); !ok || e < ctx.Today {
		return nil, recErr("SM2 ICC certificate expired or malformed date %X", expiry)
	}
	return SM2Key(key)
}

// VerifySSADSM2 verifies SM2 signed static application data and returns
// the data authentication code.
func VerifySSADSM2(issuer *ecdsa.PublicKey, ssad, static []byte) ([]byte, error) {
	if len(ssad) != 3+smSigLen || ssad[0] != smSSAD {
		return nil, recErr("SM2 signed static data malformed")
	}
	msg := append(append([]byte(nil), ssad[:3]...), static...)
	if !verifySM2(issuer, msg, ssad[3:]) {
		return nil, recErr("SM2 signed static data signature does not verify")
	}
	return append([]byte(nil), ssad[1:3]...), nil
}

// VerifySDADSM2 verifies SM2 signed dynamic application data over the
// terminal's dynamic data and returns the ICC dynamic data.
func VerifySDADSM2(icc *ecdsa.PublicKey, sdad, terminalData []byte) ([]byte, error) {
	if len(sdad) < 2+smSigLen || sdad[0] != smSDAD {
		return nil, recErr("SM2 signed dynamic data malformed")
	}
	ld := int(sdad[1])
	if len(sdad) != 2+ld+smSigLen {
		return nil, recErr("SM2 signed dynamic data of %d bytes with %d bytes of ICC dynamic data", len(sdad), ld)
	}
	signed := sdad[:2+ld]
	msg := make([]byte, 0, len(signed)+len(terminalData))
	msg = append(append(msg, signed...), terminalData...)
	if !verifySM2(icc, msg, sdad[2+ld:]) {
		return nil, recErr("SM2 signed dynamic data signature does not verify")
	}
	return append([]byte(nil), sdad[2:2+ld]...), nil
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
