package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The frame stream is how a reader under test that is another program
// (firmware built for the host) talks with the harness, on both doors:
// each message is a type (1 byte), a length (4 bytes, big-endian) and a
// payload. The message types and their payloads are the contact and
// contactless harnesses' own (conformance/ifd, conformance/pcd).

// MaxMessage bounds a frame stream message's payload.
const MaxMessage = 1 << 20

// ErrStream is wrapped by every error about the frame stream itself.
var ErrStream = errors.New("frame stream")

// WriteMessage writes one frame stream message.
func WriteMessage(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > MaxMessage {
		return fmt.Errorf("%w: message %q of %d bytes", ErrStream, typ, len(payload))
	}
	buf := make([]byte, 5, 5+len(payload))
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:], uint32(len(payload)))
	if _, err := w.Write(append(buf, payload...)); err != nil {
		return fmt.Errorf("%w: writing: %w", ErrStream, err)
	}
	return nil
}

// ReadMessage reads one frame stream message. A stream closed between
// messages gives io.EOF itself; every other error wraps ErrStream.
func ReadMessage(r io.Reader) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("%w: reading: %w", ErrStream, err)
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > MaxMessage {
		return 0, nil, fmt.Errorf("%w: message %q of %d bytes, more than %d", ErrStream, head[0], n, MaxMessage)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("%w: reading %q: %w", ErrStream, head[0], err)
	}
	return head[0], payload, nil
}
