package ifd

import (
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// T=0, reader side (ISO/IEC 7816-3 §10 and the transport layer of §12.2).
// A command APDU becomes one or more TPDUs: case 1 is the header with P3
// = 00; case 2 the header with P3 = Le, sent again with P3 = xx after a
// 6Cxx; case 3 the header with P3 = Lc, then the data as the procedure
// bytes ask; case 4 is sent as case 3 and, when the card answers 61xx,
// completed by GET RESPONSE with Le = min(Ne, xx). A waiting time exceeded
// or a procedure byte that makes no sense ends in deactivation (§10.2,
// §10.3.3): T=0 has no retransmission.

// max6C bounds the resends after 6Cxx: a card that keeps asking for
// another length is broken.
const max6C = 3

// maxNulls bounds the NULL procedure bytes of one exchange.
const maxNulls = 1 << 16

func (r *IFD) t0Transmit(capdu []byte) ([]byte, error) {
	cmd, err := iso7816.ParseCommand(capdu)
	if err != nil {
		return nil, err
	}
	if cmd.Extended {
		return nil, fmt.Errorf("%w: extended APDU over T=0", ErrUnsupported)
	}
	h := [4]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}
	switch cmd.Case() {
	case 1:
		return r.tpdu(h, 0, nil, 0)
	case 2:
		return r.case2(h, cmd.Ne)
	case 3:
		return r.tpdu(h, byte(len(cmd.Data)), cmd.Data, 0)
	}
	resp, err := r.tpdu(h, byte(len(cmd.Data)), cmd.Data, 0)
	if err != nil || len(resp) != 2 || resp[0] != 0x61 {
		return resp, err
	}
	avail := int(resp[1])
	if avail == 0 {
		avail = 256
	}
	return r.case2([4]byte{cmd.CLA & 0x03, 0xC0, 0x00, 0x00}, min(cmd.Ne, avail))
}

// case2 sends a case 2 command, again with the length the card names
// after 6Cxx.
func (r *IFD) case2(h [4]byte, le int) ([]byte, error) {
	resp, err := r.tpdu(h, byte(le), nil, le)
	for i := 0; err == nil && i < max6C && len(resp) == 2 && resp[0] == 0x6C; i++ {
		le = int(resp[1])
		if le == 0 {
			le = 256
		}
		resp, err = r.tpdu(h, resp[1], nil, le)
	}
	return resp, err
}

// tpdu exchanges one TPDU: the header with P3, then the data the
// procedure bytes ask for (incoming data, or le bytes outgoing), until
// SW1 SW2.
func (r *IFD) tpdu(h [4]byte, p3 byte, data []byte, le int) ([]byte, error) {
	r.in, r.inUsed = r.in[:0], 0
	r.hdr = [5]byte{h[0], h[1], h[2], h[3], p3}
	if err := r.line.Send(r.hdr[:]); err != nil {
		return nil, r.fail(err)
	}
	ins := h[1]
	r.out = r.out[:0]
	sent := 0
	for nulls := 0; ; {
		pb, err := r.read(1)
		if err != nil {
			return nil, err
		}
		switch b := pb[0]; {
		case b == 0x60:
			if nulls++; nulls > maxNulls {
				return nil, r.fail(fmt.Errorf("%w: more than %d NULL bytes", ErrProtocol, maxNulls))
			}
		case b&0xF0 == 0x60 || b&0xF0 == 0x90:
			sw2, err := r.read(1)
			if err != nil {
				return nil, err
			}
			return append(append([]byte(nil), r.out...), b, sw2[0]), nil
		case b == ins || b == ^ins:
			n := 1
			switch {
			case sent < len(data):
				if b == ins {
					n = len(data) - sent
				}
				if err := r.line.Send(data[sent : sent+n]); err != nil {
					return nil, r.fail(err)
				}
				sent += n
			case len(r.out) < le:
				if b == ins {
					n = le - len(r.out)
				}
				got, err := r.read(n)
				if err != nil {
					return nil, err
				}
				r.out = append(r.out, got...)
			default:
				return nil, r.fail(fmt.Errorf("%w: procedure byte %02X with no data left to transfer", ErrProtocol, b))
			}
		default:
			return nil, r.fail(fmt.Errorf("%w: procedure byte %02X to INS %02X", ErrProtocol, b, ins))
		}
	}
}

// read returns the next n bytes from the card, each within the waiting
// time of the previous character. A silent card is deactivated.
func (r *IFD) read(n int) ([]byte, error) {
	for len(r.in)-r.inUsed < n {
		f, err := r.line.Receive(r.wt)
		if err != nil {
			return nil, r.fail(err)
		}
		r.in = append(r.in, f...)
	}
	got := r.in[r.inUsed : r.inUsed+n : r.inUsed+n]
	r.inUsed += n
	return got, nil
}

// IsDeactivated reports whether err says the reader deactivated the card.
func IsDeactivated(err error) bool { return errors.Is(err, ErrDeactivated) }
