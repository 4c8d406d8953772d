package pay

import (
	"crypto/subtle"
	"io"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// GENERATE AC 80 AE P1 00 Lc <CDOL data> 00 (EMV Book 3 §6.5.5; card
// decisions in the package documentation).
func (d *adf) generateAC(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	asked := cmd.P1 & ACTypeMask
	if asked == ACTypeMask || cmd.P1&^(ACTypeMask|CDARequest) != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	switch s.phase {
	case phGPO:
		return d.firstAC(x, s, asked)
	case phOnline:
		if asked == ARQC {
			return nil, iso7816.SWWrongP1P2
		}
		return d.secondAC(x, s, asked)
	}
	return nil, iso7816.SWConditionsNotSatisfied
}

func (d *adf) firstAC(x *cos.Context, s *session, asked byte) ([]byte, iso7816.Status) {
	c, data := d.c, x.Cmd.Data
	if len(data) != c.cdol1.size {
		return nil, iso7816.SWWrongLength
	}
	if !checkTerminalData(&c.cdol1, data) {
		return nil, iso7816.SWWrongData
	}
	amt, _ := amount(value(&c.cdol1, data, TagAmount, 6))
	typ := asked
	ecash := false
	switch {
	case d.blocked(x) || asked == AAC:
		typ = AAC
	case asked == ARQC:
	case s.ecashTxn && amt == s.amount && amt <= d.balance(x):
		ecash = true
	case s.ecashTxn:
		typ = AAC // the amount changed since GPO, or another channel spent the balance [model]
	case d.offlineCount(x) >= c.ucol || d.status(x)[0]&stOnlinePending != 0:
		typ = ARQC
	}
	cvr := d.cvr(x, s, firstBits(typ), secondNotAsked)
	bal := d.balance(x)
	if ecash {
		bal -= amt
	}
	ac, err := paycrypto.Cryptogram(s.path.alg, s.path.mkAC, s.atc, data, c.aip, cvr)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	iad := c.iad(s.path, cvr, bal)
	resp, sw := d.acResponse(x, s, typ, ac, iad, data, nil)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	mem := x.Memory()
	mem.Begin()
	switch {
	case typ == TC && ecash:
		mem.Set(d.balanceCell, amountBytes(bal))
		d.writeLog(x, &c.cdol1, data, s.atc)
	case typ == TC:
		mem.Set(d.offlineCell, []byte{byte(min(d.offlineCount(x)+1, 255))})
		d.writeLog(x, &c.cdol1, data, s.atc)
	case typ == ARQC:
		st := d.status(x)
		st[0] |= stOnlinePending
		mem.Set(d.statusCell, st[:])
	}
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	s.cdol1Data = append(s.cdol1Data[:0], data...)
	copy(s.ac[:], ac)
	s.hasAC = true
	s.phase = phDone
	if typ == ARQC {
		s.phase = phOnline
	}
	return resp, iso7816.SWOK
}

func (d *adf) secondAC(x *cos.Context, s *session, asked byte) ([]byte, iso7816.Status) {
	c, data := d.c, x.Cmd.Data
	if len(data) != c.cdol2.size {
		return nil, iso7816.SWWrongLength
	}
	if !checkTerminalData(&c.cdol2, data) {
		return nil, iso7816.SWWrongData
	}
	typ := asked
	if d.blocked(x) {
		typ = AAC
	}
	if c.aip[0]&AIPIssuerAuth != 0 && !s.authTried {
		s.cvr[1] |= 0x04 // issuer authentication not performed after online authorisation
	}
	cvr := d.cvr(x, s, firstBits(ARQC), secondBits(typ))
	cvr[1] &^= 0x80 // this is the completion of the pending online transaction
	ac, err := paycrypto.Cryptogram(s.path.alg, s.path.mkAC, s.atc, data, c.aip, cvr)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	iad := c.iad(s.path, cvr, d.balance(x))
	resp, sw := d.acResponse(x, s, typ, ac, iad, s.cdol1Data, data)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	mem := x.Memory()
	mem.Begin()
	st := d.status(x)
	st[0] &^= stOnlinePending | stIssuerAuthFailed
	if s.authFail {
		st[0] |= stIssuerAuthFailed
	}
	mem.Set(d.statusCell, st[:])
	if typ == TC {
		mem.Set(d.lastOnlineCell, atcBytes(s.atc))
		mem.Set(d.offlineCell, []byte{0})
		d.writeLog(x, &c.cdol1, s.cdol1Data, s.atc)
	}
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	s.phase = phDone
	return resp, iso7816.SWOK
}

// acResponse formats the answer to GENERATE AC: format 1 or 2, or with CDA
// (asked, supported, and a TC or ARQC) the signed format 2 of EMV Book 2
// §6.6 with the cryptogram inside the signature.
func (d *adf) acResponse(x *cos.Context, s *session, typ byte, ac, iad, cdol1, cdol2 []byte) ([]byte, iso7816.Status) {
	c := d.c
	atc := atcBytes(s.atc)
	if x.Cmd.P1&CDARequest != 0 && c.cda && typ != AAC {
		return d.cdaResponse(x, s, typ, ac, iad, cdol1, cdol2)
	}
	if c.format == 1 {
		out := make([]byte, 0, 2+11+len(iad))
		out = append(out, byte(TagFormat1), byte(11+len(iad)), typ, atc[0], atc[1])
		out = append(out, ac...)
		return append(out, iad...), iso7816.SWOK
	}
	return tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFormat2, func(b *iso7816.Builder) {
			b.AddTLV(TagCID, []byte{typ})
			b.AddTLV(TagATC, atc)
			b.AddTLV(TagAC, ac)
			b.AddTLV(TagIAD, iad)
		})
	}), iso7816.SWOK
}

