package linkcontact

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/link"
)

// Case is one link-layer conformance case.
type Case struct {
	// ID is stable across releases, e.g. LINK-C-031.
	ID     string
	Title  string
	Clause string
	Run    func(e *Env)
}

// Commands of the cases (the SSSE of CARD.md §2).
const (
	selectSSSE4 = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00" // case 4
	selectSSSE3 = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"   // case 3: 61xx
	readRec1    = "00B2012C00"                                 // case 2, Le 00
	readRec1Le  = "00B2012C12"                                 // case 2, Le exact (18)
	readRec7Le  = "00B2072C0E"                                 // case 2, Le more than the record (11)
	getChal     = "0084000008"                                 // case 2
	pinTries    = "00200000"                                   // case 1: tries left
	wrongPIN    = "0020000003654321"                           // case 3, writes NVM
)

// ATRs of the cases.
const (
	atrT1      = `{"protocols":[1],"t1":{"ifsc":16}}`
	atrT1CRC   = `{"protocols":[1],"t1":{"ifsc":16,"crc":true}}`
	atrT1Fast  = `{"protocols":[1],"t1":{"bwi":0}}`
	atrDual    = `{"protocols":[0,1],"ta1":"96"}`
	atrT0Rate  = `{"protocols":[0],"ta1":"13"}`
	clauseATR  = "ISO/IEC 7816-3 §8"
	clausePPS  = "ISO/IEC 7816-3 §9"
	clauseT0   = "ISO/IEC 7816-3 §10, §12.2"
	clauseT1   = "ISO/IEC 7816-3 §11.6"
	clauseT1Er = "ISO/IEC 7816-3 §11.6.3.2"
)

// slow is a card that computes every command for 2.5 times d.
func slow(d time.Duration) func([]byte, uint64) time.Duration {
	return func([]byte, uint64) time.Duration { return d * 5 / 2 }
}

