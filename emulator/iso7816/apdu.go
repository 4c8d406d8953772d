package iso7816

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is wrapped by every error ParseCommand and ParseResponse
// return, and by Command.Append when the command cannot be encoded.
var ErrMalformed = errors.New("malformed APDU")

// Limits of the length fields (ISO/IEC 7816-4 §5.1).
const (
	MaxShortNc    = 255   // largest Nc in a short Lc field
	MaxShortNe    = 256   // largest Ne in a short Le field (Le=00)
	MaxExtendedNc = 65535 // largest Nc in an extended Lc field
	MaxExtendedNe = 65536 // largest Ne in an extended Le field (Le=0000)
)

// The parse errors are package values so that ParseCommand never allocates,
// even on hostile input.
var (
	errHeader       = fmt.Errorf("parsing command: %w: shorter than the 4-byte header", ErrMalformed)
	errExtTruncated = fmt.Errorf("parsing command: %w: extended length field truncated", ErrMalformed)
	errExtLcZero    = fmt.Errorf("parsing command: %w: extended Lc is 0000", ErrMalformed)
	errDataShort    = fmt.Errorf("parsing command: %w: data field shorter than Lc", ErrMalformed)
	errExtLe        = fmt.Errorf("parsing command: %w: extended Le field truncated", ErrMalformed)
	errTrailing     = fmt.Errorf("parsing command: %w: bytes after the Le field", ErrMalformed)
	errResponse     = fmt.Errorf("parsing response: %w: shorter than the 2 status bytes", ErrMalformed)
)

// Command is a command APDU (C-APDU), ISO/IEC 7816-4 §5.1: a 4-byte header
// CLA INS P1 P2, an optional command data field of Nc bytes announced by Lc,
// and an optional Le field announcing Ne, the maximum number of response
// data bytes expected.
//
// Data aliases the input of ParseCommand; it is capped so that appending to
// it never overwrites the rest of the input.
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data field; nil or empty when Lc is absent.
	Data []byte
	// Ne is the maximum response length expected: 0 when Le is absent; a
	// short Le of 00 means 256, an extended Le of 0000 means 65536.
	Ne int
	// Extended is true if the APDU was, or must be, encoded with extended
	// length fields. It has no effect on a case 1 command (no Lc, no Le).
	Extended bool
}

// ParseCommand decodes a command APDU in any of the cases 1, 2S, 3S, 4S, 2E,
// 3E and 4E of ISO/IEC 7816-4 §5.1. A first body byte of 00 followed by more
// bytes marks the extended form (a short Lc of 0 is not allowed). It rejects
// inputs shorter than the header, Lc not matching the body, bytes after Le,
// an extended Lc of 0000 and truncated extended fields; every error wraps
// ErrMalformed.
//
// ParseCommand does not allocate: Data aliases b.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, errHeader
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.Ne = shortNe(body[0])
		return c, nil
	case body[0] != 0: // cases 3S and 4S
		return parseShortBody(c, body)
	default:
		return parseExtendedBody(c, body)
	}
}

// parseShortBody decodes a body starting with a non-zero short Lc.
func parseShortBody(c Command, body []byte) (Command, error) {
	nc := int(body[0])
	rest := body[1:]
	switch {
	case len(rest) < nc:
		return Command{}, errDataShort
	case len(rest) == nc: // case 3S
		c.Data = rest[:nc:nc]
	case len(rest) == nc+1: // case 4S
		c.Data = rest[:nc:nc]
		c.Ne = shortNe(rest[nc])
	default:
		return Command{}, errTrailing
	}
	return c, nil
}

// parseExtendedBody decodes a body of at least 2 bytes whose first byte is 00.
func parseExtendedBody(c Command, body []byte) (Command, error) {
	c.Extended = true
	switch len(body) {
	case 2:
		return Command{}, errExtTruncated
	case 3: // case 2E
		c.Ne = extendedNe(body[1], body[2])
		return c, nil
	}
	nc := int(body[1])<<8 | int(body[2])
	if nc == 0 {
		return Command{}, errExtLcZero
	}
	rest := body[3:]
	switch {
	case len(rest) < nc:
		return Command{}, errDataShort
	case len(rest) == nc: // case 3E
		c.Data = rest[:nc:nc]
	case len(rest) == nc+1:
		return Command{}, errExtLe
	case len(rest) == nc+2: // case 4E
		c.Data = rest[:nc:nc]
		c.Ne = extendedNe(rest[nc], rest[nc+1])
	default:
		return Command{}, errTrailing
	}
	return c, nil
}

