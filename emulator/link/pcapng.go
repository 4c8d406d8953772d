package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// LinkTypeISO14443 is LINKTYPE_ISO_14443 of the tcpdump.org link-type
// registry: ISO/IEC 14443 frames, each packet led by a 4-byte
// pseudo-header (version 0, an event byte, the length of the data that
// follows, big-endian), the format Wireshark's iso14443 dissector reads.
const LinkTypeISO14443 = 264

// Notes of the events a contactless trace marks the reader's field
// switching with (frames without data, see Frame.Note).
const (
	NoteFieldOn  = "field on"
	NoteFieldOff = "field off"
)

// Events of the ISO 14443 pseudo-header.
const (
	iso14443FromCard = 0xFF // data PICC → PCD
	iso14443ToCard   = 0xFE // data PCD → PICC
	iso14443FieldOff = 0xFD
	iso14443FieldOn  = 0xFC
)

// pcapng block types and options (the pcapng specification,
// draft-ietf-opsawg-pcapng).
const (
	blockSHB      = 0x0A0D0D0A
	blockIDB      = 0x00000001
	blockEPB      = 0x00000006
	byteOrderMark = 0x1A2B3C4D
	optEnd        = 0
	optSHBUserApp = 4
	optIfName     = 2
	optIfTSResol  = 9
)

// MaxPcapngData is the most data bytes one frame may have: the length
// field of the pseudo-header is 16 bits.
const MaxPcapngData = 0xFFFF

// ErrPcapngFrame is returned for a frame the ISO 14443 link type cannot
// carry (more than MaxPcapngData bytes).
var ErrPcapngFrame = errors.New("frame too long for an ISO 14443 pcapng packet")

// PcapngOptions tune a pcapng file.
type PcapngOptions struct {
	// Epoch is the wall-clock time of model time 0; packet time stamps
	// are Epoch + Frame.Start. The zero value is the Unix epoch, which
	// keeps files reproducible.
	Epoch time.Time
	// Application names the writer in the section header; default
	// "sscard".
	Application string
}

// PcapngWriter writes the contactless frames of a trace as a pcapng file
// with one interface of link type LinkTypeISO14443 and nanosecond time
// stamps.
type PcapngWriter struct {
	w     io.Writer
	epoch int64
	buf   []byte
	err   error
}

// NewPcapngWriter writes the section header and interface description and
// returns the writer of the frames.
func NewPcapngWriter(w io.Writer, opt PcapngOptions) (*PcapngWriter, error) {
	pw := &PcapngWriter{w: w}
	if !opt.Epoch.IsZero() {
		pw.epoch = opt.Epoch.UnixNano()
	}
	app := opt.Application
	if app == "" {
		app = "sscard"
	}
	// Section header: byte-order magic, version 1.0, section length
	// unknown (-1).
	body := binary.LittleEndian.AppendUint32(nil, byteOrderMark)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint64(body, ^uint64(0))
	body = appendOption(body, optSHBUserApp, []byte(app))
	body = appendOption(body, optEnd, nil)
	pw.block(blockSHB, body)
	// Interface: link type, no snapshot limit, a name, nanoseconds.
	body = binary.LittleEndian.AppendUint16(nil, LinkTypeISO14443)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = appendOption(body, optIfName, []byte("contactless"))
	body = appendOption(body, optIfTSResol, []byte{9})
	body = appendOption(body, optEnd, nil)
	pw.block(blockIDB, body)
	if pw.err != nil {
		return nil, pw.err
	}
	return pw, nil
}

// WriteFrame writes one frame as a packet. Frames of the contact interface
// and events other than the field switching on and off are skipped: the
// link type has no place for them.
func (pw *PcapngWriter) WriteFrame(f Frame) error {
	if pw.err != nil {
		return pw.err
	}
	if f.Interface != Contactless {
		return nil
	}
	var event byte
	switch {
	case len(f.Data) > MaxPcapngData:
		return fmt.Errorf("writing pcapng: %w: %d bytes", ErrPcapngFrame, len(f.Data))
	case len(f.Data) > 0 && f.Dir == FromCard:
		event = iso14443FromCard
	case len(f.Data) > 0:
		event = iso14443ToCard
	case f.Note == NoteFieldOn:
		event = iso14443FieldOn
	case f.Note == NoteFieldOff:
		event = iso14443FieldOff
	default:
		return nil
	}
	n := 4 + len(f.Data)
	ts := uint64(pw.epoch + int64(f.Start))
	body := pw.buf[:0]
	body = binary.LittleEndian.AppendUint32(body, 0) // interface 0
	body = binary.LittleEndian.AppendUint32(body, uint32(ts>>32))
	body = binary.LittleEndian.AppendUint32(body, uint32(ts))
	body = binary.LittleEndian.AppendUint32(body, uint32(n))
	body = binary.LittleEndian.AppendUint32(body, uint32(n))
	body = append(body, 0, event, byte(len(f.Data)>>8), byte(len(f.Data)))
	body = append(body, f.Data...)
	body = pad4(body)
	pw.buf = body
	pw.block(blockEPB, body)
	return pw.err
}

// WritePcapng writes the trace's contactless frames as a pcapng file.
func (t *Trace) WritePcapng(w io.Writer, opt PcapngOptions) error {
	pw, err := NewPcapngWriter(w, opt)
	if err != nil {
		return err
	}
	for _, f := range t.Frames {
		if err := pw.WriteFrame(f); err != nil {
			return err
		}
	}
	return nil
}

// block writes a block: type, total length, body, total length again.
func (pw *PcapngWriter) block(typ uint32, body []byte) {
	if pw.err != nil {
		return
	}
	total := uint32(12 + len(body))
	var head [8]byte
	binary.LittleEndian.PutUint32(head[:4], typ)
	binary.LittleEndian.PutUint32(head[4:], total)
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], total)
	for _, b := range [][]byte{head[:], body, tail[:]} {
		if _, err := pw.w.Write(b); err != nil {
			pw.err = fmt.Errorf("writing pcapng: %w", err)
			return
		}
	}
}

func appendOption(b []byte, code uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	return pad4(append(b, v...))
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
