package contact

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// Commands of the tests (the SSSE of CARD.md §2).
const (
	selectSSSE = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
	fci        = "6F1C840F7378312E73682EC9E7BBE1B1A3D5CFA50988010B9F0C03860103"
)

// newCard builds an "activated" card with the ATR overlay given as JSON
// members of "atr" (e.g. `"protocols":[1]`).
func newCard(t testing.TB, atr string) *emulator.Card {
	t.Helper()
	js := `{"schema":1,"name":"t","extends":"activated"}`
	if atr != "" {
		js = `{"schema":1,"name":"t","extends":"activated","atr":{` + atr + `}}`
	}
	p, err := profile.Parse([]byte(js), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// raw drives the card side frame by frame, as a reader would.
type raw struct {
	t     testing.TB
	icc   *ICC
	trace *link.Trace
}

func newRaw(t testing.TB, atr string, cfg Config) *raw {
	t.Helper()
	tr := &link.Trace{}
	cfg.Trace = tr
	icc, err := New(newCard(t, atr), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &raw{t: t, icc: icc, trace: tr}
	if _, err := icc.Reset(true); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *raw) send(b []byte) {
	r.t.Helper()
	if err := r.icc.Send(b); err != nil {
		r.t.Fatalf("send %X: %v", b, err)
	}
}

// recv returns the card's next frame within a long wait, or nil.
func (r *raw) recv() []byte {
	r.t.Helper()
	f, err := r.icc.Receive(time.Hour)
	if errors.Is(err, ErrTimeout) {
		return nil
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return bytes.Clone(f)
}

// all returns everything the card sends until it is silent, concatenated.
func (r *raw) all() []byte {
	var out []byte
	for {
		f := r.recv()
		if f == nil {
			return out
		}
		out = append(out, f...)
	}
}

func (r *raw) dump() string {
	var sb strings.Builder
	r.trace.WriteText(&sb)
	return sb.String()
}

func TestATRColdAndWarm(t *testing.T) {
	card := newCard(t, "")
	tr := &link.Trace{}
	icc, err := New(card, Config{Trace: tr})
	if err != nil {
		t.Fatal(err)
	}
	want := card.ATR()
	for _, cold := range []bool{true, false, true} {
		atr, err := icc.Reset(cold)
		if err != nil || !bytes.Equal(atr, want) {
			t.Fatalf("Reset(%v) = %X %v, want %X", cold, atr, err, want)
		}
	}
	// T=0 like the real cards: no TD1, so T=0 only.
	if p := icc.Params(); p.Protocol != 0 || !p.Active || p.Rate.F != 372 || p.Rate.D != 1 || p.WT != time.Second {
		t.Errorf("params %+v", p)
	}
	var notes []string
	for _, f := range tr.Frames {
		notes = append(notes, f.Note)
	}
	if got := strings.Join(notes, ","); got != "cold reset,ATR,warm reset,ATR,cold reset,ATR" {
		t.Errorf("trace notes %s", got)
	}
	// The ATR starts 10000 clock cycles after reset and lasts 12 etu a
	// character.
	atr := tr.Frames[1]
	if atr.Start != InitialRate(DefaultClockHz).Clocks(10000) || atr.Duration != time.Duration(len(want))*InitialRate(DefaultClockHz).ETUs(12) {
		t.Errorf("ATR at %v for %v", atr.Start, atr.Duration)
	}
}

func TestNoContactInterface(t *testing.T) {
	p, err := profile.Parse([]byte(`{"schema":1,"name":"cl","extends":"activated","interfaces":{"contact":false,"contactless":true}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(c, Config{}); !errors.Is(err, ErrNoContact) {
		t.Errorf("New on a contactless-only card: %v", err)
	}
}

func TestNotActive(t *testing.T) {
	icc, err := New(newCard(t, ""), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := icc.Send(h("00A4040000")); !errors.Is(err, ErrNotActive) {
		t.Errorf("Send before reset: %v", err)
	}
	if _, err := icc.Receive(time.Second); !errors.Is(err, ErrNotActive) {
		t.Errorf("Receive before reset: %v", err)
	}
	icc.Reset(true)
	if err := icc.Send(nil); err == nil {
		t.Error("empty frame accepted")
	}
	icc.Deactivate()
	if err := icc.Send(h("00A4040000")); !errors.Is(err, ErrNotActive) {
		t.Errorf("Send after deactivation: %v", err)
	}
	if icc.Card().Powered() {
		t.Error("deactivation left the card powered")
	}
}

func TestPPSCardSide(t *testing.T) {
	dual := `"protocols":[0,1],"ta1":"96"`
	for _, tc := range []struct {
		name, atr, req, resp string
		proto, f, d          int
	}{
		{"T=1 at TA1", dual, "FF119678", "FF119678", 1, 512, 32},
		{"T=0 at defaults", dual, "FF00FF", "FF00FF", 0, 372, 1},
		{"T=1 with PPS1 11", dual, "FF1111FF", "FF1111FF", 1, 372, 1},
		{"same Fi, smaller Di", dual, pck("FF1195"), pck("FF1195"), 1, 512, 16},
		{"rate not supported", dual, pck("FF1197") /* Di 64 > 32 */, "FF01FE", 1, 372, 1},
		{"other Fi", dual, pck("FF1113"), "FF01FE", 1, 372, 1},
		{"PPS2 and PPS3 not echoed", dual, pck("FF71960102"), "FF119678", 1, 512, 32},
		{"no TA1: only the defaults", `"protocols":[0,1]`, "FF119678", "FF01FE", 1, 372, 1},
		{"erroneous: bad PCK", dual, "FF119600", "", -1, 0, 0},
		{"erroneous: T=2", dual, "FF02FD", "", -1, 0, 0},
		{"erroneous: T=1 not offered", "", "FF01FE", "", -1, 0, 0},
		{"erroneous: too long", dual, "FF01FE00", "", -1, 0, 0},
		{"erroneous: reserved Fi", dual, pck("FF1171"), "", -1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRaw(t, tc.atr, Config{})
			r.send(h(tc.req))
			got := r.recv()
			if fmt.Sprintf("%X", got) != tc.resp {
				t.Fatalf("PPS %s answered %X, want %s\n%s", tc.req, got, tc.resp, r.dump())
			}
			if tc.proto < 0 {
				// The card stays silent: the reader must deactivate.
				r.send(h("00A4040000"))
				if f := r.recv(); f != nil {
					t.Errorf("after an erroneous PPS the card answered %X", f)
				}
				return
			}
			p := r.icc.Params()
			if p.Protocol != tc.proto || p.Rate.F != tc.f || p.Rate.D != tc.d {
				t.Errorf("after PPS: T=%d F=%d D=%d", p.Protocol, p.Rate.F, p.Rate.D)
			}
		})
	}
}

// pck appends the PPS check byte.
func pck(s string) string { b := h(s); return fmt.Sprintf("%X", append(b, lrc(b))) }

func TestNoPPSFirstProtocol(t *testing.T) {
	// Without PPS the first offered protocol runs at Fd, Dd.
	r := newRaw(t, `"protocols":[0,1],"ta1":"96"`, Config{})
	r.send(h("0020000000"))
	if got := fmt.Sprintf("%X", r.all()); got != "6A88" {
		t.Errorf("T=0 without PPS: %s", got)
	}
	if p := r.icc.Params(); p.Protocol != 0 || p.Rate.F != 372 {
		t.Errorf("params %+v", p)
	}
	// A PPS after the first exchange is a T=0 header with CLA FF.
	r.send(h("FF00FF0000"))
	if got := fmt.Sprintf("%X", r.all()); got != "6E00" {
		t.Errorf("late PPS: %s", got)
	}
}

func TestSpecificMode(t *testing.T) {
	// TA1 96, TD1 10 (TA2 follows, T=0), TA2 00 (specific mode, T=0, the
	// parameters of TA1), one historical byte.
	p, err := profile.Parse([]byte(`{"schema":1,"name":"t","extends":"activated","atr":{"hex":"3B9196100000","historical":"","protocols":[],"tb1":"","tc1":""}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p)
	if err != nil {
		t.Fatal(err)
	}
	icc, err := New(c, Config{})
	if err != nil {
		t.Fatal(err)
	}
	icc.Reset(true)
	if ps := icc.Params(); ps.Protocol != 0 || ps.Rate.F != 512 || ps.Rate.D != 32 {
		t.Errorf("specific mode: T=%d rate %+v", ps.Protocol, ps.Rate)
	}
	// No PPS in specific mode: FF is a T=0 class byte.
	icc.Send(h("FF00FF0000"))
	f, _ := icc.Receive(time.Hour)
	if fmt.Sprintf("%X", f) != "6E00" {
		t.Errorf("FF in specific mode: %X", f)
	}
}

// The profile's timing sets the card's work and its ATR delay.
func TestTimingFromProfile(t *testing.T) {
	p, err := profile.Parse([]byte(`{"schema":1,"name":"t","extends":"activated","timing":{"commandMicros":2000,"writeMicros":10,"atrDelayClocks":400,"nullPercent":50}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	tr := &link.Trace{}
	icc, err := New(card, Config{Trace: tr})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := icc.cfg.Work(nil, 3), 2*time.Millisecond+30*time.Microsecond; got != want {
		t.Errorf("work %v, want %v", got, want)
	}
	if icc.nullPercent != 50 {
		t.Errorf("NULL bytes at %d%% of WT, want 50", icc.nullPercent)
	}
	if plain, _ := New(newCard(t, ""), Config{}); plain.nullPercent != keepAlivePercent || plain.atrDelay != atrDelayClocks {
		t.Errorf("defaults: NULL at %d%%, ATR after %d clocks", plain.nullPercent, plain.atrDelay)
	}
	if _, err := icc.Reset(true); err != nil {
		t.Fatal(err)
	}
	var atrStart time.Duration = -1
	for _, f := range tr.Frames {
		if f.Dir == link.FromCard && len(f.Data) > 0 {
			atrStart = f.Start
			break
		}
	}
	if want := time.Duration(400) * time.Second / time.Duration(DefaultClockHz); atrStart < want || atrStart > want+time.Microsecond {
		t.Errorf("the ATR starts at %v, want 400 clock cycles (%v)", atrStart, want)
	}
}
