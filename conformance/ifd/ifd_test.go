package ifd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
)

// scriptLine is a card that answers the reader from a script: each step
// names the frame the reader must send and the frames the card answers
// with (none: the reader times out).
type scriptLine struct {
	t      *testing.T
	atrs   [][]byte // one per reset; the last one repeats; nil: no ATR
	steps  []exp
	i      int
	queue  [][]byte
	waits  []time.Duration
	sent   []string
	resets int
	offs   int
}

type exp struct {
	want   string // hex of the reader's frame
	answer []string
}

func (l *scriptLine) ClockHz() int { return contact.DefaultClockHz }

func (l *scriptLine) Reset(cold bool) ([]byte, error) {
	l.resets++
	l.queue = nil
	a := l.atrs[min(l.resets, len(l.atrs))-1]
	if a == nil {
		return nil, contact.ErrTimeout
	}
	return a, nil
}

func (l *scriptLine) Send(f []byte) error {
	l.t.Helper()
	got := fmt.Sprintf("%X", f)
	l.sent = append(l.sent, got)
	if l.i >= len(l.steps) {
		l.t.Fatalf("the reader sent %s after the end of the script; sent %v", got, l.sent)
	}
	st := l.steps[l.i]
	l.i++
	if got != st.want {
		l.t.Fatalf("step %d: the reader sent %s (%s), want %s (%s); sent %v", l.i, got, contact.BlockName(f, false), st.want, contact.BlockName(hx(st.want), false), l.sent)
	}
	l.queue = nil
	for _, a := range st.answer {
		l.queue = append(l.queue, hx(a))
	}
	return nil
}

func (l *scriptLine) Receive(wait time.Duration) ([]byte, error) {
	l.waits = append(l.waits, wait)
	if len(l.queue) == 0 {
		return nil, contact.ErrTimeout
	}
	f := l.queue[0]
	l.queue = l.queue[1:]
	return f, nil
}

func (l *scriptLine) Deactivate() error { l.offs++; return nil }

func (l *scriptLine) done() {
	l.t.Helper()
	if l.i != len(l.steps) {
		l.t.Errorf("the reader stopped at step %d of %d; sent %v", l.i, len(l.steps), l.sent)
	}
}

func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Blocks as hex, LRC.
func bI(ns int, more bool, inf string) string {
	return fmt.Sprintf("%X", contact.AppendBlock(nil, 0, contact.IPCB(byte(ns), more), hx(inf), false))
}
func bR(nr int, code byte) string {
	return fmt.Sprintf("%X", contact.AppendBlock(nil, 0, contact.RPCB(byte(nr), code), nil, false))
}
func bS(fn byte, resp bool, inf string) string {
	return fmt.Sprintf("%X", contact.AppendBlock(nil, 0, contact.SPCB(fn, resp), hx(inf), false))
}
func bad(s string) string { b := hx(s); b[len(b)-1] ^= 0x40; return fmt.Sprintf("%X", b) }

