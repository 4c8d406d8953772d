package pay

import (
	"io"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// checkTerminalData refuses DOL data whose numeric items are not BCD or
// whose date is impossible (EMV Book 3 §4.3 formats).
func checkTerminalData(d *dol, data []byte) bool {
	for _, it := range d.items {
		v := data[it.off : it.off+it.n]
		switch it.tag {
		case TagTxnDate:
			if it.n == 3 && !validDate(v) {
				return false
			}
		case TagTxnTime:
			if it.n == 3 && (!validN(v) || bcdByte(v[0]) > 23 || bcdByte(v[1]) > 59 || bcdByte(v[2]) > 59) {
				return false
			}
		case TagSMIndicator:
			if it.n == 1 && v[0] > 1 {
				return false
			}
		default:
			if numeric(it.tag) && !validN(v) {
				return false
			}
		}
	}
	return true
}

// value returns the value of tag in DOL data, or zeros of size n when the
// DOL does not ask for it.
func value(d *dol, data []byte, t iso7816.Tag, n int) []byte {
	if v, ok := d.get(data, t); ok && len(v) == n {
		return v
	}
	return make([]byte, n)
}

// GET PROCESSING OPTIONS 80 A8 00 00 Lc 83 L <PDOL data> 00 (EMV Book 3
// §6.5.8; qPBOC): the contact path answers AIP and AFL, the qUICS path the
// whole transaction (package documentation).
func (d *adf) gpo(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	c := d.c
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if s.phase != phSelected {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	var v []byte
	p := iso7816.NewParser(cmd.Data)
	if !p.ReadTag(TagCommandData, &v) || !p.Empty() {
		return nil, iso7816.SWWrongData
	}
	if len(v) != c.pdol.size {
		return nil, iso7816.SWWrongLength
	}
	if !checkTerminalData(&c.pdol, v) {
		return nil, iso7816.SWWrongData
	}
	atc := d.atc(x)
	if atc == 0xFFFF {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	pa := c.des
	if ind, ok := c.pdol.get(v, TagSMIndicator); ok && ind[0] == 1 && c.sm != nil {
		pa = c.sm
	}
	if pa == nil {
		return nil, iso7816.SWConditionsNotSatisfied // an SM-only card, a terminal without SM
	}
	s.path, s.atc = pa, atc+1
	s.pdolData = append(s.pdolData[:0], v...)
	s.amount, _ = amount(value(&c.pdol, v, TagAmount, 6))
	if ttq, ok := c.pdol.get(v, TagTTQ); ok && len(ttq) >= 2 && ttq[0]&TTQQUICS != 0 {
		s.quics = true
		return d.quics(x, s, ttq)
	}
	if ind, ok := c.pdol.get(v, TagECashInd); ok && ind[0] == 1 && d.ecash && !d.blocked(x) {
		cur := value(&c.pdol, v, TagTxnCurrency, 2)
		s.ecashTxn = s.amount > 0 && s.amount <= d.balance(x) && s.amount <= d.limit(x, limSingle) &&
			cur[0] == c.currency[0] && cur[1] == c.currency[1]
	}
	mem := x.Memory()
	mem.Begin()
	mem.Set(d.atcCell, atcBytes(s.atc))
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	s.phase = phGPO
	if c.format == 1 {
		out := make([]byte, 0, 4+len(pa.afl))
		out = append(out, byte(TagFormat1), byte(2+len(pa.afl)), c.aip[0], c.aip[1])
		return append(out, pa.afl...), iso7816.SWOK
	}
	return tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFormat2, func(b *iso7816.Builder) {
			b.AddTLV(TagAIP, c.aip[:])
			b.AddTLV(TagAFL, pa.afl)
		})
	}), iso7816.SWOK
}

