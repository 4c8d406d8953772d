package contact

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// TestT0Exchanges plays TPDUs frame by frame: what the reader sends, and
// everything the card sends back before it waits for the reader again.
func TestT0Exchanges(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps [][2]string
	}{
		{"case 1", [][2]string{{"0020000000", "6A88"}}},
		{"case 3, then GET RESPONSE", [][2]string{
			{"00A404000F", "A4"},
			{selectSSSE[10:], "611E"},
			{"00C000001E", "C0" + fci + "9000"},
			{"0020000000", "63C3"},
		}},
		{"case 2 with the exact Le", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:], "611E"},
			{"00B2012C12", "B2" + "0110110100D15600000501160185D3A5C7E9" + "9000"},
		}},
		{"case 2 with Le 00: 6Cxx, then served", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:], "611E"},
			{"00B2012C00", "6C12"},
			{"00B2012C12", "B2" + "0110110100D15600000501160185D3A5C7E9" + "9000"},
		}},
		{"6Cxx keeps the response: GET RESPONSE is not executed twice", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:], "611E"},
			{"00C0000020", "6C1E"},
			{"00C000001E", "C0" + fci + "9000"},
		}},
		{"after 6Cxx another command drops the kept response", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:], "611E"},
			{"00C0000020", "6C1E"},
			{"0020000000", "63C3"},
			{"00C000001E", "6985"},
		}},
		{"Le shorter than the data: 61xx for the rest", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:], "611E"},
			{"00C0000010", "C0" + fci[:32] + "610E"},
			{"00C000000E", "C0" + fci[32:] + "9000"},
		}},
		{"INS 6x and 9x are invalid", [][2]string{{"0060000000", "6D00"}, {"0090000000", "6D00"}, {"0020000000", "6A88"}}},
		{"header in two frames", [][2]string{{"0020", ""}, {"000000", "6A88"}}},
		{"data in two frames", [][2]string{
			{"00A404000F", "A4"}, {selectSSSE[10:20], ""}, {selectSSSE[20:], "611E"},
		}},
		{"unknown CLA FF after the first command", [][2]string{{"0020000000", "6A88"}, {"FFA4040000", "6E00"}}},
		{"outgoing command, card has nothing", [][2]string{{"00B2012C00", "6A82"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRaw(t, "", Config{})
			for i, st := range tc.steps {
				r.send(h(st[0]))
				if got := fmt.Sprintf("%X", r.all()); got != st[1] {
					t.Fatalf("step %d: sent %s, card answered %s, want %s\n%s", i+1, st[0], got, st[1], r.dump())
				}
			}
			if v := r.icc.Violations(); len(v) > 0 {
				t.Errorf("violations %q", v)
			}
		})
	}
}

// TestT0Violations: the card notes a reader that does not wait for the
// procedure byte, or sends more than P3.
func TestT0Violations(t *testing.T) {
	r := newRaw(t, "", Config{})
	r.send(h("00A404000F" + selectSSSE[10:]))
	if got := fmt.Sprintf("%X", r.all()); got != "A4" {
		t.Errorf("header with data: %s", got)
	}
	if v := r.icc.Violations(); len(v) != 1 || !strings.Contains(v[0], "without waiting") {
		t.Errorf("violations %q", v)
	}
	r.send(h(selectSSSE[10:] + "0000"))
	if got := fmt.Sprintf("%X", r.all()); got != "611E" {
		t.Errorf("data: %s", got)
	}
	if v := r.icc.Violations(); len(v) != 2 || !strings.Contains(v[1], "more than P3") {
		t.Errorf("violations %q", v)
	}
}

