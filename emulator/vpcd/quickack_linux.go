package vpcd

import (
	"io"
	"net"
	"syscall"
)

// ackReader returns a reader of conn that acknowledges every read at once
// (TCP_QUICKACK), which Linux turns off again by itself, so it is set after
// each read.
func ackReader(conn net.Conn) io.Reader {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return conn
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return conn
	}
	r := &quickAckReader{conn: tc, raw: raw}
	r.set = func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	}
	r.raw.Control(r.set)
	return r
}

type quickAckReader struct {
	conn *net.TCPConn
	raw  syscall.RawConn
	set  func(fd uintptr)
}

func (r *quickAckReader) Read(p []byte) (int, error) {
	n, err := r.conn.Read(p)
	if n > 0 {
		_ = r.raw.Control(r.set)
	}
	return n, err
}

// tune turns Nagle's algorithm off: each frame goes out in one segment at
// once.
func tune(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
}
