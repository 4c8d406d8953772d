package iso7816

import (
	"errors"
	"fmt"
)

// ErrInvalidTLV is wrapped by every error the Builder reports.
var ErrInvalidTLV = errors.New("invalid BER-TLV")

// Tag is a BER-TLV tag (ISO/IEC 7816-4 §5.2.2, ISO/IEC 8825-1 §8.1.2, EMV
// Book 3 Annex B1): the tag's encoded bytes packed big-endian, so the
// constants read as they are written in the specifications: 0x6F, 0x9F26,
// 0x5F2A, 0xBF0C, 0x9F8101. Tags are 1 to 3 bytes long.
type Tag uint32

// Len returns the length of the encoded tag in bytes.
func (t Tag) Len() int {
	switch {
	case t <= 0xFF:
		return 1
	case t <= 0xFFFF:
		return 2
	case t <= 0xFFFFFF:
		return 3
	default:
		return 4
	}
}

// first returns the first encoded byte of t.
func (t Tag) first() byte {
	return byte(t >> (8 * (t.Len() - 1)))
}

// Constructed reports whether t is the tag of a constructed data object (bit
// b6 of the first byte set).
func (t Tag) Constructed() bool {
	return t.first()&0x20 != 0
}

// String returns the encoded tag in upper-case hexadecimal, for example
// "9F26".
func (t Tag) String() string {
	return fmt.Sprintf("%0*X", 2*t.Len(), uint32(t))
}

// Valid reports whether t is well-formed: a first byte other than 00 and FF,
// a single byte unless its low 5 bits are 11111, subsequent bytes with b8 set
// on all but the last, no leading 80 continuation byte, at most 3 bytes.
func (t Tag) Valid() bool {
	var buf [4]byte
	enc := t.append(buf[:0])
	got, n, ok := readTag(enc)
	return ok && n == len(enc) && got == t
}

// append appends the encoded bytes of t to dst.
func (t Tag) append(dst []byte) []byte {
	for i := t.Len() - 1; i >= 0; i-- {
		dst = append(dst, byte(t>>(8*i)))
	}
	return dst
}

// ReadTag decodes the BER tag at the start of b (ISO/IEC 8825-1 §8.1.2,
// EMV Book 3 Annex B1: 1 to 3 bytes) and returns it with its length; a DOL
// is a list of such tags and lengths.
func ReadTag(b []byte) (Tag, int, bool) { return readTag(b) }

// readTag decodes the tag at the start of b and returns it with its length.
func readTag(b []byte) (Tag, int, bool) {
	if len(b) == 0 || b[0] == 0x00 || b[0] == 0xFF {
		return 0, 0, false
	}
	if b[0]&0x1F != 0x1F {
		return Tag(b[0]), 1, true
	}
	if len(b) < 2 {
		return 0, 0, false
	}
	if b[1]&0x80 == 0 {
		return Tag(b[0])<<8 | Tag(b[1]), 2, true
	}
	if b[1] == 0x80 || len(b) < 3 || b[2]&0x80 != 0 {
		return 0, 0, false // leading zero bits, truncated, or longer than 3 bytes
	}
	return Tag(b[0])<<16 | Tag(b[1])<<8 | Tag(b[2]), 3, true
}

// readLength decodes the BER length at the start of b (ISO/IEC 8825-1
// §8.1.3): the short form 00..7F or the long forms 81 to 84. It rejects the
// indefinite form 80 and 85 onwards.
func readLength(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, true
	}
	k := int(b[0] & 0x7F)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, 0, false
	}
	var n uint64
	for _, c := range b[1 : 1+k] {
		n = n<<8 | uint64(c)
	}
	return n, 1 + k, true
}

// skipPadding drops the 00 and FF bytes that may precede, separate and
// follow BER-TLV data objects (ISO/IEC 7816-4 §5.2.2, EMV Book 3 Annex B).
func skipPadding(b []byte) []byte {
	for len(b) > 0 && (b[0] == 0x00 || b[0] == 0xFF) {
		b = b[1:]
	}
	return b
}

// next decodes the first data object of b after any padding. The value is
// capped so that appending to it never overwrites what follows.
func next(b []byte) (tag Tag, value, rest []byte, ok bool) {
	b = skipPadding(b)
	t, tn, ok := readTag(b)
	if !ok {
		return 0, nil, nil, false
	}
	n, ln, ok := readLength(b[tn:])
	if !ok {
		return 0, nil, nil, false
	}
	start := tn + ln
	if n > uint64(len(b)-start) {
		return 0, nil, nil, false
	}
	end := start + int(n)
	return t, b[start:end:end], b[end:], true
}

// Parser reads BER-TLV data objects (ISO/IEC 7816-4 §5.2.2, EMV Book 3
// Annex B) from a byte string in the style of golang.org/x/crypto/cryptobyte:
// each Read returns false on malformed or truncated input and then leaves the
// parser unchanged. Values alias the input.
type Parser struct {
	b []byte
}

// NewParser returns a parser over b.
func NewParser(b []byte) *Parser {
	return &Parser{b: b}
}

// Empty reports whether nothing but padding (00 or FF bytes) remains.
func (p *Parser) Empty() bool {
	return len(skipPadding(p.b)) == 0
}

// Rest returns the bytes not yet read, including any padding.
func (p *Parser) Rest() []byte {
	return p.b
}

// ReadTLV reads the next data object, whatever its tag, skipping the 00 and
// FF padding bytes before it. It stores the tag and value in the non-nil
// pointers it is given.
func (p *Parser) ReadTLV(tag *Tag, value *[]byte) bool {
	t, v, rest, ok := next(p.b)
	if !ok {
		return false
	}
	p.b = rest
	if tag != nil {
		*tag = t
	}
	if value != nil {
		*value = v
	}
	return true
}

// ReadTag reads the next data object only if its tag is want.
func (p *Parser) ReadTag(want Tag, value *[]byte) bool {
	t, v, rest, ok := next(p.b)
	if !ok || t != want {
		return false
	}
	p.b = rest
	if value != nil {
		*value = v
	}
	return true
}

// PeekTag stores the tag of the next well-formed data object without
// reading it.
func (p *Parser) PeekTag(tag *Tag) bool {
	t, _, _, ok := next(p.b)
	if ok && tag != nil {
		*tag = t
	}
	return ok
}

// Find returns the value of the first data object with tag path[0] at the
// top level of b, then of the first data object with tag path[1] inside that
// value, and so on: Find(fci, 0x6F, 0xA5, 0x88) returns the SFI of an FCI.
// Every tag but the last must be constructed. Find fails when a tag is not
// found or the data before it is malformed; with an empty path it returns b.
func Find(b []byte, path ...Tag) ([]byte, bool) {
	v := b
	for i, want := range path {
		if i > 0 && !path[i-1].Constructed() {
			return nil, false
		}
		found, ok := findTop(v, want)
		if !ok {
			return nil, false
		}
		v = found
	}
	return v, true
}

// findTop returns the value of the first top-level data object of b with
// tag want.
func findTop(b []byte, want Tag) ([]byte, bool) {
	p := Parser{b: b}
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			return nil, false
		}
		if t == want {
			return v, true
		}
	}
	return nil, false
}