// TestT0Null: a card computing longer than WT sends NULL bytes, each
// within WT of the previous character, close to the limit.
func TestT0Null(t *testing.T) {
	r := newRaw(t, "", Config{Work: func([]byte, uint64) time.Duration { return 3500 * time.Millisecond }})
	wt := r.icc.Params().WT
	r.send(h("0020000000"))
	mark := len(r.trace.Frames) - 1
	if got := fmt.Sprintf("%X", r.all()); got != "6060606A88" {
		t.Fatalf("got %s", got)
	}
	var leads []time.Duration
	for _, f := range r.trace.Frames[mark:] {
		if !f.IsEvent() {
			leads = append(leads, f.End()-f.Duration/time.Duration(len(f.Data)))
		}
	}
	for i := 1; i < len(leads); i++ {
		if gap := leads[i] - leads[i-1]; gap > wt || gap < wt/2 {
			t.Errorf("gap %d: %v, WT %v", i, gap, wt)
		}
	}
}

// TestT0Faults checks what each fault does to the T=0 frames of a case 3
// and a case 2 command.
func TestT0Faults(t *testing.T) {
	for _, tc := range []struct {
		fault string
		want  string // the card's frames after header and data, "|" between frames
	}{
		{"", "A4|611E"},
		{"contact:tiny-frame:nth=1", "5B*15|611E"},
		{"contact:wtx:always", "60|A4|60|611E"},
		{"contact:edc:always", "A4|611E"},
		{"contact:drop:nth=1", "-"},
		{"contact:drop:nth=2", "A4-"},
		{"contact:truncate:nth=2", "A4|61-"},
		{"contact:wrong-61xx:nth=2", "A4|611F"},
		{"contact:wrong-61xx=5:nth=2", "A4|6105"},
		{"contact:sw=6A82:nth=2", "A4|6A82"},
		{"contact:power-loss:nth=1", "-"},
		{"contact:power-loss:nth=2", "A4-"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			r := newRaw(t, "", Config{})
			if tc.fault != "" {
				f, err := link.ParseFault(tc.fault)
				if err != nil {
					t.Fatal(err)
				}
				r.icc.SetFaults(link.NewInjector(1, f))
			}
			var got []string
			collect := func() bool {
				for {
					f := r.recv()
					if f == nil {
						return false
					}
					got = append(got, fmt.Sprintf("%X", f))
					if len(f) == 1 && (f[0] == 0xA4 || f[0] == 0x5B) {
						return true
					}
				}
			}
			r.send(h("00A404000F"))
			data := h(selectSSSE[10:])
			if collect() {
				if got[len(got)-1] == "5B" {
					for i, b := range data {
						r.send([]byte{b})
						if i < len(data)-1 {
							collect()
						}
					}
				} else {
					r.send(data)
				}
				for f := r.recv(); f != nil; f = r.recv() {
					got = append(got, fmt.Sprintf("%X", f))
				}
			}
			s := compress(got)
			if !strings.HasSuffix(tc.want, "-") {
				if s != tc.want {
					t.Errorf("got %s, want %s\n%s", s, tc.want, r.dump())
				}
				return
			}
			if want := strings.TrimSuffix(tc.want, "-"); !strings.HasPrefix(s, want) || strings.Contains(s, "611E") {
				t.Errorf("got %s, want %s then silence\n%s", s, tc.want, r.dump())
			}
		})
	}
}

// compress joins frames with "|", runs of one frame as F*n.
func compress(frames []string) string {
	var out []string
	for i := 0; i < len(frames); {
		j := i
		for j < len(frames) && frames[j] == frames[i] {
			j++
		}
		if j-i > 2 {
			out = append(out, fmt.Sprintf("%s*%d", frames[i], j-i))
		} else {
			out = append(out, frames[i:j]...)
		}
		i = j
	}
	return strings.Join(out, "|")
}

// TestWrong6CxxT0: the card claims a wrong length once; the command sent
// again with that length gets the right 6Cxx, and with the right length
// the response, executed once.
func TestWrong6CxxT0(t *testing.T) {
	r := newRaw(t, "", Config{})
	r.send(h("00A404000F"))
	r.all()
	r.send(h(selectSSSE[10:]))
	r.all()
	f, _ := link.ParseFault("contact:wrong-6cxx:nth=1")
	r.icc.SetFaults(link.NewInjector(1, f))
	for _, st := range [][2]string{{"00C000001E", "6C1F"}, {"00C000001F", "6C1E"}, {"00C000001E", "C0" + fci + "9000"}} {
		r.send(h(st[0]))
		if got := fmt.Sprintf("%X", r.all()); got != st[1] {
			t.Fatalf("%s: %s, want %s\n%s", st[0], got, st[1], r.dump())
		}
	}
}