func atrOf(t *testing.T, spec iso7816.ATRSpec) []byte {
	a, err := iso7816.BuildATR(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const (
	edc   = contact.RErrEDC
	other = contact.RErrOther
	none  = contact.RErrNone
	cmd   = "00200000"
)

// The scenarios of ISO/IEC 7816-3 Annex A from the reader's side: the card
// answers as scripted, the reader must send exactly these blocks.
var t1ReaderScenarios = []struct {
	name  string
	apdus []string // commands, each with its expected result or error
	want  []string // "hex" or "error:substring"
	steps []exp
}{
	{"error-free", []string{cmd, cmd}, []string{"9000", "6A88"}, []exp{
		{bI(0, false, cmd), []string{bI(0, false, "9000")}},
		{bI(1, false, cmd), []string{bI(1, false, "6A88")}},
	}},
	{"card's block with a wrong EDC: R-block with the EDC bit", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bad(bI(0, false, "9000"))}},
		{bR(0, edc), []string{bI(0, false, "9000")}},
	}},
	{"no answer within BWT: R-block", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), nil},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"the card asks for the reader's I-block again", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bR(0, edc)}},
		{bI(0, false, cmd), []string{bI(0, false, "9000")}},
	}},
	{"S(WTX request) answered, longer wait", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bS(contact.SWTX, false, "02")}},
		{bS(contact.SWTX, true, "02"), []string{bI(0, false, "9000")}},
	}},
	{"S(IFS request) from the card: later commands in smaller blocks", []string{cmd, "00A4040004A0000003"}, []string{"9000", "611E"}, []exp{
		{bI(0, false, cmd), []string{bS(contact.SIFS, false, "04")}},
		{bS(contact.SIFS, true, "04"), []string{bI(0, false, "9000")}},
		{bI(1, true, "00A40400"), []string{bR(0, none)}},
		{bI(0, true, "04A00000"), []string{bR(1, none)}},
		{bI(1, false, "03"), []string{bI(1, false, "611E")}},
	}},
	{"the card chains", []string{cmd}, []string{"6F009000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, true, "6F00")}},
		{bR(1, none), []string{bI(1, false, "9000")}},
	}},
	{"the card chains with an empty block", []string{cmd}, []string{"6F009000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, true, "6F00")}},
		{bR(1, none), []string{bI(1, true, "")}},
		{bR(0, none), []string{bI(0, false, "9000")}},
	}},
	{"the card's chained block is lost", []string{cmd}, []string{"6F009000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, true, "6F00")}},
		{bR(1, none), nil},
		{bR(1, other), []string{bI(1, false, "9000")}},
	}},
	{"an R-block during the card's chain: the reader's R-block again", []string{cmd}, []string{"6F009000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, true, "6F00")}},
		{bR(1, none), []string{bR(0, other)}},
		{bR(1, none), []string{bI(1, false, "9000")}},
	}},
	{"invalid block after the reader's R-block: R-block again (rule 7.2)", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bad(bI(0, false, "9000"))}},
		{bR(0, edc), []string{"000000"}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"card's I-block with the wrong N(S)", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bI(1, false, "9000")}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"card's block with NAD 12", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{fmt.Sprintf("%X", contact.AppendBlock(nil, 0x12, 0, hx("9000"), false))}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"unsolicited S response", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bS(contact.SIFS, true, "20")}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"S(RESYNCH request) from the card is invalid", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bS(contact.SResynch, false, "")}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"block cut short: the reader waits CWT, then R-block", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, false, "9000")[:6]}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}},
	{"block in two frames", []string{cmd}, []string{"9000"}, []exp{
		{bI(0, false, cmd), []string{bI(0, false, "9000")[:6], bI(0, false, "9000")[6:]}},
	}},
	{"S(ABORT request) from the card", []string{cmd}, []string{"error:aborted"}, []exp{
		{bI(0, false, cmd), []string{bS(contact.SAbort, false, "")}},
		{bS(contact.SAbort, true, ""), nil},
	}},
	{"three failures: resynchronisation, then a fresh start", []string{cmd, cmd}, []string{"error:resynchronised", "9000"}, []exp{
		{bI(0, false, cmd), []string{bad(bI(0, false, "9000"))}},
		{bR(0, edc), []string{bad(bI(0, false, "9000"))}},
		{bR(0, edc), []string{bad(bI(0, false, "9000"))}},
		{bS(contact.SResynch, false, ""), []string{bS(contact.SResynch, true, "")}},
		{bI(0, false, cmd), []string{bI(0, false, "9000")}},
	}},
	{"resynchronisation fails: deactivation", []string{cmd, cmd}, []string{"error:deactivated", "error:not activated"}, []exp{
		{bI(0, false, cmd), nil},
		{bR(0, other), nil},
		{bR(0, other), nil},
		{bS(contact.SResynch, false, ""), nil},
		{bS(contact.SResynch, false, ""), []string{bI(0, false, "9000")}},
		{bS(contact.SResynch, false, ""), nil},
	}},
	{"the card asks for the reader's block three times: resynchronisation", []string{cmd}, []string{"error:resynchronised"}, []exp{
		{bI(0, false, cmd), []string{bR(0, edc)}},
		{bI(0, false, cmd), []string{bR(0, edc)}},
		{bI(0, false, cmd), []string{bR(0, edc)}},
		{bS(contact.SResynch, false, ""), []string{bS(contact.SResynch, true, "")}},
	}},
}

