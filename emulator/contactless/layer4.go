package contactless

import (
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// maxChained bounds the command a reader may chain in: the longest
// extended APDU and then some.
const maxChained = 65536 + 16

// layer4 is the card side of the ISO/IEC 14443-4 block protocol (§7):
// block numbering, chaining both ways, R(ACK)/R(NAK) recovery, S(WTX)
// and S(DESELECT), CID and NAD, the FSC and FSD limits, and for Type A the
// PPS right after the ATS. An invalid block (bad CRC, bad PCB, wrong CID,
// longer than the FSC, cut short) is ignored (§7.5.5): the reader's
// waiting time runs out and it recovers.
type layer4 struct {
	typ          Type
	fsc, fsd     int  // what the card receives, what it may send
	cid          byte // assigned by RATS or ATTRIB
	cidSupported bool
	bn           byte // the PICC block number (§7.5.3.2)
	ppsOpen      bool // Type A: the next block may be a PPS

	rx       []byte // command being chained in
	resp     []byte // the response APDU
	out      []byte // response still to send
	last     []byte // last block sent, with its CRC
	echoCID  bool   // the reader's blocks carry a CID: so do the card's
	hasNAD   bool   // the command's first block had a NAD
	nad      byte
	tiny     bool // this response chains 16-byte frames (TinyFrameSize)
	nadFirst bool // the next I-block is the first of the response

	// Waiting-time extension: the answer waits in pending, ready at
	// readyAt, while S(WTX) requests go out.
	pending   Block
	busy      bool // a response waits in pending
	readyAt   time.Duration
	waiting   bool // an S(WTX) request is out
	cycleWTX  bool // an unsolicited WTX already went out for this command
	fwt       time.Duration
	processed bool
}

func newLayer4(p *PICC, fsc, fsd int, cid byte, cidSupported, typeA bool) *layer4 {
	l := &layer4{typ: p.pr.typ, fsc: fsc, fsd: fsd, cid: cid, cidSupported: cidSupported, bn: 1,
		ppsOpen: typeA, fwt: FWT(p.pr.fwi)}
	if !cidSupported {
		l.cid = 0
	}
	return l
}

// hear handles one frame in the protocol state.
func (l *layer4) hear(p *PICC, tx *Tx, end time.Duration) *answer {
	if tx.LastBits != 0 {
		return nil
	}
	body, ok := CheckCRC(l.typ, tx.Data)
	if !ok || len(tx.Data) > l.fsc {
		return nil
	}
	if l.ppsOpen && body[0]&0xF0 == PPSS {
		// An invalid PPS is ignored like any invalid frame: the PPS may
		// still come.
		return l.pps(p, body)
	}
	var blk Block
	if ParseBlockInto(&blk, body) != nil {
		return nil
	}
	if blk.HasCID {
		if !l.cidSupported || blk.CID != l.cid {
			return nil
		}
	} else if l.cid != 0 {
		return nil // a card with a CID other than 0 hears only blocks that name it
	}
	if blk.HasNAD && !p.pr.nad {
		return nil
	}
	l.ppsOpen = false
	delay := responseDelay(l.typ, tx)
	switch blk.Type {
	case IBlock:
		l.echoCID = blk.HasCID
		return l.iblock(p, &blk, end, delay)
	case RBlock:
		return l.rblock(p, &blk, delay)
	}
	if blk.S == Deselect {
		// §8: the card answers and enters HALT.
		resp := Block{Type: SBlock, S: Deselect, HasCID: blk.HasCID, CID: l.cid}
		p.st, p.l4 = stHalt, nil
		a := l.emit(p, &resp, p.draw(), delay)
		a.rate = p.rates.FromCard
		p.rates = Rates{Rate106, Rate106} // a halted card is back at 106 kbit/s
		return a
	}
	if !l.waiting {
		return nil // an S(WTX) response nobody asked for
	}
	return l.wtxResponse(p, &blk, end, delay)
}

// iblock handles an I-block: the PICC toggles its block number (§7.5.4.3),
// acknowledges a chained block with R(ACK) and processes the command when
// its last block is in.
func (l *layer4) iblock(p *PICC, blk *Block, end, delay time.Duration) *answer {
	if l.waiting || l.busy {
		return nil // still working on the previous command
	}
	l.bn ^= 1
	if len(l.rx) == 0 {
		l.hasNAD, l.nad = blk.HasNAD, blk.NAD
	}
	if len(l.rx)+len(blk.INF) > maxChained {
		l.rx = l.rx[:0]
		return nil
	}
	l.rx = append(l.rx, blk.INF...)
	if blk.Chaining {
		return l.emit(p, &Block{Type: RBlock, Num: l.bn}, p.draw(), delay)
	}
	apdu := l.rx
	a := l.process(p, apdu, end, delay)
	l.rx = apdu[:0]
	return a
}

// process runs the command on the card and starts the answer, with an
// S(WTX) first when the card needs longer than the FWT (or an injected
// fault asks for one).
func (l *layer4) process(p *PICC, apdu []byte, end, delay time.Duration) *answer {
	fs := p.draw()
	if fs != nil {
		if f, ok := link.Has(fs, link.PowerLoss); ok {
			return l.powerLoss(p, f, fs, apdu)
		}
	}
	rapdu, writes, err := p.card.TransmitCount(l.resp[:0], apdu)
	l.resp = rapdu
	if err != nil {
		// The card lost power on its own (torn by TearAfter, or powered
		// off through its other door): no answer.
		p.powerDown()
		a := &answer{dropped: true, faults: namesOf(fs), note: "no answer: " + err.Error()}
		return a
	}
	unsolicited := false
	l.tiny = false
	if fs != nil {
		rapdu = statusFaults(fs, rapdu)
		_, l.tiny = link.Has(fs, link.TinyFrameSize)
		_, unsolicited = link.Has(fs, link.UnsolicitedWTX)
		unsolicited = unsolicited && !l.cycleWTX
	}
	work := p.proc(apdu, rapdu, writes)
	l.out = rapdu
	l.nadFirst = true
	var blk Block
	l.nextBlock(&blk)
	l.cycleWTX = false
	if !unsolicited && max(delay, work) <= l.fwt {
		return l.emit(p, &blk, fs, max(delay, work))
	}
	l.pending, l.busy, l.readyAt = blk, true, end+max(delay, work)
	if unsolicited {
		l.cycleWTX = true
		return l.requestWTX(p, fs, 1, delay)
	}
	return l.requestWTX(p, fs, wtxmFor(work-l.fwt/2, l.fwt), l.fwt/2)
}

// wtxmFor returns the multiplier that covers remaining, 1..59.
func wtxmFor(remaining, fwt time.Duration) int {
	m := int((remaining + fwt - 1) / fwt)
	return min(max(m, 1), MaxWTXM)
}

func (l *layer4) requestWTX(p *PICC, fs []link.Fault, wtxm int, delay time.Duration) *answer {
	l.waiting = true
	blk := Block{Type: SBlock, S: WTX, HasCID: l.echoCID, CID: l.cid, INF: []byte{byte(wtxm)}}
	return l.emit(p, &blk, fs, delay)
}

// wtxResponse handles the reader's S(WTX) response: the waiting time is
// FWT × WTXM from its end (§7.3); the card answers within it or asks for
// more.
func (l *layer4) wtxResponse(p *PICC, blk *Block, end, delay time.Duration) *answer {
	l.waiting = false
	m := blk.WTXM()
	if m < 1 || m > MaxWTXM {
		m = 1
	}
	budget := min(time.Duration(m)*l.fwt, MaxFWT)
	remaining := l.readyAt - end
	if remaining > budget {
		return l.requestWTX(p, p.draw(), wtxmFor(remaining-budget/2, l.fwt), budget/2)
	}
	l.busy = false
	return l.emit(p, &l.pending, p.draw(), max(delay, remaining))
}

// rblock handles R(ACK) and R(NAK) by the PICC rules of §7.5.4.3: one
// with the card's block number asks for the last block again; an R(ACK)
// with the other number continues the card's chaining; an R(NAK) with the
// other number gets an R(ACK).
func (l *layer4) rblock(p *PICC, blk *Block, delay time.Duration) *answer {
	switch {
	case l.waiting || l.busy:
		if blk.NAK && blk.Num == l.bn && l.last != nil {
			return l.resend(p, delay)
		}
		return nil
	case blk.Num == l.bn:
		if l.last == nil {
			return l.emit(p, &Block{Type: RBlock, Num: l.bn, HasCID: blk.HasCID, CID: l.cid}, p.draw(), delay)
		}
		return l.resend(p, delay)
	case blk.NAK:
		return l.emit(p, &Block{Type: RBlock, Num: l.bn, HasCID: blk.HasCID, CID: l.cid}, p.draw(), delay)
	case len(l.out) > 0:
		l.bn ^= 1
		l.echoCID = blk.HasCID
		var next Block
		l.nextBlock(&next)
		return l.emit(p, &next, p.draw(), delay)
	}
	return nil // an R(ACK) with nothing to continue
}

func (l *layer4) resend(p *PICC, delay time.Duration) *answer {
	a := p.answerWith(p.draw(), l.last, "")
	if p.notes {
		if blk, err := ParseBlock(l.last[:max(len(l.last)-2, 0)]); err == nil {
			a.note = blk.String() + " (again)"
		}
	}
	a.delay = delay
	return a
}

// nextBlock takes the next I-block of the response from l.out into blk,
// as long as the FSD allows (16 bytes under TinyFrameSize).
func (l *layer4) nextBlock(blk *Block) {
	*blk = Block{Type: IBlock, Num: l.bn, HasCID: l.echoCID, CID: l.cid}
	if l.nadFirst && l.hasNAD {
		blk.HasNAD, blk.NAD = true, l.nad<<4&0x70|l.nad>>4&0x07 // SAD and DAD swapped
	}
	l.nadFirst = false
	size := l.fsd
	if l.tiny {
		size = min(size, 16)
	}
	n := min(len(l.out), max(size-blk.Overhead(), 1))
	blk.INF, blk.Chaining = l.out[:n], n < len(l.out)
	l.out = l.out[n:]
}

// emit sends blk (CRC appended) after delay and keeps it as the last
// block.
func (l *layer4) emit(p *PICC, blk *Block, fs []link.Fault, delay time.Duration) *answer {
	l.last = AppendCRC(l.typ, blk.Append(l.last[:0]))
	a := p.answerWith(fs, l.last, "")
	if p.notes {
		a.note = blk.String()
	}
	a.delay = delay
	return a
}

// pps handles a PPS request (ISO/IEC 14443-4 §5.3): the card confirms
// with PPSS at the old rates and uses the new ones from the next frame.
// A PPS naming another CID or rates the card lacks is ignored.
func (l *layer4) pps(p *PICC, body []byte) *answer {
	if body[0]&0x0F != l.cid {
		return nil
	}
	var pps1 byte
	switch {
	case len(body) == 3 && body[1] == 0x11:
		pps1 = body[2]
	case len(body) == 2 && body[1] == 0x01:
	default:
		return nil
	}
	if pps1&0xF0 != 0 {
		return nil
	}
	ds, dr := RateOfCode(int(pps1>>2&3)), RateOfCode(int(pps1&3))
	if !p.pr.supports(ds) || !p.pr.supports(dr) {
		return nil
	}
	l.ppsOpen = false
	a := p.send(body[:1], "PPS response")
	a.rate = p.rates.FromCard
	p.rates = Rates{ToCard: dr, FromCard: ds}
	return a
}

// powerLoss cuts the power in the middle of the command: after Arg NVM
// writes (the write is torn), or before the command runs when Arg is 0.
// Either way the card sends nothing and is off until it powers up again;
// its NVM recovers to the state before or after each transaction.
func (l *layer4) powerLoss(p *PICC, f link.Fault, fs []link.Fault, apdu []byte) *answer {
	if f.Arg > 0 {
		p.card.TearAfter(f.Arg)
		_, _ = p.card.Transmit(apdu)
	}
	p.powerDown()
	return &answer{dropped: true, faults: namesOf(fs), note: "power lost"}
}

// statusFaults applies the faults that change a response APDU: a
// replaced status word, a wrong 61xx, a wrong 6Cxx.
func statusFaults(fs []link.Fault, rapdu []byte) []byte {
	n := len(rapdu)
	if n < 2 {
		return rapdu
	}
	if f, ok := link.Has(fs, link.ReplaceSW); ok {
		rapdu = append(rapdu[:n-2:n-2], byte(f.Arg>>8), byte(f.Arg))
	}
	if _, ok := link.Has(fs, link.Wrong61xx); ok && rapdu[n-2] == 0x61 {
		rapdu = append(rapdu[:n-2:n-2], 0x61, rapdu[n-1]+1)
	}
	if _, ok := link.Has(fs, link.Wrong6Cxx); ok {
		// The card claims its data needs another Le: one more byte than
		// it has.
		rapdu = []byte{0x6C, byte(n - 2 + 1)}
	}
	return rapdu
}
