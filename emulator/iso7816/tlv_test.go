package iso7816

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestTagProperties(t *testing.T) {
	tests := []struct {
		tag         Tag
		len         int
		str         string
		constructed bool
		valid       bool
	}{
		{0x6F, 1, "6F", true, true},
		{0x84, 1, "84", false, true},
		{0x01, 1, "01", false, true},
		{0x9F26, 2, "9F26", false, true},
		{0x5F2A, 2, "5F2A", false, true},
		{0xBF0C, 2, "BF0C", true, true},
		{0x7F49, 2, "7F49", true, true},
		{0x9F8101, 3, "9F8101", false, true},
		{0xDF8101, 3, "DF8101", false, true},
		{0x00, 1, "00", false, false},         // padding, not a tag
		{0xFF, 1, "FF", true, false},          // padding, not a tag
		{0x1F, 1, "1F", false, false},         // needs a subsequent byte
		{0x9F, 1, "9F", false, false},         // needs a subsequent byte
		{0x0F1F, 2, "0F1F", false, false},     // first byte is a 1-byte tag
		{0x9F80, 2, "9F80", false, false},     // continuation needs a third byte
		{0x9F8001, 3, "9F8001", false, false}, // leading 80 continuation
		{0x9F8181, 3, "9F8181", false, false}, // would need a fourth byte
		{0x9F818101, 4, "9F818101", false, false},
		{0xFF01, 2, "FF01", true, false}, // FF first byte is padding
	}
	for _, tc := range tests {
		if got := tc.tag.Len(); got != tc.len {
			t.Errorf("Tag(%X).Len() = %d, want %d", uint32(tc.tag), got, tc.len)
		}
		if got := tc.tag.String(); got != tc.str {
			t.Errorf("Tag(%X).String() = %q, want %q", uint32(tc.tag), got, tc.str)
		}
		if got := tc.tag.Constructed(); got != tc.constructed {
			t.Errorf("Tag(%X).Constructed() = %v, want %v", uint32(tc.tag), got, tc.constructed)
		}
		if got := tc.tag.Valid(); got != tc.valid {
			t.Errorf("Tag(%X).Valid() = %v, want %v", uint32(tc.tag), got, tc.valid)
		}
	}
}

type tlv struct {
	tag   Tag
	value []byte
}

// readAll reads every data object at the top level of b.
func readAll(b []byte) ([]tlv, bool) {
	var out []tlv
	p := NewParser(b)
	for !p.Empty() {
		var e tlv
		if !p.ReadTLV(&e.tag, &e.value) {
			return out, false
		}
		out = append(out, e)
	}
	return out, true
}

func TestParserValid(t *testing.T) {
	long := func(n int) []byte { return bytes.Repeat([]byte{0xA5}, n) }
	tests := []struct {
		name string
		in   []byte
		want []tlv
	}{
		{"empty", nil, nil},
		{"only padding", h("00 FF 00"), nil},
		{"one primitive", h("01 10 330100D156000005 0114F199 D286DF7E"), []tlv{{0x01, h("330100D156000005 0114F199 D286DF7E")}}},
		{"zero length", h("8400"), []tlv{{0x84, []byte{}}}},
		{"two-byte tags", h("9F26 02 AABB 5F2A 02 0156"), []tlv{{0x9F26, h("AABB")}, {0x5F2A, h("0156")}}},
		{"three-byte tag", h("9F8101 01 07"), []tlv{{0x9F8101, h("07")}}},
		{"padding between and around", h("00 01 01 AA FF FF 02 00 00"), []tlv{{0x01, h("AA")}, {0x02, []byte{}}}},
		{"length 81 80", append(h("C2 81 80"), long(128)...), []tlv{{0xC2, long(128)}}},
		{"length 82 0100", append(h("C2 82 0100"), long(256)...), []tlv{{0xC2, long(256)}}},
		{"length 82 012C", append(h("BF0C 82 012C"), long(300)...), []tlv{{0xBF0C, long(300)}}},
		{"length 83", append(h("C2 83 000003"), long(3)...), []tlv{{0xC2, long(3)}}},
		{"length 84", append(h("C2 84 00000003"), long(3)...), []tlv{{0xC2, long(3)}}},
		{"non-minimal 81 05 accepted", h("04 81 05 0102030405"), []tlv{{0x04, h("0102030405")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := readAll(tc.in)
			if !ok {
				t.Fatalf("readAll(%X) failed after %d objects", tc.in, len(got))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d objects, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].tag != tc.want[i].tag || !bytes.Equal(got[i].value, tc.want[i].value) {
					t.Errorf("object %d = %s %X, want %s %X", i, got[i].tag, got[i].value, tc.want[i].tag, tc.want[i].value)
				}
				if cap(got[i].value) != len(got[i].value) {
					t.Errorf("object %d value cap %d, want %d", i, cap(got[i].value), len(got[i].value))
				}
			}
		})
	}
}

func TestParserHostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"only padding", "00 00 FF"},
		{"truncated two-byte tag", "9F"},
		{"truncated three-byte tag", "9F81"},
		{"tag then nothing", "9F26"},
		{"three-byte tag then nothing", "9F8101"},
		{"four-byte tag", "9F818101 01 00"},
		{"leading 80 continuation", "9F8001 01 00"},
		{"truncated long length 81", "01 81"},
		{"truncated long length 82", "01 82 01"},
		{"truncated long length 84", "01 84 000000"},
		{"length beyond input", "01 05 01020304"},
		{"long length beyond input", "01 81 80 00"},
		{"huge length", "01 84 FFFFFFFF 00"},
		{"indefinite length 80", "61 80 01 01 AA 00 00"},
		{"five-byte length 85", "01 85 0000000001 AA"},
		{"length FF", "01 FF"},
		{"padding then truncated", "00 00 9F"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := h(tc.in)
			p := NewParser(in)
			tag, value := Tag(0x42), []byte("keep")
			if p.ReadTLV(&tag, &value) {
				t.Fatalf("ReadTLV(%X) = true (%s %X)", in, tag, value)
			}
			if tag != 0x42 || string(value) != "keep" {
				t.Errorf("ReadTLV changed its outputs on failure: %s %X", tag, value)
			}
			if p.ReadTag(0x01, &value) || p.ReadTag(0x9F26, nil) || p.PeekTag(&tag) {
				t.Error("ReadTag/PeekTag succeeded on hostile input")
			}
			if !bytes.Equal(p.Rest(), in) {
				t.Errorf("parser moved on failure: Rest() = %X, want %X", p.Rest(), in)
			}
			if _, ok := Find(in, 0x01); ok {
				t.Error("Find succeeded on hostile input")
			}
		})
	}
}

func TestParserReadTag(t *testing.T) {
	in := h("84 02 AABB A5 03 88 01 0B")
	p := NewParser(in)
	var v []byte
	if p.ReadTag(0xA5, &v) {
		t.Fatal("ReadTag(A5) matched 84")
	}
	if !bytes.Equal(p.Rest(), in) {
		t.Fatal("failed ReadTag moved the parser")
	}
	var peek Tag
	if !p.PeekTag(&peek) || peek != 0x84 || !bytes.Equal(p.Rest(), in) {
		t.Fatalf("PeekTag = %s, Rest %X", peek, p.Rest())
	}
	if !p.ReadTag(0x84, &v) || !bytes.Equal(v, h("AABB")) {
		t.Fatalf("ReadTag(84) = %X", v)
	}
	if !p.ReadTag(0xA5, &v) || !bytes.Equal(v, h("88010B")) || !p.Empty() {
		t.Fatalf("ReadTag(A5) = %X, empty %v", v, p.Empty())
	}
	if p.ReadTLV(nil, nil) {
		t.Error("ReadTLV on empty parser succeeded")
	}
}

