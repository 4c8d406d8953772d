package iso7816

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// realATR is the ATR of a real 1.00 social security card (CARD.md §2).
var realATR = h("3B 6D 00 00 00 81 00 88 43 86 65 33 01 01 14 F1 99")

// dualATR offers T=0 and T=1 and therefore carries a TCK.
var dualATR = h("3B DB 96 00 80 B1 FE 45 1F 83 00 31 C0 64 C7 FC 10 00 01 90 00 74")

func TestParseATRRealCard(t *testing.T) {
	a, err := ParseATR(realATR)
	if err != nil {
		t.Fatal(err)
	}
	g := a.Group(1)
	switch {
	case a.TS != TSDirect || a.T0 != 0x6D:
		t.Errorf("TS %02X T0 %02X", a.TS, a.T0)
	case g.TA != nil || g.TB == nil || *g.TB != 0 || g.TC == nil || *g.TC != 0 || g.TD != nil:
		t.Errorf("group 1 = %+v, want TB1=00 TC1=00 only", g)
	case len(a.Interface) != 1:
		t.Errorf("%d interface groups, want 1", len(a.Interface))
	case !slices.Equal(a.Protocols, []int{0}):
		t.Errorf("Protocols = %v, want [0]", a.Protocols)
	case !bytes.Equal(a.Historical, h("00 81 00 88 43 86 65 33 01 01 14 F1 99")):
		t.Errorf("Historical = %X", a.Historical)
	case a.TCK != nil:
		t.Errorf("TCK = %02X, want absent", *a.TCK)
	case a.Fi != 372 || a.Di != 1 || a.FiCode != 1 || a.DiCode != 1 || a.FMaxKHz != 5000:
		t.Errorf("Fi %d Di %d codes %X %X fmax %d, want defaults", a.Fi, a.Di, a.FiCode, a.DiCode, a.FMaxKHz)
	case a.N != 0 || a.WI != DefaultWI || a.SpecificMode:
		t.Errorf("N %d WI %d specific %v", a.N, a.WI, a.SpecificMode)
	case a.IFSC != DefaultIFSC || a.BWI != DefaultBWI || a.CWI != DefaultCWI || a.CRC:
		t.Errorf("T=1 defaults: IFSC %d BWI %d CWI %d CRC %v", a.IFSC, a.BWI, a.CWI, a.CRC)
	case !bytes.Equal(a.Raw, realATR):
		t.Errorf("Raw = %X", a.Raw)
	}
	if &a.Raw[0] == &realATR[0] {
		t.Error("Raw aliases the input")
	}
}

func TestParseATRDualProtocol(t *testing.T) {
	// The exclusive-or of T0 to the last historical byte is the TCK.
	if x := xorAll(dualATR[1 : len(dualATR)-1]); x != 0x74 {
		t.Fatalf("computed TCK %02X, want 74", x)
	}
	a, err := ParseATR(dualATR)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !slices.Equal(a.Protocols, []int{0, 1}):
		t.Errorf("Protocols = %v, want [0 1]", a.Protocols)
	case a.TCK == nil || *a.TCK != 0x74:
		t.Errorf("TCK = %v, want 74", a.TCK)
	case a.FiCode != 9 || a.DiCode != 6 || a.Fi != 512 || a.Di != 32 || a.FMaxKHz != 5000:
		t.Errorf("TA1: Fi %d Di %d fmax %d", a.Fi, a.Di, a.FMaxKHz)
	case a.IFSC != 254 || a.BWI != 4 || a.CWI != 5 || a.CRC:
		t.Errorf("T=1: IFSC %d BWI %d CWI %d CRC %v", a.IFSC, a.BWI, a.CWI, a.CRC)
	case len(a.Interface) != 4:
		t.Errorf("%d groups, want 4", len(a.Interface))
	case a.Specific(15).TA == nil || *a.Specific(15).TA != 0x83:
		t.Errorf("T=15 TA = %v, want 83", a.Specific(15).TA)
	case len(a.Historical) != 11 || a.Historical[0] != 0x00 || a.Historical[10] != 0x00:
		t.Errorf("Historical = %X", a.Historical)
	}
	s := a.String()
	for _, want := range []string{
		"ATR: 3B DB 96", "TA1 = 96: Fi = 512, Di = 32, f max = 5 MHz", "TC1 = 00: extra guard time N = 0",
		"TD1 = 80: Y2 = 1000, T=0", "TD2 = B1: Y3 = 1011, T=1", "TA3 = FE: T=1 IFSC = 254",
		"TB3 = 45: T=1 BWI = 4, CWI = 5", "TD3 = 1F: Y4 = 0001, T=15",
		"TA4 = 83: clock stop state H, classes A (5 V) B (3 V)", "Historical bytes (11): 00 31 C0",
		"TCK = 74", "Protocols: T=0, T=1",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
}

