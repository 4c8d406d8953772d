package iso7816

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParseCommand(f *testing.F) {
	for _, tc := range validCommands {
		f.Add(h(tc.in))
	}
	for _, s := range []string{"", "00", "00A40400 00 01", "00A40400 05 0102", "00A40400 000000 01", "00A40400 000002 0102 00", "00A40400 02 0102 0000"} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseCommand(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if cs := c.Case(); cs < 1 || cs > 4 {
			t.Fatalf("Case() = %d", cs)
		}
		if c.Ne < 0 || c.Ne > MaxExtendedNe || len(c.Data) > MaxExtendedNc {
			t.Fatalf("Ne %d, Nc %d out of range", c.Ne, len(c.Data))
		}
		enc, err := c.Bytes()
		if err != nil {
			t.Fatalf("Bytes of parsed command: %v", err)
		}
		if !bytes.Equal(enc, in) {
			t.Fatalf("re-encoding %X gives %X", in, enc)
		}
		again, err := ParseCommand(enc)
		if err != nil || !cmp.Equal(again, c, cmpCommand) {
			t.Fatalf("re-parse = %+v, %v; want %+v", again, err, c)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{"", "90", "9000", "6118", "0104312E30309000"} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseResponse(in)
		if (err == nil) != (len(in) >= 2) {
			t.Fatalf("ParseResponse(%X) error %v", in, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), in) || r.SW != StatusFrom(in[len(in)-2], in[len(in)-1]) {
			t.Fatalf("round trip %X -> %X (SW %04X)", in, r.Bytes(), uint16(r.SW))
		}
		_ = r.SW.Error()
	})
}

// tlvNode is a data object with, for a constructed tag whose value parses,
// its children.
type tlvNode struct {
	tag      Tag
	value    []byte
	children []tlvNode
	nested   bool
}

func parseTree(b []byte, depth int) ([]tlvNode, bool) {
	objs, ok := readAll(b)
	if !ok {
		return nil, false
	}
	nodes := make([]tlvNode, len(objs))
	for i, o := range objs {
		nodes[i] = tlvNode{tag: o.tag, value: o.value}
		if o.tag.Constructed() && depth < 32 {
			if kids, ok := parseTree(o.value, depth+1); ok {
				nodes[i].children, nodes[i].nested = kids, true
			}
		}
	}
	return nodes, true
}

func buildTree(b *Builder, nodes []tlvNode) {
	for _, n := range nodes {
		if n.nested {
			b.AddConstructed(n.tag, func(b *Builder) { buildTree(b, n.children) })
		} else {
			b.AddTLV(n.tag, n.value)
		}
	}
}

func FuzzTLV(f *testing.F) {
	for _, b := range [][]byte{
		ssseFCI, h("00 01 01 AA FF 02 00"), h("9F26 08 1122334455667788 5F2A 02 0156"),
		h("BF0C 05 9F4D 02 0B0A"), h("04 81 05 0102030405"), h("70 81 03 9F36 00 00"),
		h("9F818101 01 00"), h("01 80 00"), h("01 85 0000000001 AA"), h("9F"), h("01 05 01"),
	} {
		f.Add(b, []byte{0x6F, 0xA5})
	}
	f.Fuzz(func(t *testing.T, in, path []byte) {
		tags := make([]Tag, 0, len(path))
		for _, c := range path {
			tags = append(tags, Tag(c))
		}
		if v, ok := Find(in, tags...); ok && !bytes.Contains(in, v) {
			t.Fatalf("Find returned bytes not in the input")
		}
		nodes, ok := parseTree(in, 0)
		if !ok {
			return
		}
		var b Builder
		buildTree(&b, nodes)
		out, err := b.Bytes()
		if err != nil {
			if len(in) <= MaxBuildLen {
				t.Fatalf("rebuilding %X: %v", in, err)
			}
			return
		}
		// Rebuilding drops padding and shortens non-minimal lengths, and
		// changes nothing else.
		if len(out) > len(in) || (len(out) == len(in) && !bytes.Equal(out, in)) {
			t.Fatalf("rebuilt %X as %X", in, out)
		}
		again, ok := parseTree(out, 0)
		if !ok {
			t.Fatalf("rebuilt bytes %X do not parse", out)
		}
		var b2 Builder
		buildTree(&b2, again)
		if out2, err := b2.Bytes(); err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("rebuilding is not stable: %X then %X (%v)", out, out2, err)
		}
	})
}