// TestPowerLossConsistent: power lost at each NVM write of a PIN try
// leaves the card with the state before or after the try, seen through
// the next activation.
func TestPowerLossConsistent(t *testing.T) {
	ref := newCard(t, "")
	ref.Transmit(h(selectSSSE))
	before := ref.Cells()
	ref.Transmit(h("0020000003654321"))
	after := ref.Cells()
	sawBefore, sawAfter := false, false
	for n := 1; n <= 5; n++ {
		r := newRaw(t, "", Config{})
		r.send(h("00A404000F"))
		r.all()
		r.send(h(selectSSSE[10:]))
		r.all()
		r.icc.SetFaults(link.NewInjector(1, link.Fault{Kind: link.PowerLoss, Scope: link.Contact, Mode: link.OnNth, N: 2, Arg: n}))
		r.send(h("0020000003"))
		if got := fmt.Sprintf("%X", r.all()); got != "20" {
			t.Fatalf("ACK: %s", got)
		}
		r.send(h("654321"))
		if got := r.all(); got != nil {
			t.Fatalf("power-loss=%d: the card answered %X", n, got)
		}
		if r.icc.Card().Powered() {
			t.Fatalf("power-loss=%d: the card is still powered", n)
		}
		r.icc.Deactivate()
		if _, err := r.icc.Reset(true); err != nil {
			t.Fatal(err)
		}
		cells := r.icc.Card().Cells()
		r.send(h("00A404000F"))
		r.all()
		r.send(h(selectSSSE[10:]))
		r.all()
		r.send(h("0020000000"))
		tries := fmt.Sprintf("%X", r.all())
		switch {
		case slices.EqualFunc(cells, before, bytes.Equal) && tries == "63C3":
			sawBefore = true
		case slices.EqualFunc(cells, after, bytes.Equal) && tries == "63C2":
			sawAfter = true
		default:
			t.Errorf("power-loss=%d: card neither before nor after the try (tries %s)", n, tries)
		}
	}
	if !sawBefore || !sawAfter {
		t.Errorf("tearing never left one of the states: before %v, after %v", sawBefore, sawAfter)
	}
}

// TestOneCardTwoDoors: a PIN try through the contact interface is seen by
// Transmit and by another interface of the same card.
func TestOneCardTwoDoors(t *testing.T) {
	card := newCard(t, `"protocols":[0,1]`)
	a, err := New(card, Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(card, Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Reset(true)
	for _, f := range []string{"00A404000F", selectSSSE[10:], "0020000003", "654321"} {
		a.Send(h(f))
		for g, err := a.Receive(time.Hour); err == nil; g, err = a.Receive(time.Hour) {
			_ = g
		}
	}
	card.Transmit(h(selectSSSE))
	if out, _ := card.Transmit(h("00200000")); fmt.Sprintf("%X", out) != "63C2" {
		t.Errorf("Transmit after the contact PIN try: %X", out)
	}
	// The other interface: a T=1 session (PPS) on the same card, after its
	// own activation; the try counter is in NVM.
	if _, err := b.Reset(true); err != nil {
		t.Fatal(err)
	}
	b.Send(pckBytes("FF01"))
	b.Receive(time.Hour)
	for i, st := range [][2]string{{selectSSSE, "611E"}, {"00200000", "63C2"}} {
		b.Send(AppendBlock(nil, 0, IPCB(byte(i), false), h(st[0]), false))
		got, _ := b.Receive(time.Hour)
		if want := AppendBlock(nil, 0, IPCB(byte(i), false), h(st[1]), false); !bytes.Equal(got, want) {
			t.Errorf("second interface: %X, want %X", got, want)
		}
	}
}

func pckBytes(s string) []byte { return h(pck(s)) }