func shortNe(le byte) int {
	if le == 0 {
		return MaxShortNe
	}
	return int(le)
}

func extendedNe(hi, lo byte) int {
	if n := int(hi)<<8 | int(lo); n != 0 {
		return n
	}
	return MaxExtendedNe
}

// Case returns the command case of ISO/IEC 7816-4 §5.1: 1 (no data, no Le),
// 2 (Le only), 3 (data only) or 4 (data and Le).
func (c Command) Case() int {
	switch {
	case len(c.Data) == 0 && c.Ne == 0:
		return 1
	case len(c.Data) == 0:
		return 2
	case c.Ne == 0:
		return 3
	default:
		return 4
	}
}

// Append appends the encoding of c to dst (ISO/IEC 7816-4 §5.1). It uses the
// extended form when c.Extended is set, when Nc exceeds 255 or when Ne
// exceeds 256. It fails, leaving dst unchanged, when Nc exceeds 65535 or Ne
// is outside 0..65536; the error wraps ErrMalformed.
func (c Command) Append(dst []byte) ([]byte, error) {
	nc := len(c.Data)
	if nc > MaxExtendedNc {
		return dst, fmt.Errorf("encoding command: %w: data field of %d bytes exceeds %d", ErrMalformed, nc, MaxExtendedNc)
	}
	if c.Ne < 0 || c.Ne > MaxExtendedNe {
		return dst, fmt.Errorf("encoding command: %w: Ne %d outside 0..%d", ErrMalformed, c.Ne, MaxExtendedNe)
	}
	ext := c.Extended || nc > MaxShortNc || c.Ne > MaxShortNe
	dst = append(dst, c.CLA, c.INS, c.P1, c.P2)
	if nc > 0 {
		if ext {
			dst = append(dst, 0, byte(nc>>8), byte(nc))
		} else {
			dst = append(dst, byte(nc))
		}
		dst = append(dst, c.Data...)
	}
	if c.Ne > 0 {
		if !ext {
			return append(dst, byte(c.Ne)), nil // 256 encodes as 00
		}
		if nc == 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, byte(c.Ne>>8), byte(c.Ne)) // 65536 encodes as 0000
	}
	return dst, nil
}

// Bytes returns the encoding of c; see Append.
func (c Command) Bytes() ([]byte, error) {
	n := 4 + 3 + len(c.Data) + 2
	return c.Append(make([]byte, 0, n))
}

// String returns the encoding of c in upper-case hexadecimal without spaces,
// for example "00A4040008A000000003000000". A command that cannot be encoded
// is shown field by field with the reason.
func (c Command) String() string {
	b, err := c.Bytes()
	if err != nil {
		return fmt.Sprintf("Command{CLA:%02X INS:%02X P1:%02X P2:%02X Nc:%d Ne:%d} (%v)",
			c.CLA, c.INS, c.P1, c.P2, len(c.Data), c.Ne, err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// Response is a response APDU (R-APDU), ISO/IEC 7816-4 §5.1: an optional
// response data field followed by the status bytes SW1 SW2.
type Response struct {
	// Data is the response data field; nil when absent. After
	// ParseResponse it aliases the input, capped so that appending to it
	// never overwrites the status bytes.
	Data []byte
	// SW is the status word.
	SW Status
}

// ParseResponse decodes a response APDU. It fails, wrapping ErrMalformed,
// when b is shorter than the two status bytes. Data aliases b.
func ParseResponse(b []byte) (Response, error) {
	n := len(b) - 2
	if n < 0 {
		return Response{}, errResponse
	}
	r := Response{SW: StatusFrom(b[n], b[n+1])}
	if n > 0 {
		r.Data = b[:n:n]
	}
	return r, nil
}

// Append appends the encoding of r (data field, SW1, SW2) to dst.
func (r Response) Append(dst []byte) []byte {
	dst = append(dst, r.Data...)
	return append(dst, r.SW.SW1(), r.SW.SW2())
}

// Bytes returns the encoding of r.
func (r Response) Bytes() []byte {
	return r.Append(make([]byte, 0, len(r.Data)+2))
}

// Err returns nil when the status word is 9000, else the status word as an
// error.
func (r Response) Err() error {
	return r.SW.Err()
}

// String returns the encoding of r in upper-case hexadecimal without spaces,
// for example "6F10...9000".
func (r Response) String() string {
	return strings.ToUpper(hex.EncodeToString(r.Bytes()))
}
