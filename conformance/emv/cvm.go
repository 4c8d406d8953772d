package emv

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// CVM codes (EMV Book 3 Annex C3), bits 6-1 of the first byte of a rule.
const (
	cvmFail        = 0x00
	cvmPlainPIN    = 0x01
	cvmOnlinePIN   = 0x02
	cvmPlainPINSig = 0x03
	cvmEncPIN      = 0x04
	cvmEncPINSig   = 0x05
	cvmSignature   = 0x1E
	cvmNone        = 0x1F
	cvmNext        = 0x40 // apply the next rule if this one fails
)

// CVM results byte 3.
const (
	cvmResUnknown = 0x00
	cvmResFailed  = 0x01
	cvmResOK      = 0x02
)

// Terminal capabilities byte 2.
const (
	capPlainPIN  = 0x80
	capOnlinePIN = 0x40
	capSignature = 0x20
	capEncPIN    = 0x10
	capNoCVM     = 0x08
)

// maxPINTries bounds the PIN entries of one transaction.
const maxPINTries = 16

// cardholderVerification processes the CVM list (EMV Book 3 §10.5).
func (x *txn) cardholderVerification() error {
	if x.aip[0]&aipCVM == 0 {
		x.res.CVMResults = [3]byte{0x3F, 0x00, 0x00}
		return nil
	}
	x.res.TSI.Set(TSICVM)
	list := x.db.Get(TagCVMList)
	if len(list) < 10 || len(list)%2 != 0 {
		x.res.TVR.Set(TVRICCDataMissing)
		x.res.CVMResults = [3]byte{0x3F, 0x00, 0x00}
		return nil
	}
	amtX, amtY := beUint(list[0:4]), beUint(list[4:8])
	rules := list[8:]
	for i := 0; i < len(rules); i += 2 {
		code, cond := rules[i], rules[i+1]
		if !x.cvmCondition(code&0x3F, cond, amtX, amtY) {
			continue
		}
		result, err := x.performCVM(code & 0x3F)
		if err != nil {
			return err
		}
		if result != cvmResFailed {
			x.res.CVMResults = [3]byte{code, cond, result}
			return nil
		}
		if code&cvmNext != 0 && i+2 < len(rules) {
			continue
		}
		x.res.TVR.Set(TVRCVMFailed)
		x.res.CVMResults = [3]byte{code, cond, cvmResFailed}
		return nil
	}
	x.res.TVR.Set(TVRCVMFailed)
	x.res.CVMResults = [3]byte{0x3F, 0x00, cvmResFailed}
	return nil
}

// cvmCondition evaluates a CVM condition code (EMV Book 3 Annex C3).
func (x *txn) cvmCondition(method, cond byte, amtX, amtY uint64) bool {
	inAppCurrency := bytes.Equal(x.db.Get(TagAppCurrency), x.cfg.CurrencyCode[:])
	amount := x.tx.Amount
	switch cond {
	case 0x00:
		return true
	case 0x01, 0x04: // unattended cash, manual cash
		return false
	case 0x02:
		return x.tx.Type != TxCash && x.tx.Type != TxCashback
	case 0x03:
		return x.cvmSupported(method)
	case 0x05:
		return x.tx.Type == TxCashback
	case 0x06:
		return inAppCurrency && amount < amtX
	case 0x07:
		return inAppCurrency && amount > amtX
	case 0x08:
		return inAppCurrency && amount < amtY
	case 0x09:
		return inAppCurrency && amount > amtY
	}
	return false
}

func (x *txn) cvmSupported(method byte) bool {
	c := x.cfg.Capabilities[1]
	switch method {
	case cvmPlainPIN:
		return c&capPlainPIN != 0
	case cvmOnlinePIN:
		return c&capOnlinePIN != 0
	case cvmPlainPINSig:
		return c&capPlainPIN != 0 && c&capSignature != 0
	case cvmEncPIN:
		return c&capEncPIN != 0
	case cvmEncPINSig:
		return c&capEncPIN != 0 && c&capSignature != 0
	case cvmSignature:
		return c&capSignature != 0
	case cvmNone:
		return c&capNoCVM != 0
	case cvmFail:
		return true
	}
	return false
}

