package nvm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrImage is wrapped by every card image decoding error.
var ErrImage = errors.New("bad card image")

// Card image format constants; see the package documentation.
const (
	// ImageMagic opens every card image.
	ImageMagic = "SSCARDIM"
	// ImageVersion is the format version this package writes and reads.
	ImageVersion = 1
	// MaxImageSize is the largest image, in bytes, that is read or saved.
	MaxImageSize = 64 << 20
	// MaxCells is the largest cell count an image may hold.
	MaxCells = 1 << 20
)

const (
	headerLen   = len(ImageMagic) + 2 // magic, version
	checksumLen = sha256.Size
	// minImageLen is the size of an image with empty meta and no cells.
	minImageLen = headerLen + 4 + 4 + checksumLen
)

// imageErr returns an error wrapping ErrImage with a description.
func imageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrImage, fmt.Sprintf(format, args...))
}

// EncodeImage returns the card image holding meta and cells. It does not
// check the limits; an image beyond them is refused by [DecodeImage] and
// [SaveImage].
func EncodeImage(meta []byte, cells [][]byte) []byte {
	size := minImageLen + len(meta) + 4*len(cells)
	for _, c := range cells {
		size += len(c)
	}
	b := make([]byte, 0, size)
	b = append(b, ImageMagic...)
	b = binary.BigEndian.AppendUint16(b, ImageVersion)
	b = appendBody(b, meta, cells)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// appendBody appends the meta and cells sections of an image to b.
func appendBody(b, meta []byte, cells [][]byte) []byte {
	b = appendBlock(b, meta)
	b = binary.BigEndian.AppendUint32(b, uint32(len(cells)))
	for _, c := range cells {
		b = appendBlock(b, c)
	}
	return b
}

// appendBlock appends data prefixed by its uint32 length.
func appendBlock(b, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// DecodeImage parses a card image and returns its meta and cells. The
// results do not alias b. Every error wraps [ErrImage] and says what is
// wrong.
func DecodeImage(b []byte) (meta []byte, cells [][]byte, err error) {
	return decodeImage(b, true)
}

// decodeImage is DecodeImage; with clone false the results alias b.
func decodeImage(b []byte, clone bool) (meta []byte, cells [][]byte, err error) {
	if err := checkHeader(b); err != nil {
		return nil, nil, err
	}
	if len(b) > MaxImageSize {
		return nil, nil, imageErr("image is %d bytes, larger than the %d-byte limit", len(b), MaxImageSize)
	}
	if len(b) < minImageLen {
		return nil, nil, imageErr("truncated: %d bytes, an image has at least %d", len(b), minImageLen)
	}
	end := len(b) - checksumLen
	sum := sha256.Sum256(b[:end])
	if !bytes.Equal(sum[:], b[end:]) {
		return nil, nil, imageErr("image checksum mismatch (damaged)")
	}
	body := b[headerLen:end]
	if clone {
		body = bytes.Clone(body)
	}
	return parseBody(body)
}

// checkHeader checks the magic and the format version.
func checkHeader(b []byte) error {
	switch {
	case len(b) == 0:
		return imageErr("empty file")
	case !bytes.HasPrefix(b, []byte(ImageMagic)):
		return imageErr("not a card image (bad magic)")
	case len(b) < headerLen:
		return imageErr("truncated in the header (%d bytes)", len(b))
	}
	v := binary.BigEndian.Uint16(b[len(ImageMagic):])
	switch {
	case v > ImageVersion:
		return imageErr("image format version %d is newer than this program supports (%d)", v, ImageVersion)
	case v < ImageVersion:
		return imageErr("unknown image format version %d", v)
	}
	return nil
}

// parseBody parses the meta and cells sections, which must fill b exactly.
// The results are sub-slices of b, capped so that appending to one cannot
// overwrite another.
func parseBody(b []byte) (meta []byte, cells [][]byte, err error) {
	r := reader{b: b}
	if !r.block(&meta) {
		return nil, nil, imageErr("truncated in the meta section (%d bytes left)", len(r.b))
	}
	var n uint32
	if !r.u32(&n) {
		return nil, nil, imageErr("truncated at the cell count")
	}
	if n > MaxCells {
		return nil, nil, imageErr("cell count %d exceeds the limit %d", n, MaxCells)
	}
	if uint64(n)*4 > uint64(len(r.b)) {
		return nil, nil, imageErr("truncated: %d cells claimed, %d bytes left", n, len(r.b))
	}
	cells = make([][]byte, n)
	for i := range cells {
		if !r.block(&cells[i]) {
			return nil, nil, imageErr("truncated at cell %d", i)
		}
	}
	if len(r.b) != 0 {
		return nil, nil, imageErr("%d bytes of trailing data after the last cell", len(r.b))
	}
	return meta, cells, nil
}

// reader is a cursor over untrusted bytes; each read reports success and
// consumes nothing on failure.
type reader struct{ b []byte }

// u32 reads a big-endian uint32.
func (r *reader) u32(v *uint32) bool {
	if len(r.b) < 4 {
		return false
	}
	*v = binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return true
}

// block reads a uint32 length and that many bytes.
func (r *reader) block(out *[]byte) bool {
	if len(r.b) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(r.b)
	if uint64(n) > uint64(len(r.b)-4) {
		return false
	}
	end := 4 + int(n)
	*out = r.b[4:end:end]
	r.b = r.b[end:]
	return true
}
