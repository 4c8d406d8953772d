package ifd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/link"
)

// The frame stream carries the Reader and contact.Line interfaces between
// two programs over any byte stream (a pipe, a TCP or Unix socket): the
// harness, which holds the card side, and the reader under test. Every
// message is
//
//	type (1 byte) | length (4 bytes, big-endian) | payload (length bytes)
//
// The harness sends a request to the reader (lower case); until the reader
// answers it (upper case, or E), the reader may send line requests (lower
// case), each answered by the harness before the next:
//
//	harness → reader
//	  'a' activate    payload: clock frequency, 4 bytes, Hz  answer 'A' ATR, or 'E'
//	  't' transmit    payload: command APDU                  answer 'T' response APDU, or 'E'
//	  'd' deactivate  payload: empty                         answer 'D', or 'E'
//	reader → harness, while a request is open
//	  'c' cold reset  payload: empty                         answer 'F' ATR, or 'N' (no ATR)
//	  'w' warm reset  payload: empty                         answer 'F' ATR, or 'N'
//	  's' send        payload: one frame                     answer 'K'
//	  'r' receive     payload: wait, 8 bytes, nanoseconds    answer 'F' frame, or 'N' (nothing within the wait)
//	  'o' power off   payload: empty                         answer 'K'
//	either way
//	  'E' error       payload: UTF-8 text
//
// Frames are those of contact.Line: the ATR, a PPS request or response, a
// T=1 block, a T=0 header, procedure byte, data or status bytes. Time is
// the harness's model time: a receive never blocks longer than the
// harness needs to answer it. Closing the stream ends the session.

// Message types of the frame stream.
const (
	MsgActivate   = 'a'
	MsgTransmit   = 't'
	MsgDeactivate = 'd'
	MsgATR        = 'A'
	MsgResponse   = 'T'
	MsgDone       = 'D'
	MsgCold       = 'c'
	MsgWarm       = 'w'
	MsgSend       = 's'
	MsgReceive    = 'r'
	MsgOff        = 'o'
	MsgFrame      = 'F'
	MsgNothing    = 'N'
	MsgOK         = 'K'
	MsgError      = 'E'
)

// MaxMessage bounds a message's payload.
const MaxMessage = link.MaxMessage

// ErrStream is wrapped by errors about the frame stream itself.
var ErrStream = link.ErrStream

// WriteMessage writes one message (link.WriteMessage).
func WriteMessage(w io.Writer, typ byte, payload []byte) error {
	return link.WriteMessage(w, typ, payload)
}

// ReadMessage reads one message (link.ReadMessage).
func ReadMessage(r io.Reader) (byte, []byte, error) { return link.ReadMessage(r) }

// streamErr makes err an ErrStream error, without saying so twice.
func streamErr(err error) error {
	if errors.Is(err, ErrStream) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStream, err)
}

// Remote is a reader in another program, reached through the frame stream:
// the harness side. Its line requests are served by the line it was made
// with.
type Remote struct {
	mu     sync.Mutex
	rw     io.ReadWriter
	line   contact.Line
	closer io.Closer
}

// NewRemote returns the reader at the other end of rw, serving its line
// requests with line. closer, if not nil, is closed by Close.
func NewRemote(rw io.ReadWriter, line contact.Line, closer io.Closer) *Remote {
	return &Remote{rw: rw, line: line, closer: closer}
}

// Activate implements Reader.
func (m *Remote) Activate() ([]byte, error) {
	var hz [4]byte
	binary.BigEndian.PutUint32(hz[:], uint32(m.line.ClockHz()))
	return m.call(MsgActivate, hz[:], MsgATR)
}

// Transmit implements Reader.
func (m *Remote) Transmit(capdu []byte) ([]byte, error) {
	return m.call(MsgTransmit, capdu, MsgResponse)
}

// Deactivate implements Reader.
func (m *Remote) Deactivate() error {
	_, err := m.call(MsgDeactivate, nil, MsgDone)
	return err
}

// Close closes the stream.
func (m *Remote) Close() error {
	if m.closer == nil {
		return nil
	}
	return m.closer.Close()
}

// RemoteError is an error the reader reported.
type RemoteError struct{ Text string }

func (e *RemoteError) Error() string { return "reader: " + e.Text }

// call sends a request and serves line requests until the answer.
func (m *Remote) call(typ byte, payload []byte, want byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := WriteMessage(m.rw, typ, payload); err != nil {
		return nil, streamErr(err)
	}
	for {
		t, p, err := ReadMessage(m.rw)
		if err != nil {
			return nil, streamErr(err)
		}
		switch t {
		case want:
			return p, nil
		case MsgError:
			return nil, &RemoteError{Text: string(p)}
		}
		rt, rp := m.serveLine(t, p)
		if rt == 0 {
			return nil, fmt.Errorf("%w: unexpected message %q", ErrStream, t)
		}
		if err := WriteMessage(m.rw, rt, rp); err != nil {
			return nil, streamErr(err)
		}
	}
}

