package pki

import (
	"crypto/subtle"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

func (a *app) pinByRef(ref byte) *pinObj {
	switch ref {
	case PINUser:
		return &a.user
	case PINAdmin:
		return &a.admin
	}
	return nil
}

func triesLeft(x *cos.Context, p *pinObj) int {
	c := x.Memory().Get(p.triesCell)
	if len(c) != 1 {
		return 0
	}
	return min(int(c[0]), p.maxTries)
}

// setTries writes a try counter in a transaction of its own.
func setTries(x *cos.Context, p *pinObj, n int) bool {
	m := x.Memory()
	m.Begin()
	m.Set(p.triesCell, []byte{byte(n)})
	return x.Commit()
}

func retries(n int) iso7816.Status { return iso7816.SWVerifyFailed | iso7816.Status(min(n, 15)) }

func (s *session) set(ref byte, ok bool) {
	if ref == PINUser {
		s.user = ok
	} else {
		s.admin = ok
	}
}

func (s *session) verified(ref byte) bool {
	if ref == PINUser {
		return s.user
	}
	return s.admin
}

// VERIFY 00 20 01 <81|00> 10 <SM4(PIN key, challenge)> (CARD.md §4).
func (a *app) verify(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	var chal []byte
	if len(cmd.Data) != 0 {
		chal = x.TakeChallenge() // a challenge serves one VERIFY, whatever happens
	}
	if cmd.P1 != P1Verify {
		return nil, iso7816.SWWrongP1P2
	}
	p := a.pinByRef(cmd.P2)
	if p == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	s := state(x)
	left := triesLeft(x, p)
	if len(cmd.Data) == 0 {
		switch {
		case left == 0:
			return nil, iso7816.SWAuthBlocked
		case s.verified(p.ref):
			return nil, iso7816.SWOK
		}
		return nil, retries(left)
	}
	if len(cmd.Data) != pinKeySize || cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	if chal == nil {
		return nil, iso7816.SWRefDataNotUsable
	}
	key := x.Memory().Get(p.keyCell)
	want, err := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, key, chal)
	if err != nil {
		return nil, iso7816.SWRefDataNotUsable
	}
	return a.present(x, s, p, left, subtle.ConstantTimeCompare(want, cmd.Data) == 1, nil)
}

// present counts one presentation of PIN p that was right or wrong: the
// try is committed before the outcome, and restored (with newKey, if any,
// written in the same transaction) only when right.
func (a *app) present(x *cos.Context, s *session, p *pinObj, left int, right bool, newKey []byte) ([]byte, iso7816.Status) {
	if left == 0 {
		return nil, iso7816.SWAuthBlocked
	}
	dec, ok := a.spendTry(x, p, left)
	if !ok {
		return nil, 0
	}
	if !right {
		s.set(p.ref, false)
		return nil, retries(dec)
	}
	m := x.Memory()
	m.Begin()
	m.Set(p.triesCell, []byte{byte(p.maxTries)})
	if newKey != nil {
		m.Set(p.keyCell, newKey)
	}
	if !x.Commit() {
		return nil, 0
	}
	s.set(p.ref, true)
	return nil, iso7816.SWOK
}

// spendTry commits one try of PIN p (left tries before it), in a
// transaction of its own, and returns the tries left; false when power was
// lost.
func (a *app) spendTry(x *cos.Context, p *pinObj, left int) (int, bool) {
	dec := left - 1
	if a.has(DefectPINNoDecrement) {
		dec = left
	}
	return dec, setTries(x, p, dec)
}