// allCases are the cases in order.
var allCases = []Case{
	{ID: "LINK-C-001", Title: "T=0 card: activation and commands of the four cases", Clause: clauseT0, Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		if p := e.ICC.Params().Protocol; p != 0 {
			e.Errorf("the card offers T=0 only, the line runs T=%d", p)
		}
		for _, c := range []string{selectSSSE4, pinTries, readRec1, readRec7Le, getChal, wrongPIN, pinTries, selectSSSE3, "00C000001E"} {
			e.Expect(c)
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-002", Title: "T=0 and T=1 offered, TA1 96: the reader negotiates or keeps the defaults, and then speaks what was agreed", Clause: clausePPS, Run: func(e *Env) {
		e.Open(Setup{ATR: atrDual})
		mark := e.Mark()
		e.Activate()
		for _, f := range e.ReaderFrames(mark) {
			if f.Data[0] != contact.PPSS {
				break
			}
			if _, err := contact.ParsePPS(f.Data); err != nil {
				e.Errorf("the reader sent a malformed PPS request %X: %v", f.Data, err)
			}
		}
		e.Expect(selectSSSE4)
		e.Expect(readRec1)
		e.CheckTiming()
	}},
	{ID: "LINK-C-003", Title: "T=0 card with TA1 13: PPS at the card's rate", Clause: clausePPS, Run: func(e *Env) {
		e.Open(Setup{ATR: atrT0Rate})
		e.Activate()
		e.Expect(selectSSSE4)
		e.CheckTiming()
	}},
	{ID: "LINK-C-004", Title: "PPS response lost: the reader deactivates, activates again and works", Clause: clausePPS + " (§9.3: a failed PPS ends in deactivation)", Run: func(e *Env) {
		e.Open(Setup{ATR: atrDual, Faults: []string{"contact:drop:nth=2"}})
		mark := e.Mark()
		atr, err := e.Reader.Activate()
		frames := e.ReaderFrames(mark)
		if len(frames) == 0 || frames[0].Data[0] != contact.PPSS {
			if err != nil {
				e.Fatalf("activation failed before any PPS: %v", err)
			}
			e.Skipf("the reader sends no PPS")
		}
		if err != nil {
			e.Fatalf("activation after a lost PPS response: %v", err)
		}
		if !bytes.Equal(atr, e.Card.ATR()) {
			e.Errorf("ATR %X, the card's is %X", atr, e.Card.ATR())
		}
		if e.Count(mark, "deactivation") == 0 || e.Count(mark, "cold reset") < 2 {
			e.Errorf("after the lost PPS response the reader must deactivate and reset the card again")
		}
		e.Expect(selectSSSE4)
		e.CheckTiming()
	}},
	{ID: "LINK-C-005", Title: "ATR with a wrong TCK: the reader rejects it and resets again", Clause: clauseATR + ".2.5", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1, Faults: []string{"contact:edc:nth=1"}})
		mark := e.Mark()
		e.Activate()
		if n := e.Count(mark, "cold reset"); n < 2 {
			e.Errorf("the reader accepted an ATR with a wrong TCK (%d resets)", n)
		}
		e.Expect(selectSSSE4)
	}},
	{ID: "LINK-C-006", Title: "ATR cut short: the reader rejects it and resets again", Clause: clauseATR + ".2", Run: func(e *Env) {
		e.Open(Setup{Faults: []string{"contact:truncate:nth=1"}})
		mark := e.Mark()
		e.Activate()
		if n := e.Count(mark, "cold reset"); n < 2 {
			e.Errorf("the reader accepted a truncated ATR (%d resets)", n)
		}
		e.Expect(selectSSSE4)
	}},
	{ID: "LINK-C-007", Title: "Mute card: activation fails, the reader neither hangs nor invents an ATR", Clause: clauseATR + ".1", Run: func(e *Env) {
		e.Open(Setup{Faults: []string{"contact:drop:always"}})
		mark := e.Mark()
		atr, err := e.Reader.Activate()
		switch {
		case err == nil:
			e.Errorf("activation of a mute card succeeded with ATR %X", atr)
		case errors.Is(err, ifd.ErrStream):
			e.Fatalf("the reader broke off: %v", err)
		case e.Count(mark, "cold reset") == 0:
			e.Errorf("activation failed (%v) without the reader ever resetting the card", err)
		}
		if _, err := e.Transmit(pinTries); err == nil {
			e.Errorf("a command to a mute card succeeded")
		}
	}},

	// T=0
	{ID: "LINK-C-010", Title: "T=0 61xx: a case 4 command is completed with GET RESPONSE", Clause: clauseT0 + " (§12.2.5)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		mark := e.Mark()
		e.Expect(selectSSSE4)
		if !sentHeader(e.ReaderFrames(mark), 0xC0) {
			e.Errorf("no GET RESPONSE after 61xx")
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-011", Title: "T=0 6Cxx: the command is sent again with P3 = xx", Clause: clauseT0 + " (§12.2.3)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Expect(selectSSSE4)
		mark := e.Mark()
		e.Expect(readRec7Le)
		hdrs := headers(e.ReaderFrames(mark))
		if len(hdrs) < 2 || hdrs[1][4] != 0x0B {
			e.Errorf("after 6C0B the reader sent %X, want the header again with P3 = 0B", hdrs)
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-012", Title: "T=0 NULL bytes: a slow card sends 60 while computing; the reader waits WT after each", Clause: clauseT0 + " (§10.2, §10.3.3)", Run: func(e *Env) {
		e.Open(Setup{Work: slow(time.Second)})
		e.Activate()
		mark := e.Mark()
		e.Expect(selectSSSE4)
		if nulls := countNotes(e.Trace.Frames[mark:], "NULL"); nulls < 2 {
			e.Errorf("the card sent %d NULL bytes, want at least 2 (the case is broken)", nulls)
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-013", Title: "T=0 INS xor FF: data one byte at a time", Clause: clauseT0 + " (§10.3.3)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Arm("contact:tiny-frame:always")
		mark := e.Mark()
		e.Expect(selectSSSE4)
		for _, f := range e.ReaderFrames(mark) {
			if f.Note == "command data" && len(f.Data) != 1 {
				e.Errorf("after INS xor FF the reader sent %d bytes at once", len(f.Data))
			}
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-014", Title: "T=0 parity errors: characters repeated, the exchange goes on", Clause: clauseT0 + " (§7.3)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Arm("contact:edc:every=2")
		e.Expect(selectSSSE4)
		e.Expect(readRec1)
		e.CheckTiming()
	}},
	{ID: "LINK-C-015", Title: "T=0 unsolicited NULL bytes before procedure bytes", Clause: clauseT0 + " (§10.3.3)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Arm("contact:wtx:always")
		e.Expect(selectSSSE4)
		e.Expect(pinTries)
		e.CheckTiming()
	}},
	{ID: "LINK-C-016", Title: "T=0 wrong 61xx: the reader still gets the whole response", Clause: clauseT0 + " (§12.2.3, §12.2.5)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Arm("contact:wrong-61xx:always")
		e.Expect(selectSSSE4)
		e.CheckTiming()
	}},
	{ID: "LINK-C-017", Title: "T=0 wrong 6Cxx: the reader sends the command again as often as needed", Clause: clauseT0 + " (§12.2.3)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:wrong-6cxx:nth=1")
		mark := e.Mark()
		e.Expect(readRec1)
		if hdrs := headers(e.ReaderFrames(mark)); len(hdrs) != 3 {
			e.Errorf("the reader sent the headers %X, want three: Le 00, the wrong length, the right length", hdrs)
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-018", Title: "Replaced status word: the reader delivers the card's status word unchanged", Clause: clauseT0 + "; " + clauseT1, Run: func(e *Env) {
		for _, atr := range []string{"", atrT1} {
			e.Open(Setup{ATR: atr})
			e.Activate()
			e.Expect(selectSSSE4)
			e.Arm("contact:sw=6A82:nth=1")
			right := e.TwinSend(readRec1Le)
			want := append(slices.Clone(right[:len(right)-2]), 0x6A, 0x82)
			got, err := e.Transmit(readRec1Le)
			if err != nil || !bytes.Equal(got, want) {
				e.Errorf("T=%d: the reader gives %X %v, the card answered %X", e.ICC.Params().Protocol, got, err, want)
			}
			e.CheckTiming()
			e.Close()
		}
	}},
	{ID: "LINK-C-019", Title: "T=0 answer lost: the reader waits WT, deactivates, and works after activation", Clause: clauseT0 + " (§10.2)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:drop:nth=1")
		mark := e.Mark()
		e.MustFail(readRec1Le)
		e.TwinSend(readRec1Le)
		if e.Count(mark, "deactivation") == 0 {
			e.Errorf("the reader did not deactivate the card after the waiting time")
		}
		e.CheckTiming()
		e.Reactivate()
		e.Expect(selectSSSE4)
		e.Expect(readRec1Le)
	}},
	{ID: "LINK-C-020", Title: "T=0 answer cut short: the reader waits WT, deactivates, and works after activation", Clause: clauseT0 + " (§10.2)", Run: func(e *Env) {
		e.Open(Setup{})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:truncate:nth=2")
		mark := e.Mark()
		e.MustFail(readRec1Le)
		e.TwinSend(readRec1Le)
		if e.Count(mark, "deactivation") == 0 {
			e.Errorf("the reader did not deactivate the card after the waiting time")
		}
		e.CheckTiming()
		e.Reactivate()
		e.Expect(selectSSSE4)
		e.Expect(readRec1Le)
	}},
	{ID: "LINK-C-021", Title: "T=0 power lost during a PIN try: an error, and a consistent card after activation", Clause: clauseT0 + "; CARD.md §3 (PIN tries)", Run: func(e *Env) {
		powerLoss(e, "")
	}},

	// T=1
	{ID: "LINK-C-030", Title: "T=1 commands and chaining: the reader respects IFSC", Clause: clauseT1 + " (§11.4.2, §11.6.2.3)", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		mark := e.Mark()
		for _, c := range []string{selectSSSE4, readRec1, pinTries, getChal, selectSSSE3, "00C000001E"} {
			e.Expect(c)
		}
		checkIFSC(e, mark, 16)
		e.CheckTiming()
	}},
	{ID: "LINK-C-031", Title: "T=1 EDC error (LRC): R-block with the EDC error bit, the card's block again", Clause: clauseT1Er + " rule 7.1", Run: func(e *Env) {
		edcCase(e, atrT1)
	}},
	{ID: "LINK-C-032", Title: "T=1 EDC error (CRC): R-block with the EDC error bit, the card's block again", Clause: clauseT1Er + " rule 7.1; §11.4.4", Run: func(e *Env) {
		edcCase(e, atrT1CRC)
	}},
	{ID: "LINK-C-033", Title: "T=1 block lost: the reader waits BWT, then asks with an R-block", Clause: clauseT1Er + " rule 7.1; §11.4.3", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:drop:nth=1")
		mark := e.Mark()
		e.Expect(readRec1)
		blocks := e.Blocks(mark)
		if len(blocks) < 2 || blocks[1].Kind() != contact.KindR || blocks[1].NR() != 1 {
			e.Errorf("after the lost block the reader sent %v, want R(1)", names(blocks))
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-034", Title: "T=1 S(WTX request) without need: answered with the same multiplier", Clause: clauseT1 + " (§11.6.2.3 rule 3)", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:wtx=3:nth=1")
		mark := e.Mark()
		e.Expect(readRec1)
		checkWTXResponse(e, mark, 3)
		e.CheckTiming()
	}},
	{ID: "LINK-C-035", Title: "T=1 slow card: S(WTX), and the reader waits the granted time", Clause: clauseT1 + " (§11.4.3, rule 3)", Run: func(e *Env) {
		bwt := contact.InitialRate(contact.DefaultClockHz).BWT(0)
		e.Open(Setup{ATR: atrT1Fast, Work: slow(bwt)})
		e.Activate()
		mark := e.Mark()
		e.Expect(selectSSSE4)
		checkWTXResponse(e, mark, 3)
		e.CheckTiming()
	}},
	{ID: "LINK-C-036", Title: "T=1 S(IFS request) for IFSC 1: the reader answers, then chains in 1-byte blocks; the card chains too", Clause: clauseT1 + " (§11.4.2, rules 5 and 6)", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:tiny-frame:nth=1")
		mark := e.Mark()
		e.Expect(readRec1)
		blocks := e.Blocks(mark)
		if !slices.ContainsFunc(blocks, func(b contact.Block) bool {
			return b.Kind() == contact.KindS && b.SFunc() == contact.SIFS && b.IsResponse() && bytes.Equal(b.INF, []byte{1})
		}) {
			e.Errorf("no S(IFS response) 01 in %v", names(blocks))
		}
		mark = e.Mark()
		e.Expect(selectSSSE4)
		checkIFSC(e, mark, 1)
		e.CheckTiming()
	}},
	{ID: "LINK-C-037", Title: "T=1 block cut short: the reader waits CWT and asks again", Clause: clauseT1Er + " rule 7.1; §11.4.3 (CWT)", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:truncate:nth=1")
		mark := e.Mark()
		e.Expect(readRec1)
		blocks := e.Blocks(mark)
		if len(blocks) < 2 || blocks[1].Kind() != contact.KindR || blocks[1].NR() != 1 || blocks[1].RErr() == contact.RErrNone {
			e.Errorf("after the cut block the reader sent %v, want R(1) with an error bit", names(blocks))
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-038", Title: "T=1 is transparent: 61xx and 6Cxx reach the application, which completes the command", Clause: clauseT1 + "; ISO/IEC 7816-4 §5.3.4", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:wrong-6cxx:nth=1")
		got, err := e.Transmit(readRec1)
		if err != nil || len(got) != 2 || got[0] != 0x6C {
			e.Errorf("the card answered 6Cxx, the reader gives %X %v", got, err)
		}
		e.Arm()
		r, err := terminal.Exchange(e.Reader, mustCommand(readRec1))
		e.TwinSend(readRec1)
		want := e.TwinSend(readRec1)
		if err != nil || !bytes.Equal(r.Bytes(), want) {
			e.Errorf("after 6Cxx the application gets %X %v, want %X", r.Bytes(), err, want)
		}
		e.Arm("contact:wrong-61xx:always")
		r, err = terminal.Exchange(e.Reader, mustCommand(selectSSSE3))
		want = e.TwinSend(selectSSSE4)
		if err != nil || !bytes.Equal(r.Bytes(), want) {
			e.Errorf("after a wrong 61xx the application gets %X %v, want %X", r.Bytes(), err, want)
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-039", Title: "T=1 three bad blocks in a row: the reader resynchronises, then works", Clause: clauseT1Er + " rule 7.4", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Expect(selectSSSE4)
		e.Arm("contact:edc:nth=1", "contact:edc:nth=2", "contact:edc:nth=3")
		mark := e.Mark()
		_, err := e.Transmit(pinTries)
		e.TwinSend(pinTries)
		if !hasResynch(e.Blocks(mark)) {
			e.Errorf("no S(RESYNCH request) after three bad blocks: %v (result %v)", names(e.Blocks(mark)), err)
		}
		e.Reactivate()
		e.Expect(selectSSSE4)
		e.Expect(pinTries)
		e.Expect(readRec1)
		e.CheckTiming()
	}},
	{ID: "LINK-C-040", Title: "T=1 every block bad: the reader resynchronises, then deactivates, and never hangs", Clause: clauseT1Er + " rule 7.4", Run: func(e *Env) {
		e.Open(Setup{ATR: atrT1})
		e.Activate()
		e.Arm("contact:edc:always")
		mark := e.Mark()
		e.MustFail(pinTries)
		frames := e.ReaderFrames(mark)
		if !hasResynch(e.Blocks(mark)) {
			e.Errorf("no S(RESYNCH request): %v", names(e.Blocks(mark)))
		}
		if len(frames) > 12 {
			e.Errorf("the reader sent %d blocks before giving up", len(frames))
		}
		if e.Count(mark, "deactivation") == 0 {
			e.Errorf("the reader did not deactivate the card")
		}
		e.CheckTiming()
	}},
	{ID: "LINK-C-041", Title: "T=1 power lost during a PIN try: an error, and a consistent card after activation", Clause: clauseT1Er + "; CARD.md §3 (PIN tries)", Run: func(e *Env) {
		powerLoss(e, atrT1)
	}},
}