func TestT1ReaderAnnexA(t *testing.T) {
	atr := atrOf(t, iso7816.ATRSpec{Protocols: []int{1}})
	for _, sc := range t1ReaderScenarios {
		t.Run(sc.name, func(t *testing.T) {
			l := &scriptLine{t: t, atrs: [][]byte{atr}, steps: sc.steps}
			r := New(l, Config{IFSD: 32})
			if _, err := r.Activate(); err != nil {
				t.Fatal(err)
			}
			for i, a := range sc.apdus {
				got, err := r.Transmit(hx(a))
				want := sc.want[i]
				if w, ok := strings.CutPrefix(want, "error:"); ok {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("%s: got %X %v, want an error with %q", a, got, err, w)
					}
					continue
				}
				if err != nil || fmt.Sprintf("%X", got) != want {
					t.Errorf("%s: got %X %v, want %s", a, got, err, want)
				}
			}
			l.done()
		})
	}
}

// TestT1ReaderWaits checks the waiting times the reader gives the card:
// BWT, the WTX multiple, and CWT for the rest of a block.
func TestT1ReaderWaits(t *testing.T) {
	atr := atrOf(t, iso7816.ATRSpec{Protocols: []int{1}})
	rate := contact.InitialRate(contact.DefaultClockHz)
	bwt, cwt := rate.BWT(iso7816.DefaultBWI), rate.CWT(iso7816.DefaultCWI)
	l := &scriptLine{t: t, atrs: [][]byte{atr}, steps: []exp{
		{bI(0, false, cmd), []string{bS(contact.SWTX, false, "03")}},
		{bS(contact.SWTX, true, "03"), []string{bI(0, false, "9000")[:6]}},
		{bR(0, other), []string{bI(0, false, "9000")}},
	}}
	r := New(l, Config{IFSD: 32})
	r.Activate()
	if _, err := r.Transmit(hx(cmd)); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{bwt, 3 * bwt, cwt, bwt}
	if fmt.Sprint(l.waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", l.waits, want)
	}
	if s := r.State(); s.BWT != bwt || s.CWT != cwt || s.IFSC != 32 || s.Protocol != 1 {
		t.Errorf("state %+v", s)
	}
}

func TestIFSDNegotiation(t *testing.T) {
	atr := atrOf(t, iso7816.ATRSpec{Protocols: []int{1}, IFSC: 254})
	for _, tc := range []struct {
		name  string
		steps []exp
		ok    bool
	}{
		{"accepted", []exp{{bS(contact.SIFS, false, "FE"), []string{bS(contact.SIFS, true, "FE")}}}, true},
		{"first answer lost", []exp{
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), []string{bS(contact.SIFS, true, "FE")}},
		}, true},
		{"never answered", []exp{
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
			{bS(contact.SIFS, false, "FE"), nil},
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &scriptLine{t: t, atrs: [][]byte{atr}, steps: tc.steps}
			r := New(l, Config{})
			_, err := r.Activate()
			if (err == nil) != tc.ok {
				t.Fatalf("Activate: %v", err)
			}
			if tc.ok && r.State().IFSD != 254 {
				t.Errorf("IFSD %d", r.State().IFSD)
			}
			l.done()
		})
	}
}

