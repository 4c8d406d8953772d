package contactless

import (
	"bytes"
	"testing"
)

// The worked examples of ISO/IEC 14443-3 Annex B, bytes as transmitted
// (first byte first). The CRC_B examples are quoted from the annex at
// https://stackoverflow.com/questions/202466 ("for 0x00 0x00 0x00 you
// should end up with CRC_B of 0xCC 0xC6; for 0x0F 0xAA 0xFF ... 0xFC
// 0xD1"); the CRC_A ones are the annex's A0 1E and 26 CF.
func TestCRCAnnexB(t *testing.T) {
	for _, c := range []struct {
		typ       Type
		data, crc []byte
	}{
		{TypeA, []byte{0x00, 0x00}, []byte{0xA0, 0x1E}},
		{TypeA, []byte{0x12, 0x34}, []byte{0x26, 0xCF}},
		{TypeB, []byte{0x00, 0x00, 0x00}, []byte{0xCC, 0xC6}},
		{TypeB, []byte{0x0F, 0xAA, 0xFF}, []byte{0xFC, 0xD1}},
	} {
		got := AppendCRC(c.typ, append([]byte(nil), c.data...))
		if !bytes.Equal(got[len(c.data):], c.crc) {
			t.Errorf("CRC_%s(% X) = % X, want % X", c.typ, c.data, got[len(c.data):], c.crc)
		}
		if body, ok := CheckCRC(c.typ, got); !ok || !bytes.Equal(body, c.data) {
			t.Errorf("CheckCRC(%s, % X) = % X, %v", c.typ, got, body, ok)
		}
	}
	// As register values: the low byte goes first.
	if CRCA([]byte{0x12, 0x34}) != 0xCF26 || CRCB([]byte{0x0F, 0xAA, 0xFF}) != 0xD1FC {
		t.Errorf("CRC values %04X %04X", CRCA([]byte{0x12, 0x34}), CRCB([]byte{0x0F, 0xAA, 0xFF}))
	}
	// Frames everyone knows: HLTA and REQB.
	if got := AppendCRC(TypeA, []byte{0x50, 0x00}); !bytes.Equal(got, []byte{0x50, 0x00, 0x57, 0xCD}) {
		t.Errorf("HLTA % X", got)
	}
	if got := AppendCRC(TypeB, []byte{0x05, 0x00, 0x00}); !bytes.Equal(got, []byte{0x05, 0x00, 0x00, 0x71, 0xFF}) {
		t.Errorf("REQB % X", got)
	}
}

func TestCheckCRCHostile(t *testing.T) {
	good := AppendCRC(TypeA, []byte{0xE0, 0x80})
	for _, f := range [][]byte{nil, {}, {0x00}, {0xA0, 0x1E}, good[:3], append(append([]byte(nil), good[:3]...), good[3]^0x80)} {
		if _, ok := CheckCRC(TypeA, f); ok {
			t.Errorf("% X checks", f)
		}
	}
	if _, ok := CheckCRC(TypeB, good); ok {
		t.Error("a CRC_A frame checks as CRC_B")
	}
}

// The table-driven CRC agrees with the bit-by-bit definition for every
// length (the slicing path and the byte path).
func TestCRCBitwise(t *testing.T) {
	bitwise := func(crc uint16, data []byte) uint16 {
		for _, b := range data {
			crc ^= uint16(b)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0x8408
				} else {
					crc >>= 1
				}
			}
		}
		return crc
	}
	data := make([]byte, 64)
	for i := range data {
		data[i] = byte(i*37 + 11)
	}
	for n := 0; n <= len(data); n++ {
		if got, want := crcUpdate(0x6363, data[:n]), bitwise(0x6363, data[:n]); got != want {
			t.Fatalf("length %d: %04X, want %04X", n, got, want)
		}
	}
}

func BenchmarkCRCA(b *testing.B) {
	frame := make([]byte, 32)
	for b.Loop() {
		CRCA(frame)
	}
}
