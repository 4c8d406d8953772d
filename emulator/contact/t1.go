package contact

import (
	"errors"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/link"
)

// T=1, card side (ISO/IEC 7816-3 §11): blocks with sequence numbers,
// chaining in both directions, S-blocks for IFS, WTX, ABORT and RESYNCH,
// and the error handling of §11.6.3.2: an invalid block gets an R-block
// naming the expected I-block with the EDC or "other" error bit; an
// R-block asking for the card's last I-block gets it again; any other
// R-block gets the card's last block again (rule 7.2, and rule 7.3 for an
// S request); S(RESYNCH request) resets the sequence numbers and sizes.
// After the profile's atr.t1.errorReplies error R-blocks in a row (default
// 3: the first answer and two retransmissions, as many attempts as rule
// 7.4.1 allows the interface device [model]) the card stays in reception
// mode (rule 7.4.3): it answers nothing until an error-free block
// arrives, and the reader's BWT runs out.

// maxAPDU bounds a chained command: an extended APDU with 65535 data bytes
// and Le.
const maxAPDU = 4 + 3 + 65535 + 2

// noS means the card awaits no S response.
const noS = 0xFF

// t1State is the T=1 state of the card.
type t1State struct {
	ns, nr     byte // the card's next N(S); the N(S) the card expects
	ifsc, ifsd int
	initIFSC   int
	in         []byte // the chained command so far
	resp       []byte // the response being sent
	respOff    int
	chunk      int  // the largest information field of the response's blocks
	chaining   bool // the card sent I(M=1) and waits for an R-block
	last       []byte
	lastI      []byte
	lastINS    byte
	lastIAcked bool
	pre        []sReq // S requests to send before the response
	awaiting   byte   // the S function whose response the card waits for
	awaitINF   byte
	ready      time.Duration // when the response is computed
	wtx        int           // multiplier granted by the last S(WTX response)
	errs       int           // error R-blocks sent in a row (rule 7.4.3)
	buf        []byte
}

type sReq struct {
	fn, inf byte
	fault   string
}

func (s *t1State) reset(a *iso7816.ATR) {
	s.ns, s.nr = 0, 0
	s.ifsc, s.initIFSC, s.ifsd = a.IFSC, a.IFSC, iso7816.DefaultIFSC
	s.in, s.resp, s.pre = s.in[:0], nil, s.pre[:0]
	s.respOff, s.chaining = 0, false
	s.last, s.lastI, s.lastIAcked = s.last[:0], s.lastI[:0], true
	s.awaiting, s.wtx, s.errs = noS, 0, 0
}

func (c *ICC) t1Handle(frame []byte) {
	blk, err := ParseBlock(frame, c.info.CRC)
	if err != nil {
		code := byte(RErrOther)
		if errors.Is(err, ErrEDC) {
			code = RErrEDC
		}
		c.t1Error(code)
		return
	}
	if blk.NAD != 0 {
		c.t1Error(RErrOther)
		return
	}
	switch blk.Kind() {
	case KindI:
		c.t1I(blk)
	case KindR:
		c.t1R(blk)
	default:
		c.t1S(blk)
	}
}

// t1I takes an I-block of the command.
func (c *ICC) t1I(blk Block) {
	s := &c.t1
	if s.chaining || s.awaiting != noS || blk.NS() != s.nr || len(blk.INF) > s.ifsc || len(s.in)+len(blk.INF) > maxAPDU {
		c.t1Error(RErrOther)
		return
	}
	s.nr ^= 1
	s.lastIAcked = true
	s.in = append(s.in, blk.INF...)
	if blk.More() {
		c.t1Reply(RPCB(s.nr, RErrNone), nil)
		return
	}
	c.apdu = append(c.apdu[:0], s.in...)
	s.in = s.in[:0]
	fs := c.frameFaults()
	resp, work, ok := c.run(c.apdu, fs)
	if !ok {
		return
	}
	s.resp, s.respOff, s.chunk = resp, 0, s.ifsd
	s.ready = c.lastLead + work
	if f, ok := link.Has(fs, link.TinyFrameSize); ok {
		n := f.Arg
		if n <= 0 || n > MaxINF {
			n = 1
		}
		s.pre = append(s.pre, sReq{fn: SIFS, inf: byte(n), fault: f.String()})
		s.chunk = min(s.chunk, n)
	}
	if f, ok := link.Has(fs, link.UnsolicitedWTX); ok {
		m := f.Arg
		if m <= 0 || m > 255 {
			m = 1
		}
		s.pre = append(s.pre, sReq{fn: SWTX, inf: byte(m), fault: f.String()})
	}
	c.t1Continue(linkFaults(fs))
}

