package activation

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

func TestParseTraceLine(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 123000, time.FixedZone("CST", 8*3600))
	for _, e := range []trace.Event{
		{Time: t0, Slot: 0, Dir: trace.ToCard, Kind: trace.APDU, Data: []byte{0x00, 0xA4, 0x04, 0x00}},
		{Time: t0, Slot: 1, Dir: trace.FromCard, Kind: trace.Response, Data: []byte{0x90, 0x00}},
		{Time: t0, Slot: 0, Dir: trace.Note, Kind: trace.Insert, Data: []byte{0x3B, 0x6D}, Text: "persona default"},
		{Time: t0, Slot: 1, Dir: trace.Note, Kind: trace.Connect, Text: "127.0.0.1:35964"},
		{Time: t0, Slot: 0, Dir: trace.Note, Kind: trace.Error, Text: "power   lost during NVM write"},
		{Time: t0, Slot: 0, Dir: trace.ToCard, Kind: trace.PowerOn},
		{Time: t0, Slot: 0, Dir: trace.Note, Kind: trace.Remove},
	} {
		got, err := ParseTraceLine(e.String())
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if got.String() != e.String() || !got.Time.Equal(e.Time) {
			t.Errorf("%q read back as %q", e.String(), got.String())
		}
	}
}

func TestParseTraceHostile(t *testing.T) {
	for _, in := range []string{
		"yesterday slot 0 > apdu 00",
		"2025-03-01T10:00:00Z slot x > apdu 00",
		"2025-03-01T10:00:00Z slot -1 > apdu 00",
		"2025-03-01T10:00:00Z slot 999 > apdu 00",
		"2025-03-01T10:00:00Z lot 0 > apdu 00",
		"2025-03-01T10:00:00Z slot 0 ? apdu 00",
		"2025-03-01T10:00:00Z slot 0 > poke 00",
		"2025-03-01T10:00:00Z slot 0 > apdu 00 A4 hello",
		"2025-03-01T10:00:00Z slot 0 >",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\"x\",\"kind\":\"apdu\"}]",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\",\"data\":\"zz\"}]",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\"}] []",
		"[{\"time\":\"2025-03-01T10:00:00Z\"",
		"2025-03-01T10:00:00Z slot 0 > apdu " + strings.Repeat("00 ", maxTraceLine/3+10),
	} {
		if _, err := ParseTrace(strings.NewReader(in)); err == nil {
			t.Errorf("%.60q: parsed", in)
		}
	}
}

func TestParseTraceJSONAndBlank(t *testing.T) {
	ev, err := ParseTrace(strings.NewReader("\n  [\n{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\",\"data\":\"00A4\"}\n]\n"))
	if err != nil || len(ev) != 1 || !bytes.Equal(ev[0].Data, []byte{0, 0xA4}) {
		t.Fatalf("%v %v", ev, err)
	}
	ev, err = ParseTrace(strings.NewReader("\n# comment\n\n"))
	if err != nil || len(ev) != 0 {
		t.Fatalf("%v %v", ev, err)
	}
}

// FuzzParseTrace: any input parses or fails cleanly; what parses writes
// back as text that parses to the same events.
func FuzzParseTrace(f *testing.F) {
	f.Add([]byte("2025-03-01T10:00:00.000123+08:00 slot 0 > apdu 00 A4 04 00 0F\n2025-03-01T10:00:00.000456+08:00 slot 0 < resp 61 2E\n"))
	f.Add([]byte("2025-03-01T10:00:00Z slot 1 * connect 127.0.0.1:35964\n"))
	f.Add([]byte(`[{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"apdu","data":"00A4"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseTrace(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteTrace(&out, ev); err != nil {
			t.Fatal(err)
		}
		back, err := ParseTrace(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("written trace does not parse: %v\n%s", err, out.Bytes())
		}
		if len(back) != len(ev) {
			t.Fatalf("%d events, %d read back", len(ev), len(back))
		}
		for i := range ev {
			if !bytes.Equal(back[i].Data, ev[i].Data) || back[i].Kind != ev[i].Kind || back[i].Slot != ev[i].Slot {
				t.Fatalf("event %d: %v read back as %v", i, ev[i], back[i])
			}
		}
		// The check of any trace never fails.
		if _, err := Check(CheckInput{Flow: "hospital", Trace: ev}); err != nil {
			t.Fatal(err)
		}
	})
}
