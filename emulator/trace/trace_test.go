package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.FixedZone("CST", 8*3600))

func TestEventText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Time: t0, Slot: 0, Dir: ToCard, Kind: APDU, Data: []byte{0x00, 0xB2, 0x03, 0x28, 0x06}},
			"2025-03-01T10:00:00.123456+08:00 slot 0 > apdu 00 B2 03 28 06"},
		{Event{Time: t0, Slot: 0, Dir: FromCard, Kind: Response, Data: []byte{0x90, 0x00}},
			"2025-03-01T10:00:00.123456+08:00 slot 0 < resp 90 00"},
		{Event{Time: t0.UTC(), Slot: 1, Dir: ToCard, Kind: PowerOn},
			"2025-03-01T02:00:00.123456Z slot 1 > power-on"},
		{Event{Time: t0, Slot: 1, Dir: Note, Kind: Connect, Text: "127.0.0.1:35964"},
			"2025-03-01T10:00:00.123456+08:00 slot 1 * connect 127.0.0.1:35964"},
		{Event{Time: t0, Dir: Note, Kind: Disconnect, Text: "two\nlines"},
			"2025-03-01T10:00:00.123456+08:00 slot 0 * disconnect two lines"},
		{Event{Time: t0, Dir: Note, Kind: Kind(99)},
			"2025-03-01T10:00:00.123456+08:00 slot 0 * kind(99)"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

func TestEventJSON(t *testing.T) {
	t.Parallel()
	events := []Event{
		{Time: t0, Slot: 0, Dir: ToCard, Kind: APDU, Data: []byte{0x00, 0xA4, 0x04, 0x00}},
		{Time: t0, Slot: 1, Dir: FromCard, Kind: ATR, Data: []byte{0x3B, 0x6C}},
		{Time: t0, Slot: 0, Dir: Note, Kind: Error, Text: "power lost"},
	}
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !back.Time.Equal(e.Time) || back.Slot != e.Slot || back.Dir != e.Dir || back.Kind != e.Kind || !bytes.Equal(back.Data, e.Data) || back.Text != e.Text {
			t.Errorf("round trip of %s gave %+v", b, back)
		}
	}
	b, _ := json.Marshal(events[0])
	if want := `{"time":"2025-03-01T10:00:00.123456+08:00","slot":0,"dir":"\u003e","kind":"apdu","data":"00A40400"}`; string(b) != want {
		t.Errorf("JSON\n got  %s\n want %s", b, want)
	}
}

func TestEventJSONHostile(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`[]`,
		`{"time":"x","slot":0,"dir":">","kind":"apdu"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":"","kind":"apdu"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":"?","kind":"apdu"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">>","kind":"apdu"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"frob"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"apdu","data":"0G"}`,
		`{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"apdu","data":"000"}`,
	} {
		var e Event
		if err := json.Unmarshal([]byte(in), &e); err == nil {
			t.Errorf("%s: decoded as %+v, want an error", in, e)
		}
	}
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	for k := APDU; k <= Error; k++ {
		back, err := ParseKind(k.String())
		if err != nil || back != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), back, err)
		}
	}
	if _, err := ParseKind(""); err == nil {
		t.Error(`ParseKind("") succeeded`)
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	l := NewLog(3)
	data := []byte{1}
	for i := range 5 {
		data[0] = byte(i)
		l.Add(Event{Time: t0, Slot: i, Dir: ToCard, Kind: APDU, Data: data})
	}
	got := l.Events()
	if len(got) != 3 || l.Len() != 3 || l.Dropped() != 2 {
		t.Fatalf("%d events, %d dropped", len(got), l.Dropped())
	}
	for i, e := range got {
		if e.Slot != i+2 || e.Data[0] != byte(i+2) {
			t.Errorf("event %d: %v (the log must copy the bytes)", i, e)
		}
	}
	l.Clear()
	if l.Len() != 0 || len(l.Events()) != 0 || l.Dropped() != 0 {
		t.Error("the log is not empty after Clear")
	}
	l.Add(Event{Time: t0, Kind: Insert, Dir: Note})
	if got := l.Events(); len(got) != 1 || got[0].Kind != Insert {
		t.Errorf("after Clear and Add: %v", got)
	}
	if NewLog(0).max != DefaultLogSize {
		t.Error("NewLog(0) does not keep DefaultLogSize events")
	}
}

func TestWriteTextJSON(t *testing.T) {
	t.Parallel()
	events := []Event{
		{Time: t0, Dir: ToCard, Kind: APDU, Data: []byte{0x00, 0x84, 0x00, 0x00, 0x08}},
		{Time: t0, Dir: FromCard, Kind: Response, Data: []byte{0x6D, 0x00}},
	}
	var text bytes.Buffer
	if err := WriteText(&text, events); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[1], "< resp 6D 00") {
		t.Errorf("text:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, events); err != nil {
		t.Fatal(err)
	}
	var back []Event
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back) != 2 || back[1].Kind != Response {
		t.Errorf("JSON %s: %v, %v", js.String(), back, err)
	}
	js.Reset()
	if err := WriteJSON(&js, nil); err != nil || js.String() != "[]\n" {
		t.Errorf("JSON of no events: %q, %v", js.String(), err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestTextWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	tw := NewTextWriter(&buf)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				tw.Add(Event{Time: t0, Slot: i, Dir: ToCard, Kind: APDU, Data: []byte{byte(j)}})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 || tw.Err() != nil {
		t.Fatalf("%d lines, error %v", len(lines), tw.Err())
	}
	for _, l := range lines {
		if !strings.Contains(l, " > apdu ") {
			t.Fatalf("mangled line %q", l)
		}
	}

	fw := &failWriter{}
	tw = NewTextWriter(fw)
	tw.Add(Event{Time: t0, Kind: APDU, Dir: ToCard})
	tw.Add(Event{Time: t0, Kind: APDU, Dir: ToCard})
	if tw.Err() == nil || fw.n != 1 {
		t.Errorf("error %v after %d writes, want the first error and no more writes", tw.Err(), fw.n)
	}
}

func TestTee(t *testing.T) {
	t.Parallel()
	if Tee() != nil || Tee(nil, nil) != nil {
		t.Error("Tee of no hooks is not nil")
	}
	var a, b []string
	h := Tee(func(e Event) { a = append(a, e.Kind.String()) }, nil, func(e Event) { b = append(b, fmt.Sprint(e.Slot)) })
	h(Event{Kind: Reset, Slot: 1})
	if len(a) != 1 || a[0] != "reset" || len(b) != 1 || b[0] != "1" {
		t.Errorf("a %v, b %v", a, b)
	}
	one := func(Event) {}
	if Tee(nil, one) == nil {
		t.Error("Tee of one hook is nil")
	}
}
