package emv

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseDOL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want DOL
		bad  bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "qPBOC PDOL", in: "9F66049F02069F03069F1A0295055F2A029A039C019F3704",
			want: DOL{{0x9F66, 4}, {0x9F02, 6}, {0x9F03, 6}, {0x9F1A, 2}, {0x95, 5}, {0x5F2A, 2}, {0x9A, 3}, {0x9C, 1}, {0x9F37, 4}}},
		{name: "three-byte tag", in: "DF810102", want: DOL{{0xDF8101, 2}}},
		{name: "zero length", in: "9F3700", want: DOL{{0x9F37, 0}}},
		{name: "tag without length", in: "9F37", bad: true},
		{name: "truncated two-byte tag", in: "9F", bad: true},
		{name: "tag 00", in: "0004", bad: true},
		{name: "tag FF", in: "FF04", bad: true},
		{name: "long-form length", in: "9F378104", bad: true},
		{name: "more than 252 bytes", in: "9F0270" + "9F0370" + "9F0470", bad: true},
		{name: "four-byte tag", in: "DF8181010203", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDOL(mustHex(tc.in))
			if tc.bad {
				if err == nil || !errors.Is(err, ErrCardData) {
					t.Fatalf("ParseDOL(%s) = %v, %v; want a card data error", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("entry %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDOLBuildFitsLengths(t *testing.T) {
	db := NewDB()
	db.Set(TagAmount, mustHex("000000001234"))       // n12
	db.Set(TagPAN, mustHex("6212345678901234"))      // cn
	db.Set(TagUN, mustHex("11223344"))               // b
	db.Set(TagTerminalID, []byte("TERM0001"))        // an
	db.Set(TagTxType, []byte{0x00})                  // n2
	db.put(TagFCIProp, []byte{0x50, 0x00}, FromCard) // constructed
	tests := []struct {
		name string
		dol  DOL
		want string
	}{
		{"exact", DOL{{TagAmount, 6}, {TagUN, 4}}, "000000001234" + "11223344"},
		{"numeric cut on the left", DOL{{TagAmount, 4}}, "00001234"},
		{"numeric padded on the left", DOL{{TagTxType, 3}}, "000000"},
		{"binary cut on the right", DOL{{TagUN, 2}}, "1122"},
		{"binary padded on the right", DOL{{TagUN, 6}}, "112233440000"},
		{"compressed numeric padded with F", DOL{{TagPAN, 10}}, "6212345678901234FFFF"},
		{"compressed numeric cut on the right", DOL{{TagPAN, 4}}, "62123456"},
		{"alphanumeric padded with 00", DOL{{TagTerminalID, 10}}, "5445524D303030310000"},
		{"absent gives zeros", DOL{{0x9F7C, 3}}, "000000"},
		{"constructed gives zeros", DOL{{TagFCIProp, 2}}, "0000"},
		{"zero length", DOL{{TagUN, 0}, {TagTxType, 1}}, "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.dol.Build(db)
			if !bytes.Equal(got, mustHex(tc.want)) {
				t.Errorf("Build = %X, want %s", got, tc.want)
			}
			if len(got) != tc.dol.DataLen() {
				t.Errorf("length %d, DataLen %d", len(got), tc.dol.DataLen())
			}
			parts, ok := tc.dol.Split(got)
			if !ok || len(parts) != len(tc.dol) {
				t.Errorf("Split: %v %v", parts, ok)
			}
		})
	}
	if _, ok := (DOL{{TagUN, 4}}).Split([]byte{1, 2, 3}); ok {
		t.Error("Split of short data succeeded")
	}
}

func TestParseAFL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []AFLEntry
		bad  bool
	}{
		{name: "empty", in: ""},
		{name: "DES/RSA path", in: "08010200100104021801050020010100",
			want: []AFLEntry{{1, 1, 2, 0}, {2, 1, 4, 2}, {3, 1, 5, 0}, {4, 1, 1, 0}}},
		{name: "SFI 30", in: "F0010101", want: []AFLEntry{{30, 1, 1, 1}}},
		{name: "not a multiple of 4", in: "080102", bad: true},
		{name: "SFI 0", in: "00010100", bad: true},
		{name: "SFI 31", in: "F8010100", bad: true},
		{name: "low bits set", in: "09010100", bad: true},
		{name: "first record 0", in: "08000100", bad: true},
		{name: "last before first", in: "08030200", bad: true},
		{name: "too many ODA records", in: "08010203", bad: true},
		{name: "too many records", in: "0801FF00", bad: true},
		{name: "too many records in all", in: "08014000" + "10014000" + "18014000", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAFL(mustHex(tc.in))
			if tc.bad {
				if !errors.Is(err, ErrCardData) {
					t.Fatalf("ParseAFL(%s) = %v, %v; want a card data error", tc.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("entry %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestDBKeepsTerminalDataAndRejectsDuplicates(t *testing.T) {
	db := NewDB()
	db.Set(TagUN, []byte{1, 2, 3, 4})
	if err := db.addCard(TagUN, []byte{9, 9, 9, 9}, nil, 0); err != nil {
		t.Fatal(err)
	}
	if got := db.Get(TagUN); !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Errorf("the card changed the unpredictable number to %X", got)
	}
	seen := seenTags{}
	if err := db.addCard(TagPSN, []byte{1}, seen, stageGPO); err != nil {
		t.Fatal(err)
	}
	if err := db.addCard(TagPSN, []byte{1}, seen, stageRecords); err != nil {
		t.Errorf("same value in the GPO response and a record: %v", err)
	}
	if err := db.addCard(TagPSN, []byte{1}, seen, stageRecords); !errors.Is(err, ErrCardData) {
		t.Errorf("repeated in the records: %v", err)
	}
	if err := db.addCard(TagTrack2, []byte{1}, seen, stageGPO); err != nil {
		t.Fatal(err)
	}
	if err := db.addCard(TagTrack2, []byte{2}, seen, stageRecords); !errors.Is(err, ErrCardData) {
		t.Errorf("another value in a record: %v", err)
	}
	if err := db.addCardObjects([]byte{0x9F, 0x36, 0x05, 0x00}, nil, 0); !errors.Is(err, ErrCardData) {
		t.Errorf("malformed TLV: %v", err)
	}
}

func TestBCDHelpers(t *testing.T) {
	if got := bcdAmount(1234); !bytes.Equal(got, mustHex("000000001234")) {
		t.Errorf("bcdAmount = %X", got)
	}
	if got := bcdAmount(999999999999); !bytes.Equal(got, mustHex("999999999999")) {
		t.Errorf("bcdAmount max = %X", got)
	}
	if v, ok := decodeBCD(mustHex("000000001234")); !ok || v != 1234 {
		t.Errorf("decodeBCD = %d %v", v, ok)
	}
	if _, ok := decodeBCD(mustHex("0A")); ok {
		t.Error("decodeBCD accepted a nibble above 9")
	}
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{{"301231", 20301231, true}, {"991231", 19991231, true}, {"301301", 0, false}, {"3012", 0, false}, {"30120A", 0, false}} {
		if v, ok := ymd(mustHex(c.in)); v != c.want || ok != c.ok {
			t.Errorf("ymd(%s) = %d %v", c.in, v, ok)
		}
	}
	if v, ok := mmyy(mustHex("1230")); !ok || v != 203012 {
		t.Errorf("mmyy = %d %v", v, ok)
	}
	if b, err := PlainPINBlock("1234"); err != nil || !bytes.Equal(b, mustHex("241234FFFFFFFFFF")) {
		t.Errorf("PIN block %X %v", b, err)
	}
	if b, err := PlainPINBlock("123456789012"); err != nil || !bytes.Equal(b, mustHex("2C123456789012FF")) {
		t.Errorf("PIN block %X %v", b, err)
	}
	for _, p := range []string{"123", "1234567890123", "12a4"} {
		if _, err := PlainPINBlock(p); err == nil {
			t.Errorf("PIN %q accepted", p)
		}
	}
}