func TestBuildATRExamples(t *testing.T) {
	zero := byte(0)
	tests := []struct {
		name string
		spec ATRSpec
		want []byte
	}{
		{"real card", ATRSpec{TB1: &zero, TC1: &zero, Historical: h("0081008843866533010114F199")}, realATR},
		{"dual protocol", ATRSpec{
			TA1: bp(0x96), TC1: &zero, Protocols: []int{0, 1}, IFSC: 254, BWICWI: bp(0x45),
			GlobalTA: bp(0x83), Historical: h("0031C064C7FC1000019000"),
		}, dualATR},
		{"minimal", ATRSpec{}, h("3B00")},
		{"PC/SC contactless pseudo-ATR", ATRSpec{Protocols: []int{0, 1}, Historical: h("0102")},
			h("3B 82 80 01 0102") /* TCK appended below */},
	}
	// The pseudo-ATR's TCK is the exclusive-or of T0 to the last
	// historical byte: 82^80^01^01^02 = 00.
	tests[3].want = append(tests[3].want, 0x82^0x80^0x01^0x01^0x02)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildATR(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("BuildATR = % X, want % X", got, tc.want)
			}
			if _, err := ParseATR(got); err != nil {
				t.Errorf("ParseATR(BuildATR): %v", err)
			}
		})
	}
}

func TestBuildParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		spec ATRSpec
	}{
		{"T=0 with TA1", ATRSpec{TA1: bp(0x13), Historical: []byte("sscard")}},
		{"inverse convention", ATRSpec{TS: TSInverse, TC1: bp(0xFF)}},
		{"T=1 only with parameters", ATRSpec{Protocols: []int{1}, IFSC: 128, BWICWI: bp(0x95), CRC: true}},
		{"T=1 only bare", ATRSpec{Protocols: []int{1}}},
		{"T=0 and T=1 with TA2 and TC2", ATRSpec{Protocols: []int{0, 1}, TA2: bp(0x91), TC2: bp(0x20), IFSC: 32}},
		{"T=0, T=1, T=14", ATRSpec{Protocols: []int{0, 1, 14}, CRC: true, GlobalTA: bp(0x07)}},
		{"T=0 with T=15 byte", ATRSpec{GlobalTA: bp(0x41), Historical: bytes.Repeat([]byte{0x11}, 15)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := BuildATR(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseATR(raw)
			if err != nil {
				t.Fatalf("ParseATR(% X): %v", raw, err)
			}
			checkSpec(t, tc.spec, a)
		})
	}
}

// checkSpec compares a parsed ATR with the spec it was built from.
func checkSpec(t *testing.T, s ATRSpec, a *ATR) {
	t.Helper()
	protos := s.Protocols
	if len(protos) == 0 {
		protos = []int{0}
	}
	ts := s.TS
	if ts == 0 {
		ts = TSDirect
	}
	eq := func(p, q *byte) bool { return (p == nil) == (q == nil) && (p == nil || *p == *q) }
	g1, g2, t1 := a.Group(1), a.Group(2), a.Specific(1)
	var ifsc *byte
	if s.IFSC != 0 {
		ifsc = bp(byte(s.IFSC))
	}
	var crc *byte
	if s.CRC {
		crc = bp(1)
	}
	wantTCK := slices.ContainsFunc(protos, func(p int) bool { return p != 0 }) || s.GlobalTA != nil
	switch {
	case a.TS != ts:
		t.Errorf("TS %02X, want %02X", a.TS, ts)
	case !eq(g1.TA, s.TA1) || !eq(g1.TB, s.TB1) || !eq(g1.TC, s.TC1):
		t.Errorf("group 1 %+v, want TA1 %v TB1 %v TC1 %v", g1, s.TA1, s.TB1, s.TC1)
	case !eq(g2.TA, s.TA2) || !eq(g2.TC, s.TC2) || g2.TB != nil:
		t.Errorf("group 2 %+v", g2)
	case !eq(t1.TA, ifsc) || !eq(t1.TB, s.BWICWI) || !eq(t1.TC, crc):
		t.Errorf("T=1 bytes %+v", t1)
	case !eq(a.Specific(15).TA, s.GlobalTA):
		t.Errorf("T=15 TA %v, want %v", a.Specific(15).TA, s.GlobalTA)
	case !slices.Equal(a.Protocols, protos):
		t.Errorf("Protocols %v, want %v", a.Protocols, protos)
	case !bytes.Equal(a.Historical, s.Historical):
		t.Errorf("Historical %X, want %X", a.Historical, s.Historical)
	case (a.TCK != nil) != wantTCK:
		t.Errorf("TCK present %v, want %v", a.TCK != nil, wantTCK)
	}
}

