package trace

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseLineRoundTrip(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 123000, time.FixedZone("CST", 8*3600))
	for _, e := range []Event{
		{Time: t0, Slot: 0, Dir: ToCard, Kind: APDU, Data: []byte{0x00, 0xA4, 0x04, 0x00}},
		{Time: t0, Slot: 1, Dir: FromCard, Kind: Response, Data: []byte{0x90, 0x00}},
		{Time: t0, Slot: 0, Dir: Note, Kind: Insert, Data: []byte{0x3B, 0x6D}, Text: "card default 0116"},
		{Time: t0, Slot: 0, Dir: Note, Kind: Insert, Data: []byte{0x3B, 0x6D}, Text: "AB the text starts like a byte"},
		{Time: t0, Slot: 0, Dir: Note, Kind: Error, Text: "6A 82 read as text"},
		{Time: t0, Slot: 0, Dir: Note, Kind: Error, Text: "| a text that starts with the mark"},
		{Time: t0, Slot: 0, Dir: Note, Kind: Error, Text: "ab"},
		{Time: t0, Slot: 1, Dir: Note, Kind: Connect, Text: "127.0.0.1:35964"},
		{Time: t0, Slot: 0, Dir: Note, Kind: Error, Text: "power   lost during NVM write"},
		{Time: t0, Slot: 0, Dir: ToCard, Kind: PowerOn},
		{Time: t0, Slot: 0, Dir: Note, Kind: Remove},
		{Time: t0, Slot: 255, Dir: FromCard, Kind: ATR, Data: []byte{0x3B}},
	} {
		line := e.String()
		got, err := ParseLine(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if got.Text != e.Text || !bytes.Equal(got.Data, e.Data) || got.Kind != e.Kind || got.Dir != e.Dir || got.Slot != e.Slot || !got.Time.Equal(e.Time) {
			t.Errorf("%q read back as %+v", line, got)
		}
	}
	// A text with line breaks is written on one line.
	e := Event{Time: t0, Dir: Note, Kind: Error, Text: "a\nb\r\nc"}
	if got, err := ParseLine(e.String()); err != nil || strings.ContainsAny(e.String(), "\r\n") || got.Text != "a b  c" {
		t.Errorf("%q read back as %q, %v", e.String(), got.Text, err)
	}
}

// Lines written before the text mark existed read as they did.
func TestParseLineOldForm(t *testing.T) {
	got, err := ParseLine("2025-03-01T10:00:00Z slot 0 * insert 3B 6D persona default")
	if err != nil || !bytes.Equal(got.Data, []byte{0x3B, 0x6D}) || got.Text != "persona default" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestReadHostile(t *testing.T) {
	for _, in := range []string{
		"yesterday slot 0 > apdu 00",
		"2025-03-01T10:00:00Z slot x > apdu 00",
		"2025-03-01T10:00:00Z slot -1 > apdu 00",
		"2025-03-01T10:00:00Z slot 999 > apdu 00",
		"2025-03-01T10:00:00Z lot 0 > apdu 00",
		"2025-03-01T10:00:00Z slot 0 ? apdu 00",
		"2025-03-01T10:00:00Z slot 0 > poke 00",
		"2025-03-01T10:00:00Z slot 0 > apdu 00 A4 hello",
		"2025-03-01T10:00:00Z slot 0 > apdu 00 | text",
		"2025-03-01T10:00:00Z slot 0 >",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\"x\",\"kind\":\"apdu\"}]",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\",\"data\":\"zz\"}]",
		"[{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\"}] []",
		"[{\"time\":\"2025-03-01T10:00:00Z\"",
		"2025-03-01T10:00:00Z slot 0 > apdu " + strings.Repeat("00 ", MaxLine/3+10),
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%.60q: parsed", in)
		}
	}
}

func TestReadJSONTextAndBlank(t *testing.T) {
	ev, err := Read(strings.NewReader("\n  [\n{\"time\":\"2025-03-01T10:00:00Z\",\"slot\":0,\"dir\":\">\",\"kind\":\"apdu\",\"data\":\"00A4\"}\n]\n"))
	if err != nil || len(ev) != 1 || !bytes.Equal(ev[0].Data, []byte{0, 0xA4}) {
		t.Fatalf("%v %v", ev, err)
	}
	ev, err = Read(strings.NewReader("\n# comment\n\n"))
	if err != nil || len(ev) != 0 {
		t.Fatalf("%v %v", ev, err)
	}
	// What WriteText and WriteJSON write, Read reads.
	in := []Event{
		{Time: time.Unix(1, 0).UTC(), Dir: Note, Kind: Insert, Data: []byte{0x3B}, Text: "card gen2"},
		{Time: time.Unix(2, 0).UTC(), Dir: ToCard, Kind: APDU, Data: []byte{0, 0xB2, 1, 0x2C, 0}},
	}
	for _, write := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return WriteText(b, in) },
		func(b *bytes.Buffer) error { return WriteJSON(b, in) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&b)
		if err != nil || len(back) != 2 || back[0].Text != "card gen2" || !bytes.Equal(back[1].Data, in[1].Data) {
			t.Errorf("read back %+v, %v", back, err)
		}
	}
}

// FuzzRead: any input reads or fails cleanly; what reads writes back as
// text that reads as the same events.
func FuzzRead(f *testing.F) {
	f.Add([]byte("2025-03-01T10:00:00.000123+08:00 slot 0 > apdu 00 A4 04 00 0F\n2025-03-01T10:00:00.000456+08:00 slot 0 < resp 61 2E\n"))
	f.Add([]byte("2025-03-01T10:00:00Z slot 1 * connect 127.0.0.1:35964\n"))
	f.Add([]byte("2025-03-01T10:00:00Z slot 0 * insert 3B 6D | card default\n"))
	f.Add([]byte(`[{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"apdu","data":"00A4"}]`))
	f.Add([]byte(`[{"time":"2025-03-01T10:00:00Z","slot":0,"dir":"*","kind":"error","text":"AB |"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteText(&out, ev); err != nil {
			t.Fatal(err)
		}
		back, err := Read(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("written trace does not read: %v\n%s", err, out.Bytes())
		}
		if len(back) != len(ev) {
			t.Fatalf("%d events, %d read back", len(ev), len(back))
		}
		for i := range ev {
			want := strings.TrimSpace(strings.NewReplacer("\n", " ", "\r", " ").Replace(ev[i].Text))
			if !bytes.Equal(back[i].Data, ev[i].Data) || back[i].Kind != ev[i].Kind || back[i].Slot != ev[i].Slot || back[i].Text != want {
				t.Fatalf("event %d: %+v read back as %+v", i, ev[i], back[i])
			}
		}
	})
}
