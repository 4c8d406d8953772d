package cos

import (
	"bytes"
	"crypto/subtle"
	"io"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

// pinHolder returns the nearest DF at or above df that has a PIN.
func pinHolder(df *Node) *Node {
	for n := df; n != nil; n = n.parent {
		if n.pin != nil {
			return n
		}
	}
	return nil
}

// findKey finds key id (or, with id 0 and a usage, the first key with that
// usage) in df or the nearest DF above that defines it.
func (o *OS) findKey(df *Node, id byte, usage KeyUsage) *keyObj {
	k, _ := o.findKeyDF(df, id, usage)
	return k
}

func (o *OS) findKeyDF(df *Node, id byte, usage KeyUsage) (*keyObj, *Node) {
	for n := df; n != nil; n = n.parent {
		for _, k := range n.keys {
			if id != 0 && k.id == id && (usage == 0 || k.usage&usage != 0) {
				return k, n
			}
			if id == 0 && k.usage&usage != 0 {
				return k, n
			}
		}
	}
	return nil, nil
}

func (ch *channel) has(df *Node, kind secKind, ref byte) bool {
	for i := 0; i < ch.nsec; i++ {
		e := ch.sec[i]
		if e.df == df && e.kind == kind && e.ref == ref {
			return true
		}
	}
	return false
}

func (ch *channel) grant(df *Node, kind secKind, ref byte) {
	if ch.has(df, kind, ref) {
		return
	}
	if ch.nsec == maxSecEntries {
		copy(ch.sec[:], ch.sec[1:])
		ch.nsec--
	}
	ch.sec[ch.nsec] = secEntry{df: df, kind: kind, ref: ref}
	ch.nsec++
}

func (ch *channel) revoke(df *Node, kind secKind, ref byte) {
	k := 0
	for i := 0; i < ch.nsec; i++ {
		e := ch.sec[i]
		if e.df == df && e.kind == kind && e.ref == ref {
			continue
		}
		ch.sec[k] = e
		k++
	}
	for i := k; i < ch.nsec; i++ {
		ch.sec[i] = secEntry{}
	}
	ch.nsec = k
}

func (o *OS) pinOK(ch *channel, df *Node) bool {
	h := pinHolder(df)
	return h != nil && ch.has(h, secPIN, 0)
}

func (o *OS) keyOK(ch *channel, df *Node, id byte) bool {
	_, holder := o.findKeyDF(df, id, 0)
	return holder != nil && ch.has(holder, secKey, id)
}

// checkAccess evaluates an access rule for a file in the security state of
// ch (CARD.md §2 access conditions).
func (o *OS) checkAccess(ch *channel, n *Node, r Rule) iso7816.Status {
	df := o.dfOf(n)
	ok := false
	switch r.Kind {
	case Free:
		ok = true
	case Never:
		ok = false
	case NeedPIN:
		ok = o.pinOK(ch, df)
	case NeedKey:
		ok = o.keyOK(ch, df, r.Key)
	case PINOrKey:
		ok = o.pinOK(ch, df) || o.keyOK(ch, df, r.Key)
	case PINAndKey:
		ok = o.pinOK(ch, df) && o.keyOK(ch, df, r.Key)
	}
	if !ok {
		return iso7816.SWSecurityNotSatisfied
	}
	return iso7816.SWOK
}

// verifyMAC checks the MAC ending the command data with key k, over
// CLA INS P1 P2 Lc data (Lc as sent, MAC included) with the channel's
// challenge as IV (CARD.md §3). The challenge is consumed whatever the
// outcome, so a replayed command fails.
func (o *OS) verifyMAC(x *Context, k *keyObj) ([]byte, iso7816.Status) {
	chal := x.ch.takeChallenge()
	if o.has(DefectChallengeReusable) && chal != nil {
		x.ch.chalLen = len(chal)
	}
	data := x.Cmd.Data
	if len(data) < cardcrypto.MACSize || x.Cmd.Extended {
		return nil, iso7816.SWSMDataIncorrect
	}
	if chal == nil {
		return nil, iso7816.SWSMDataIncorrect
	}
	body := data[:len(data)-cardcrypto.MACSize]
	mac := data[len(data)-cardcrypto.MACSize:]
	var in [5 + 255]byte
	h := append(in[:0], x.Cmd.CLA, x.Cmd.INS, x.Cmd.P1, x.Cmd.P2, byte(len(data)))
	h = append(h, body...)
	alg := x.ch.df.alg
	if !cardcrypto.VerifyMAC(alg, k.value, chal, h, mac) && !o.has(DefectMACNotChecked) {
		return nil, iso7816.SWSMDataIncorrect
	}
	return body, iso7816.SWOK
}

func (o *OS) checkMAC(x *Context, usage KeyUsage) ([]byte, iso7816.Status) {
	k := o.findKey(x.ch.df, 0, usage)
	if k == nil {
		x.ch.takeChallenge()
		return nil, iso7816.SWRefDataNotFound
	}
	return o.verifyMAC(x, k)
}

// GET CHALLENGE (ISO/IEC 7816-4 §11.5.3): 4, 8 or 16 random bytes, kept
// for the next EXTERNAL AUTHENTICATE or secured command on this channel.
func (o *OS) getChallenge(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 0 || cmd.Ne != 4 && cmd.Ne != 8 && cmd.Ne != 16 {
		return nil, iso7816.SWWrongLength
	}
	ch := x.ch
	if _, err := io.ReadFull(o.rand, ch.chal[:cmd.Ne]); err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	ch.chalLen = cmd.Ne
	return ch.chal[:cmd.Ne], iso7816.SWOK
}

// EXTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.4; CARD.md §3): P2 is the key
// identifier; the data is ENC(key, challenge) [model padding, see
// cardcrypto.ExternalAuthCryptogram]. Tries count down like a PIN: the
// decrement is committed before the comparison, and restored on success.
func (o *OS) externalAuthenticate(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	ch := x.ch
	if cmd.P1 != 0 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongP1P2
	}
	k, holder := o.findKeyDF(ch.df, cmd.P2, UseExtAuth)
	if k == nil || cmd.P2 == 0 {
		ch.takeChallenge()
		return nil, iso7816.SWRefDataNotFound
	}
	alg := ch.df.alg
	if len(cmd.Data) != alg.BlockSize() || cmd.Ne != 0 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongLength
	}
	chal := ch.takeChallenge()
	if chal == nil || len(chal) > alg.BlockSize() {
		// No challenge, or one too long for the key's block (a 16-byte
		// challenge on a 3DES card): nothing to authenticate against.
		return nil, iso7816.SWRefDataNotUsable
	}
	if o.has(DefectChallengeReusable) {
		ch.chalLen = len(chal)
	}
	left := o.tries(k.triesCell)
	if left == 0 {
		return nil, iso7816.SWAuthBlocked
	}
	dec := left - 1
	if o.has(DefectExtAuthNoCount) {
		dec = left
	}
	if !o.setCounter(k.triesCell, dec) {
		return nil, 0
	}
	want, err := cardcrypto.ExternalAuthCryptogram(alg, k.value, chal)
	if err != nil || subtle.ConstantTimeCompare(want, cmd.Data) != 1 {
		ch.revoke(holder, secKey, k.id)
		return nil, retries(dec)
	}
	if !o.setCounter(k.triesCell, k.tries) {
		return nil, 0
	}
	ch.grant(holder, secKey, k.id)
	return nil, iso7816.SWOK
}

// INTERNAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.2; CARD.md §3): the card
// proves it holds key P2 (00: its internal authentication key) by
// enciphering the terminal's data [model, cardcrypto.InternalAuthResponse].
func (o *OS) internalAuthenticate(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	k := o.findKey(x.ch.df, cmd.P2, UseIntAuth)
	if k == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	resp, err := cardcrypto.InternalAuthResponse(x.ch.df.alg, k.value, cmd.Data)
	if err != nil {
		return nil, iso7816.SWWrongLength
	}
	return resp, iso7816.SWOK
}

func (o *OS) tries(cell int) int {
	c := o.mem.Get(cell)
	if len(c) != 1 {
		return 0
	}
	return int(c[0])
}

// setCounter writes a try counter in a transaction of its own.
func (o *OS) setCounter(cell, v int) bool {
	o.mem.Begin()
	o.mem.Set(cell, []byte{byte(v)})
	return o.commit()
}

func retries(n int) iso7816.Status {
	if n > 15 {
		n = 15
	}
	return iso7816.SWVerifyFailed | iso7816.Status(n)
}

// VERIFY (ISO/IEC 7816-4 §11.5.6; CARD.md §3): 00 20 00 00 Lc <BCD PIN>.
// Without data it reports the state: 9000 if verified, else 63Cx (x tries
// left), 6983 when blocked.
func (o *OS) verify(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if cmd.P2 != 0 {
		return nil, iso7816.SWRefDataNotFound
	}
	holder := pinHolder(x.ch.df)
	if holder == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	pin := holder.pin
	left := o.tries(pin.triesCell)
	if len(cmd.Data) == 0 && o.has(DefectEmptyVerifyCounts) && left > 0 {
		if !o.setCounter(pin.triesCell, left-1) {
			return nil, 0
		}
		left--
	}
	if len(cmd.Data) == 0 {
		// The empty VERIFY is case 1; 00 20 00 00 00 (as T=0 sends it) is
		// taken as the same query.
		switch {
		case left == 0:
			return nil, iso7816.SWAuthBlocked
		case x.ch.has(holder, secPIN, 0):
			return nil, iso7816.SWOK
		}
		return nil, retries(left)
	}
	if cmd.Ne != 0 || len(cmd.Data) > (cardcrypto.PINMaxDigits+1)/2 {
		return nil, iso7816.SWWrongLength
	}
	if _, err := cardcrypto.DecodePINBCD(cmd.Data); err != nil {
		return nil, iso7816.SWWrongData
	}
	return o.presentPIN(x.ch, holder, cmd.Data, nil)
}