// CHANGE PIN 84 5E 01 <00|81> 14 <SM4(old key, new key)> <MAC(old key)>
// (CARD.md §4 [known header]; construction in the package doc).
func (a *app) changePIN(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	chal := x.TakeChallenge()
	if !x.SM() {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	if cmd.P1 != P1Verify {
		return nil, iso7816.SWWrongP1P2
	}
	p := a.pinByRef(cmd.P2)
	if p == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	if len(cmd.Data) != pinKeySize+cardcrypto.MACSize || cmd.Ne != 0 || cmd.Extended {
		return nil, iso7816.SWWrongLength
	}
	left := triesLeft(x, p)
	if left == 0 {
		return nil, iso7816.SWAuthBlocked
	}
	if chal == nil {
		return nil, iso7816.SWSMDataIncorrect
	}
	body, mac := cmd.Data[:pinKeySize], cmd.Data[pinKeySize:]
	old := x.Memory().Get(p.keyCell)
	h := make([]byte, 0, 5+pinKeySize)
	h = append(h, cmd.CLA, cmd.INS, cmd.P1, cmd.P2, byte(len(cmd.Data)))
	h = append(h, body...)
	right := cardcrypto.VerifyMAC(cardcrypto.AlgSM4, old, chal, h, mac) || a.has(DefectMACNotChecked)
	newKey, err := cardcrypto.DecryptECB(cardcrypto.AlgSM4, old, body)
	if err != nil {
		return nil, iso7816.SWWrongData
	}
	return a.present(x, state(x), p, left, right, newKey)
}

// RESET RETRY COUNTER 84 2C 02 81 14 <SM4(admin key, new key)> <MAC(admin
// key)> or 84 2C 03 81 04 <MAC(admin key)> [model, ISO/IEC 7816-4 INS 2C]:
// the admin resets the user PIN's tries, with a new user PIN (P1 02) or
// without (P1 03). The MAC over the header and the data, with the admin
// PIN's key and the challenge as IV, proves knowledge of the admin PIN: a
// wrong one costs an admin try, committed before the comparison. The user
// PIN's key (for P1 02), its tries and the admin's tries are written in one
// transaction.
func (a *app) resetRetryCounter(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	chal := x.TakeChallenge()
	if !x.SM() || !x.Proprietary() {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	var n int
	switch cmd.P1 {
	case P1ResetNewPIN:
		n = pinKeySize
	case P1ResetTries:
	default:
		return nil, iso7816.SWWrongP1P2
	}
	if cmd.P2 != PINUser {
		return nil, iso7816.SWWrongP1P2 // only the user PIN has the admin as resetter
	}
	if len(cmd.Data) != n+cardcrypto.MACSize || cmd.Ne != 0 || cmd.Extended {
		return nil, iso7816.SWWrongLength
	}
	adm, user := &a.admin, &a.user
	left := triesLeft(x, adm)
	if left == 0 {
		return nil, iso7816.SWAuthBlocked
	}
	if chal == nil {
		return nil, iso7816.SWSMDataIncorrect
	}
	body, mac := cmd.Data[:n], cmd.Data[n:]
	key := x.Memory().Get(adm.keyCell)
	h := make([]byte, 0, 5+pinKeySize)
	h = append(h, cmd.CLA, cmd.INS, cmd.P1, cmd.P2, byte(len(cmd.Data)))
	h = append(h, body...)
	right := cardcrypto.VerifyMAC(cardcrypto.AlgSM4, key, chal, h, mac)
	var newKey []byte
	if n > 0 {
		var err error
		if newKey, err = cardcrypto.DecryptECB(cardcrypto.AlgSM4, key, body); err != nil {
			return nil, iso7816.SWWrongData
		}
	}
	dec, ok := a.spendTry(x, adm, left)
	if !ok {
		return nil, 0
	}
	s := state(x)
	if !right {
		s.admin = false
		return nil, retries(dec)
	}
	m := x.Memory()
	m.Begin()
	m.Set(adm.triesCell, []byte{byte(adm.maxTries)})
	m.Set(user.triesCell, []byte{byte(user.maxTries)})
	if newKey != nil {
		m.Set(user.keyCell, newKey)
	}
	if !x.Commit() {
		return nil, 0
	}
	if newKey != nil {
		s.user = false // a verification of the old PIN ends with it
	}
	return nil, iso7816.SWOK
}
