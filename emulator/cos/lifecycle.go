package cos

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

// lifeCycleCommand is the common shape of ACTIVATE FILE, DEACTIVATE FILE
// and TERMINATE DF on the current DF [model, CARD.md §6]: 84 xx 00 00 04
// <MAC>, MACed with the DF's maintenance key over a fresh challenge, after
// the DF's admin condition (external authentication, by default) holds.
func (o *OS) lifeCycleCommand(x *Context, lcs byte) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	ch := x.ch
	if cmd.P1 != 0 || cmd.P2 != 0 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongP1P2
	}
	df := ch.df
	if df == o.layout.root && lcs == LCSTerminated {
		ch.takeChallenge()
		return nil, iso7816.SWCommandIncompatible
	}
	if len(cmd.Data) != 4 || cmd.Ne != 0 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongLength
	}
	if sw := o.checkAccess(ch, df, df.admin); sw != iso7816.SWOK {
		ch.takeChallenge()
		return nil, sw
	}
	if _, sw := o.checkMAC(x, UseMaint); sw != iso7816.SWOK {
		return nil, sw
	}
	if o.lcs(df) == LCSTerminated {
		return nil, iso7816.SWAppPermanentlyLocked
	}
	o.mem.Begin()
	o.mem.Set(df.lcsCell, []byte{lcs})
	if !o.commit() {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// ACTIVATE FILE (ISO/IEC 7816-4 §11.6.5): life cycle 05.
func (o *OS) activateFile(x *Context) ([]byte, iso7816.Status) {
	return o.lifeCycleCommand(x, LCSActivated)
}

// DEACTIVATE FILE (ISO/IEC 7816-4 §11.6.4): life cycle 04.
func (o *OS) deactivateFile(x *Context) ([]byte, iso7816.Status) {
	return o.lifeCycleCommand(x, LCSDeactivated)
}

// TERMINATE DF (ISO/IEC 7816-4 §11.6.6): life cycle 0C, irreversibly.
func (o *OS) terminateDF(x *Context) ([]byte, iso7816.Status) {
	return o.lifeCycleCommand(x, LCSTerminated)
}

// scriptCommand is the common shape of the issuer-script commands
// APPLICATION BLOCK / UNBLOCK and CARD BLOCK (EMV Book 3 §6.5): 84 xx 00 00
// 04 <MAC> with the maintenance key over a fresh challenge.
func (o *OS) scriptCommand(x *Context, apply func()) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		x.ch.takeChallenge()
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 4 || cmd.Ne != 0 {
		x.ch.takeChallenge()
		return nil, iso7816.SWWrongLength
	}
	if _, sw := o.checkMAC(x, UseMaint); sw != iso7816.SWOK {
		return nil, sw
	}
	o.mem.Begin()
	apply()
	if !o.commit() {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// APPLICATION BLOCK (EMV Book 3 §6.5.1): the current application answers
// SELECT with 6283 and refuses its commands with 6A81 until unblocked.
func (o *OS) appBlock(x *Context) ([]byte, iso7816.Status) {
	df := x.ch.df
	return o.scriptCommand(x, func() { o.mem.Set(df.blkCell, []byte{1}) })
}

// APPLICATION UNBLOCK (EMV Book 3 §6.5.2).
func (o *OS) appUnblock(x *Context) ([]byte, iso7816.Status) {
	df := x.ch.df
	return o.scriptCommand(x, func() { o.mem.Set(df.blkCell, []byte{0}) })
}

// CARD BLOCK (EMV Book 3 §6.5.3): every later command answers 6A81, for good.
func (o *OS) cardBlock(x *Context) ([]byte, iso7816.Status) {
	return o.scriptCommand(x, func() { o.mem.Set(o.layout.cardCell, []byte{1}) })
}