// cdaResponse: ICC dynamic data = 08 ‖ IDN(8) ‖ CID ‖ AC ‖ transaction data
// hash code over PDOL data ‖ CDOL1 data [‖ CDOL2 data] ‖ the answer's
// data objects but 9F4B; terminal dynamic data = the unpredictable number.
func (d *adf) cdaResponse(x *cos.Context, s *session, typ byte, ac, iad, cdol1, cdol2 []byte) ([]byte, iso7816.Status) {
	c := d.c
	objs := tlvs(func(b *iso7816.Builder) {
		b.AddTLV(TagCID, []byte{typ})
		b.AddTLV(TagATC, atcBytes(s.atc))
		b.AddTLV(TagIAD, iad)
	})
	tdhc := paycrypto.TransactionHash(s.path.alg, s.pdolData, cdol1, cdol2, objs)
	var idn [8]byte
	if _, err := io.ReadFull(x.Rand(), idn[:]); err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	dd := make([]byte, 0, 1+8+1+8+len(tdhc))
	dd = append(dd, 8)
	dd = append(dd, idn[:]...)
	dd = append(dd, typ)
	dd = append(dd, ac...)
	dd = append(dd, tdhc...)
	un := value(&c.cdol1, cdol1, TagUN, 4)
	if cdol2 != nil {
		un = value(&c.cdol2, cdol2, TagUN, 4)
	}
	sdad, err := s.path.signDynamic(x.Rand(), dd, un)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	return tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFormat2, func(b *iso7816.Builder) {
			b.AddTLV(TagCID, []byte{typ})
			b.AddTLV(TagATC, atcBytes(s.atc))
			b.AddTLV(TagSDAD, sdad)
			b.AddTLV(TagIAD, iad)
		})
	}), iso7816.SWOK
}

// EXTERNAL AUTHENTICATE 00 82 00 00 0A <ARPC><ARC> (EMV Book 3 §6.5.4):
// issuer authentication with ARPC method 1, once per transaction, after an
// ARQC.
func (d *adf) externalAuth(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != paycrypto.ACSize+paycrypto.ARCSize {
		return nil, iso7816.SWWrongLength
	}
	if s.phase != phOnline || s.authTried {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	s.authTried = true
	sk, err := paycrypto.ACSessionKey(s.path.alg, s.path.mkAC, s.atc)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	want, err := paycrypto.ARPC(s.path.alg, sk, s.ac[:], cmd.Data[8:])
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	if subtle.ConstantTimeCompare(want, cmd.Data[:8]) != 1 {
		s.authFail = true
		return nil, swIssuerAuthFailed
	}
	return nil, iso7816.SWOK
}