// quics is the card's part of a qUICS transaction, decided and finished in
// GPO (package documentation, "qUICS path").
func (d *adf) quics(x *cos.Context, s *session, ttq []byte) ([]byte, iso7816.Status) {
	c := d.c
	v := s.pdolData
	amt := s.amount
	other, _ := amount(value(&c.pdol, v, TagAmountOther, 6))
	cur := value(&c.pdol, v, TagTxnCurrency, 2)
	bal := d.balance(x)
	online := ttq[0]&TTQOfflineOnly == 0
	orOnline := AAC
	if online {
		orOnline = ARQC
	}
	ctq := c.ctq
	if amt > d.limit(x, limCVM) {
		switch {
		case ttq[0]&TTQOnlinePIN != 0:
			ctq[0] |= CTQOnlinePIN
		case ttq[0]&TTQSignature != 0:
			ctq[0] |= CTQSignature
		}
	}
	var typ byte
	switch {
	case d.blocked(x):
		typ = AAC
	case ttq[1]&TTQOnlineNeeded != 0, ctq[0]&CTQOnlinePIN != 0:
		typ = orOnline
	case !d.ecash || other != 0 || cur[0] != c.currency[0] || cur[1] != c.currency[1] ||
		amt > d.limit(x, limSingle) || amt > bal:
		typ = orOnline
	case bal-amt < d.limit(x, limReset) && online:
		typ = ARQC
	default:
		typ = TC
	}
	newBal := bal
	if typ == TC {
		newBal = bal - amt
	}
	fdda := typ == TC && c.dda
	s.ddaDone = fdda
	cvr := d.cvr(x, s, firstBits(typ), secondNotAsked)
	ac, err := paycrypto.Cryptogram(s.path.alg, s.path.mkAC, s.atc, v, c.aip, cvr)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	iad := c.iad(s.path, cvr, newBal)
	var cad, sdad []byte
	if fdda {
		var idn [4]byte
		if _, err := io.ReadFull(x.Rand(), idn[:]); err != nil {
			return nil, iso7816.SWNoPreciseDiagnosis
		}
		cad = []byte{0x01, idn[0], idn[1], idn[2], idn[3], ctq[0], ctq[1]}
		tdd := make([]byte, 0, 4+6+2+len(cad))
		tdd = append(tdd, value(&c.pdol, v, TagUN, 4)...)
		tdd = append(tdd, value(&c.pdol, v, TagAmount, 6)...)
		tdd = append(tdd, cur...)
		tdd = append(tdd, cad...)
		if sdad, err = s.path.signDynamic(x.Rand(), append([]byte{4}, idn[:]...), tdd); err != nil {
			return nil, iso7816.SWNoPreciseDiagnosis
		}
	}
	mem := x.Memory()
	mem.Begin()
	mem.Set(d.atcCell, atcBytes(s.atc))
	if typ == TC {
		mem.Set(d.balanceCell, amountBytes(newBal))
		d.writeLog(x, &c.pdol, v, s.atc)
	}
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	s.phase = phDone
	copy(s.ac[:], ac)
	return tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFormat2, func(b *iso7816.Builder) {
			b.AddTLV(TagAIP, c.aip[:])
			b.AddTLV(TagAFL, s.path.afl)
			b.AddTLV(TagATC, atcBytes(s.atc))
			b.AddTLV(TagCID, []byte{typ})
			b.AddTLV(TagAC, ac)
			b.AddTLV(TagIAD, iad)
			b.AddTLV(TagTrack2, c.track2)
			b.AddTLV(TagPSN, mustHex(c.psn))
			b.AddTLV(TagCTQ, ctq[:])
			if d.ecash {
				b.AddTLV(TagAvailable, amountBytes(newBal))
			}
			if fdda {
				b.AddTLV(TagCardAuthData, cad)
				b.AddTLV(TagSDAD, sdad)
			}
		})
	}), iso7816.SWOK
}

// iad is the issuer application data (package documentation).
func (c *card) iad(pa *path, cvr [3]byte, bal uint64) []byte {
	out := make([]byte, 0, 19)
	out = append(out, 0x07, c.dki, pa.cvn, 0x03, cvr[0], cvr[1], cvr[2], pa.algID, 0x0A, 0x01)
	out = append(out, amountBytes(bal)...)
	return append(out, 0, 0, 0)
}

// signDynamic signs ICC and terminal dynamic data with the path's ICC key.
func (pa *path) signDynamic(rand io.Reader, iccDD, tdd []byte) ([]byte, error) {
	if pa.smICC != nil {
		return paycrypto.SMSignDynamic(rand, pa.smICC, iccDD, tdd)
	}
	return paycrypto.SignDynamic(pa.rsaICC, iccDD, tdd)
}
