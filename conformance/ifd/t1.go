package ifd

import (
	"errors"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/contact"
)

// T=1, reader side (ISO/IEC 7816-3 §11). The APDU goes in I-blocks of at
// most IFSC bytes, chained; the response comes in I-blocks, chained and
// acknowledged with R-blocks. S(WTX request) is answered and lengthens the
// next wait; S(IFS request) changes IFSC. Errors follow §11.6.3.2: an
// invalid block or a time-out gets an R-block naming the expected I-block
// (rule 7.1) with the EDC error bit for a block with a wrong EDC and the
// "other error" bit otherwise; an R-block already sent, or an S request,
// is sent again (rules 7.2, 7.3); an R-block naming the reader's last
// I-block gets it again. After maxRetries retransmissions without a valid
// block the reader resynchronises (rule 7.4): S(RESYNCH request) up to
// three times, then deactivation.

// maxRetries is the number of retransmissions before resynchronisation.
const maxRetries = 2

// resynchAttempts is the number of S(RESYNCH request) before deactivation.
const resynchAttempts = 3

// errCut is a block whose characters stopped before its LEN said.
var errCut = errors.New("T=1 block cut short (character waiting time exceeded)")

// Phases of a T=1 exchange.
const (
	sending   = iota // the reader chains its I-blocks, each acknowledged by R
	waiting          // the reader sent its last I-block
	receiving        // the card chains its response
)

// t1x is one T=1 exchange.
type t1x struct {
	r        *IFD
	apdu     []byte
	off, cur int // acknowledged bytes; bytes in the current I-block
	lastINS  byte
	more     bool
	phase    int
	lastKind int  // kind of the last block sent
	lastSReq bool // the last block sent is an S request
	fails    int
}

func (r *IFD) t1Transmit(apdu []byte) ([]byte, error) {
	x := &t1x{r: r, apdu: apdu}
	r.resp = r.resp[:0]
	if err := x.sendI(); err != nil {
		return nil, err
	}
	wait := r.bwt
	for {
		blk, err := r.recvBlock(wait)
		wait = r.bwt
		if err != nil {
			if !isBlockError(err) {
				return nil, r.fail(err)
			}
			if err := x.recover(err); err != nil {
				return nil, err
			}
			continue
		}
		switch blk.Kind() {
		case contact.KindI:
			if x.phase == sending || blk.NS() != r.nr || len(blk.INF) > r.ifsd {
				if err := x.recover(fmt.Errorf("%w: unexpected %s", contact.ErrBlock, blk.Name())); err != nil {
					return nil, err
				}
				continue
			}
			if x.phase == waiting {
				r.ns ^= 1 // the card's I-block acknowledges the reader's
			}
			r.nr ^= 1
			x.fails = 0
			r.resp = append(r.resp, blk.INF...)
			if !blk.More() {
				if len(r.resp) < 2 {
					return nil, fmt.Errorf("%w: response of %d bytes, no status word", ErrProtocol, len(r.resp))
				}
				return append([]byte(nil), r.resp...), nil
			}
			x.phase = receiving
			if err := x.send(contact.RPCB(r.nr, contact.RErrNone), nil); err != nil {
				return nil, err
			}
		case contact.KindR:
			switch {
			case x.phase == sending && blk.NR() != x.lastINS:
				r.ns ^= 1
				x.off += x.cur
				x.fails = 0
				if err := x.sendI(); err != nil {
					return nil, err
				}
			case x.phase != receiving && blk.NR() == x.lastINS:
				if err := x.retry(); err != nil {
					return nil, err
				}
				if err := x.resend(r.lastI, contact.KindI); err != nil {
					return nil, err
				}
			default:
				if err := x.retry(); err != nil {
					return nil, err
				}
				if err := x.resend(r.last, x.lastKind); err != nil {
					return nil, err
				}
			}
		default:
			w, err := x.supervisory(blk)
			if err != nil {
				return nil, err
			}
			if w > 0 {
				wait = w
			}
		}
	}
}

// supervisory answers an S-block of the card; it returns the waiting time
// for the next block when the card asked for more.
func (x *t1x) supervisory(blk contact.Block) (time.Duration, error) {
	r := x.r
	if blk.IsResponse() {
		return 0, x.recover(fmt.Errorf("%w: unexpected %s", contact.ErrBlock, blk.Name()))
	}
	switch blk.SFunc() {
	case contact.SWTX:
		x.fails = 0
		m := blk.INF[0]
		return r.bwt * time.Duration(m), x.send(contact.SPCB(contact.SWTX, true), blk.INF)
	case contact.SIFS:
		x.fails = 0
		r.ifsc = int(blk.INF[0])
		return 0, x.send(contact.SPCB(contact.SIFS, true), blk.INF)
	case contact.SAbort:
		if err := x.send(contact.SPCB(contact.SAbort, true), nil); err != nil {
			return 0, err
		}
		return 0, ErrAborted
	}
	return 0, x.recover(fmt.Errorf("%w: unexpected %s", contact.ErrBlock, blk.Name()))
}

// sendI sends the next I-block of the command.
func (x *t1x) sendI() error {
	r := x.r
	x.cur = min(r.ifsc, len(x.apdu)-x.off)
	x.more = x.off+x.cur < len(x.apdu)
	x.lastINS = r.ns
	x.phase = waiting
	if x.more {
		x.phase = sending
	}
	if err := x.send(contact.IPCB(r.ns, x.more), x.apdu[x.off:x.off+x.cur]); err != nil {
		return err
	}
	r.lastI = append(r.lastI[:0], r.last...)
	return nil
}

