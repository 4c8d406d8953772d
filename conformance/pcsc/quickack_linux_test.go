//go:build pcsc && linux

package pcsc_test

import (
	"net"
	"syscall"
)

// quickAck acknowledges at once what conn has received (Linux
// TCP_QUICKACK, which the kernel clears again by itself): vpcd writes the
// length and the payload of a message in two segments with Nagle on, so a
// delayed ACK would hold each APDU back by tens of milliseconds.
func quickAck(conn net.Conn) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