// ssseFCI is the FCI a real 1.00 card returns for SELECT SSSE (CARD.md §2).
var ssseFCI = h("6F 16 84 0F 7378312E73682EC9E7BBE1B1A3D5CF A5 03 88 01 0B")

func TestFind(t *testing.T) {
	aid := h("7378312E73682EC9E7BBE1B1A3D5CF")
	tests := []struct {
		name string
		in   []byte
		path []Tag
		want []byte
		ok   bool
	}{
		{"SFI in FCI", ssseFCI, []Tag{0x6F, 0xA5, 0x88}, h("0B"), true},
		{"AID in FCI", ssseFCI, []Tag{0x6F, 0x84}, aid, true},
		{"template", ssseFCI, []Tag{0x6F}, ssseFCI[2:], true},
		{"empty path", ssseFCI, nil, ssseFCI, true},
		{"absent tag", ssseFCI, []Tag{0x6F, 0x9F0C}, nil, false},
		{"absent top", ssseFCI, []Tag{0x70}, nil, false},
		{"through a primitive", ssseFCI, []Tag{0x6F, 0x84, 0x73}, nil, false},
		{"first of two", h("01 01 AA 01 01 BB"), []Tag{0x01}, h("AA"), true},
		{"after padding", h("00 00 9F79 06 000000010000"), []Tag{0x9F79}, h("000000010000"), true},
		{"found before malformed tail", h("01 01 AA 02 05"), []Tag{0x01}, h("AA"), true},
		{"malformed before target", h("01 05 AA 02 01 BB"), []Tag{0x02}, nil, false},
		{"malformed inner", h("6F 03 A5 05 88"), []Tag{0x6F, 0xA5, 0x88}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Find(tc.in, tc.path...)
			if ok != tc.ok || !bytes.Equal(got, tc.want) {
				t.Errorf("Find(%X, %v) = %X, %v; want %X, %v", tc.in, tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestEncodeLength(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "00"}, {1, "01"}, {127, "7F"}, {128, "8180"}, {255, "81FF"}, {256, "820100"},
		{300, "82012C"}, {65535, "82FFFF"}, {65536, "83010000"}, {0xFFFFFF, "83FFFFFF"},
		{0x1000000, "8401000000"}, {0xFFFFFFFF, "84FFFFFFFF"},
		{-1, ""}, {1 << 32, ""},
	}
	for _, tc := range tests {
		got := EncodeLength([]byte{0xEE}, tc.n)
		if want := append([]byte{0xEE}, h(tc.want)...); !bytes.Equal(got, want) {
			t.Errorf("EncodeLength(%d) = %X, want %X", tc.n, got, want)
			continue
		}
		if tc.want == "" {
			continue
		}
		n, used, ok := readLength(got[1:])
		if !ok || used != len(got)-1 || n != uint64(tc.n) {
			t.Errorf("readLength(EncodeLength(%d)) = %d, %d, %v", tc.n, n, used, ok)
		}
	}
}

func TestBuilderFCI(t *testing.T) {
	var b Builder
	b.AddConstructed(0x6F, func(b *Builder) {
		b.AddTLV(0x84, h("7378312E73682EC9E7BBE1B1A3D5CF"))
		b.AddConstructed(0xA5, func(b *Builder) {
			b.AddTLV(0x88, []byte{0x0B})
		})
	})
	got, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ssseFCI) {
		t.Errorf("FCI = %X, want %X", got, ssseFCI)
	}
}

func TestBuilderRoundTrip(t *testing.T) {
	long := func(n int) []byte { return bytes.Repeat([]byte{byte(n)}, n) }
	tests := []struct {
		name   string
		tag    Tag
		value  []byte
		header string // expected tag and length bytes
	}{
		{"9F26 cryptogram", 0x9F26, h("1122334455667788"), "9F26 08"},
		{"5F2A currency", 0x5F2A, h("0156"), "5F2A 02"},
		{"BF0C 127", 0xBF0C, long(127), "BF0C 7F"},
		{"BF0C 128", 0xBF0C, long(128), "BF0C 81 80"},
		{"9F26 256", 0x9F26, long(256), "9F26 82 0100"},
		{"5F2A 300", 0x5F2A, long(300), "5F2A 82 012C"},
		{"9F8101 empty", 0x9F8101, nil, "9F8101 00"},
		{"largest that fits a template", 0xC2, long(65531), "C2 82 FFFB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b Builder
			b.AddTLV(tc.tag, tc.value)
			b.AddConstructed(0x70, func(b *Builder) { b.AddTLV(tc.tag, tc.value) })
			got, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			hdr := h(tc.header)
			if !bytes.HasPrefix(got, hdr) || !bytes.Equal(got[len(hdr):len(hdr)+len(tc.value)], tc.value) {
				t.Fatalf("encoding starts %X, want header %X", got[:min(len(got), 8)], hdr)
			}
			p := NewParser(got)
			var v, inner []byte
			if !p.ReadTag(tc.tag, &v) || !bytes.Equal(v, tc.value) {
				t.Fatal("primitive did not read back")
			}
			if !p.ReadTag(0x70, &inner) || !p.Empty() {
				t.Fatal("template did not read back")
			}
			if v, ok := Find(got, 0x70, tc.tag); !ok || !bytes.Equal(v, tc.value) {
				t.Error("Find inside template failed")
			}
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *Builder)
		msg   string
	}{
		{"tag 00", func(b *Builder) { b.AddTLV(0x00, nil) }, "malformed tag 00"},
		{"tag 1F alone", func(b *Builder) { b.AddTLV(0x1F, nil) }, "malformed tag 1F"},
		{"tag 9F80", func(b *Builder) { b.AddTLV(0x9F80, nil) }, "malformed tag 9F80"},
		{"four-byte tag", func(b *Builder) { b.AddTLV(0x9F818101, nil) }, "malformed tag 9F818101"},
		{"value too long", func(b *Builder) { b.AddTLV(0x53, make([]byte, 65536)) }, "65536 bytes exceeds 65535"},
		{"constructed with primitive tag", func(b *Builder) { b.AddConstructed(0x84, func(*Builder) {}) }, "84 is not a constructed tag"},
		{"error inside constructed", func(b *Builder) {
			b.AddConstructed(0x6F, func(b *Builder) {
				b.AddConstructed(0xA5, func(b *Builder) { b.AddTLV(0x5F, nil) })
			})
		}, "inside 6F: inside A5: building TLV"},
		{"constructed too long", func(b *Builder) {
			b.AddConstructed(0x70, func(b *Builder) { b.AddTLV(0x53, make([]byte, 65535)) })
		}, "building TLV 70"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b Builder
			b.AddTLV(0x01, h("AA"))
			tc.build(&b)
			b.AddTLV(0x02, h("BB")) // ignored: the error is sticky
			b.AddRaw(h("CC"))
			got, err := b.Bytes()
			if !errors.Is(err, ErrInvalidTLV) || got != nil {
				t.Fatalf("Bytes() = %X, %v; want ErrInvalidTLV", got, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestBuilderMaxLength(t *testing.T) {
	var b Builder
	b.AddTLV(0x53, make([]byte, MaxBuildLen))
	got, err := b.Bytes()
	if err != nil || len(got) != 4+MaxBuildLen || !bytes.Equal(got[:4], h("5382FFFF")) {
		t.Fatalf("Bytes() = %d bytes starting %X, %v", len(got), got[:min(len(got), 4)], err)
	}
}

func TestBuilderRawAndEmpty(t *testing.T) {
	var b Builder
	got, err := b.Bytes()
	if err != nil || len(got) != 0 {
		t.Fatalf("empty builder = %X, %v", got, err)
	}
	b.AddRaw(h("9F36 02 0001"))
	b.AddConstructed(0x77, nil)
	got, err = b.Bytes()
	if err != nil || !bytes.Equal(got, h("9F36020001 7700")) {
		t.Errorf("Bytes() = %X, %v", got, err)
	}
}