// serveLine answers one line request (type 0: not a line request).
func (m *Remote) serveLine(t byte, p []byte) (byte, []byte) {
	answer := func(f []byte, err error) (byte, []byte) {
		switch {
		case errors.Is(err, contact.ErrTimeout):
			return MsgNothing, nil
		case err != nil:
			return MsgError, []byte(err.Error())
		}
		return MsgFrame, f
	}
	switch t {
	case MsgCold, MsgWarm:
		return answer(m.line.Reset(t == MsgCold))
	case MsgSend:
		if err := m.line.Send(p); err != nil {
			return MsgError, []byte(err.Error())
		}
		return MsgOK, nil
	case MsgReceive:
		if len(p) != 8 {
			return MsgError, []byte("receive: the wait is 8 bytes")
		}
		w := binary.BigEndian.Uint64(p)
		if w > 1<<62 {
			w = 1 << 62
		}
		return answer(m.line.Receive(time.Duration(w)))
	case MsgOff:
		if err := m.line.Deactivate(); err != nil {
			return MsgError, []byte(err.Error())
		}
		return MsgOK, nil
	}
	return 0, nil
}

// Serve runs a reader behind the frame stream: the reader side. newReader
// builds the reader on the line the stream gives; Serve answers the
// harness's requests until the stream ends (nil at a clean end).
func Serve(rw io.ReadWriter, newReader Factory) error {
	line := &remoteLine{rw: rw, clockHz: contact.DefaultClockHz}
	rd, err := newReader(line)
	if err != nil {
		return err
	}
	if c, ok := rd.(io.Closer); ok {
		defer c.Close()
	}
	for {
		t, p, err := ReadMessage(rw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var rt byte
		var rp []byte
		switch t {
		case MsgActivate:
			if len(p) == 4 {
				line.clockHz = int(binary.BigEndian.Uint32(p))
			}
			rp, err = rd.Activate()
			rt = MsgATR
		case MsgTransmit:
			rp, err = rd.Transmit(p)
			rt = MsgResponse
		case MsgDeactivate:
			err = rd.Deactivate()
			rt = MsgDone
		default:
			err = fmt.Errorf("%w: unexpected message %q", ErrStream, t)
		}
		if line.broken != nil {
			return line.broken
		}
		if err != nil {
			rt, rp = MsgError, []byte(err.Error())
		}
		if err := WriteMessage(rw, rt, rp); err != nil {
			return err
		}
	}
}

// remoteLine is the line a reader behind Serve sees.
type remoteLine struct {
	rw      io.ReadWriter
	clockHz int
	broken  error
}

func (l *remoteLine) ClockHz() int { return l.clockHz }

func (l *remoteLine) call(t byte, p []byte) (byte, []byte, error) {
	if l.broken != nil {
		return 0, nil, l.broken
	}
	if err := WriteMessage(l.rw, t, p); err != nil {
		l.broken = streamErr(err)
		return 0, nil, l.broken
	}
	rt, rp, err := ReadMessage(l.rw)
	if err != nil {
		l.broken = streamErr(err)
		return 0, nil, l.broken
	}
	if rt == MsgError {
		return 0, nil, &RemoteError{Text: string(rp)}
	}
	return rt, rp, nil
}

func (l *remoteLine) frame(t byte, p []byte) ([]byte, error) {
	rt, rp, err := l.call(t, p)
	switch {
	case err != nil:
		return nil, err
	case rt == MsgNothing:
		return nil, contact.ErrTimeout
	case rt != MsgFrame:
		return nil, fmt.Errorf("%w: answer %q to %q", ErrStream, rt, t)
	}
	return rp, nil
}

func (l *remoteLine) ok(t byte, p []byte) error {
	rt, _, err := l.call(t, p)
	if err == nil && rt != MsgOK {
		err = fmt.Errorf("%w: answer %q to %q", ErrStream, rt, t)
	}
	return err
}

func (l *remoteLine) Reset(cold bool) ([]byte, error) {
	if cold {
		return l.frame(MsgCold, nil)
	}
	return l.frame(MsgWarm, nil)
}

func (l *remoteLine) Send(frame []byte) error { return l.ok(MsgSend, frame) }

func (l *remoteLine) Receive(wait time.Duration) ([]byte, error) {
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], uint64(max(wait, 0)))
	return l.frame(MsgReceive, p[:])
}

func (l *remoteLine) Deactivate() error { return l.ok(MsgOff, nil) }

// Command is the Factory of a reader that is a program: each reader is a
// new process running name with args, speaking the frame stream on its
// standard input and output. Its standard error goes to stderr (if not
// nil). Closing the reader ends the stream and waits for the program
// (killed after link.PeerTimeout).
func Command(stderr io.Writer, name string, args ...string) Factory {
	return peerFactory(link.Peer{Network: "exec", Args: append([]string{name}, args...)}, stderr)
}

// Dial is the Factory of a reader that listens on a network address: each
// reader is a new connection (network "tcp" or "unix").
func Dial(network, addr string) Factory {
	return peerFactory(link.Peer{Network: network, Addr: addr}, nil)
}

// OpenFactory returns the Factory of the reader a spec names
// (link.ParsePeer), the syntax of the contactless side's SSCARD_PCD:
// "exec:PROGRAM [ARGS]" (split on spaces; a process per reader, its
// standard error to stderr), "tcp:HOST:PORT" or "unix:PATH" (a connection
// per reader).
func OpenFactory(spec string, stderr io.Writer) (Factory, error) {
	p, err := link.ParsePeer(spec)
	if err != nil {
		return nil, err
	}
	return peerFactory(p, stderr), nil
}

func peerFactory(p link.Peer, stderr io.Writer) Factory {
	return func(line contact.Line) (Reader, error) {
		rw, closeFn, err := p.Open(stderr)
		if err != nil {
			return nil, err
		}
		return NewRemote(rw, line, closerFunc(closeFn)), nil
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