// edcCase corrupts the card's first answer block.
func edcCase(e *Env, atr string) {
	e.Open(Setup{ATR: atr})
	e.Activate()
	// The card's acknowledgement of a chained block.
	e.Arm("contact:edc:nth=1")
	mark := e.Mark()
	e.Expect(selectSSSE4)
	blocks := e.Blocks(mark)
	if len(blocks) < 2 || blocks[1].Kind() != contact.KindR || blocks[1].NR() != 0 || blocks[1].RErr() != contact.RErrEDC {
		e.Errorf("after the card's R-block with a wrong EDC the reader sent %v, want R(0) EDC error", names(blocks))
	}
	// The card's answer.
	e.Arm("contact:edc:nth=1")
	mark = e.Mark()
	e.Expect(readRec1)
	blocks = e.Blocks(mark)
	if len(blocks) < 2 || blocks[1].Kind() != contact.KindR || blocks[1].NR() != 1 || blocks[1].RErr() != contact.RErrEDC {
		e.Errorf("after the card's I-block with a wrong EDC the reader sent %v, want R(1) EDC error", names(blocks))
	}
	e.CheckTiming()
}

// powerLoss cuts the power in the middle of a wrong PIN try (at each of
// its NVM writes in turn) and checks that the card afterwards holds the
// state before or after the try, whichever the tearing left.
func powerLoss(e *Env, atr string) {
	for n := 1; n <= 5; n++ {
		e.Open(Setup{ATR: atr})
		e.Activate()
		e.Expect(selectSSSE4)
		before := e.Card.Cells()
		e.TwinSend(wrongPIN)
		afterCells := e.Twin.Cells()
		e.Arm(fmt.Sprintf("contact:power-loss=%d:nth=1", n))
		mark := e.Mark()
		e.MustFail(wrongPIN)
		if e.Count(mark, "deactivation") == 0 {
			e.Errorf("power-loss=%d: the reader did not deactivate the silent card", n)
		}
		e.CheckTiming()
		e.Arm()
		e.Reactivate()
		got := e.Card.Cells()
		e.Transmit(selectSSSE4)
		tries, err := e.Transmit(pinTries)
		switch {
		case err != nil:
			e.Errorf("power-loss=%d: after activation: %v", n, err)
		case cellsEqual(got, before) && !bytes.Equal(tries, []byte{0x63, 0xC3}):
			e.Errorf("power-loss=%d: the try was lost but the card says %X", n, tries)
		case cellsEqual(got, afterCells) && !bytes.Equal(tries, []byte{0x63, 0xC2}):
			e.Errorf("power-loss=%d: the try was kept but the card says %X", n, tries)
		case !cellsEqual(got, before) && !cellsEqual(got, afterCells):
			e.Errorf("power-loss=%d: the card image is neither the state before the PIN try nor after it", n)
		}
		e.Close()
	}
}

