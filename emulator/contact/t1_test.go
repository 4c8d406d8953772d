package contact

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

// Block builders for the tables (LRC unless crc).
func iB(ns int, more bool, inf string) []byte {
	return AppendBlock(nil, 0, IPCB(byte(ns), more), h(inf), false)
}
func rB(nr int, code byte) []byte { return AppendBlock(nil, 0, RPCB(byte(nr), code), nil, false) }
func sB(fn byte, resp bool, inf string) []byte {
	return AppendBlock(nil, 0, SPCB(fn, resp), h(inf), false)
}
func badEDC(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 0x80; return b }

// step is one block of the reader and the card's answer (nil: none).
type step struct {
	send, want []byte
}

var (
	fciSW   = fci + "9000"
	chal    = "0084000008"
	sel00   = selectSSSE + "00"
	noSSSE  = "00200000"
	noSSSEr = "6A88"
)

// The scenarios of ISO/IEC 7816-3 Annex A, error-free and with errors, from
// the card's side: the reader's blocks and what the card must answer.
var t1Scenarios = []struct {
	name  string
	steps []step
}{
	{"I-blocks alternate", []step{
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
		{iB(1, false, noSSSE), iB(1, false, noSSSEr)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"IFSD set by the reader", []step{
		{sB(SIFS, false, "FE"), sB(SIFS, true, "FE")},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader chains", []step{
		{iB(0, true, selectSSSE[:24]), rB(1, RErrNone)},
		{iB(1, true, selectSSSE[24:32]), rB(0, RErrNone)},
		{iB(0, false, selectSSSE[32:]), iB(0, false, "611E")},
	}},
	{"the reader chains with an empty block", []step{
		{iB(0, true, selectSSSE[:32]), rB(1, RErrNone)},
		{iB(1, true, ""), rB(0, RErrNone)},
		{iB(0, false, selectSSSE[32:]), iB(0, false, "611E")},
	}},
	{"the card chains", []step{
		{sB(SIFS, false, "0A"), sB(SIFS, true, "0A")},
		{iB(0, false, sel00), iB(0, true, fciSW[:20])},
		{rB(1, RErrNone), iB(1, true, fciSW[20:40])},
		{rB(0, RErrNone), iB(0, true, fciSW[40:60])},
		{rB(1, RErrNone), iB(1, false, fciSW[60:])},
		{iB(1, false, noSSSE), iB(0, false, "63C3")},
	}},
	{"the reader's I-block has a wrong EDC", []step{
		{badEDC(iB(0, false, noSSSE)), rB(0, RErrEDC)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader's block has a reserved PCB", []step{
		{withEDC("00 01 00"), rB(0, RErrOther)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader's I-block has the wrong N(S)", []step{
		{iB(1, false, noSSSE), rB(0, RErrOther)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader's I-block exceeds IFSC", []step{
		{iB(0, false, sel00+"00000000"), rB(0, RErrOther)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader's block is cut short", []step{
		{iB(0, false, noSSSE)[:5], rB(0, RErrOther)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader's block has LEN FF", []step{
		{withEDC("00 00 FF"), rB(0, RErrOther)},
	}},
	{"the reader's block has NAD 12", []step{
		{AppendBlock(nil, 0x12, IPCB(0, false), h(noSSSE), false), rB(0, RErrOther)},
	}},
	{"the reader asks again for the card's I-block: sent again, not executed again", []step{
		{iB(0, false, chal), iB(0, false, "55DEF56FE36989D59000")},
		{rB(0, RErrEDC), iB(0, false, "55DEF56FE36989D59000")},
		{rB(0, RErrOther), iB(0, false, "55DEF56FE36989D59000")},
	}},
	{"the card's acknowledgement is lost: the reader asks for the card's block", []step{
		{iB(0, true, selectSSSE[:32]), rB(1, RErrNone)},
		{rB(0, RErrOther), rB(1, RErrNone)},
		{iB(1, false, selectSSSE[32:]), iB(0, false, "611E")},
	}},
	{"R-block before any block of the card", []step{
		{rB(0, RErrNone), rB(0, RErrNone)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"resynchronisation", []step{
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
		{sB(SResynch, false, ""), sB(SResynch, true, "")},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"resynchronisation resets IFSD", []step{
		{sB(SIFS, false, "02"), sB(SIFS, true, "02")},
		{sB(SResynch, false, ""), sB(SResynch, true, "")},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader aborts the card's chain", []step{
		{sB(SIFS, false, "0A"), sB(SIFS, true, "0A")},
		{iB(0, false, sel00), iB(0, true, fciSW[:20])},
		{sB(SAbort, false, ""), sB(SAbort, true, "")},
		{iB(1, false, noSSSE), iB(1, false, "63C3")},
	}},
	{"the reader aborts its own chain", []step{
		{iB(0, true, selectSSSE[:32]), rB(1, RErrNone)},
		{sB(SAbort, false, ""), sB(SAbort, true, "")},
		{iB(1, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"the reader changes IFSD while the card chains", []step{
		{sB(SIFS, false, "0A"), sB(SIFS, true, "0A")},
		{iB(0, false, sel00), iB(0, true, fciSW[:20])},
		{sB(SIFS, false, "04"), sB(SIFS, true, "04")},
		{rB(1, RErrNone), iB(1, true, fciSW[20:28])},
	}},
	{"the reader's R-block with a wrong EDC during the card's chain", []step{
		{sB(SIFS, false, "0A"), sB(SIFS, true, "0A")},
		{iB(0, false, sel00), iB(0, true, fciSW[:20])},
		{badEDC(rB(1, RErrNone)), rB(1, RErrEDC)},
		{rB(1, RErrNone), iB(1, true, fciSW[20:40])},
	}},
	{"an S(WTX request) from the reader is invalid", []step{
		{sB(SWTX, false, "01"), rB(0, RErrOther)},
	}},
	{"an unsolicited S response is invalid", []step{
		{sB(SIFS, true, "20"), rB(0, RErrOther)},
		{sB(SWTX, true, "01"), rB(0, RErrOther)},
		{sB(SResynch, true, ""), rB(0, RErrOther)},
	}},
	{"after three error R-blocks in a row the card stays in reception mode (rule 7.4.3)", []step{
		{badEDC(iB(0, false, noSSSE)), rB(0, RErrEDC)},
		{badEDC(iB(0, false, noSSSE)), rB(0, RErrEDC)},
		{withEDC("00 01 00"), rB(0, RErrOther)},
		{badEDC(iB(0, false, noSSSE)), nil},
		{badEDC(sB(SResynch, false, "")), nil},
		{sB(SResynch, false, ""), sB(SResynch, true, "")},
		{badEDC(iB(0, false, noSSSE)), rB(0, RErrEDC)},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	}},
	{"an error-free block restarts the count of error R-blocks", []step{
		{iB(0, false, chal), iB(0, false, "55DEF56FE36989D59000")},
		{badEDC(iB(1, false, noSSSE)), rB(1, RErrEDC)},
		{badEDC(iB(1, false, noSSSE)), rB(1, RErrEDC)},
		{rB(0, RErrOther), iB(0, false, "55DEF56FE36989D59000")},
		{badEDC(iB(1, false, noSSSE)), rB(1, RErrEDC)},
		{badEDC(iB(1, false, noSSSE)), rB(1, RErrEDC)},
		{badEDC(iB(1, false, noSSSE)), rB(1, RErrEDC)},
		{badEDC(iB(1, false, noSSSE)), nil},
		{iB(1, false, noSSSE), iB(1, false, noSSSEr)},
	}},
	{"an I-block while the card chains is invalid", []step{
		{sB(SIFS, false, "0A"), sB(SIFS, true, "0A")},
		{iB(0, false, sel00), iB(0, true, fciSW[:20])},
		{iB(1, false, noSSSE), rB(1, RErrOther)},
		{rB(1, RErrNone), iB(1, true, fciSW[20:40])},
	}},
}

// The profile's atr.t1.errorReplies sets how many error R-blocks the card
// sends in a row before it stays in reception mode.
func TestT1ErrorRepliesFromProfile(t *testing.T) {
	r := newRaw(t, `"protocols":[1],"t1":{"ifsc":24,"errorReplies":1}`, Config{})
	for i, st := range []step{
		{badEDC(iB(0, false, noSSSE)), rB(0, RErrEDC)},
		{badEDC(iB(0, false, noSSSE)), nil},
		{sB(SResynch, false, ""), sB(SResynch, true, "")},
		{iB(0, false, noSSSE), iB(0, false, noSSSEr)},
	} {
		r.send(st.send)
		if got := r.recv(); !bytes.Equal(got, st.want) {
			t.Fatalf("step %d: card answered %X, want %X\n%s", i+1, got, st.want, r.dump())
		}
	}
}

func TestT1AnnexA(t *testing.T) {
	for _, sc := range t1Scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := newRaw(t, `"protocols":[1],"t1":{"ifsc":24}`, Config{})
			for i, st := range sc.steps {
				r.send(st.send)
				got := r.recv()
				if !bytes.Equal(got, st.want) {
					t.Fatalf("step %d: reader %s, card answered %X (%s), want %X (%s)\n%s",
						i+1, BlockName(st.send, false), got, BlockName(got, false), st.want, BlockName(st.want, false), r.dump())
				}
			}
			if v := r.icc.Violations(); len(v) > 0 {
				t.Errorf("violations: %v", v)
			}
		})
	}
}

func TestT1CRC(t *testing.T) {
	r := newRaw(t, `"protocols":[1],"t1":{"crc":true}`, Config{})
	cmd := AppendBlock(nil, 0, IPCB(0, false), h(noSSSE), true)
	r.send(badEDC(cmd))
	if got, want := r.recv(), AppendBlock(nil, 0, RPCB(0, RErrEDC), nil, true); !bytes.Equal(got, want) {
		t.Fatalf("bad CRC: %X, want %X", got, want)
	}
	r.send(cmd)
	if got, want := r.recv(), AppendBlock(nil, 0, IPCB(0, false), h(noSSSEr), true); !bytes.Equal(got, want) {
		t.Fatalf("%X, want %X", got, want)
	}
}

// TestT1WTX: a card that computes longer than BWT asks for more time, and
// its answer comes within the time granted.
func TestT1WTX(t *testing.T) {
	work := 3 * time.Second // BWT is 1.6 s: WTX 2
	r := newRaw(t, `"protocols":[1]`, Config{Work: func([]byte, uint64) time.Duration { return work }})
	p := r.icc.Params()
	r.send(iB(0, false, noSSSE))
	if got := r.recv(); !bytes.Equal(got, sB(SWTX, false, "02")) {
		t.Fatalf("want S(WTX request) 02, got %X\n%s", got, r.dump())
	}
	// Before the answer, the reader's invalid S response and an R-block.
	r.send(sB(SWTX, true, "01"))
	if got := r.recv(); !bytes.Equal(got, rB(1, RErrOther)) {
		t.Fatalf("wrong WTX response: %X", got)
	}
	r.send(rB(0, RErrOther))
	if got := r.recv(); !bytes.Equal(got, sB(SWTX, false, "02")) {
		t.Fatalf("R-block while waiting for S(WTX response): %X", got)
	}
	mark := len(r.trace.Frames)
	r.send(sB(SWTX, true, "02"))
	if got := r.recv(); !bytes.Equal(got, iB(0, false, noSSSEr)) {
		t.Fatalf("answer %X", got)
	}
	resp, ans := r.trace.Frames[mark], r.trace.Frames[len(r.trace.Frames)-1]
	lead := resp.End() - p.Rate.ETUs(11)
	if gap := ans.Start - lead; gap > 2*p.BWT || gap <= p.BWT/2 {
		t.Errorf("answer %v after the S(WTX response), BWT %v", gap, p.BWT)
	}
	if v := r.icc.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}

// TestWaitingTimeViolations: the card side notes a reader that gives up
// before the waiting time, or talks while the card computes or answers.
func TestWaitingTimeViolations(t *testing.T) {
	t.Run("gives up early", func(t *testing.T) {
		r := newRaw(t, `"protocols":[1]`, Config{Faults: link.NewInjector(1, link.Fault{Kind: link.Drop, Scope: link.Contact, Mode: link.OnNth, N: 2})})
		bwt := r.icc.Params().BWT
		r.send(iB(0, false, noSSSE))
		if _, err := r.icc.Receive(bwt / 2); err == nil {
			t.Fatal("the dropped block came")
		}
		r.send(rB(0, RErrOther))
		if v := r.icc.Violations(); len(v) != 1 || !strings.Contains(v[0], "before the waiting time") {
			t.Errorf("violations %q", v)
		}
	})
	t.Run("waits long enough", func(t *testing.T) {
		r := newRaw(t, `"protocols":[1]`, Config{Faults: link.NewInjector(1, link.Fault{Kind: link.Drop, Scope: link.Contact, Mode: link.OnNth, N: 2})})
		bwt := r.icc.Params().BWT
		r.send(iB(0, false, noSSSE))
		r.icc.Receive(bwt / 2)
		r.icc.Receive(bwt / 2) // two halves are a whole
		r.send(rB(0, RErrOther))
		if got := r.recv(); !bytes.Equal(got, iB(0, false, noSSSEr)) {
			t.Errorf("the card's block again: %X", got)
		}
		if v := r.icc.Violations(); len(v) != 0 {
			t.Errorf("violations %q", v)
		}
	})
	t.Run("talks while the card computes", func(t *testing.T) {
		r := newRaw(t, `"protocols":[1]`, Config{Work: func([]byte, uint64) time.Duration { return time.Second }})
		r.send(iB(0, false, noSSSE))
		r.icc.Receive(time.Millisecond)
		r.send(rB(0, RErrOther)) // ignored: the card is computing
		if got := r.recv(); !bytes.Equal(got, iB(0, false, noSSSEr)) {
			t.Errorf("answer %X", got)
		}
		if v := r.icc.Violations(); len(v) != 1 || !strings.Contains(v[0], "computing") {
			t.Errorf("violations %q", v)
		}
	})
	t.Run("collision", func(t *testing.T) {
		r := newRaw(t, `"protocols":[1]`, Config{})
		r.send(iB(0, false, noSSSE))
		r.send(iB(0, false, noSSSE)) // the card is answering
		if v := r.icc.Violations(); len(v) == 0 || !strings.Contains(v[0], "while the card was sending") {
			t.Errorf("violations %q", v)
		}
		if got := r.recv(); got != nil {
			t.Errorf("after a collision the card's frame came: %X", got)
		}
		r.send(rB(0, RErrOther))
		if got := r.recv(); !bytes.Equal(got, iB(0, false, noSSSEr)) {
			t.Errorf("retransmission after the collision: %X", got)
		}
	})
}

// TestT1Faults checks what each fault does to the card's frames.
func TestT1Faults(t *testing.T) {
	for _, tc := range []struct {
		fault string
		want  []string // the card's frames after I(0) 00200000, then the reader's blocks
	}{
		{"contact:edc:nth=1", []string{fmt.Sprintf("%X", badEDCLow(iB(0, false, noSSSEr)))}},
		{"contact:drop:nth=1", []string{""}},
		{"contact:truncate=2:nth=1", []string{"0000"}},
		{"contact:wtx=5:nth=1", []string{fmt.Sprintf("%X", sB(SWTX, false, "05"))}},
		{"contact:tiny-frame:nth=1", []string{fmt.Sprintf("%X", sB(SIFS, false, "01"))}},
		{"contact:sw=9000:nth=1", []string{fmt.Sprintf("%X", iB(0, false, "9000"))}},
		{"contact:power-loss:nth=1", []string{""}},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			f, err := link.ParseFault(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			r := newRaw(t, `"protocols":[1]`, Config{})
			r.icc.SetFaults(link.NewInjector(1, f))
			r.send(iB(0, false, noSSSE))
			if got := fmt.Sprintf("%X", r.recv()); got != tc.want[0] {
				t.Errorf("got %s, want %s\n%s", got, tc.want[0], r.dump())
			}
		})
	}
}

func badEDCLow(b []byte) []byte { b = bytes.Clone(b); b[len(b)-1] ^= 0x01; return b }