// performCVM performs one method and returns its CVM result byte.
func (x *txn) performCVM(method byte) (byte, error) {
	switch method {
	case cvmFail:
		return cvmResFailed, nil
	case cvmPlainPIN, cvmPlainPINSig:
		if !x.cvmSupported(method) {
			return cvmResFailed, nil
		}
		ok, err := x.offlinePIN()
		if err != nil || !ok {
			return cvmResFailed, err
		}
		if method == cvmPlainPINSig {
			return cvmResUnknown, nil
		}
		return cvmResOK, nil
	case cvmOnlinePIN:
		if !x.cvmSupported(method) || x.cfg.Host == nil {
			return cvmResFailed, nil
		}
		x.res.TVR.Set(TVROnlinePINEntered)
		return cvmResUnknown, nil
	case cvmEncPIN, cvmEncPINSig:
		// This terminal has no PIN encipherment: the method fails.
		return cvmResFailed, nil
	case cvmSignature:
		if !x.cvmSupported(method) {
			return cvmResFailed, nil
		}
		return cvmResUnknown, nil
	case cvmNone:
		if !x.cvmSupported(method) {
			return cvmResFailed, nil
		}
		return cvmResOK, nil
	}
	x.res.TVR.Set(TVRUnrecognisedCVM)
	return cvmResFailed, nil
}

// offlinePIN presents the cardholder's PIN to the card in clear (EMV Book
// 3 §6.5.12, Book 2 §7.1) until the card accepts it, the cardholder
// gives up or the card's tries run out.
func (x *txn) offlinePIN() (bool, error) {
	if x.cfg.PIN == nil {
		x.res.TVR.Set(TVRPINPadMissing)
		return false, nil
	}
	tries, err := x.pinTryCounter()
	if err != nil {
		return false, err
	}
	if tries == 0 {
		x.res.PINTriesLeft = 0
		x.res.TVR.Set(TVRPINTryLimitExceeded)
		return false, nil
	}
	for i := 0; i < maxPINTries; i++ {
		pin, ok := x.cfg.PIN(tries)
		if !ok {
			x.res.TVR.Set(TVRPINNotEntered)
			return false, nil
		}
		block, err := PlainPINBlock(pin)
		if err != nil {
			x.res.TVR.Set(TVRPINNotEntered)
			return false, nil
		}
		r, err := x.send("VERIFY", iso7816.Command{CLA: 0x00, INS: 0x20, P1: 0x00, P2: 0x80, Data: block})
		if err != nil {
			return false, err
		}
		switch n, retry := r.SW.Retries(); {
		case r.SW == iso7816.SWOK:
			if tries >= 0 {
				x.res.PINTriesLeft = tries
			}
			return true, nil
		case retry:
			tries = n
			x.res.PINTriesLeft = n
			if n == 0 {
				x.res.TVR.Set(TVRPINTryLimitExceeded)
				return false, nil
			}
		case errors.Is(r.SW, iso7816.SWAuthBlocked), errors.Is(r.SW, iso7816.SWRefDataNotUsable):
			x.res.PINTriesLeft = 0
			x.res.TVR.Set(TVRPINTryLimitExceeded)
			return false, nil
		default:
			return false, nil
		}
	}
	return false, nil
}

// pinTryCounter reads 9F17 with GET DATA; -1 when the card does not say.
func (x *txn) pinTryCounter() (int, error) {
	v, ok, err := x.getData(TagPINTry)
	if err != nil || !ok || len(v) != 1 {
		return -1, err
	}
	return int(v[0]), nil
}

// getData reads a primitive data object with GET DATA (EMV Book 3
// §6.5.7); ok is false when the card does not return it.
func (x *txn) getData(t Tag) ([]byte, bool, error) {
	if t.Len() != 2 {
		return nil, false, nil
	}
	r, err := x.send("GET DATA "+t.String(), iso7816.Command{CLA: 0x80, INS: 0xCA, P1: byte(t >> 8), P2: byte(t), Ne: 256})
	if err != nil {
		return nil, false, err
	}
	if r.SW != iso7816.SWOK {
		return nil, false, nil
	}
	v, ok := template(r.Data, t)
	return v, ok, nil
}

// PlainPINBlock encodes a PIN of 4 to 12 digits as the plaintext offline
// PIN block (EMV Book 3 §6.5.12.2): 2N, the digits, F padding, 8 bytes.
func PlainPINBlock(pin string) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 12 {
		return nil, fmt.Errorf("PIN of %d digits, want 4 to 12", len(pin))
	}
	b := []byte{0x20 | byte(len(pin)), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	for i := 0; i < len(pin); i++ {
		d := pin[i]
		if d < '0' || d > '9' {
			return nil, fmt.Errorf("PIN has a non-digit")
		}
		nib := d - '0'
		pos := 1 + i/2
		if i%2 == 0 {
			b[pos] = nib<<4 | b[pos]&0x0F
		} else {
			b[pos] = b[pos]&0xF0 | nib
		}
	}
	return b, nil
}
