package ssse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

func load(t *testing.T, nameOrPath string) *profile.Profile {
	t.Helper()
	p, err := profile.Load(nameOrPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// hexRecords renders records as upper-case hex, for readable diffs.
func hexRecords(m map[string][][]byte) map[string][]string {
	out := map[string][]string{}
	for f, recs := range m {
		for _, r := range recs {
			out[f] = append(out[f], fmt.Sprintf("%X", r))
		}
	}
	return out
}

func h(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }

// TestRecords checks the record layouts of EF05, EF06 and EF0D per
// generation (CARD.md §2): 1.00 has no name extension and sex at record 3;
// 2.00 and 3.00 have 4E at record 3 and sex at record 4; 3.00 has EF0D.
func TestRecords(t *testing.T) {
	t.Parallel()
	name3 := "091E D5C5C8FD" + strings.Repeat("00", 26)
	ext := "4E14" + strings.Repeat("FF", 20)
	ssn := "0812 313130313035313934393132333130303258"
	tests := []struct {
		persona string
		want    map[string][]string
	}{
		{"activated", map[string][]string{
			"EF05": {h("0110 110100D156000005 01160185D3A5C7E9"), "020133", h("0304 332E3030"), h("040C 110000000000000000000001"),
				h("0504 20240315"), h("0604 20340315"), h("0709 423132333435363738")},
			"EF06": {h(ssn), h(name3), h(ext), "0A0131", "0B0101", "0C03110105", "0D0419491231"},
			"EF0D": {h("EA0C 313130313030303030303031"), "EB03110105"},
		}},
		{"gen2", map[string][]string{
			"EF05": {h("0110 110100D156000005 013202AD9A3C5E71"), "020132", h("0304 322E3030"), h("040C 110000000000000000000001"),
				h("0504 20150601"), h("0604 20250601"), h("0709 423132333435363738")},
			"EF06": {h(ssn), h(name3), h(ext), "0A0131", "0B0101", "0C03110105", "0D0419491231"},
		}},
		{"trace-1.00", map[string][]string{
			"EF05": {h("0110 330100D156000005 0114F199D286DF7E"), "020131", h("0304 312E3030"), h("040C 110000000000000000000001"),
				h("0504 20110101"), h("0604 20310101"), h("0709 413135393231363232")},
			"EF06": {h("0812 333330313036313938303031303130303138"), h("091E CDF5CEE5" + strings.Repeat("00", 26)),
				"0A0131", "0B0101", "0C03330106", "0D0419800101"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			recs, err := ssse.Records(load(t, tc.persona))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, hexRecords(recs)); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
		})
	}
}

// TestRecordsPadding checks the padding rules: name 00-padded (20 when the
// profile says so), name extension FF-padded, birthplace F-padded BCD.
func TestRecordsPadding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, profile string
		ef06          []string
	}{
		{"00 pad", write("a.json", `{"schema": 1, "name": "a", "extends": "activated",
			"ssse": {"identity": {"name": "李", "nameExt": "伟", "birthplace": "3301"}}}`),
			[]string{"091E" + "C0EE" + strings.Repeat("00", 28), "4E14" + "CEB0" + strings.Repeat("FF", 18), "0C033301FF"}},
		{"20 pad", write("b.json", `{"schema": 1, "name": "b", "extends": "gen2",
			"ssse": {"identity": {"name": "李伟", "namePad": "20", "birthplace": "1"}}}`),
			[]string{"091E" + "C0EECEB0" + strings.Repeat("20", 26), "4E14" + strings.Repeat("FF", 20), "0C031FFFFF"}},
		{"full fields", write("c.json", `{"schema": 1, "name": "c", "extends": "gen2",
			"ssse": {"identity": {"name": "`+strings.Repeat("张", 15)+`", "nameExt": "`+strings.Repeat("三", 10)+`"}}}`),
			[]string{"091E" + strings.Repeat("D5C5", 15), "4E14" + strings.Repeat("C8FD", 10), "0C03110105"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			recs, err := ssse.Records(load(t, tc.profile))
			if err != nil {
				t.Fatal(err)
			}
			got := hexRecords(recs)["EF06"]
			want := []string{got[0], tc.ef06[0], tc.ef06[1], got[3], got[4], tc.ef06[2], got[6]}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("EF06 (-want +got):\n%s", d)
			}
		})
	}
}

// TestRecordsErrors checks that a name that does not fit is an error, not a
// truncated record.
func TestRecordsErrors(t *testing.T) {
	t.Parallel()
	base := load(t, "gen2")
	for _, tc := range []struct {
		name          string
		nameV, extV   string
		wantSubstring string
	}{
		{"name too long", strings.Repeat("张", 16), "", "ssse.identity.name"},
		{"name not GBK", "\U0001F600", "", "ssse.identity.name"},
		{"extension too long", "张三", strings.Repeat("三", 11), "ssse.identity.nameExt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := *base.SSSE
			s.Identity.Name = tc.nameV
			s.Identity.NameExt = tc.extV
			p := &profile.Profile{Generation: "2.00", SSSE: &s}
			_, err := ssse.Records(p)
			if err == nil || !strings.Contains(err.Error(), tc.wantSubstring) {
				t.Errorf("Records: %v, want an error about %s", err, tc.wantSubstring)
			}
		})
	}
}

