package contactless

import (
	"bytes"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// hearA runs the Type A state machine of ISO/IEC 14443-3 §6.3 on one
// frame. In READY and ACTIVE (and their * variants) an unexpected or
// erroneous frame sends the card back to IDLE (HALT for the * states); in
// IDLE and HALT anything but REQA/WUPA is ignored; in PROTOCOL the
// ISO/IEC 14443-4 layer has the frame.
func (p *PICC) hearA(tx *Tx, end time.Duration) *answer {
	d := tx.Data
	if len(d) == 1 && tx.LastBits == 7 {
		return p.shortFrame(d[0] & 0x7F)
	}
	switch p.st {
	case stProtocol:
		return p.l4.hear(p, tx, end)
	case stReady:
		return p.anticollision(tx)
	case stActive:
		body, ok := CheckCRC(TypeA, d)
		switch {
		case tx.LastBits != 0 || !ok:
			p.otherA()
		case len(body) == 2 && body[0] == RATS:
			return p.rats(body[1], tx, end)
		case len(body) == 2 && body[0] == HLTA && body[1] == 0:
			p.st = stHalt // HLTA has no answer
		default:
			p.otherA()
		}
	}
	return nil
}

// otherA is the "any other frame" transition of READY and ACTIVE.
func (p *PICC) otherA() {
	if p.halted {
		p.st = stHalt
	} else {
		p.st = stIdle
	}
	p.level = 0
}

// shortFrame handles REQA and WUPA (§6.3.2).
func (p *PICC) shortFrame(cmd byte) *answer {
	switch {
	case p.st == stProtocol:
		return nil // not a block: the ISO/IEC 14443-4 layer ignores it
	case cmd == REQA && p.st == stIdle, cmd == WUPA && (p.st == stIdle || p.st == stHalt):
		p.halted = p.st == stHalt
		p.st, p.level = stReady, 0
		a := &answer{data: append([]byte(nil), p.pr.atqaBytes()...), note: "ATQA"}
		return a.frameFaults(p.draw(), false)
	case p.st == stReady || p.st == stActive:
		p.otherA()
	}
	return nil
}

// anticollision handles the ANTICOLLISION and SELECT frames of the card's
// cascade level (§6.5.2, §6.5.3): a card whose UID CLn does not match
// the bits the reader sent stays silent in READY.
func (p *PICC) anticollision(tx *Tx) *answer {
	d := tx.Data
	if len(d) < 2 || d[0] != SelCode(p.level+1) {
		p.otherA()
		return nil
	}
	cl := p.cl[p.level]
	nvb := d[1]
	if nvb == 0x70 {
		body, ok := CheckCRC(TypeA, d)
		if tx.LastBits != 0 || len(d) != 9 || !ok {
			p.otherA()
			return nil
		}
		if !bytes.Equal(body[2:7], cl[:]) {
			return nil // selects another card
		}
		sak := p.pr.sak
		if p.level+1 < len(p.cl) {
			sak = SAKCascade
			p.level++
		} else {
			p.st = stActive
		}
		return p.send([]byte{sak}, fmt.Sprintf("SAK %02X", sak))
	}
	nbytes, nbits := int(nvb>>4), int(nvb&0x0F)
	want := nbytes
	if nbits > 0 {
		want++
	}
	if nbytes < 2 || nbits > 7 || nvb > 0x67 || len(d) != want || tx.LastBits != nbits {
		p.otherA()
		return nil
	}
	k := (nbytes-2)*8 + nbits
	for i := 0; i < k; i++ {
		if d[2+i/8]>>(i%8)&1 != cl[i/8]>>(i%8)&1 {
			return nil // the reader's bits are another card's
		}
	}
	rest := append([]byte(nil), cl[k/8:]...)
	rest[0] &= 0xFF << (k % 8)
	a := &answer{data: rest, align: k % 8, note: fmt.Sprintf("UID CL%d from bit %d", p.level+1, k)}
	return a.frameFaults(p.draw(), true)
}

// rats answers RATS with the ATS and enters the protocol state
// (ISO/IEC 14443-4 §5.1, §5.2). The start-up frame guard time runs from
// the end of the ATS.
func (p *PICC) rats(param byte, tx *Tx, end time.Duration) *answer {
	fsdi, cid := int(param>>4), param&0x0F
	if cid == 15 {
		p.otherA() // CID 15 is RFU
		return nil
	}
	fs := p.draw()
	_, tiny := link.Has(fs, link.TinyFrameSize)
	ats := p.pr.ats(tiny)
	p.st = stProtocol
	p.l4 = newLayer4(p, FrameSize(ats.FSCI), FrameSize(fsdi), cid, ats.CID, true)
	a := p.sendWith(fs, ats.Bytes(), fmt.Sprintf("ATS FSCI %d FWI %d SFGI %d", ats.FSCI, ats.FWI, ats.SFGI))
	a.delay = responseDelay(TypeA, tx)
	p.readyAt = end + a.delay + FrameDuration(TypeA, len(a.data), 0, p.rates.FromCard, true) + SFGT(p.pr.sfgi)
	return a
}