// linkFaults keeps the faults that act on a frame as such (the others were
// spent on the command).
func linkFaults(fs []link.Fault) []link.Fault {
	var out []link.Fault
	for _, f := range fs {
		switch f.Kind {
		case link.CorruptEDC, link.Drop, link.Truncate:
			out = append(out, f)
		}
	}
	return out
}

// t1Continue sends the next block of the card's answer: an S request
// still to send, S(WTX request) when the response is not ready within the
// waiting time, or the next I-block.
func (c *ICC) t1Continue(fs []link.Fault) {
	s := &c.t1
	if len(s.pre) > 0 {
		r := s.pre[0]
		s.pre = s.pre[1:]
		s.awaiting, s.awaitINF = r.fn, r.inf
		c.t1Send(c.lastLead, SPCB(r.fn, false), []byte{r.inf}, fs, r.fault)
		return
	}
	bwt := c.bwt()
	limit := c.lastLead + bwt*time.Duration(max(s.wtx, 1))
	s.wtx = 0
	at := max(s.ready, c.lastLead+c.guard())
	if at > limit {
		m := (at-c.lastLead)/bwt + 1
		m = min(m, 255)
		s.awaiting, s.awaitINF = SWTX, byte(m)
		c.t1Send(c.lastLead, SPCB(SWTX, false), []byte{byte(m)}, fs, "")
		return
	}
	c.t1SendI(at, fs)
}

// t1SendI sends the next I-block of the response.
func (c *ICC) t1SendI(at time.Duration, fs []link.Fault) {
	s := &c.t1
	n := min(s.chunk, len(s.resp)-s.respOff)
	more := s.respOff+n < len(s.resp)
	inf := s.resp[s.respOff : s.respOff+n]
	s.respOff += n
	s.chaining = more
	s.lastINS = s.ns
	s.ns ^= 1
	s.lastIAcked = false
	c.t1Send(at, IPCB(s.lastINS, more), inf, fs, "")
	s.lastI = append(s.lastI[:0], s.last...)
}

// t1R takes an R-block.
func (c *ICC) t1R(blk Block) {
	s := &c.t1
	switch {
	case s.awaiting != noS:
		// Rule 7.3: the S request again.
		c.t1Send(c.lastLead, SPCB(s.awaiting, false), []byte{s.awaitINF}, c.frameFaults(), "")
	case s.chaining && blk.NR() != s.lastINS:
		s.lastIAcked = true
		c.t1SendI(c.lastLead, c.frameFaults())
	case !s.lastIAcked && blk.NR() == s.lastINS && len(s.lastI) > 0:
		c.t1SendRaw(c.lastLead, s.lastI, c.frameFaults(), "") // the last I-block again
	default:
		c.t1Resend()
	}
}

// t1Resend sends the card's last block again (an R-block naming the
// expected I-block if the card has sent nothing yet).
func (c *ICC) t1Resend() {
	s := &c.t1
	if len(s.last) == 0 {
		c.t1Reply(RPCB(s.nr, RErrNone), nil)
		return
	}
	c.t1SendRaw(c.lastLead, s.last, c.frameFaults(), "")
}