// TestCardIdentifier checks the 16-byte card identifier: BCD region,
// D156000005, the 8-byte unique part.
func TestCardIdentifier(t *testing.T) {
	t.Parallel()
	for persona, want := range map[string]string{
		"activated":  "110100D15600000501160185D3A5C7E9",
		"gen2":       "110100D156000005013202AD9A3C5E71",
		"trace-1.00": "330100D1560000050114F199D286DF7E",
	} {
		if got := fmt.Sprintf("%X", ssse.CardIdentifier(&load(t, persona).SSSE.Identity)); got != want {
			t.Errorf("%s: card identifier %s, want %s", persona, got, want)
		}
	}
}

// TestFactors checks the diversification factors: "card" is the unique part
// of the card identifier; others are 8 bytes of hex.
func TestFactors(t *testing.T) {
	t.Parallel()
	id := load(t, "activated").SSSE.Identity
	for _, tc := range []struct {
		div     []string
		want    []string
		wantErr bool
	}{
		{[]string{"card"}, []string{"01160185D3A5C7E9"}, false},
		{[]string{"1101007378000000", "card"}, []string{"1101007378000000", "01160185D3A5C7E9"}, false},
		{[]string{"card", "card"}, []string{"01160185D3A5C7E9", "01160185D3A5C7E9"}, false},
		{nil, nil, false},
		{[]string{"11010073780000"}, nil, true},
		{[]string{"110100737800000000"}, nil, true},
		{[]string{"not hex!"}, nil, true},
		{[]string{"Card"}, nil, true},
	} {
		s := &profile.SSSE{Identity: id, Diversification: tc.div}
		got, err := ssse.Factors(s)
		if (err != nil) != tc.wantErr {
			t.Errorf("Factors(%q): error %v, want error %v", tc.div, err, tc.wantErr)
			continue
		}
		var gotHex []string
		for _, f := range got {
			gotHex = append(gotHex, fmt.Sprintf("%X", f))
		}
		if d := cmp.Diff(tc.want, gotHex); d != "" {
			t.Errorf("Factors(%q) (-want +got):\n%s", tc.div, d)
		}
	}
	// The personas use the default: the card serial.
	f, err := ssse.Factors(load(t, "trace-1.00").SSSE)
	if err != nil || len(f) != 1 || fmt.Sprintf("%X", f[0]) != "0114F199D286DF7E" {
		t.Errorf("trace-1.00 factors %X, %v", f, err)
	}
}

// TestDefaultAccess checks the access rules of the SSSE files per
// generation (CARD.md §2).
func TestDefaultAccess(t *testing.T) {
	t.Parallel()
	gen2 := map[string]profile.Access{
		"EF05":  {Read: "free", Update: "key:04"},
		"EF06":  {Read: "free", Update: "key:0D"},
		"EF07":  {Read: "pin", Update: "key:0D"},
		"EF08":  {Read: "pin", Update: "key:0D"},
		"admin": {Read: "key:0B"},
	}
	gen3 := map[string]profile.Access{
		"EF05":  {Read: "free", Update: "key:04"},
		"EF06":  {Read: "key:0A", Update: "key:0D"},
		"EF07":  {Read: "key:0A", Update: "key:0D"},
		"EF08":  {Read: "key:0A", Update: "key:0D"},
		"EF0D":  {Read: "key:0A", Update: "key:0D"},
		"admin": {Read: "key:0B"},
	}
	for gen, want := range map[string]map[string]profile.Access{"1.00": gen2, "2.00": gen2, "3.00": gen3} {
		if d := cmp.Diff(want, ssse.DefaultAccess(gen)); d != "" {
			t.Errorf("DefaultAccess(%s) (-want +got):\n%s", gen, d)
		}
	}
}

// TestAccessOverride checks that a profile's access rules replace the
// defaults on the card.
func TestAccessOverride(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.json")
	body := `{"schema": 1, "name": "override", "extends": "activated",
		"ssse": {"access": {"EF06": {"read": "pin"}, "EF05": {"update": "never"}}}}`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s, c := cardtest.Session(t, path)
	cardtest.Expect(t, c, "00B2013400", "6982")
	cardtest.Expect(t, c, "0020000003123456", "9000")
	cardtest.Expect(t, c, "00B2083000", "0812313130313035313934393132333130303258 9000")
	if err := s.ExternalAuthenticate(0x04); err != nil {
		t.Fatal(err)
	}
	cardtest.Expect(t, c, "00DC022803 020139", "6982")
	// EF06 keeps its default update rule.
	if err := s.ExternalAuthenticate(0x0D); err != nil {
		t.Fatal(err)
	}
	cardtest.Expect(t, c, "00DC0A3003 0A0132", "9000")
}
