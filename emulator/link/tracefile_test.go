package link

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sampleTrace() *Trace {
	t := &Trace{}
	t.Add(Event(Contact, ToCard, 0, 0, "cold reset"))
	t.Add(Frame{Interface: Contact, Dir: FromCard, Data: []byte{0x3B, 0x00}, Start: 2800 * time.Microsecond, Duration: 2500 * time.Microsecond, Note: "ATR"})
	t.Add(Frame{Interface: Contactless, Dir: ToCard, Data: []byte{0x26}, Bits: 7, Start: time.Second, Duration: 80 * time.Microsecond, Note: "REQA"})
	t.Add(Frame{Interface: Contact, Dir: FromCard, Data: []byte{0, 0, 2, 0x90, 0, 0x92}, Start: 2 * time.Second, Duration: time.Millisecond, Note: "I(0)", Fault: "contact:edc:nth=1"})
	t.Add(Event(Contact, FromCard, 3*time.Second, 1601145833, "no answer: the reader waited 1.6s"))
	return t
}

func TestTraceJSONRoundTrip(t *testing.T) {
	want := sampleTrace()
	var buf bytes.Buffer
	if err := want.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTrace(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	var again bytes.Buffer
	got.WriteJSON(&again)
	if !bytes.Equal(again.Bytes(), buf.Bytes()) && again.Len() == 0 {
		t.Error("second encoding empty")
	}
}

func TestTraceEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := (&Trace{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTrace(buf.Bytes())
	if err != nil || len(got.Frames) != 0 {
		t.Fatalf("%v %v", got, err)
	}
}

func TestTraceSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.json")
	want := sampleTrace()
	if err := want.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTrace(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if _, err := LoadTrace(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "loading trace") {
		t.Errorf("missing file: %v", err)
	}
	if err := want.Save(filepath.Join(dir, "no", "such", "dir.json")); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
}

func TestReadTraceHostile(t *testing.T) {
	head := `{"format":"sscard-link-trace","version":1,"frames":[`
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"not json", "hello"},
		{"array", "[]"},
		{"wrong format", `{"format":"pcap","version":1,"frames":[]}`},
		{"wrong version", `{"format":"sscard-link-trace","version":2,"frames":[]}`},
		{"unknown member", `{"format":"sscard-link-trace","version":1,"frames":[],"x":1}`},
		{"trailing data", `{"format":"sscard-link-trace","version":1,"frames":[]} {}`},
		{"bad interface", head + `{"interface":"usb","dir":"to-card","startNs":0,"durationNs":0}]}`},
		{"bad dir", head + `{"interface":"contact","dir":"up","startNs":0,"durationNs":0}]}`},
		{"bad hex", head + `{"interface":"contact","dir":"to-card","data":"0G","startNs":0,"durationNs":0}]}`},
		{"odd hex", head + `{"interface":"contact","dir":"to-card","data":"123","startNs":0,"durationNs":0}]}`},
		{"negative start", head + `{"interface":"contact","dir":"to-card","startNs":-1,"durationNs":0}]}`},
		{"negative duration", head + `{"interface":"contact","dir":"to-card","startNs":0,"durationNs":-5}]}`},
		{"bits", head + `{"interface":"contact","dir":"to-card","bits":9,"startNs":0,"durationNs":0}]}`},
		{"frame not object", head + `1]}`},
		{"truncated", head + `{"interface":"contact"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTrace(strings.NewReader(tc.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrTraceFile) {
				t.Errorf("error %v does not wrap ErrTraceFile", err)
			}
		})
	}
}

func TestReadTraceTooBig(t *testing.T) {
	defer func(n int) { maxTraceRead = n }(maxTraceRead)
	maxTraceRead = 1000
	r := &zeros{n: maxTraceRead + 10}
	if _, err := ReadTrace(r); !errors.Is(err, ErrTraceFile) {
		t.Errorf("oversized trace: %v", err)
	}
}

type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, nil
	}
	n := min(len(p), z.n)
	clear(p[:n])
	z.n -= n
	return n, nil
}

func TestEvent(t *testing.T) {
	e := Event(Contact, ToCard, time.Second, time.Millisecond, "cold reset")
	if !e.IsEvent() || e.End() != time.Second+time.Millisecond {
		t.Errorf("%+v", e)
	}
	if (Frame{Data: []byte{1}}).IsEvent() || (Frame{Bits: 7}).IsEvent() {
		t.Error("a frame with bytes or bits is no event")
	}
}

func FuzzDecodeTrace(f *testing.F) {
	var buf bytes.Buffer
	sampleTrace().WriteJSON(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"sscard-link-trace","version":1,"frames":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := DecodeTrace(in)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := tr.WriteJSON(&out); err != nil {
			t.Fatal(err)
		}
		again, err := DecodeTrace(out.Bytes())
		if err != nil {
			t.Fatalf("re-reading a written trace: %v", err)
		}
		if d := cmp.Diff(tr, again); d != "" {
			t.Fatalf("(-first +second):\n%s", d)
		}
	})
}