// t1S takes an S-block.
func (c *ICC) t1S(blk Block) {
	s := &c.t1
	fn := blk.SFunc()
	if !blk.IsResponse() {
		switch fn {
		case SResynch:
			s.reset(c.info)
			c.t1Reply(SPCB(SResynch, true), nil)
		case SIFS:
			s.ifsd = int(blk.INF[0])
			if s.chaining {
				s.chunk = min(s.chunk, s.ifsd)
			}
			c.t1Reply(SPCB(SIFS, true), blk.INF)
		case SAbort:
			s.in, s.resp, s.pre = s.in[:0], nil, s.pre[:0]
			s.respOff, s.chaining, s.awaiting = 0, false, noS
			s.lastIAcked = true
			c.t1Reply(SPCB(SAbort, true), nil)
		default: // only the card asks for more time
			c.t1Error(RErrOther)
		}
		return
	}
	if fn != s.awaiting || fn != SAbort && (len(blk.INF) != 1 || blk.INF[0] != s.awaitINF) {
		c.t1Error(RErrOther)
		return
	}
	s.awaiting = noS
	switch fn {
	case SIFS:
		s.ifsc = int(s.awaitINF)
	case SWTX:
		s.wtx = int(s.awaitINF)
		c.owe = c.bwt() * time.Duration(s.wtx)
	}
	c.t1Continue(c.frameFaults())
}

// t1Error answers a block the card cannot take with an R-block naming the
// expected I-block and the error, or, after c.errorReplies of them in a
// row, with nothing (rule 7.4.3): the card stays in reception mode.
func (c *ICC) t1Error(code byte) {
	s := &c.t1
	if s.errs >= c.errorReplies {
		if !c.mute {
			c.emit(c.lastLead, nil, fmt.Sprintf("no answer: the card stays in reception mode after %d error R-blocks (ISO/IEC 7816-3 rule 7.4.3)", s.errs), "", 0)
		}
		return
	}
	n := s.errs
	c.t1Reply(RPCB(s.nr, code), nil)
	s.errs = n + 1
}

// t1Reply sends a block answering the reader at once.
func (c *ICC) t1Reply(pcb byte, inf []byte) {
	c.t1Send(c.lastLead, pcb, inf, c.frameFaults(), "")
}

// t1Send builds and sends a block. fault names an injected fault the block
// itself stems from, for the trace.
func (c *ICC) t1Send(at time.Duration, pcb byte, inf []byte, fs []link.Fault, fault string) {
	s := &c.t1
	s.last = AppendBlock(s.last[:0], 0, pcb, inf, c.info.CRC)
	c.t1SendRaw(at, s.last, fs, fault)
}

// t1SendRaw puts block bytes on the line with the link faults fs; they
// become the card's last block.
func (c *ICC) t1SendRaw(at time.Duration, block []byte, fs []link.Fault, fault string) {
	s := &c.t1
	s.errs = 0 // t1Error counts its own R-block after sending it
	s.last = append(s.last[:0], block...)
	if c.mute {
		return
	}
	suffix := ""
	owe := time.Duration(0)
	data := s.last
	for _, f := range fs {
		switch f.Kind {
		case link.PowerLoss:
			c.loseCardPower(at, f)
			return
		case link.Drop:
			c.emit(at, nil, "the card did not send: "+c.blockNote(s.last), f.String(), 0)
			return
		case link.CorruptEDC:
			data = append(s.buf[:0], data...)
			data[len(data)-1] ^= 0x01
			s.buf = data
			fault = joinFault(fault, f.String())
		case link.Truncate:
			data = data[:cutLen(len(data), f.Arg)]
			fault = joinFault(fault, f.String())
			owe = c.rate.CWT(c.info.CWI)
			suffix = " (cut short)"
		}
	}
	note := c.blockNote(s.last)
	if note != "" {
		note += suffix
	}
	c.emit(at, c.stash(data), note, fault, owe)
}

// blockNote names a block for the trace (nothing when there is no trace).
func (c *ICC) blockNote(block []byte) string {
	if c.cfg.Trace == nil {
		return ""
	}
	return BlockName(block, c.info.CRC)
}

func joinFault(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
