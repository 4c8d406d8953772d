//go:build !linux

package vpcd

import (
	"io"
	"net"
)

// ackReader returns conn: TCP_QUICKACK is Linux only.
func ackReader(conn net.Conn) io.Reader { return conn }

// tune turns Nagle's algorithm off: each frame goes out in one segment at
// once.
func tune(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
}
