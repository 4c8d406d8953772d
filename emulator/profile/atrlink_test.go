package profile

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/iso7816"
)

func TestATRLinkFields(t *testing.T) {
	for _, tc := range []struct {
		name, atr, field string
	}{
		{"T=1 with every parameter", `{"protocols":[0,1],"ta1":"96","t1":{"ifsc":254,"bwi":0,"cwi":15,"crc":true}}`, ""},
		{"T=1 defaults", `{"protocols":[1],"t1":{}}`, ""},
		{"TA1 alone", `{"ta1":"13"}`, ""},
		{"TA1 not hex", `{"ta1":"9G"}`, "atr.ta1"},
		{"TA1 two bytes", `{"ta1":"9696"}`, "atr.ta1"},
		{"TA1 reserved Fi", `{"ta1":"71"}`, "atr.ta1"},
		{"TA1 reserved Di", `{"ta1":"9F"}`, "atr.ta1"},
		{"t1 without T=1", `{"protocols":[0],"t1":{"ifsc":20}}`, "atr.t1"},
		{"IFSC 255", `{"protocols":[1],"t1":{"ifsc":255}}`, "atr.t1.ifsc"},
		{"IFSC negative", `{"protocols":[1],"t1":{"ifsc":-1}}`, "atr.t1.ifsc"},
		{"BWI 10", `{"protocols":[1],"t1":{"bwi":10}}`, "atr.t1.bwi"},
		{"CWI 16", `{"protocols":[1],"t1":{"cwi":16}}`, "atr.t1.cwi"},
		{"error replies 16", `{"protocols":[1],"t1":{"errorReplies":16}}`, "atr.t1.errorReplies"},
		{"error replies negative", `{"protocols":[1],"t1":{"errorReplies":-1}}`, "atr.t1.errorReplies"},
		{"error replies 1", `{"protocols":[1],"t1":{"errorReplies":1}}`, ""},
		{"hex and ta1", `{"hex":"3B00","historical":"","protocols":[],"tb1":"","tc1":"","ta1":"96"}`, "atr"},
		{"hex and t1", `{"hex":"3B00","historical":"","protocols":[],"tb1":"","tc1":"","t1":{}}`, "atr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(`{"schema":1,"name":"x","extends":"activated","atr":`+tc.atr+`}`), "")
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want an error naming %s", err, tc.field)
			}
			_ = p
		})
	}
}

func TestT1ErrorReplies(t *testing.T) {
	for _, c := range []struct {
		atr  string
		want int
	}{{`{"protocols":[1],"t1":{"errorReplies":5}}`, 5}, {`{"protocols":[1],"t1":{}}`, DefaultT1ErrorReplies}, {`{"protocols":[0]}`, DefaultT1ErrorReplies}} {
		p, err := Parse([]byte(`{"schema":1,"name":"x","extends":"activated","atr":`+c.atr+`}`), "")
		if err != nil {
			t.Fatal(err)
		}
		if got := p.T1ErrorReplies(); got != c.want {
			t.Errorf("%s: %d error replies, want %d", c.atr, got, c.want)
		}
	}
	if got := (*Profile)(nil).T1ErrorReplies(); got != DefaultT1ErrorReplies {
		t.Errorf("no profile: %d", got)
	}
}

func TestATRLinkSpec(t *testing.T) {
	p, err := Parse([]byte(`{"schema":1,"name":"x","extends":"activated","atr":{"protocols":[0,1],"ta1":"96","t1":{"ifsc":254,"bwi":2,"crc":true}}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	var s iso7816.ATRSpec
	p.ATR.LinkSpec(&s)
	s.Protocols = p.ATR.Protocols
	raw, err := iso7816.BuildATR(s)
	if err != nil {
		t.Fatal(err)
	}
	a, err := iso7816.ParseATR(raw)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fi != 512 || a.Di != 32 || a.IFSC != 254 || a.BWI != 2 || a.CWI != iso7816.DefaultCWI || !a.CRC {
		t.Errorf("ATR %X: Fi %d Di %d IFSC %d BWI %d CWI %d CRC %v", raw, a.Fi, a.Di, a.IFSC, a.BWI, a.CWI, a.CRC)
	}
}