// withTCK appends the correct TCK to an ATR.
func withTCK(b []byte) []byte {
	return append(b, xorAll(b[1:]))
}

func TestParseATRHostile(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"empty", nil, "0 bytes"},
		{"TS only", h("3B"), "1 bytes"},
		{"bad TS", h("3C 00"), "TS 3C"},
		{"inverse TS coded", h("03 00"), "TS 03"},
		{"too long", append(h("3B 0F"), make([]byte, 32)...), "34 bytes exceed 33"},
		{"interface bytes missing", h("3B F0"), "group 1 truncated"},
		{"TD chain truncated", h("3B 80 80"), "group 2 truncated"},
		{"TD chain truncated later", h("3B 80 81 F1 01 02"), "group 3 truncated"},
		{"historical missing", h("3B 05 01 02"), "5 historical bytes announced, 2 present"},
		{"TCK missing", h("3B 81 01 AA"), "TCK missing"},
		{"TCK wrong", h("3B 80 01 00"), "TCK 00 wrong, want 81"},
		{"TCK wrong by one bit", append(slices.Clone(dualATR[:len(dualATR)-1]), 0x75), "TCK 75 wrong, want 74"},
		{"corrupted historical byte", append(slices.Clone(dualATR[:12]), append([]byte{0x30}, dualATR[13:]...)...), "TCK 74 wrong"},
		{"trailing byte", append(slices.Clone(realATR), 0x00), "1 bytes after the end"},
		{"TCK where none is allowed", h("3B 00 00"), "1 bytes after the end"},
		{"TD1 T=15", h("3B 80 0F 8F"), "TD1 indicates T=15"},
		{"Fi reserved", h("3B 10 71"), "reserved Fi or Di"},
		{"Di reserved", h("3B 10 10"), "reserved Fi or Di"},
		{"Di reserved A", h("3B 10 1A"), "reserved Fi or Di"},
		{"TC2 reserved", h("3B 80 40 00"), "TC2 00"},
		{"IFSC 00", withTCK(h("3B 80 81 11 00")), "IFSC 00"},
		{"IFSC FF", withTCK(h("3B 80 81 11 FF")), "IFSC FF"},
		{"BWI reserved", withTCK(h("3B 80 81 21 A5")), "BWI A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseATR(tc.in)
			if !errors.Is(err, ErrMalformedATR) || a != nil {
				t.Fatalf("ParseATR(% X) = %v, %v; want ErrMalformedATR", tc.in, a, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestBuildATRErrors(t *testing.T) {
	tests := []struct {
		name string
		spec ATRSpec
		msg  string
	}{
		{"bad TS", ATRSpec{TS: 0x3C}, "TS 3C"},
		{"16 historical bytes", ATRSpec{Historical: make([]byte, 16)}, "16 historical bytes"},
		{"protocol 15", ATRSpec{Protocols: []int{0, 15}}, "T=15 outside"},
		{"negative protocol", ATRSpec{Protocols: []int{-1}}, "T=-1 outside"},
		{"protocols out of order", ATRSpec{Protocols: []int{1, 0}}, "not in increasing order"},
		{"protocol repeated", ATRSpec{Protocols: []int{0, 0}}, "not in increasing order"},
		{"IFSC without T=1", ATRSpec{IFSC: 32}, "without T=1"},
		{"CRC without T=1", ATRSpec{Protocols: []int{0, 2}, CRC: true}, "without T=1"},
		{"IFSC 255", ATRSpec{Protocols: []int{1}, IFSC: 255}, "IFSC 255"},
		{"IFSC negative", ATRSpec{Protocols: []int{1}, IFSC: -1}, "IFSC -1"},
		{"BWI reserved", ATRSpec{Protocols: []int{1}, BWICWI: bp(0xA0)}, "BWI A"},
		{"TA1 reserved", ATRSpec{TA1: bp(0x70)}, "TA1 70"},
		{"TC2 reserved", ATRSpec{TC2: bp(0)}, "TC2 00"},
		{"too long", ATRSpec{
			TA1: bp(0x11), TB1: bp(0), TC1: bp(0), TA2: bp(0x01), TC2: bp(10),
			Protocols: []int{0, 1, 2, 3, 4, 5, 6}, IFSC: 254, BWICWI: bp(0x45), CRC: true,
			GlobalTA: bp(1), Historical: make([]byte, 15),
		}, "exceed 33"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildATR(tc.spec)
			if !errors.Is(err, ErrMalformedATR) || got != nil {
				t.Fatalf("BuildATR = % X, %v; want ErrMalformedATR", got, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestATRStringRealCard(t *testing.T) {
	a, err := ParseATR(realATR)
	if err != nil {
		t.Fatal(err)
	}
	want := `ATR: 3B 6D 00 00 00 81 00 88 43 86 65 33 01 01 14 F1 99
+ TS = 3B: direct convention
+ T0 = 6D: Y1 = 0110, K = 13 historical bytes
  TB1 = 00: VPP (deprecated)
  TC1 = 00: extra guard time N = 0
+ Historical bytes (13): 00 81 00 88 43 86 65 33 01 01 14 F1 99
+ Protocols: T=0
+ Fi = 372, Di = 1, f max = 5 MHz`
	if got := a.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	var zero ATR
	if s := zero.String(); !strings.Contains(s, "Protocols") {
		t.Errorf("zero ATR String() = %q", s)
	}
}

func TestATRStringDetails(t *testing.T) {
	built, err := BuildATR(ATRSpec{
		TA1: bp(0xA1), TB1: bp(0), TC1: bp(0xFF), TA2: bp(0x91), TC2: bp(0x20),
		Protocols: []int{0, 1, 2}, IFSC: 32, BWICWI: bp(0x4D), CRC: true, GlobalTA: bp(0x01),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"every global byte", built, []string{
			"TA1 = A1: Fi = 768, Di = 1, f max = 7.5 MHz", "TB1 = 00: VPP (deprecated)",
			"TC1 = FF: extra guard time N = 255 (minimum guard time)",
			"TA2 = 91: specific mode T=1, change impossible, parameters implicit",
			"TC2 = 20: T=0 waiting time integer WI = 32", "T=1 BWI = 4, CWI = 13",
			"T=1 error detection code CRC", "TD3 = 82: Y4 = 1000, T=2",
			"TA5 = 01: clock stop not supported, classes A (5 V)", "Protocols: T=0, T=1, T=2",
		}},
		{"second T=1 group and T=15 TB", withTCK(h("3B 80 81 B1 FE 45 91 20 3F C7 00")), []string{
			"TA3 = FE: T=1 IFSC = 254", "TA4 = 20: specific to T=1",
			"TA5 = C7: clock stop no preference, classes A (5 V) B (3 V) C (1.8 V)", "TB5 = 00: global",
		}},
		{"TB2 and changeable mode", h("3B 80 30 00 01"), []string{
			"TA2 = 00: specific mode T=0, change possible, parameters from TA1", "TB2 = 01: VPP (deprecated)",
		}},
		{"T=1 LRC and other protocol bytes", withTCK(h("3B 80 81 C1 00 1E 00")), []string{
			"TC3 = 00: T=1 error detection code LRC", "TA4 = 00: specific to T=14",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseATR(tc.in)
			if err != nil {
				t.Fatalf("ParseATR(% X): %v", tc.in, err)
			}
			s := a.String()
			for _, want := range tc.want {
				if !strings.Contains(s, want) {
					t.Errorf("String() lacks %q:\n%s", want, s)
				}
			}
		})
	}
	handMade := &ATR{Interface: []InterfaceBytes{{TA: bp(0x70)}}, TS: TSInverse}
	if s := handMade.String(); !strings.Contains(s, "TA1 = 70: Fi/Di reserved") || !strings.Contains(s, "inverse convention") {
		t.Errorf("hand-made ATR String() = %s", s)
	}
}
