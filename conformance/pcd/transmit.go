package pcd

import (
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/contactless"
)

// Transmit implements Reader: the APDU goes out in I-blocks chained to
// the card's FSC, the answer comes back chained to the reader's FSD, with
// the error recovery of ISO/IEC 14443-4 §7.5.4 (PCD rules):
//
//   - an invalid block or a time-out gets R(NAK) (rule 4), or R(ACK)
//     while the card chains (rule 5);
//   - an R(ACK) with the other block number gets the last I-block again
//     (rule 6), one with the reader's number continues the chaining
//     (rule 7);
//   - S(WTX) gets S(WTX) with the same WTXM, and the next wait is
//     FWT × WTXM.
//
// A block is sent again at most Retries times; then the exchange fails
// with ErrLink and the card must be connected again.
func (r *PCD) Transmit(capdu []byte) ([]byte, error) {
	if r.act == nil {
		return nil, ErrNotConnected
	}
	out, err := r.transmit(capdu)
	if err != nil {
		r.act = nil
		return nil, err
	}
	return out, nil
}

func (r *PCD) transmit(capdu []byte) ([]byte, error) {
	proto := contactless.Block{Type: contactless.IBlock, HasCID: r.cid, CID: r.opt.CID}
	maxINF := max(r.fsc-proto.Overhead(), 1)
	rest := capdu
	resp := &r.got
	for {
		n := min(len(rest), maxINF)
		blk := proto
		blk.Num, blk.Chaining, blk.INF = r.bn, n < len(rest), rest[:n]
		r.last = contactless.AppendCRC(r.typ, blk.Append(r.last[:0]))
		if err := r.exchange(r.last, false, resp); err != nil {
			return nil, err
		}
		rest = rest[n:]
		if !blk.Chaining {
			break
		}
		if resp.Type != contactless.RBlock {
			return nil, fmt.Errorf("%w: %s while chaining a command", ErrProtocol, resp)
		}
		r.bn ^= 1 // rule 2: an R(ACK) with the current number
	}
	var data []byte
	for {
		if resp.Type != contactless.IBlock {
			return nil, fmt.Errorf("%w: %s in place of an I-block", ErrProtocol, resp)
		}
		r.bn ^= 1 // rule 2
		data = append(data, resp.INF...)
		if len(data) > maxResponse {
			return nil, fmt.Errorf("%w: the card chains more than %d bytes", ErrProtocol, maxResponse)
		}
		if !resp.Chaining {
			return data, nil
		}
		ack := r.txFrame(contactless.Block{Type: contactless.RBlock, Num: r.bn})
		if err := r.exchange(ack, true, resp); err != nil {
			return nil, err
		}
	}
}

// Bounds against a card that never ends: the longest response APDU (an
// extended one), the most waiting time extensions for one block (with
// FWI 7 and WTXM 59, over a minute).
const (
	maxResponse = 65536 + 2
	maxWTX      = 32
)

// exchange sends a block (a frame with its CRC) and leaves the card's
// answer to it in got: an I-block with the reader's block number, or an
// R(ACK) with it. It runs the error recovery and the waiting time
// extensions. cardChaining says the block is an R(ACK) asking for the
// card's next chained block. got's INF aliases the received frame, valid
// until the next exchange.
func (r *PCD) exchange(block []byte, cardChaining bool, got *contactless.Block) error {
	toSend := block
	timeout := r.fwt + r.opt.Margin
	tries, wtx := 0, 0
	retry := func(why string) error {
		tries++
		if tries > r.opt.Retries {
			return fmt.Errorf("%w: %s, %d times", ErrLink, why, tries)
		}
		nak := !cardChaining // rule 5: R(ACK) while the card chains, else rule 4: R(NAK)
		toSend = r.txFrame(contactless.Block{Type: contactless.RBlock, NAK: nak, Num: r.bn})
		return nil
	}
	for {
		rx, err := r.air.Transceive(contactless.Tx{Type: r.typ, Data: toSend, Rates: r.rate, Timeout: timeout})
		timeout = r.fwt + r.opt.Margin // a WTX lasts one wait
		ok := r.parse(&rx, err, got)
		switch {
		case ok && got.Type == contactless.IBlock && got.Num == r.bn:
			return nil // the answer
		case !ok:
			why := "invalid block"
			if err != nil {
				why = err.Error()
			}
			if err := retry(why); err != nil {
				return err
			}
		case got.Type == contactless.SBlock && got.S == contactless.WTX:
			if wtx++; wtx > maxWTX {
				return fmt.Errorf("%w: the card asked for more time %d times", ErrLink, maxWTX)
			}
			m := got.WTXM()
			if m < 1 || m > contactless.MaxWTXM {
				if err := retry(fmt.Sprintf("S(WTX) with WTXM %d", m)); err != nil {
					return err
				}
				continue
			}
			toSend = r.txFrame(contactless.Block{Type: contactless.SBlock, S: contactless.WTX, INF: []byte{byte(m)}})
			timeout = min(time.Duration(m)*r.fwt, contactless.MaxFWT) + r.opt.Margin
		case got.Type == contactless.RBlock && !got.NAK && got.Num != r.bn:
			// Rule 6: the card did not get the last I-block.
			tries++
			if tries > r.opt.Retries {
				return fmt.Errorf("%w: the card keeps asking for the last block", ErrLink)
			}
			toSend = r.last
		case got.Type == contactless.RBlock && !got.NAK && !cardChaining && r.chainingLast():
			return nil // rule 7
		default:
			// An R(NAK), an S(DESELECT), an R(ACK) where none is due, an
			// I-block with the wrong number: invalid (rule 4).
			if err := retry("unexpected " + got.String()); err != nil {
				return err
			}
		}
	}
}

// chainingLast reports whether the last I-block sent asked for chaining.
func (r *PCD) chainingLast() bool { return len(r.last) > 0 && r.last[0]&0x10 != 0 }

// txFrame puts blk, with the reader's CID and the CRC, in the send buffer
// and returns the frame (valid until the next txFrame).
func (r *PCD) txFrame(blk contactless.Block) []byte {
	blk.HasCID, blk.CID = r.cid, r.opt.CID
	r.txBuf = contactless.AppendCRC(r.typ, blk.Append(r.txBuf[:0]))
	return r.txBuf
}

// txBlock sends a block once and returns what came.
func (r *PCD) txBlock(blk contactless.Block, timeout time.Duration) (contactless.Rx, error) {
	return r.air.Transceive(contactless.Tx{Type: r.typ, Data: r.txFrame(blk), Rates: r.rate, Timeout: timeout})
}

// parse checks a received frame is a valid block for this reader and
// reads it into blk: whole bytes, no collision, a good CRC, a known PCB,
// the reader's CID (or none when it uses none), no longer than the
// reader's FSD.
func (r *PCD) parse(rx *contactless.Rx, err error, blk *contactless.Block) bool {
	body, ok := r.frameOf(rx, err)
	if !ok || len(rx.Data) > contactless.FrameSize(r.opt.FSDI) {
		*blk = contactless.Block{}
		return false
	}
	return contactless.ParseBlockInto(blk, body) == nil && blk.HasCID == r.cid && (!blk.HasCID || blk.CID == r.opt.CID&0x0F)
}