func cellsEqual(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// checkIFSC checks the reader's I-blocks since mark carry at most ifsc
// bytes.
func checkIFSC(e *Env, mark, ifsc int) {
	for _, b := range e.Blocks(mark) {
		if b.Kind() == contact.KindI && len(b.INF) > ifsc {
			e.Errorf("the reader sent an I-block of %d bytes, IFSC is %d", len(b.INF), ifsc)
		}
	}
}

// checkWTXResponse checks the reader answered S(WTX request) m.
func checkWTXResponse(e *Env, mark int, m byte) {
	for _, b := range e.Blocks(mark) {
		if b.Kind() == contact.KindS && b.SFunc() == contact.SWTX {
			if !b.IsResponse() || !bytes.Equal(b.INF, []byte{m}) {
				e.Errorf("the reader answered S(WTX request) %02X with %s", m, b.Name())
			}
			return
		}
	}
	e.Errorf("the reader did not answer S(WTX request) %02X: %v", m, names(e.Blocks(mark)))
}

func hasResynch(blocks []contact.Block) bool {
	return slices.ContainsFunc(blocks, func(b contact.Block) bool {
		return b.Kind() == contact.KindS && b.SFunc() == contact.SResynch && !b.IsResponse()
	})
}

func names(blocks []contact.Block) string {
	var s []string
	for _, b := range blocks {
		s = append(s, b.Name())
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// headers returns the T=0 command headers among frames.
func headers(frames []link.Frame) [][]byte {
	var out [][]byte
	for _, f := range frames {
		if f.Note == "command header" {
			out = append(out, f.Data)
		}
	}
	return out
}

func sentHeader(frames []link.Frame, ins byte) bool {
	for _, h := range headers(frames) {
		if h[1] == ins {
			return true
		}
	}
	return false
}

func countNotes(frames []link.Frame, note string) int {
	n := 0
	for _, f := range frames {
		if f.Note == note && f.Dir == link.FromCard {
			n++
		}
	}
	return n
}

func mustCommand(s string) iso7816.Command {
	c, err := iso7816.ParseCommand(mustHex(s))
	if err != nil {
		panic(err)
	}
	return c
}
