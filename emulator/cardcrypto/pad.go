package cardcrypto

import "fmt"

// Pad80 appends 0x80 and then 0x00 bytes to dst until len(result) is a
// multiple of bs, always adding at least one byte (ISO/IEC 9797-1 padding
// method 2, ISO/IEC 7816-4 §5.6.3 padding indicator 80). A bs below 1 is
// treated as 1, so only 0x80 is appended.
func Pad80(dst []byte, bs int) []byte {
	if bs < 1 {
		bs = 1
	}
	dst = append(dst, 0x80)
	for len(dst)%bs != 0 {
		dst = append(dst, 0x00)
	}
	return dst
}

// Unpad80 strips ISO/IEC 9797-1 padding method 2: trailing 0x00 bytes and the
// 0x80 before them. It returns a sub-slice of b, or ErrPadding if b has no
// 0x80 marker after its last non-zero byte.
func Unpad80(b []byte) ([]byte, error) {
	i := len(b) - 1
	for i >= 0 && b[i] == 0x00 {
		i--
	}
	if i < 0 || b[i] != 0x80 {
		return nil, fmt.Errorf("removing padding: %w", ErrPadding)
	}
	return b[:i], nil
}

// Unpad80Block is Unpad80 with the block checks of a receiver that knows the
// block size: len(b) must be a positive multiple of bs and the padding must
// be 1..bs bytes, as Pad80 produces.
func Unpad80Block(b []byte, bs int) ([]byte, error) {
	if bs < 1 || len(b) == 0 || len(b)%bs != 0 {
		return nil, fmt.Errorf("removing padding: %w: %d bytes for block size %d", ErrBlockSize, len(b), bs)
	}
	out, err := Unpad80(b)
	if err != nil {
		return nil, err
	}
	if len(b)-len(out) > bs {
		return nil, fmt.Errorf("removing padding: %w: %d padding bytes exceed block size %d", ErrPadding, len(b)-len(out), bs)
	}
	return out, nil
}
