//go:build pcsc

package pcsc_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The vpcd protocol (vsmartcard): pcscd's vpcd driver listens on a TCP port
// per slot; the virtual card connects to it. Every message both ways is a
// 2-byte big-endian length and a payload. A 1-byte payload from vpcd is a
// control: 00 power off, 01 power on, 02 reset (no answer to these three),
// 04 "send the ATR". Any longer payload is a command APDU, answered by the
// response APDU.
const (
	vpcdOff   = 0x00
	vpcdOn    = 0x01
	vpcdReset = 0x02
	vpcdATR   = 0x04
)

// echoATR is the ATR of the echo card: T=1, no historical bytes.
var echoATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// echoClient is a bare vpcd client: it answers every APDU with 9000, so a
// benchmark through it measures pcscd, vpcd and TCP alone.
type echoClient struct {
	conn net.Conn
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// startEcho connects an echo card to the vpcd slot listening on port.
func startEcho(t testing.TB, port int) *echoClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		t.Fatalf("connecting the echo card to vpcd: %v", err)
	}
	e := &echoClient{conn: conn, done: make(chan struct{})}
	go e.serve()
	t.Cleanup(func() {
		conn.Close()
		<-e.done
	})
	return e
}

func (e *echoClient) serve() {
	defer close(e.done)
	var hdr [2]byte
	buf := make([]byte, 0, 1<<16)
	ok := []byte{0x00, 0x02, 0x90, 0x00}
	atr := binary.BigEndian.AppendUint16(nil, uint16(len(echoATR)))
	atr = append(atr, echoATR...)
	for {
		if _, err := io.ReadFull(e.conn, hdr[:]); err != nil {
			e.fail(err)
			return
		}
		quickAck(e.conn)
		n := int(binary.BigEndian.Uint16(hdr[:]))
		buf = buf[:n]
		if _, err := io.ReadFull(e.conn, buf); err != nil {
			e.fail(err)
			return
		}
		quickAck(e.conn)
		var out []byte
		switch {
		case n == 1 && buf[0] == vpcdATR:
			out = atr
		case n == 1:
			continue // power off, on, reset: no answer
		default:
			out = ok
		}
		if _, err := e.conn.Write(out); err != nil {
			e.fail(err)
			return
		}
	}
}

func (e *echoClient) fail(err error) {
	if errors.Is(err, net.ErrClosed) {
		return
	}
	e.mu.Lock()
	e.err = err
	e.mu.Unlock()
}
