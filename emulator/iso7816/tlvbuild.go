package iso7816

import "fmt"

// MaxBuildLen is the largest value the Builder encodes: a 3-byte length
// field 82 xx xx at most.
const MaxBuildLen = 65535

// Builder builds a string of BER-TLV data objects (ISO/IEC 7816-4 §5.2.2) in
// the style of golang.org/x/crypto/cryptobyte: lengths are computed, never
// counted by hand. The zero value is ready to use. The first error (invalid
// tag, value longer than MaxBuildLen) is sticky: later calls do nothing and
// Bytes reports it.
type Builder struct {
	buf []byte
	err error
}

// AddTLV appends a data object with tag t and the given value, encoded as
// is. A constructed tag is allowed when value is already an encoded string of
// data objects.
func (b *Builder) AddTLV(t Tag, value []byte) {
	if b.err != nil {
		return
	}
	if !t.Valid() {
		b.err = fmt.Errorf("building TLV: %w: malformed tag %s", ErrInvalidTLV, t)
		return
	}
	if len(value) > MaxBuildLen {
		b.err = fmt.Errorf("building TLV %s: %w: value of %d bytes exceeds %d", t, ErrInvalidTLV, len(value), MaxBuildLen)
		return
	}
	b.buf = t.append(b.buf)
	b.buf = EncodeLength(b.buf, len(value))
	b.buf = append(b.buf, value...)
}

// AddConstructed appends a constructed data object with tag t whose value is
// what f adds to the Builder it is given. t must be a constructed tag. An
// error inside f is reported by the outer Builder.
func (b *Builder) AddConstructed(t Tag, f func(*Builder)) {
	if b.err != nil {
		return
	}
	if !t.Valid() || !t.Constructed() {
		b.err = fmt.Errorf("building TLV: %w: %s is not a constructed tag", ErrInvalidTLV, t)
		return
	}
	var child Builder
	if f != nil {
		f(&child)
	}
	if child.err != nil {
		b.err = fmt.Errorf("inside %s: %w", t, child.err)
		return
	}
	b.AddTLV(t, child.buf)
}

// AddRaw appends bytes that are already encoded, as they are.
func (b *Builder) AddRaw(raw []byte) {
	if b.err != nil {
		return
	}
	b.buf = append(b.buf, raw...)
}

// Bytes returns the encoded data objects, or the first error met.
func (b *Builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}

// EncodeLength appends the BER length n (ISO/IEC 8825-1 §8.1.3) to dst in
// its shortest form: 00..7F, 81 xx, 82 xx xx, 83 xx xx xx or 84 xx xx xx xx.
// A negative n, or one beyond 4 length bytes, appends nothing.
func EncodeLength(dst []byte, n int) []byte {
	u := uint64(n)
	switch {
	case n < 0 || u > 0xFFFFFFFF:
		return dst
	case u < 0x80:
		return append(dst, byte(u))
	case u <= 0xFF:
		return append(dst, 0x81, byte(u))
	case u <= 0xFFFF:
		return append(dst, 0x82, byte(u>>8), byte(u))
	case u <= 0xFFFFFF:
		return append(dst, 0x83, byte(u>>16), byte(u>>8), byte(u))
	default:
		return append(dst, 0x84, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
}
