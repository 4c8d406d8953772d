package contactless

import (
	"bytes"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// hearB runs the Type B state machine of ISO/IEC 14443-3 §7.4 on one
// frame: REQB/WUPB with AFI and N slots, slot markers, ATTRIB and HLTB.
// A frame with a bad CRC is ignored. In the protocol state the ISO/IEC
// 14443-4 layer has every frame but HLTB.
func (p *PICC) hearB(tx *Tx, end time.Duration) *answer {
	body, ok := CheckCRC(TypeB, tx.Data)
	if ok && tx.LastBits == 0 && len(body) == 5 && body[0] == HLTBCmd && p.st != stIdle && p.st != stHalt {
		if !bytes.Equal(body[1:5], p.pupi[:]) {
			return nil
		}
		p.st, p.l4 = stHalt, nil
		a := p.send([]byte{0x00}, "answer to HLTB")
		a.rate = p.rates.FromCard
		p.rates = Rates{Rate106, Rate106} // a halted card is back at 106 kbit/s
		return a
	}
	if p.st == stProtocol {
		return p.l4.hear(p, tx, end)
	}
	if !ok || tx.LastBits != 0 {
		return nil
	}
	switch {
	case len(body) == 3 && body[0] == APf:
		return p.reqb(body[1], body[2])
	case len(body) == 1 && body[0]&0x0F == APf && body[0]>>4 != 0:
		n := int(body[0]>>4) + 1 // slot marker APn = (n-1)<<4 | 5
		if p.st == stReadyRequested && p.slot == n {
			return p.atqb(false)
		}
	case len(body) >= 9 && body[0] == ATTRIBCmd:
		return p.attrib(body, tx, end)
	}
	return nil
}

// afiMatches applies the AFI rules of §7.7.2: 00 selects every card; a
// family nibble of 0 selects every family, a sub-family nibble of 0 every
// sub-family of the family.
func (p *PICC) afiMatches(afi byte) bool {
	if afi == 0 {
		return true
	}
	own := p.pr.afi
	return (afi>>4 == 0 || afi>>4 == own>>4) && (afi&0x0F == 0 || afi&0x0F == own&0x0F)
}

// reqb handles REQB and WUPB (§7.7): the card picks a random slot among N
// and answers at once if it is the first.
func (p *PICC) reqb(afi, param byte) *answer {
	wupb := param&0x08 != 0
	switch {
	case p.st == stHalt && !wupb, p.st == stOff:
		return nil
	case !p.afiMatches(afi):
		return nil
	}
	code := int(param & 0x07)
	if code > 4 {
		return nil // N = 32..128 is RFU
	}
	p.slot = 1 + p.rng.IntN(1<<code)
	p.extATQB = param&0x10 != 0
	if p.slot > 1 {
		p.st = stReadyRequested
		return nil
	}
	return p.atqb(false)
}

// atqb answers with the ATQB and moves to READY-DECLARED.
func (p *PICC) atqb(_ bool) *answer {
	fs := p.draw()
	_, tiny := link.Has(fs, link.TinyFrameSize)
	q := ATQB{PUPI: p.pupi, AppData: p.pr.appData, DS: p.pr.higherRates(), DR: p.pr.higherRates(),
		FSCI: p.pr.fsci, ISO14443_4: true, FWI: p.pr.fwi, NAD: p.pr.nad, CID: p.pr.cid,
		Extended: p.extATQB, SFGI: p.pr.sfgi}
	if tiny {
		q.FSCI = 0
	}
	p.announcedFSCI = q.FSCI
	p.st = stReady
	return p.sendWith(fs, q.Bytes(), fmt.Sprintf("ATQB PUPI % X", p.pupi))
}

// attrib handles ATTRIB (§7.10): the card it names enters the protocol
// state with the frame size, CID and bit rates it sets.
func (p *PICC) attrib(body []byte, tx *Tx, end time.Duration) *answer {
	if p.st != stReady {
		return nil
	}
	a, err := ParseAttrib(body)
	if err != nil || !bytes.Equal(a.PUPI[:], p.pupi[:]) {
		return nil
	}
	switch {
	case a.Param3&0x01 == 0:
		return nil // the reader does not speak ISO/IEC 14443-4: neither does this card
	case a.CID == 15, a.CID != 0 && !p.pr.cid:
		return nil
	case !p.pr.supports(a.FromCard) || !p.pr.supports(a.ToCard):
		return nil
	}
	ans := p.send([]byte{byte(DefaultMBLI<<4) | byte(a.CID)}, fmt.Sprintf("answer to ATTRIB, CID %d", a.CID))
	ans.delay, ans.rate = responseDelay(TypeB, tx), p.rates.FromCard
	p.st = stProtocol
	p.l4 = newLayer4(p, FrameSize(p.announcedFSCI), FrameSize(a.FSDI), byte(a.CID), p.pr.cid, false)
	// The new bit rates apply from the next frame; the guard time, when
	// the extended ATQB announced one, runs from the end of the answer.
	answerEnd := end + ans.delay + FrameDuration(TypeB, len(ans.data), 0, p.rates.FromCard, true)
	p.rates = Rates{ToCard: a.ToCard, FromCard: a.FromCard}
	if p.extATQB {
		p.readyAt = answerEnd + SFGT(p.pr.sfgi)
	}
	return ans
}
