//go:build pcsc && !linux

package pcsc_test

import "net"

// quickAck does nothing off Linux (no TCP_QUICKACK).
func quickAck(net.Conn) {}