func TestT0Reader(t *testing.T) {
	atr := atrOf(t, iso7816.ATRSpec{})
	sel := "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
	data := "0110110100D15600000501160185D3A5C7E9"
	for _, tc := range []struct {
		name, apdu, want string
		steps            []exp
	}{
		{"case 1", "00200000", "6A88", []exp{{"0020000000", []string{"6A88"}}}},
		{"case 2 exact", "00B2012C12", data + "9000", []exp{{"00B2012C12", []string{"B2", data, "9000"}}}},
		{"case 2, 6Cxx", "00B2012C00", data + "9000", []exp{
			{"00B2012C00", []string{"6C12"}},
			{"00B2012C12", []string{"B2", data + "9000"}},
		}},
		{"case 2, 6Cxx forever: the last answer", "00B2012C00", "6C12", []exp{
			{"00B2012C00", []string{"6C12"}},
			{"00B2012C12", []string{"6C12"}},
			{"00B2012C12", []string{"6C12"}},
			{"00B2012C12", []string{"6C12"}},
		}},
		{"case 3", sel, "611E", []exp{{sel[:10], []string{"A4"}}, {sel[10:], []string{"611E"}}}},
		{"case 4 with GET RESPONSE", sel + "00", "6F009000", []exp{
			{sel[:10], []string{"A4"}},
			{sel[10:], []string{"6102"}},
			{"00C0000002", []string{"C0", "6F00", "9000"}},
		}},
		{"case 4, Le smaller than 61xx", sel + "01", "6F6101", []exp{
			{sel[:10], []string{"A4"}},
			{sel[10:], []string{"6102"}},
			{"00C0000001", []string{"C06F6101"}},
		}},
		{"case 4, no data", "00A4000002 3F00 00", "9000", []exp{{"00A4000002", []string{"A4"}}, {"3F00", []string{"9000"}}}},
		{"NULL bytes", "00200000", "63C3", []exp{{"0020000000", []string{"60", "60", "6060", "63C3"}}}},
		{"one byte at a time", "00A4000002 3F00", "9000", []exp{
			{"00A4000002", []string{"5B"}},
			{"3F", []string{"60", "5B"}},
			{"00", []string{"9000"}},
		}},
		{"outgoing one byte at a time", "00B2012C02", "01029000", []exp{{"00B2012C02", []string{"4D", "01", "4D", "02", "9000"}}}},
		{"SW in two frames", "00200000", "63C3", []exp{{"0020000000", []string{"63", "C3"}}}},
		{"unknown procedure byte: deactivation", "00200000", "error:procedure byte 42", []exp{{"0020000000", []string{"42"}}}},
		{"ACK with nothing to send: deactivation", "00200000", "error:no data left", []exp{{"0020000000", []string{"20"}}}},
		{"no answer: deactivation", "00200000", "error:no answer", []exp{{"0020000000", nil}}},
		{"data cut short: deactivation", "00B2012C12", "error:no answer", []exp{{"00B2012C12", []string{"B2", data[:10]}}}},
		{"extended APDU", "00B2012C000100", "error:extended", nil},
		{"malformed APDU", "00B201", "error:malformed", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &scriptLine{t: t, atrs: [][]byte{atr}, steps: tc.steps}
			r := New(l, Config{})
			if _, err := r.Activate(); err != nil {
				t.Fatal(err)
			}
			got, err := r.Transmit(hx(tc.apdu))
			if w, ok := strings.CutPrefix(tc.want, "error:"); ok {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("got %X %v, want an error with %q", got, err, w)
				}
			} else if err != nil || fmt.Sprintf("%X", got) != tc.want {
				t.Fatalf("got %X %v, want %s", got, err, tc.want)
			}
			if IsDeactivated(err) != (l.offs > 0) {
				t.Errorf("error %v, %d deactivations", err, l.offs)
			}
			for _, w := range l.waits {
				if w != time.Second {
					t.Errorf("T=0 wait %v, want WT = 1 s", w)
				}
			}
			l.done()
		})
	}
}

