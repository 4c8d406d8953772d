package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"
)

// ErrPcapng is wrapped by every error about the content of a pcapng file.
var ErrPcapng = errors.New("not a valid ISO 14443 pcapng file")

// IsPcapng reports whether data starts like a pcapng file: a section
// header block with its byte-order magic.
func IsPcapng(data []byte) bool {
	return len(data) >= 12 && binary.LittleEndian.Uint32(data) == blockSHB &&
		(binary.LittleEndian.Uint32(data[8:]) == byteOrderMark || binary.BigEndian.Uint32(data[8:]) == byteOrderMark)
}

// ReadPcapng reads the ISO 14443 packets of a pcapng file (ours, or one
// another tool wrote with LINKTYPE_ISO_14443) as a contactless trace:
// data from the reader and from the card become frames, the field
// switching becomes events, and model time starts at the first packet.
// Packets of other link types are skipped; frame durations are not in the
// file and are 0. Either byte order, several sections, enhanced and simple
// packet blocks, and any time stamp resolution are read.
func ReadPcapng(data []byte) (*Trace, error) {
	if !IsPcapng(data) {
		return nil, fmt.Errorf("%w: no section header", ErrPcapng)
	}
	r := pcapReader{data: data}
	t := &Trace{}
	first, haveFirst := uint64(0), false
	for n := 0; r.off < len(data); n++ {
		typ, body, err := r.block()
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %v", ErrPcapng, n, err)
		}
		var pkt []byte
		var ts uint64
		var ifc *pcapIface
		switch typ {
		case blockSHB:
			r.ifaces = r.ifaces[:0]
			continue
		case blockIDB:
			if len(body) < 8 {
				return nil, fmt.Errorf("%w: block %d: interface description of %d bytes", ErrPcapng, n, len(body))
			}
			ifc := pcapIface{linkType: r.bo.Uint16(body), ns: tsToNs(6, false)}
			if err := r.options(body[8:], func(code uint16, v []byte) {
				if code == optIfTSResol && len(v) >= 1 {
					ifc.ns = tsToNs(int(v[0]&0x7F), v[0]&0x80 != 0)
				}
			}); err != nil {
				return nil, fmt.Errorf("%w: block %d: %v", ErrPcapng, n, err)
			}
			r.ifaces = append(r.ifaces, ifc)
			continue
		case blockEPB:
			if len(body) < 20 {
				return nil, fmt.Errorf("%w: block %d: packet block of %d bytes", ErrPcapng, n, len(body))
			}
			id, capLen := r.bo.Uint32(body), r.bo.Uint32(body[12:])
			if int(id) >= len(r.ifaces) {
				return nil, fmt.Errorf("%w: block %d: packet of interface %d, %d described", ErrPcapng, n, id, len(r.ifaces))
			}
			if uint64(capLen) > uint64(len(body)-20) {
				return nil, fmt.Errorf("%w: block %d: %d bytes captured in a block of %d", ErrPcapng, n, capLen, len(body))
			}
			ifc, ts, pkt = &r.ifaces[id], uint64(r.bo.Uint32(body[4:]))<<32|uint64(r.bo.Uint32(body[8:])), body[20:20+capLen]
		case blockSPB:
			if len(r.ifaces) == 0 || len(body) < 4 {
				return nil, fmt.Errorf("%w: block %d: simple packet without an interface", ErrPcapng, n)
			}
			ifc, pkt = &r.ifaces[0], body[4:]
			if orig := r.bo.Uint32(body); uint64(orig) < uint64(len(pkt)) {
				pkt = pkt[:orig]
			}
		default:
			continue // statistics, name resolution, custom blocks...
		}
		if ifc.linkType != LinkTypeISO14443 {
			continue
		}
		f, err := iso14443Frame(pkt)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %v", ErrPcapng, n, err)
		}
		if typ == blockEPB {
			if !haveFirst {
				first, haveFirst = ts, true
			}
			if ts >= first {
				f.Start = ifc.ns(ts - first)
			}
		}
		t.Frames = append(t.Frames, f)
	}
	return t, nil
}

// blockSPB is the simple packet block.
const blockSPB = 0x00000003

type pcapIface struct {
	linkType uint16
	ns       func(uint64) time.Duration
}

