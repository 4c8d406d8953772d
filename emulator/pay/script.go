package pay

import (
	"crypto/subtle"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// script runs an issuer script command (EMV Book 3 §6.5; PBOC): APPLICATION
// BLOCK and UNBLOCK, CARD BLOCK, PIN CHANGE/UNBLOCK, PUT DATA. Each needs
// the cryptogram of this transaction for its MAC key; the command's effect,
// the try counter or balance it changes and the script counters of the
// status are one NVM transaction.
func (d *adf) script(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	c := d.c
	data := cmd.Data
	var tag iso7816.Tag
	want := paycrypto.MACSize // Lc of the command
	switch cmd.INS {
	case INSAppBlock, INSAppUnblock, INSCardBlock:
		if cmd.P1 != 0 || cmd.P2 != 0 {
			return nil, iso7816.SWWrongP1P2
		}
	case INSPINChange:
		switch {
		case cmd.P1 != 0:
			return nil, iso7816.SWWrongP1P2
		case cmd.P2 == 0x02:
			if s.path != nil {
				want += s.path.alg.BlockSize()
			}
		case cmd.P2 != 0x00:
			return nil, iso7816.SWWrongP1P2
		}
	case INSPutData:
		tag = iso7816.Tag(cmd.P1)<<8 | iso7816.Tag(cmd.P2)
		switch tag {
		case TagBalance, TagBalanceLimit, TagSingleLimit, TagResetThresh, TagCVMLimit:
		default:
			return nil, iso7816.SWRefDataNotFound
		}
		if !d.ecash {
			return nil, iso7816.SWRefDataNotFound
		}
		want += 6
	}
	if !s.hasAC {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	if len(data) != want {
		return nil, iso7816.SWWrongLength
	}
	body, mac := data[:len(data)-paycrypto.MACSize], data[len(data)-paycrypto.MACSize:]
	pa := s.path
	sk, err := paycrypto.ScriptSessionKey(pa.alg, pa.mkMAC, s.ac[:])
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	wantMAC, err := paycrypto.ScriptMAC(pa.alg, sk, [4]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}, byte(len(data)), s.atc, s.ac[:], body)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	if subtle.ConstantTimeCompare(wantMAC, mac) != 1 {
		return d.scriptFailed(x, s, iso7816.SWSMDataIncorrect)
	}
	mem := x.Memory()
	mem.Begin()
	st := d.status(x)
	switch cmd.INS {
	case INSAppBlock:
		st[0] |= stBlocked
	case INSAppUnblock:
		st[0] &^= stBlocked
	case INSCardBlock:
		mem.Set(c.blockCell, []byte{1})
	case INSPINChange:
		if cmd.P2 == 0x02 {
			skEnc, err := paycrypto.ScriptSessionKey(pa.alg, pa.mkENC, s.ac[:])
			if err != nil {
				mem.Rollback()
				return nil, iso7816.SWNoPreciseDiagnosis
			}
			pin, ok := paycrypto.DecipherPIN(pa.alg, skEnc, body)
			if !ok {
				mem.Rollback()
				return d.scriptFailed(x, s, iso7816.SWWrongData)
			}
			blk, _ := paycrypto.MakePINBlock(pin)
			mem.Set(c.pinCell, blk[:])
		}
		mem.Set(c.triesCell, []byte{byte(c.pinMax)})
	case INSPutData:
		if sw := d.putData(x, tag, body); sw != iso7816.SWOK {
			mem.Rollback()
			return d.scriptFailed(x, s, sw)
		}
	}
	s.scripts++
	d.scriptStatus(&st, s)
	mem.Set(d.statusCell, st[:])
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	return nil, iso7816.SWOK
}

// putData stages a new e-cash value; the balance never exceeds its limit.
func (d *adf) putData(x *cos.Context, tag iso7816.Tag, v []byte) iso7816.Status {
	n, ok := amount(v)
	if !ok {
		return iso7816.SWWrongData
	}
	mem := x.Memory()
	if tag == TagBalance {
		if n > d.limit(x, limBalance) {
			return iso7816.SWWrongData
		}
		mem.Set(d.balanceCell, v)
		return iso7816.SWOK
	}
	if tag == TagBalanceLimit && n < d.balance(x) {
		return iso7816.SWWrongData
	}
	l := append([]byte(nil), mem.Get(d.limitsCell)...)
	off := limitOffset(tag)
	copy(l[off:off+6], v)
	mem.Set(d.limitsCell, l)
	return iso7816.SWOK
}

// scriptFailed records a failed script command in the status (for the CVR
// of the next transaction) and answers sw.
func (d *adf) scriptFailed(x *cos.Context, s *session, sw iso7816.Status) ([]byte, iso7816.Status) {
	s.scripts++
	s.scriptErr = true
	st := d.status(x)
	d.scriptStatus(&st, s)
	mem := x.Memory()
	mem.Begin()
	mem.Set(d.statusCell, st[:])
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	return nil, sw
}

func (d *adf) scriptStatus(st *[2]byte, s *session) {
	st[1] = byte(min(s.scripts, 15))
	st[0] &^= stScriptFailed
	if s.scriptErr {
		st[0] |= stScriptFailed
	}
}
