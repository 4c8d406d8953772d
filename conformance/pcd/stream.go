package pcd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/link"
)

// The frame stream lets a reader that is not Go (firmware built for the
// host, a reader driver) be tested like the reference PCD: the harness
// holds the cards and the field, the reader holds its protocol logic, and
// they talk over a byte stream (a pipe to the reader's process, a TCP or
// Unix socket). It follows the conventions of the contact side's stream
// (conformance/ifd): every message is
//
//	type (1 byte) | length (4 bytes, big-endian) | payload (length bytes)
//
// The harness sends a request to the reader (lower case); until the reader
// answers it (upper case, or E), the reader may send field requests (lower
// case), each answered by the harness before the next:
//
//	harness → reader
//	  'a' activate    payload: empty           answer 'A' activation, or 'E'
//	  't' transmit    payload: command APDU    answer 'T' response APDU, or 'E'
//	  'd' deactivate  payload: empty           answer 'D', or 'E'
//	reader → harness, while a request is open
//	  'f' field       payload: 1 byte, 0 off, 1 on          answer 'K'
//	  'w' wait        payload: 8 bytes, nanoseconds          answer 'K'
//	  'n' now         payload: empty                         answer 'K'
//	  'x' transceive  payload: type 'A' or 'B', last bits (1 byte, 0 = whole
//	                  bytes), bit rate to the card and from it (2 bytes
//	                  each, kbit/s, 0 = 106), listening time (8 bytes,
//	                  ns), the frame's bytes, CRC included
//	                                                         answer 'F' frame, or 'N'
//	either way
//	  'E' error       payload: UTF-8 text
//
// 'K' carries the model time after the request (8 bytes, ns). 'F' is what
// the reader received: align (1 byte: the bit of the first byte the first
// bit went to), last bits (1 byte), collided (1 byte, 0 or 1), collision
// bit (2 bytes), start and duration (8 bytes each, ns, model time), the
// bytes. 'N' says nothing was received: 1 byte, 0 for a time-out, 1 for a
// field that is off. 'A' is the type byte ('A' or 'B') and then UID (or
// PUPI), ATQA, SAK, ATS, ATQB and ATTRIB answer, each as a length byte and
// its bytes (SAK is one byte long for Type A, empty for Type B). Time is
// the harness's model time: nothing waits in real time. Closing the stream
// ends the session.

// Message types of the frame stream.
const (
	MsgActivate   = 'a'
	MsgTransmit   = 't'
	MsgDeactivate = 'd'
	MsgActivation = 'A'
	MsgResponse   = 'T'
	MsgDone       = 'D'
	MsgError      = 'E'
	MsgField      = 'f'
	MsgWait       = 'w'
	MsgNow        = 'n'
	MsgTransceive = 'x'
	MsgOK         = 'K'
	MsgFrame      = 'F'
	MsgNothing    = 'N'
)

// MaxMessage bounds a frame stream payload.
const MaxMessage = link.MaxMessage

// ErrStream is wrapped by every error about the frame stream itself.
var ErrStream = link.ErrStream

func writeMsg(w io.Writer, typ byte, payload []byte) error { return link.WriteMessage(w, typ, payload) }

func readMsg(r io.Reader) (byte, []byte, error) { return link.ReadMessage(r) }

// StreamReader is a reader behind a frame stream, seen as a Reader: the
// harness side of the stream.
type StreamReader struct {
	mu     sync.Mutex
	r      *bufio.Reader
	w      io.Writer
	closer func() error
	air    contactless.Air
}

// NewStreamReader talks to the reader at the other end of rw; close, if
// not nil, is called by Close.
func NewStreamReader(rw io.ReadWriter, close func() error) *StreamReader {
	return &StreamReader{r: bufio.NewReader(rw), w: rw, closer: close}
}

// ExecReader starts a reader program and talks to it over its standard
// input and output; what it writes on its standard error goes to ours.
func ExecReader(name string, args ...string) (*StreamReader, error) {
	rw, closeFn, err := link.StartPeer(os.Stderr, name, args...)
	if err != nil {
		return nil, err
	}
	return NewStreamReader(rw, closeFn), nil
}