func TestActivation(t *testing.T) {
	ta1 := byte(0x96)
	dual := atrOf(t, iso7816.ATRSpec{TA1: &ta1, Protocols: []int{0, 1}})
	t0only := atrOf(t, iso7816.ATRSpec{})
	badTCK := bytes.Clone(dual)
	badTCK[len(badTCK)-1] ^= 1
	for _, tc := range []struct {
		name   string
		cfg    Config
		atrs   [][]byte
		steps  []exp
		proto  int
		f, d   int
		resets int
		err    string
	}{
		{"T=1 at TA1 through PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{"FF119678"}}}, 1, 512, 32, 1, ""},
		{"PPS1 refused: the defaults", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{"FF01FE"}}}, 1, 372, 1, 1, ""},
		{"PPS response in two frames", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{"FF11", "9678"}}}, 1, 512, 32, 1, ""},
		{"prefer T=0", Config{Protocol: PreferT0, IFSD: 32}, [][]byte{dual}, []exp{{pck("FF1096"), []string{pck("FF1096")}}}, 0, 512, 32, 1, ""},
		{"no PPS: the first protocol at the defaults", Config{NoPPS: true}, [][]byte{dual}, nil, 0, 372, 1, 1, ""},
		{"T=0 card: no PPS", Config{}, [][]byte{t0only}, nil, 0, 372, 1, 1, ""},
		{"PPS unanswered: reset, no PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", nil}}, 0, 372, 1, 2, ""},
		{"PPS answered for another protocol: reset, no PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{"FF00FF"}}}, 0, 372, 1, 2, ""},
		{"PPS answer with a wrong PCK: reset, no PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{"FF119600"}}}, 0, 372, 1, 2, ""},
		{"PPS answer with another PPS1: reset, no PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{pck("FF1195")}}}, 0, 372, 1, 2, ""},
		{"PPS answer with PPS2: reset, no PPS", Config{IFSD: 32}, [][]byte{dual}, []exp{{"FF119678", []string{pck("FF319601")}}}, 0, 372, 1, 2, ""},
		{"wrong TCK, then a good ATR", Config{NoPPS: true}, [][]byte{badTCK, dual}, nil, 0, 372, 1, 2, ""},
		{"mute card", Config{}, [][]byte{nil}, nil, 0, 0, 0, 3, "no answer"},
		{"always a bad ATR", Config{}, [][]byte{badTCK}, nil, 0, 0, 0, 3, "TCK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &scriptLine{t: t, atrs: tc.atrs, steps: tc.steps}
			r := New(l, tc.cfg)
			_, err := r.Activate()
			if l.resets != tc.resets {
				t.Errorf("%d resets, want %d", l.resets, tc.resets)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrDeactivated) {
					t.Fatalf("Activate: %v, want an error with %q", err, tc.err)
				}
				if _, err := r.Transmit(hx(cmd)); !errors.Is(err, ErrNotActive) {
					t.Errorf("Transmit after a failed activation: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := r.State()
			if s.Protocol != tc.proto || s.Rate.F != tc.f || s.Rate.D != tc.d || !s.Active {
				t.Errorf("state %+v, want T=%d F=%d D=%d", s, tc.proto, tc.f, tc.d)
			}
			l.done()
		})
	}
}

func pck(s string) string {
	b := hx(s)
	var x byte
	for _, c := range b {
		x ^= c
	}
	return fmt.Sprintf("%X", append(b, x))
}

func TestReaderLifecycle(t *testing.T) {
	l := &scriptLine{t: t, atrs: [][]byte{atrOf(t, iso7816.ATRSpec{})}}
	r := New(l, Config{})
	if _, err := r.Transmit(hx(cmd)); !errors.Is(err, ErrNotActive) {
		t.Errorf("before activation: %v", err)
	}
	r.Activate()
	if err := r.Close(); err != nil || l.offs != 1 {
		t.Errorf("Close: %v, %d deactivations", err, l.offs)
	}
	if err := r.Close(); err != nil || l.offs != 1 {
		t.Errorf("second Close: %v, %d deactivations", err, l.offs)
	}
	r.Activate()
	if err := r.Deactivate(); err != nil || l.offs != 2 {
		t.Errorf("Deactivate: %v", err)
	}
}