// presentPIN compares a presented BCD PIN with the PIN of holder. The try
// counter is decremented and committed before the comparison and restored
// only on success, so tearing the power never wins a try back. On success
// newPIN, if given, replaces the PIN in the same transaction as the
// counter's restoration.
func (o *OS) presentPIN(ch *channel, holder *Node, presented, newPIN []byte) ([]byte, iso7816.Status) {
	pin := holder.pin
	left := o.tries(pin.triesCell)
	if left == 0 && !o.has(DefectPINNeverBlocks) {
		return nil, iso7816.SWAuthBlocked
	}
	dec := max(left-1, 0)
	if o.has(DefectPINNoDecrement) {
		dec = left
	}
	if !o.setCounter(pin.triesCell, dec) {
		return nil, 0
	}
	stored := o.mem.Get(pin.valueCell)
	if subtle.ConstantTimeCompare(stored, presented) != 1 {
		ch.revoke(holder, secPIN, 0)
		return nil, retries(dec)
	}
	o.mem.Begin()
	o.mem.Set(pin.triesCell, []byte{byte(pin.maxTries)})
	if newPIN != nil {
		o.mem.Set(pin.valueCell, newPIN)
	}
	if !o.commit() {
		return nil, 0
	}
	ch.grant(holder, secPIN, 0)
	return nil, iso7816.SWOK
}

// checkNewPIN validates a new PIN's digits and length against the PIN
// object's rules.
func checkNewPIN(p *pinObj, bcd []byte) bool {
	s, err := cardcrypto.DecodePINBCD(bcd)
	return err == nil && len(s) >= p.minLen && len(s) <= p.maxLen
}

// CHANGE PIN (CARD.md §3): 80 5E 01 00 Lc <old BCD> FF <new BCD>. The old
// PIN counts like a VERIFY.
func (o *OS) changePIN(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0x01 || cmd.P2 != 0x00 {
		return nil, iso7816.SWWrongP1P2
	}
	if cmd.Ne != 0 || len(cmd.Data) < 3 || len(cmd.Data) > 13 {
		return nil, iso7816.SWWrongLength
	}
	holder := pinHolder(x.ch.df)
	if holder == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	i := bytes.IndexByte(cmd.Data, 0xFF)
	if i < 1 || i == len(cmd.Data)-1 {
		return nil, iso7816.SWWrongData
	}
	oldPIN, newPIN := cmd.Data[:i], cmd.Data[i+1:]
	if _, err := cardcrypto.DecodePINBCD(oldPIN); err != nil {
		return nil, iso7816.SWWrongData
	}
	if !checkNewPIN(holder.pin, newPIN) {
		return nil, iso7816.SWWrongData
	}
	return o.presentPIN(x.ch, holder, oldPIN, append([]byte(nil), newPIN...))
}

// PIN RELOAD and UNBLOCK (CARD.md §3), CLA 84 with a MAC:
//
//	84 24 00 01 Lc <enciphered PIN block><MAC>: reload, after external
//	authentication with the reload key; sets a new PIN and restores the tries.
//	84 24 00 00 04 <MAC>: unblock with the unblock key; restores the tries.
func (o *OS) pinReload(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	ch := x.ch
	if cmd.P1 != 0 || cmd.P2 > 1 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongP1P2
	}
	holder := pinHolder(ch.df)
	if holder == nil {
		ch.takeChallenge()
		return nil, iso7816.SWRefDataNotFound
	}
	usage := UseUnblock
	if cmd.P2 == 1 {
		usage = UseReload
	}
	k := o.findKey(ch.df, 0, usage)
	if k == nil {
		ch.takeChallenge()
		return nil, iso7816.SWRefDataNotFound
	}
	alg := ch.df.alg
	want := cardcrypto.MACSize
	if usage == UseReload {
		want += alg.BlockSize()
		if !o.keyOK(ch, ch.df, k.id) {
			ch.takeChallenge()
			return nil, iso7816.SWSecurityNotSatisfied
		}
	}
	if len(cmd.Data) != want || cmd.Ne != 0 {
		ch.takeChallenge()
		return nil, iso7816.SWWrongLength
	}
	body, sw := o.verifyMAC(x, k)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	pin := holder.pin
	o.mem.Begin()
	if usage == UseReload {
		s, err := cardcrypto.DecipherPIN(alg, k.value, body)
		if err != nil {
			o.mem.Rollback()
			return nil, iso7816.SWWrongData
		}
		bcd, err := cardcrypto.EncodePINBCD(s)
		if err != nil || !checkNewPIN(pin, bcd) {
			o.mem.Rollback()
			return nil, iso7816.SWWrongData
		}
		o.mem.Set(pin.valueCell, bcd)
	}
	o.mem.Set(pin.triesCell, []byte{byte(pin.maxTries)})
	if !o.commit() {
		return nil, 0
	}
	ch.revoke(holder, secPIN, 0)
	return nil, iso7816.SWOK
}
