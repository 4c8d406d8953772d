package contactless

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestATS(t *testing.T) {
	a := ATS{FSCI: 8, DS: []BitRate{Rate212, Rate848}, DR: []BitRate{Rate424}, FWI: 7, SFGI: 2, CID: true,
		Historical: []byte{0x00, 0x8C, 0x54}}
	b := a.Bytes()
	want := []byte{0x08, 0x78, 0x52, 0x72, 0x02, 0x00, 0x8C, 0x54}
	if !bytes.Equal(b, want) {
		t.Fatalf("ATS % X, want % X", b, want)
	}
	back, err := ParseATS(b)
	if err != nil || !reflect.DeepEqual(back, a) {
		t.Fatalf("parsed back %+v %v", back, err)
	}
	// Only TL: every default.
	d, err := ParseATS([]byte{0x01})
	if err != nil || d.FSCI != 2 || d.FWI != 4 || !d.CID || d.NAD {
		t.Errorf("defaults %+v %v", d, err)
	}
	// T0 without TA1/TB1/TC1: the rest is historical bytes.
	d, err = ParseATS([]byte{0x04, 0x05, 0xAA, 0xBB})
	if err != nil || d.FSCI != 5 || !bytes.Equal(d.Historical, []byte{0xAA, 0xBB}) {
		t.Errorf("%+v %v", d, err)
	}
	for _, bad := range [][]byte{nil, {0x00}, {0x02}, {0x03, 0x70}, {0x02, 0x80}, {0x02, 0x10}, {0x03, 0x30, 0x00}, {0x04, 0x70, 0x00, 0x00}} {
		if _, err := ParseATS(bad); !errors.Is(err, ErrBadATS) {
			t.Errorf("ATS % X: %v", bad, err)
		}
	}
}

func TestATQBAndAttrib(t *testing.T) {
	q := ATQB{PUPI: [4]byte{1, 2, 3, 4}, AppData: [4]byte{5, 6, 7, 8}, SameD: true, DS: []BitRate{Rate848}, DR: []BitRate{Rate848},
		FSCI: 8, ISO14443_4: true, FWI: 7, ADC: 1, NAD: false, CID: true, Extended: true, SFGI: 3}
	b := q.Bytes()
	want := []byte{0x50, 1, 2, 3, 4, 5, 6, 7, 8, 0xC4, 0x81, 0x75, 0x30}
	if !bytes.Equal(b, want) {
		t.Fatalf("ATQB % X, want % X", b, want)
	}
	back, err := ParseATQB(b)
	if err != nil || !reflect.DeepEqual(back, q) {
		t.Fatalf("%+v %v", back, err)
	}
	for _, bad := range [][]byte{nil, b[:11], append(b, 0, 0), append([]byte{0x51}, b[1:]...)} {
		if _, err := ParseATQB(bad); !errors.Is(err, ErrBadATQB) {
			t.Errorf("ATQB % X: %v", bad, err)
		}
	}
	a := Attrib{PUPI: [4]byte{1, 2, 3, 4}, FromCard: Rate848, ToCard: Rate212, FSDI: 8, Param3: 1, CID: 2, INF: []byte{0xAA}}
	ab := a.Bytes()
	if !bytes.Equal(ab, []byte{0x1D, 1, 2, 3, 4, 0x00, 0xD8, 0x01, 0x02, 0xAA}) {
		t.Fatalf("ATTRIB % X", ab)
	}
	aback, err := ParseAttrib(ab)
	if err != nil || !reflect.DeepEqual(aback, a) {
		t.Fatalf("%+v %v", aback, err)
	}
	for _, bad := range [][]byte{nil, ab[:8], append([]byte{0x1E}, ab[1:]...), {0x1D, 1, 2, 3, 4, 0, 0, 1, 0x12}} {
		if _, err := ParseAttrib(bad); !errors.Is(err, ErrBadAttrib) {
			t.Errorf("ATTRIB % X: %v", bad, err)
		}
	}
}

func TestCascadeLevels(t *testing.T) {
	for _, c := range []struct {
		uid  []byte
		want [][5]byte
	}{
		{[]byte{0x08, 0x11, 0x22, 0x33}, [][5]byte{{0x08, 0x11, 0x22, 0x33, 0x08 ^ 0x11 ^ 0x22 ^ 0x33}}},
		{[]byte{0x04, 1, 2, 3, 4, 5, 6}, [][5]byte{{0x88, 0x04, 1, 2, 0x88 ^ 0x04 ^ 1 ^ 2}, {3, 4, 5, 6, 3 ^ 4 ^ 5 ^ 6}}},
		{[]byte{0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9}, [][5]byte{{0x88, 0x04, 1, 2, 0x88 ^ 0x04 ^ 1 ^ 2}, {0x88, 3, 4, 5, 0x88 ^ 3 ^ 4 ^ 5}, {6, 7, 8, 9, 6 ^ 7 ^ 8 ^ 9}}},
		{[]byte{1, 2, 3}, [][5]byte{}},
	} {
		if got := CascadeLevels(c.uid); !reflect.DeepEqual(got, c.want) {
			t.Errorf("% X: % X", c.uid, got)
		}
	}
	if SelCode(1) != 0x93 || SelCode(2) != 0x95 || SelCode(3) != 0x97 {
		t.Error("SEL codes")
	}
}
