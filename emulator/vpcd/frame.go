package vpcd

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxPayload is the largest payload a frame can carry: its length is two
// bytes, big-endian.
const MaxPayload = 0xFFFF

// Frame errors. A zero length is never sent by vpcd (it only sends
// non-empty commands), so it marks a peer that does not speak the protocol.
var (
	ErrEmptyFrame     = errors.New("vpcd: frame of length 0")
	ErrTruncatedFrame = errors.New("vpcd: frame truncated")
	ErrFrameTooLong   = errors.New("vpcd: payload too long for a frame")
	ErrFrameTimeout   = errors.New("vpcd: frame not completed in time")
)

// ReadFrame reads one frame from r: a two-byte big-endian length and that
// many bytes of payload. It returns the payload, in buf if buf is large
// enough. A clean end of stream before the first byte is io.EOF; an end
// within the frame is ErrTruncatedFrame (wrapping io.ErrUnexpectedEOF); a
// zero length is ErrEmptyFrame. Every 16-bit length from 1 up is accepted:
// an extended command APDU may be as long as vpcd's own limit, 0xFFFF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	buf = grow(buf, 2)
	if n, err := io.ReadFull(r, buf[:2]); err != nil {
		if n == 0 {
			return nil, err // io.EOF between frames, or the link's error
		}
		return nil, truncated(n, 2, err)
	}
	n := int(buf[0])<<8 | int(buf[1])
	if n == 0 {
		return nil, ErrEmptyFrame
	}
	buf = grow(buf, n)
	if got, err := io.ReadFull(r, buf[:n]); err != nil {
		return nil, truncated(got+2, n+2, err)
	}
	return buf[:n], nil
}

// AppendFrame appends the frame carrying payload to dst.
func AppendFrame(dst, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return dst, fmt.Errorf("%w: %d bytes", ErrFrameTooLong, len(payload))
	}
	dst = append(dst, byte(len(payload)>>8), byte(len(payload)))
	return append(dst, payload...), nil
}

// WriteFrame writes the frame carrying payload to w in one Write.
func WriteFrame(w io.Writer, payload []byte) error {
	b, err := AppendFrame(make([]byte, 0, 2+len(payload)), payload)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// truncated reports a frame that ended after got of want bytes.
func truncated(got, want int, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: got %d of %d bytes: %w", ErrFrameTimeout, got, want, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w after %d of %d bytes: %w", ErrTruncatedFrame, got, want, err)
}

// grow returns buf with room for n bytes, reusing it when it is large
// enough.
func grow(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]byte, n, max(n, 2*cap(buf)))
}
