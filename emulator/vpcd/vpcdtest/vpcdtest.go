// Package vpcdtest is an in-process stand-in for vpcd, the reader side of
// the vpcd protocol, for tests and benchmarks that need no pcscd: a Reader
// listens where vpcd would and a Conn drives the card the way vpcd does
// (power on, ATR, command APDUs, reset, power off), or sends raw bytes to
// see how the card side copes with a broken peer.
package vpcdtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/sscard/sscard/emulator/vpcd"
)

// Reader listens for a card, as vpcd does for one slot.
type Reader struct {
	ln *net.TCPListener
}

// Listen listens on addr, usually "127.0.0.1:0".
func Listen(addr string) (*Reader, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vpcdtest: %w", err)
	}
	return &Reader{ln: ln.(*net.TCPListener)}, nil
}

// Addr returns the address the card connects to.
func (r *Reader) Addr() string { return r.ln.Addr().String() }

// Accept waits for the card to connect, or for ctx to be done.
func (r *Reader) Accept(ctx context.Context) (*Conn, error) {
	stop := context.AfterFunc(ctx, func() { r.ln.SetDeadline(time.Now()) })
	defer func() {
		if stop() {
			return
		}
		r.ln.SetDeadline(time.Time{})
	}()
	c, err := r.ln.Accept()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("vpcdtest: accepting: %w", ctx.Err())
		}
		return nil, fmt.Errorf("vpcdtest: accepting: %w", err)
	}
	return NewConn(c), nil
}

// Close stops listening; connections already accepted stay open.
func (r *Reader) Close() error { return r.ln.Close() }

// Dial connects to a card in reversed mode, as vpcd does with a
// "host:port" device name.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vpcdtest: %w", err)
	}
	return NewConn(c), nil
}

// Conn is the reader's end of one connection to a card. It is not safe for
// concurrent use: the protocol is lock-step.
type Conn struct {
	conn  net.Conn
	br    *bufio.Reader
	in    []byte
	out   []byte
	split bool
}

// NewConn wraps a connection to a card.
func NewConn(c net.Conn) *Conn {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return &Conn{conn: c, br: bufio.NewReader(c), in: make([]byte, 0, 512), out: make([]byte, 0, 512)}
}

// SplitWrites makes the Conn send each command as vpcd does: the length and
// the payload in two writes, with Nagle's algorithm on. A card that delays
// its acknowledgements then waits for the payload until its delayed ACK
// goes out (~40 ms on Linux).
func (c *Conn) SplitWrites() {
	c.split = true
	if tc, ok := c.conn.(*net.TCPConn); ok {
		tc.SetNoDelay(false)
	}
}

// PowerOn sends the power-on control byte (no answer).
func (c *Conn) PowerOn() error { return c.control(vpcd.CtrlPowerOn) }

// PowerOff sends the power-off control byte (no answer).
func (c *Conn) PowerOff() error { return c.control(vpcd.CtrlPowerOff) }

// Reset sends the reset control byte (no answer).
func (c *Conn) Reset() error { return c.control(vpcd.CtrlReset) }

// ATR asks for the ATR and returns it.
func (c *Conn) ATR() ([]byte, error) {
	if err := c.control(vpcd.CtrlGetATR); err != nil {
		return nil, err
	}
	return c.read()
}

// Transmit sends a command APDU and returns the response APDU.
func (c *Conn) Transmit(capdu []byte) ([]byte, error) {
	r, err := c.Exchange(capdu)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r...), nil
}

// Exchange is Transmit returning the response in the Conn's buffer, valid
// until the next call: it does not allocate.
func (c *Conn) Exchange(capdu []byte) ([]byte, error) {
	var err error
	if c.out, err = vpcd.AppendFrame(c.out[:0], capdu); err != nil {
		return nil, err
	}
	if c.split {
		if err := c.Send(c.out[:2]); err != nil {
			return nil, err
		}
		if err := c.Send(c.out[2:]); err != nil {
			return nil, err
		}
	} else if err := c.Send(c.out); err != nil {
		return nil, err
	}
	p, err := vpcd.ReadFrame(c.br, c.in)
	if err != nil {
		return nil, fmt.Errorf("vpcdtest: reading response: %w", err)
	}
	if cap(p) > cap(c.in) {
		c.in = p[:0]
	}
	return p, nil
}

// Send writes raw bytes to the card, frame or not.
func (c *Conn) Send(b []byte) error {
	if _, err := c.conn.Write(b); err != nil {
		return fmt.Errorf("vpcdtest: sending: %w", err)
	}
	return nil
}

// ReadFrame reads one frame from the card.
func (c *Conn) ReadFrame() ([]byte, error) { return c.read() }

// SetDeadline bounds the connection's reads and writes.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// LocalAddr returns the reader's address on this connection: the peer the
// card sees.
func (c *Conn) LocalAddr() string { return c.conn.LocalAddr().String() }

// Close closes the connection: to the card, the reader went away.
func (c *Conn) Close() error { return c.conn.Close() }

func (c *Conn) control(b byte) error {
	return c.Send([]byte{0, 1, b})
}

func (c *Conn) read() ([]byte, error) {
	p, err := vpcd.ReadFrame(c.br, nil)
	if err != nil {
		return nil, fmt.Errorf("vpcdtest: reading: %w", err)
	}
	return p, nil
}
