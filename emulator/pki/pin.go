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
	dec := left - 1
	if a.has(DefectPINNoDecrement) {
		dec = left
	}
	if !setTries(x, p, dec) {
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