// DialReader connects to a reader listening on a network address
// (network "tcp" or "unix").
func DialReader(network, addr string) (*StreamReader, error) {
	return OpenPeer(link.Peer{Network: network, Addr: addr})
}

// OpenStreamReader opens the reader a spec names (link.ParsePeer):
// "exec:PROGRAM ARGS..." (split on spaces), "tcp:HOST:PORT" or
// "unix:PATH".
func OpenStreamReader(spec string) (*StreamReader, error) {
	p, err := link.ParsePeer(spec)
	if err != nil {
		return nil, err
	}
	return OpenPeer(p)
}

// OpenPeer opens a session with the reader p names (link.Peer.Open); what
// a program writes on its standard error goes to ours.
func OpenPeer(p link.Peer) (*StreamReader, error) {
	rw, closeFn, err := p.Open(os.Stderr)
	if err != nil {
		return nil, err
	}
	return NewStreamReader(rw, closeFn), nil
}

// Close ends the session with the reader.
func (s *StreamReader) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer()
}

// Connect implements Reader.
func (s *StreamReader) Connect(air contactless.Air) (*Activation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.air = air
	typ, payload, err := s.command(MsgActivate, nil)
	if err != nil {
		return nil, err
	}
	if typ != MsgActivation {
		return nil, fmt.Errorf("%w: %q in answer to activate", ErrStream, typ)
	}
	return decodeActivation(payload)
}

// Transmit implements Reader.
func (s *StreamReader) Transmit(capdu []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ, payload, err := s.command(MsgTransmit, capdu)
	if err != nil {
		return nil, err
	}
	if typ != MsgResponse {
		return nil, fmt.Errorf("%w: %q in answer to transmit", ErrStream, typ)
	}
	return payload, nil
}

// Disconnect implements Reader.
func (s *StreamReader) Disconnect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	typ, _, err := s.command(MsgDeactivate, nil)
	if err != nil {
		return err
	}
	if typ != MsgDone {
		return fmt.Errorf("%w: %q in answer to deactivate", ErrStream, typ)
	}
	return nil
}

// ErrReader is wrapped by the errors a reader reports with E.
var ErrReader = errors.New("the reader reports")

// command sends a command and serves the reader's field requests until
// its result comes.
func (s *StreamReader) command(typ byte, payload []byte) (byte, []byte, error) {
	if err := writeMsg(s.w, typ, payload); err != nil {
		return 0, nil, err
	}
	for {
		t, p, err := readMsg(s.r)
		if errors.Is(err, io.EOF) {
			return 0, nil, fmt.Errorf("%w: the reader closed the stream", ErrStream)
		}
		if err != nil {
			return 0, nil, err
		}
		switch t {
		case MsgError:
			return 0, nil, fmt.Errorf("%w: %s", ErrReader, p)
		case MsgActivation, MsgResponse, MsgDone:
			return t, p, nil
		}
		reply, rp, err := serveAir(s.air, t, p)
		if err != nil {
			return 0, nil, err
		}
		if err := writeMsg(s.w, reply, rp); err != nil {
			return 0, nil, err
		}
	}
}

// serveAir performs one field request on air.
func serveAir(air contactless.Air, t byte, p []byte) (byte, []byte, error) {
	if air == nil {
		return 0, nil, fmt.Errorf("%w: field request %q outside a command", ErrStream, t)
	}
	now := func() []byte { return binary.BigEndian.AppendUint64(nil, uint64(air.Now())) }
	switch t {
	case MsgField:
		if len(p) != 1 || p[0] > 1 {
			return 0, nil, fmt.Errorf("%w: field request % X", ErrStream, p)
		}
		air.SetField(p[0] == 1)
		return MsgOK, now(), nil
	case MsgWait:
		if len(p) != 8 {
			return 0, nil, fmt.Errorf("%w: wait request of %d bytes", ErrStream, len(p))
		}
		d := binary.BigEndian.Uint64(p)
		if d > uint64(time.Hour) {
			return 0, nil, fmt.Errorf("%w: wait of %d ns", ErrStream, d)
		}
		air.Wait(time.Duration(d))
		return MsgOK, now(), nil
	case MsgNow:
		return MsgOK, now(), nil
	case MsgTransceive:
		tx, err := decodeTx(p)
		if err != nil {
			return 0, nil, err
		}
		rx, err := air.Transceive(tx)
		switch {
		case errors.Is(err, contactless.ErrFieldOff):
			return MsgNothing, []byte{1}, nil
		case err != nil:
			return MsgNothing, []byte{0}, nil
		}
		return MsgFrame, encodeRx(rx), nil
	}
	return 0, nil, fmt.Errorf("%w: unknown message %q", ErrStream, t)
}