// send builds a block and sends it; it becomes the last block sent.
func (x *t1x) send(pcb byte, inf []byte) error {
	r := x.r
	r.last = contact.AppendBlock(r.last[:0], 0, pcb, inf, r.crc)
	x.lastKind = contact.Block{PCB: pcb}.Kind()
	x.lastSReq = x.lastKind == contact.KindS && pcb&0x20 == 0
	if err := r.line.Send(r.last); err != nil {
		return r.fail(err)
	}
	return nil
}

// resend sends block bytes again.
func (x *t1x) resend(block []byte, kind int) error {
	r := x.r
	r.block = append(r.block[:0], block...)
	r.last = append(r.last[:0], r.block...)
	x.lastKind = kind
	x.lastSReq = kind == contact.KindS && len(block) > 1 && block[1]&0x20 == 0
	if err := r.line.Send(r.last); err != nil {
		return r.fail(err)
	}
	return nil
}

// retry counts a failed attempt; past maxRetries it resynchronises and
// returns the error that ends the exchange.
func (x *t1x) retry() error {
	x.fails++
	if x.fails > maxRetries {
		return x.r.resynch(fmt.Errorf("%d attempts without a valid block", x.fails))
	}
	return nil
}

// recover handles an invalid block or a time-out (rules 7.1 to 7.3).
func (x *t1x) recover(cause error) error {
	if err := x.retry(); err != nil {
		return err
	}
	r := x.r
	if x.lastSReq {
		return x.resend(r.last, x.lastKind)
	}
	// After an I-block, an S response or an R-block alike: the R-block
	// naming the expected I-block (the same N(R) as an R-block already
	// sent).
	code := byte(contact.RErrOther)
	if errors.Is(cause, contact.ErrEDC) {
		code = contact.RErrEDC
	}
	return x.send(contact.RPCB(r.nr, code), nil)
}

func isBlockError(err error) bool {
	return errors.Is(err, contact.ErrTimeout) || errors.Is(err, contact.ErrEDC) || errors.Is(err, contact.ErrBlock) || errors.Is(err, errCut)
}

// recvBlock receives one block: the frame that starts within wait, and
// the rest of its characters, each within CWT.
func (r *IFD) recvBlock(wait time.Duration) (contact.Block, error) {
	f, err := r.line.Receive(wait)
	if err != nil {
		return contact.Block{}, err
	}
	r.rx = append(r.rx[:0], f...)
	edc := contact.EDCLen(r.crc)
	for len(r.rx) < 3 || r.rx[2] != 0xFF && len(r.rx) < 3+int(r.rx[2])+edc {
		f, err := r.line.Receive(r.cwt)
		if errors.Is(err, contact.ErrTimeout) {
			return contact.Block{}, errCut
		}
		if err != nil {
			return contact.Block{}, err
		}
		r.rx = append(r.rx, f...)
	}
	blk, err := contact.ParseBlock(r.rx, r.crc)
	if err != nil {
		return contact.Block{}, err
	}
	if blk.NAD != 0 {
		return contact.Block{}, fmt.Errorf("%w: NAD %02X", contact.ErrBlock, blk.NAD)
	}
	return blk, nil
}

// resynch resynchronises the link after repeated errors (rule 7.4): the
// sequence numbers start again, IFSC is the ATR's and IFSD the default
// (the reader announces its own again). The command is not sent again.
func (r *IFD) resynch(cause error) error {
	for range resynchAttempts {
		r.last = contact.AppendBlock(r.last[:0], 0, contact.SPCB(contact.SResynch, false), nil, r.crc)
		if err := r.line.Send(r.last); err != nil {
			return r.fail(err)
		}
		blk, err := r.recvBlock(r.bwt)
		if err != nil && !isBlockError(err) {
			return r.fail(err)
		}
		if err == nil && blk.Kind() == contact.KindS && blk.IsResponse() && blk.SFunc() == contact.SResynch {
			r.ns, r.nr = 0, 0
			r.ifsc, r.ifsd = r.atr.IFSC, 32
			if err := r.negotiateIFSD(); err != nil {
				return r.fail(err)
			}
			return fmt.Errorf("%w: after %v", ErrResynchronized, cause)
		}
	}
	return r.fail(fmt.Errorf("%w: no S(RESYNCH response) after %d requests, following %v", ErrProtocol, resynchAttempts, cause))
}

// negotiateIFSD announces the reader's IFSD with S(IFS request) when it
// differs from the default (ISO/IEC 7816-3 §11.4.2), sending the request
// again after an invalid answer (rule 7.3).
func (r *IFD) negotiateIFSD() error {
	if r.cfg.IFSD == r.ifsd {
		return nil
	}
	req := contact.AppendBlock(nil, 0, contact.SPCB(contact.SIFS, false), []byte{byte(r.cfg.IFSD)}, r.crc)
	var last error
	for range maxRetries + 1 {
		if err := r.line.Send(req); err != nil {
			return err
		}
		blk, err := r.recvBlock(r.bwt)
		switch {
		case err != nil && !isBlockError(err):
			return err
		case err != nil:
			last = err
		case blk.Kind() == contact.KindS && blk.IsResponse() && blk.SFunc() == contact.SIFS && blk.INF[0] == byte(r.cfg.IFSD):
			r.ifsd = r.cfg.IFSD
			return nil
		default:
			last = fmt.Errorf("%w: %s to S(IFS request)", ErrProtocol, blk.Name())
		}
	}
	return fmt.Errorf("announcing IFSD %d: %w", r.cfg.IFSD, last)
}
