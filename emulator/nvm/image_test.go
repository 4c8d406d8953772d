package nvm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// sampleImage returns a valid image with varied cells.
func sampleImage() (meta []byte, cells [][]byte, img []byte) {
	meta = []byte(`{"profile":"test"}`)
	cells = [][]byte{b("EF05"), {}, bytes.Repeat([]byte{0xA5}, 300), {0x00}}
	return meta, cells, EncodeImage(meta, cells)
}

// sealed returns the header, body and a correct checksum: an image whose
// structure alone decides whether it decodes.
func sealed(body []byte) []byte {
	img := append([]byte(ImageMagic), 0, ImageVersion)
	img = append(img, body...)
	sum := sha256.Sum256(img)
	return append(img, sum[:]...)
}

// u32 encodes v big-endian.
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// cat concatenates byte strings.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestImageRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		meta  []byte
		cells [][]byte
	}{
		{"empty", nil, nil},
		{"meta only", b("{}"), nil},
		{"empty cells", nil, [][]byte{{}, {}, {}}},
		{"mixed", b(`{"a":1}`), [][]byte{b("x"), {}, bytes.Repeat([]byte{1, 2, 3}, 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := EncodeImage(tt.meta, tt.cells)
			meta, cells, err := DecodeImage(img)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(meta, tt.meta) || !equalCells(cells, tt.cells) {
				t.Errorf("decoded %q %q, want %q %q", meta, cells, tt.meta, tt.cells)
			}
			if again := EncodeImage(meta, cells); !bytes.Equal(again, img) {
				t.Error("re-encoding the decoded image differs")
			}
			// The results do not alias the input, and appending to a cell
			// cannot overwrite its neighbour.
			for i := range img {
				img[i] = 0xEE
			}
			if !bytes.Equal(meta, tt.meta) || !equalCells(cells, tt.cells) {
				t.Error("decoded values alias the input buffer")
			}
			if len(cells) > 1 {
				_ = append(cells[0], 0xFF, 0xFF, 0xFF, 0xFF)
				if !equalCells(cells, tt.cells) {
					t.Error("appending to a cell overwrote another")
				}
			}
		})
	}
}

func TestDecodeImageHostile(t *testing.T) {
	_, _, good := sampleImage()
	newer := bytes.Clone(good)
	newer[9] = 7
	tests := []struct {
		name string
		in   []byte
		want string // substring of the error
	}{
		{"nil", nil, "empty file"},
		{"empty", []byte{}, "empty file"},
		{"bad magic", append([]byte("NOTACARD"), good[8:]...), "bad magic"},
		{"short magic", []byte("SSC"), "bad magic"},
		{"magic only", []byte(ImageMagic), "truncated in the header"},
		{"magic and half version", []byte(ImageMagic + "\x00"), "truncated in the header"},
		{"newer version", newer, "image format version 7 is newer than this program supports (1)"},
		{"version 0", append([]byte(ImageMagic), 0, 0), "unknown image format version 0"},
		{"header only", append([]byte(ImageMagic), 0, 1), "truncated: 10 bytes"},
		{"no checksum", good[:len(good)-32], "checksum mismatch"},
		{"trailing byte", append(bytes.Clone(good), 0), "checksum mismatch"},
		{"wrong checksum", append(bytes.Clone(good[:len(good)-1]), good[len(good)-1]^1), "checksum mismatch"},
		{"huge meta", sealed(cat(u32(0xFFFFFFFF), u32(0))), "truncated in the meta section"},
		{"meta past end", sealed(cat(u32(5), b("abcd"))), "truncated in the meta section"},
		{"no cell count", sealed(cat(u32(2), b("ab"), []byte{0, 0})), "truncated at the cell count"},
		{"huge cell count", sealed(cat(u32(0), u32(0xFFFFFFFF))), "cell count 4294967295 exceeds the limit"},
		{"count over limit", sealed(cat(u32(0), u32(MaxCells+1))), "exceeds the limit"},
		{"count beyond data", sealed(cat(u32(0), u32(1000), u32(0))), "1000 cells claimed"},
		{"huge cell length", sealed(cat(u32(0), u32(1), u32(0xFFFFFFFF))), "truncated at cell 0"},
		{"truncated at cell 12", sealed(cat(u32(0), u32(13), bytes.Repeat(u32(0), 12), u32(1))), "truncated at cell 12"},
		{"short cell length", sealed(cat(u32(0), u32(2), u32(2), b("ab"), []byte{0, 0})), "truncated at cell 1"},
		{"trailing data", sealed(cat(u32(0), u32(1), u32(1), b("xyz"))), "2 bytes of trailing data"},
		{"over size limit", append(append([]byte(ImageMagic), 0, 1), make([]byte, MaxImageSize)...), "larger than the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta, cells, err := DecodeImage(tt.in)
			if !errors.Is(err, ErrImage) {
				t.Fatalf("DecodeImage() error = %v, want ErrImage", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if meta != nil || cells != nil {
				t.Errorf("error with non-nil results %q %q", meta, cells)
			}
		})
	}
}

func TestDecodeImageTruncatedEverywhere(t *testing.T) {
	_, _, img := sampleImage()
	for n := range len(img) {
		if _, _, err := DecodeImage(img[:n]); !errors.Is(err, ErrImage) {
			t.Fatalf("truncated to %d of %d bytes: error %v, want ErrImage", n, len(img), err)
		}
	}
}

func TestDecodeImageFlippedByte(t *testing.T) {
	_, _, img := sampleImage()
	for i := range img {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			bad := bytes.Clone(img)
			bad[i] ^= mask
			_, _, err := DecodeImage(bad)
			if !errors.Is(err, ErrImage) {
				t.Fatalf("byte %d ^ %#x: error %v, want ErrImage", i, mask, err)
			}
			if i >= headerLen && !strings.Contains(err.Error(), "checksum mismatch") {
				t.Fatalf("byte %d ^ %#x: error %q, want a checksum mismatch", i, mask, err)
			}
		}
	}
}

func TestEncodeImageLayout(t *testing.T) {
	img := EncodeImage(b("M"), [][]byte{b("ab"), {}})
	want := cat(b(ImageMagic), []byte{0, 1}, u32(1), b("M"), u32(2), u32(2), b("ab"), u32(0))
	if !bytes.HasPrefix(img, want) || len(img) != len(want)+32 {
		t.Fatalf("layout\n got % x\nwant % x + 32-byte checksum", img, want)
	}
	sum := sha256.Sum256(want)
	if !bytes.Equal(img[len(want):], sum[:]) {
		t.Error("checksum is not SHA-256 of the preceding bytes")
	}
}