func encodeTx(tx contactless.Tx) []byte {
	b := []byte{byte(tx.Type), byte(tx.LastBits)}
	b = binary.BigEndian.AppendUint16(b, uint16(tx.Rates.ToCard))
	b = binary.BigEndian.AppendUint16(b, uint16(tx.Rates.FromCard))
	b = binary.BigEndian.AppendUint64(b, uint64(tx.Timeout))
	return append(b, tx.Data...)
}

func decodeTx(p []byte) (contactless.Tx, error) {
	if len(p) < 14 {
		return contactless.Tx{}, fmt.Errorf("%w: transceive request of %d bytes", ErrStream, len(p))
	}
	tx := contactless.Tx{Type: contactless.Type(p[0]), LastBits: int(p[1]),
		Rates:   contactless.Rates{ToCard: contactless.BitRate(binary.BigEndian.Uint16(p[2:])), FromCard: contactless.BitRate(binary.BigEndian.Uint16(p[4:]))},
		Timeout: time.Duration(binary.BigEndian.Uint64(p[6:])), Data: p[14:]}
	switch {
	case tx.Type != contactless.TypeA && tx.Type != contactless.TypeB:
		return tx, fmt.Errorf("%w: transceive type %q", ErrStream, p[0])
	case tx.LastBits > 7:
		return tx, fmt.Errorf("%w: transceive last bits %d", ErrStream, tx.LastBits)
	case tx.Timeout < 0 || tx.Timeout > time.Hour:
		return tx, fmt.Errorf("%w: listening time %d ns", ErrStream, int64(tx.Timeout))
	}
	for _, r := range []contactless.BitRate{tx.Rates.ToCard, tx.Rates.FromCard} {
		if r != 0 && !r.Valid() {
			return tx, fmt.Errorf("%w: bit rate %d", ErrStream, r)
		}
	}
	return tx, nil
}

func encodeRx(rx contactless.Rx) []byte {
	coll := byte(0)
	if rx.Collided {
		coll = 1
	}
	b := []byte{byte(rx.Align), byte(rx.LastBits), coll}
	b = binary.BigEndian.AppendUint16(b, uint16(rx.CollisionBit))
	b = binary.BigEndian.AppendUint64(b, uint64(rx.Start))
	b = binary.BigEndian.AppendUint64(b, uint64(rx.Duration))
	return append(b, rx.Data...)
}

// decodeRx reads the answer to a transceive: F or N.
func decodeRx(t byte, p []byte) (contactless.Rx, error) {
	switch {
	case t == MsgNothing && len(p) == 1 && p[0] == 0:
		return contactless.Rx{}, contactless.ErrTimeout
	case t == MsgNothing && len(p) == 1 && p[0] == 1:
		return contactless.Rx{}, contactless.ErrFieldOff
	case t != MsgFrame || len(p) < 21:
		return contactless.Rx{}, fmt.Errorf("%w: %q of %d bytes in answer to a transceive", ErrStream, t, len(p))
	}
	rx := contactless.Rx{Align: int(p[0]), LastBits: int(p[1]), Collided: p[2] == 1,
		CollisionBit: int(binary.BigEndian.Uint16(p[3:])),
		Start:        time.Duration(binary.BigEndian.Uint64(p[5:])), Duration: time.Duration(binary.BigEndian.Uint64(p[13:])),
		Data: p[21:]}
	if rx.Align > 7 || rx.LastBits > 7 || p[2] > 1 {
		return contactless.Rx{}, fmt.Errorf("%w: received frame % X", ErrStream, p[:3])
	}
	return rx, nil
}