type pcapReader struct {
	data   []byte
	off    int
	bo     binary.ByteOrder
	ifaces []pcapIface
}

// block reads the next block, learning the byte order from each section
// header.
func (r *pcapReader) block() (uint32, []byte, error) {
	rest := r.data[r.off:]
	if len(rest) < 12 {
		return 0, nil, fmt.Errorf("%d bytes left", len(rest))
	}
	if binary.LittleEndian.Uint32(rest) == blockSHB {
		switch {
		case binary.LittleEndian.Uint32(rest[8:]) == byteOrderMark:
			r.bo = binary.LittleEndian
		case binary.BigEndian.Uint32(rest[8:]) == byteOrderMark:
			r.bo = binary.BigEndian
		default:
			return 0, nil, errors.New("section header without byte-order magic")
		}
	}
	if r.bo == nil {
		return 0, nil, errors.New("a block before the section header")
	}
	typ, n := r.bo.Uint32(rest), r.bo.Uint32(rest[4:])
	if n < 12 || n%4 != 0 || uint64(n) > uint64(len(rest)) || r.bo.Uint32(rest[n-4:]) != n {
		return 0, nil, fmt.Errorf("block %08X of length %d (%d bytes left)", typ, n, len(rest))
	}
	r.off += int(n)
	body := rest[8 : n-4]
	if typ == blockSHB {
		if len(body) < 16 || r.bo.Uint16(body[4:]) != 1 {
			return 0, nil, errors.New("section header of another major version")
		}
	}
	return typ, body, nil
}

// options walks the options of a block.
func (r *pcapReader) options(b []byte, f func(code uint16, v []byte)) error {
	for len(b) >= 4 {
		code, n := r.bo.Uint16(b), int(r.bo.Uint16(b[2:]))
		if code == optEnd {
			return nil
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(b) {
			return fmt.Errorf("option %d of %d bytes past the block", code, n)
		}
		f(code, b[4:4+n])
		b = b[4+padded:]
	}
	return nil
}

// tsToNs returns the conversion of time stamps in units of 10^-v (or
// 2^-v) seconds to a duration, saturating rather than overflowing.
func tsToNs(v int, binaryBase bool) func(uint64) time.Duration {
	return func(ts uint64) time.Duration {
		switch {
		case binaryBase && v >= 64:
			return 0
		case binaryBase:
			return satDuration(ts, 1e9, 1<<v)
		case v <= 9:
			return satDuration(ts, pow10(9-v), 1)
		case v-9 > 19:
			return 0
		}
		return satDuration(ts, 1, pow10(v-9))
	}
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// satDuration returns ts·num/den as a duration, saturated at the largest.
func satDuration(ts, num, den uint64) time.Duration {
	hi, lo := bits.Mul64(ts, num)
	if hi >= den {
		return time.Duration(1<<63 - 1)
	}
	q, _ := bits.Div64(hi, lo, den)
	if q > 1<<63-1 {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(q)
}

// iso14443Frame reads one packet: the pseudo-header and the data.
func iso14443Frame(pkt []byte) (Frame, error) {
	if len(pkt) < 4 || pkt[0] != 0 || int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt)-4 {
		return Frame{}, fmt.Errorf("ISO 14443 pseudo-header % X in a packet of %d bytes", pkt[:min(len(pkt), 4)], len(pkt))
	}
	f := Frame{Interface: Contactless, Data: append([]byte(nil), pkt[4:]...)}
	switch pkt[1] {
	case iso14443FromCard, 0xFB: // 0xFB: from the card, CRC dropped
		f.Dir = FromCard
	case iso14443ToCard, 0xFA: // 0xFA: to the card, CRC dropped
		f.Dir = ToCard
	case iso14443FieldOn, iso14443FieldOff:
		f.Dir, f.Data, f.Note = ToCard, nil, NoteFieldOn
		if pkt[1] == iso14443FieldOff {
			f.Note = NoteFieldOff
		}
	default:
		return Frame{}, fmt.Errorf("ISO 14443 event %02X", pkt[1])
	}
	if (pkt[1] == 0xFA || pkt[1] == 0xFB) && len(f.Data) > 0 {
		f.Note = "(CRC not captured)"
	}
	return f, nil
}