func FuzzParseATR(f *testing.F) {
	for _, b := range [][]byte{realATR, dualATR, h("3B00"), h("3B 80 01 81"), h("3F 10 11"), h("3B 80 0F 8F"), h("3B F0")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ParseATR(in)
		if err != nil {
			if !errors.Is(err, ErrMalformedATR) || a != nil {
				t.Fatalf("ParseATR = %v, %v", a, err)
			}
			return
		}
		if !bytes.Equal(a.Raw, in) || len(a.Raw) > MaxATRLen {
			t.Fatalf("Raw %X, input %X", a.Raw, in)
		}
		end := len(a.Raw)
		if a.TCK != nil {
			end--
			if xorAll(a.Raw[1:]) != 0 || a.Raw[end] != *a.TCK {
				t.Fatalf("TCK %02X accepted in %X", *a.TCK, a.Raw)
			}
		}
		k := int(a.T0 & 0x0F)
		if len(a.Historical) != k || end-k < 2 || !bytes.Equal(a.Historical, a.Raw[end-k:end]) {
			t.Fatalf("Historical %X not the %d bytes before TCK in %X", a.Historical, k, a.Raw)
		}
		if len(a.Protocols) == 0 || a.Interface == nil {
			t.Fatalf("Protocols %v, %d groups", a.Protocols, len(a.Interface))
		}
		for i, p := range a.Protocols {
			if p < 0 || p > 14 || slices.Contains(a.Protocols[:i], p) {
				t.Fatalf("Protocols %v", a.Protocols)
			}
		}
		needTCK := false
		for _, g := range a.Interface {
			needTCK = needTCK || (g.TD != nil && *g.TD&0x0F != 0)
		}
		if (a.TCK != nil) != needTCK {
			t.Fatalf("TCK present %v, want %v", a.TCK != nil, needTCK)
		}
		if a.Fi == 0 || a.Di == 0 || a.IFSC < 1 || a.IFSC > 254 || a.BWI > 9 || a.WI < 1 {
			t.Fatalf("parameters out of range: %+v", a)
		}
		if a.String() == "" {
			t.Fatal("empty String()")
		}
	})
}

func FuzzBuildATR(f *testing.F) {
	f.Add(byte(0), byte(0x06), byte(0), byte(0), byte(0), uint16(1), byte(0), byte(0), 0, byte(0), false, byte(0), h("0081008843866533010114F199"))
	f.Add(byte(0), byte(0x1D), byte(0x96), byte(0), byte(0), uint16(3), byte(0), byte(0), 254, byte(0x45), false, byte(0x83), h("0031C064C7FC1000019000"))
	f.Add(byte(1), byte(0xFF), byte(0x18), byte(0), byte(0), uint16(2), byte(0x11), byte(10), 32, byte(0x4D), true, byte(0x01), []byte{})
	f.Fuzz(func(t *testing.T, inverse, present, ta1, tb1, tc1 byte, protoMask uint16, ta2, tc2 byte, ifsc int, bwicwi byte, crc bool, globalTA byte, hist []byte) {
		s := ATRSpec{IFSC: ifsc, CRC: crc, Historical: hist}
		if inverse&1 != 0 {
			s.TS = TSInverse
		}
		opt := func(bit uint, v byte) *byte {
			if present&(1<<bit) == 0 {
				return nil
			}
			return &v
		}
		s.TA1, s.TB1, s.TC1 = opt(0, ta1), opt(1, tb1), opt(2, tc1)
		s.TA2, s.TC2, s.BWICWI, s.GlobalTA = opt(3, ta2), opt(4, tc2), opt(5, bwicwi), opt(6, globalTA)
		for p := range 15 {
			if protoMask&(1<<p) != 0 {
				s.Protocols = append(s.Protocols, p)
			}
		}
		raw, err := BuildATR(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedATR) || raw != nil {
				t.Fatalf("BuildATR = %X, %v", raw, err)
			}
			return
		}
		a, err := ParseATR(raw)
		if err != nil {
			t.Fatalf("ParseATR(BuildATR(%+v) = % X): %v", s, raw, err)
		}
		checkSpec(t, s, a)
	})
}