func encodeActivation(a *Activation) []byte {
	b := []byte{byte(a.Type)}
	sak := []byte{a.SAK}
	if a.Type == contactless.TypeB {
		sak = nil
	}
	for _, f := range [][]byte{a.UID, a.ATQA, sak, a.ATS, a.ATQB, a.AttribResp} {
		b = append(b, byte(len(f)))
		b = append(b, f...)
	}
	return b
}

func decodeActivation(p []byte) (*Activation, error) {
	bad := fmt.Errorf("%w: activation % X", ErrStream, p)
	if len(p) < 1 || contactless.Type(p[0]) != contactless.TypeA && contactless.Type(p[0]) != contactless.TypeB {
		return nil, bad
	}
	a := &Activation{Type: contactless.Type(p[0])}
	p = p[1:]
	var sak []byte
	for _, dst := range []*[]byte{&a.UID, &a.ATQA, &sak, &a.ATS, &a.ATQB, &a.AttribResp} {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return nil, bad
		}
		*dst = append([]byte(nil), p[1:1+int(p[0])]...)
		p = p[1+int(p[0]):]
	}
	if len(p) != 0 || len(sak) > 1 {
		return nil, bad
	}
	if len(sak) == 1 {
		a.SAK = sak[0]
	}
	return a, nil
}

// streamAir is the reader side's view of the field across the stream.
type streamAir struct {
	r   *bufio.Reader
	w   io.Writer
	err error
	now time.Duration
}

func (a *streamAir) request(t byte, p []byte) (byte, []byte) {
	if a.err != nil {
		return 0, nil
	}
	if a.err = writeMsg(a.w, t, p); a.err != nil {
		return 0, nil
	}
	rt, rp, err := readMsg(a.r)
	if err != nil {
		a.err = err
		return 0, nil
	}
	return rt, rp
}

func (a *streamAir) time(t byte, p []byte) {
	rt, rp := a.request(t, p)
	if rt == MsgOK && len(rp) == 8 {
		a.now = time.Duration(binary.BigEndian.Uint64(rp))
	} else if a.err == nil {
		a.err = fmt.Errorf("%w: %q in answer to %q", ErrStream, rt, t)
	}
}

func (a *streamAir) SetField(on bool) {
	v := byte(0)
	if on {
		v = 1
	}
	a.time(MsgField, []byte{v})
}

func (a *streamAir) Wait(d time.Duration) {
	if d > 0 {
		a.time(MsgWait, binary.BigEndian.AppendUint64(nil, uint64(d)))
	}
}

func (a *streamAir) Now() time.Duration {
	a.time(MsgNow, nil)
	return a.now
}

func (a *streamAir) Transceive(tx contactless.Tx) (contactless.Rx, error) {
	rt, rp := a.request(MsgTransceive, encodeTx(tx))
	if a.err != nil {
		return contactless.Rx{}, a.err
	}
	rx, err := decodeRx(rt, rp)
	if errors.Is(err, ErrStream) {
		a.err = err
	}
	return rx, err
}

// Serve runs reader r behind a frame stream: the reader side, for a Go
// reader (the reference PCD in tests, or a reader of one's own). It
// answers the harness's requests until the stream ends (nil at a clean
// end).
func Serve(rw io.ReadWriter, r Reader) error {
	br := bufio.NewReader(rw)
	air := &streamAir{r: br, w: rw}
	for {
		t, p, err := readMsg(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var rt byte
		var rp []byte
		var cerr error
		switch t {
		case MsgActivate:
			var act *Activation
			if act, cerr = r.Connect(air); cerr == nil {
				rt, rp = MsgActivation, encodeActivation(act)
			}
		case MsgTransmit:
			rp, cerr = r.Transmit(p)
			rt = MsgResponse
		case MsgDeactivate:
			cerr = r.Disconnect()
			rt = MsgDone
		default:
			return fmt.Errorf("%w: unexpected message %q", ErrStream, t)
		}
		if air.err != nil {
			return air.err
		}
		if cerr != nil {
			rt, rp = MsgError, []byte(cerr.Error())
		}
		if err := writeMsg(rw, rt, rp); err != nil {
			return err
		}
	}
}
