package conformance

import (
	"bytes"
	"strings"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/link"
)

// The link-contactless suite: a reader's ISO/IEC 14443 link layer under
// the faults of emulator/link (see link_contactless_suite.go).
func init() {
	Register(&Suite{ModelOnly: true, Name: LinkContactlessSuite, Title: "Contactless link layer of a reader: ISO/IEC 14443-3/-4 under injected faults", Cases: linkContactlessCases})
}

func lcCase(id, title, clause string, run func(s *S)) *Case {
	return &Case{ID: id, Title: title, Clause: clause, Requires: needsContactless, Run: run}
}

var linkContactlessCases = []*Case{
	lcCase("LINK-CL-001", "Type A activation, SFGT and a first APDU", "ISO/IEC 14443-3 §6.3–6.5; ISO/IEC 14443-4 §5.1–5.2", func(s *S) {
		// A card asking for a start-up guard time of about 9.7 ms.
		lc := newLinkCase(s, contactless.WithType(contactless.TypeA), contactless.WithLink(-1, -1, 5, nil))
		defer lc.done()
		act := lc.connect()
		if act.Type != contactless.TypeA || !bytes.Equal(act.UID, lc.picc.UID()) {
			lc.fail("activation %+v for a Type A card of UID % X", act, lc.picc.UID())
		}
		lc.s.Step("first APDU")
		out := lc.transmit(selectSSSEFCI)
		if want := lc.expected(selectSSSEFCI); !bytes.Equal(out, want) {
			lc.fail("the reader returned % X, the card answered % X", out, want)
		}
		lc.s.Step("SFGT")
		var atsEnd time.Duration
		for _, f := range lc.trace.Frames {
			if f.Dir == link.FromCard && strings.HasPrefix(f.Note, "ATS") {
				atsEnd = f.Start + f.Duration
			}
		}
		// The first frame after the ATS (a PPS or a block) comes once
		// the SFGT is over.
		for _, x := range lc.field.Exchanges() {
			if x.Start > atsEnd {
				if gap := x.Start - atsEnd; gap < contactless.SFGT(5) {
					lc.fail("the reader's first frame after the ATS came %v after it; the SFGT is %v", gap, contactless.SFGT(5))
				}
				break
			}
		}
		_, blocks := lc.protocol()
		for _, b := range blocks {
			if b.Type == contactless.IBlock {
				if b.Num != 0 {
					lc.fail("the reader's first I-block has block number %d (ISO/IEC 14443-4 §7.5.3.2: 0)", b.Num)
				}
				break
			}
		}
		lc.checkFSC(lc.fsc)
		lc.checkWaits()
	}),
	lcCase("LINK-CL-002", "Type B activation (REQB/WUPB, ATTRIB) and a first APDU", "ISO/IEC 14443-3 §7.7–7.10; ISO/IEC 14443-4 §7", func(s *S) {
		lc := newLinkCase(s, contactless.WithType(contactless.TypeB))
		defer lc.done()
		act := lc.connect()
		if act.Type != contactless.TypeB || !bytes.Equal(act.UID, lc.picc.UID()) {
			lc.fail("activation %+v for a Type B card of PUPI % X", act, lc.picc.UID())
		}
		out := lc.transmit(selectSSSEFCI)
		if want := lc.expected(selectSSSEFCI); !bytes.Equal(out, want) {
			lc.fail("the reader returned % X, the card answered % X", out, want)
		}
		lc.checkFSC(lc.fsc)
		lc.checkWaits()
	}),
	lcCase("LINK-CL-003", "Three cards in the field: anticollision resolves the colliding UID bits", "ISO/IEC 14443-3 §6.5", func(s *S) {
		lc := newLinkCase(s, contactless.WithType(contactless.TypeA), contactless.WithUID([]byte{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}))
		defer lc.done()
		for _, uid := range [][]byte{{0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x67}, {0x04, 0x11, 0x23, 0x00, 0x00, 0x00, 0x00}} {
			other, err := contactless.New(lc.otherCard(), contactless.WithUID(uid))
			if err != nil {
				s.Fatalf("%v", err)
			}
			lc.field.Add(other)
		}
		lc.connect()
		collided := false
		for _, x := range lc.field.Exchanges() {
			collided = collided || x.Rx.Collided
		}
		if !collided {
			lc.fail("the cards' UIDs never collided: the case tests nothing")
		}
		out := lc.transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08})
		if len(out) != 10 || !bytes.HasSuffix(out, []byte{0x90, 0x00}) {
			lc.fail("GET CHALLENGE through the selected card: % X", out)
		}
	}),
	lcCase("LINK-CL-004", "A corrupted CRC gets R(NAK), then the true answer", "ISO/IEC 14443-4 §7.5.4.2 rule 4", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:edc:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		lc.wantAfterFault(func(b contactless.Block) bool { return b.Type == contactless.RBlock && b.NAK }, "R(NAK)")
	}),
	lcCase("LINK-CL-005", "No answer: the reader waits the FWT, sends R(NAK), gets the answer", "ISO/IEC 14443-4 §7.2, §7.5.4.2 rule 4", func(s *S) {
		lc := newLinkCase(s, contactless.WithLink(-1, 3, -1, nil)) // FWT 2.4 ms
		defer lc.done()
		lc.connect()
		lc.arm("contactless:drop:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		i := lc.firstFaulted()
		ex, _ := lc.protocol()
		if i >= 0 && i+1 < len(ex) && ex[i+1].Start-ex[i].End < lc.fwt {
			lc.fail("the reader sent again %v after its block, before the FWT of %v ran out", ex[i+1].Start-ex[i].End, lc.fwt)
		}
		lc.wantAfterFault(func(b contactless.Block) bool { return b.Type == contactless.RBlock && b.NAK }, "R(NAK)")
		lc.checkWaits()
	}),
	lcCase("LINK-CL-006", "A truncated frame gets R(NAK)", "ISO/IEC 14443-4 §7.5.4.2 rule 4", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:truncate:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		lc.wantAfterFault(func(b contactless.Block) bool { return b.Type == contactless.RBlock && b.NAK }, "R(NAK)")
	}),
	lcCase("LINK-CL-007", "An unsolicited S(WTX): answered with the same WTXM, FWT × WTXM honoured", "ISO/IEC 14443-4 §7.3", func(s *S) {
		lc := newLinkCase(s, contactless.WithLink(-1, 3, -1, nil))
		defer lc.done()
		lc.connect()
		lc.arm("contactless:wtx:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		lc.wantAfterFault(func(b contactless.Block) bool {
			return b.Type == contactless.SBlock && b.S == contactless.WTX && b.WTXM() == 1
		}, "S(WTX) with WTXM 1")
		lc.checkWaits()
	}),
	lcCase("LINK-CL-008", "A slow command: repeated S(WTX) honoured until the answer", "ISO/IEC 14443-4 §7.3", func(s *S) {
		slow := func(_, _ []byte, _ uint64) time.Duration { return 40 * time.Millisecond }
		lc := newLinkCase(s, contactless.WithLink(-1, 2, -1, nil), contactless.WithProcessingTime(slow)) // FWT 1.2 ms
		defer lc.done()
		lc.connect()
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		_, blocks := lc.protocol()
		wtx := 0
		for _, b := range blocks {
			if b.Type == contactless.SBlock && b.S == contactless.WTX {
				wtx++
			}
		}
		if wtx == 0 {
			lc.fail("the card asked for more time and the reader never answered S(WTX)")
		}
		lc.checkWaits()
	}),
	lcCase("LINK-CL-009", "A card announcing FSC 16: the reader chains its command within it", "ISO/IEC 14443-4 §5.2.3, §7.5.2", func(s *S) {
		lc := newLinkCase(s, contactless.WithType(contactless.TypeA))
		defer lc.done()
		lc.arm("contactless:tiny-frame:always")
		lc.connect()
		if ats, err := contactless.ParseATS(lc.act.ATS); err != nil || ats.FSCI != 0 {
			lc.fatal("the ATS should announce FSCI 0: % X", lc.act.ATS)
		}
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		lc.checkFSC(16)
		_, blocks := lc.protocol()
		chained := false
		for _, b := range blocks {
			chained = chained || b.Type == contactless.IBlock && b.Chaining
		}
		if !chained {
			lc.fail("a 21-byte command to a card with FSC 16 went in one block")
		}
	}),
	lcCase("LINK-CL-010", "The card chains its answer: R(ACK) for each block", "ISO/IEC 14443-4 §7.5.2, rule B", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:tiny-frame:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		ex, blocks := lc.protocol()
		acks := 0
		for i, b := range blocks {
			if b.Type == contactless.RBlock && !b.NAK {
				acks++
				if prev, ok := cardBlock(ex[i-1]); !ok || !prev.Chaining {
					lc.fail("R(ACK) after %s, which did not chain", prev)
				}
			}
		}
		if acks < 2 {
			lc.fail("%d R(ACK) for an answer chained in 16-byte frames", acks)
		}
	}),
	lcCase("LINK-CL-011", "A lost block while the card chains: R(ACK), not R(NAK)", "ISO/IEC 14443-4 §7.5.4.2 rule 5", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:tiny-frame:nth=1", "contactless:drop:nth=2")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		ex, blocks := lc.protocol()
		for i := range ex {
			if ex[i].Faults != "" && ex[i].Err != nil {
				if i+1 >= len(blocks) || blocks[i+1].Type != contactless.RBlock || blocks[i+1].NAK {
					lc.fail("after a lost chained block the reader sent %s, not R(ACK)", blocks[min(i+1, len(blocks)-1)])
				}
				return
			}
		}
		lc.fail("no chained block was lost")
	}),
	lcCase("LINK-CL-012", "A wrong 61xx is passed on as the card sent it", "ISO/IEC 14443-4 §7 (transparent); CARD.md §7", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:wrong-61xx:nth=1")
		cmd := selectSSSEFCI[:len(selectSSSEFCI)-1] // no Le: the FCI waits for GET RESPONSE
		out := lc.transmit(cmd)
		want := lc.expected(cmd)
		want[1]++
		if !bytes.Equal(out, want) {
			lc.fail("the reader returned % X, the card sent % X", out, want)
		}
	}),
	lcCase("LINK-CL-013", "A wrong 6Cxx is passed on as the card sent it", "ISO/IEC 14443-4 §7 (transparent); CARD.md §7", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:wrong-6cxx:nth=1")
		out := lc.transmit(selectSSSEFCI)
		want := []byte{0x6C, byte(len(lc.expected(selectSSSEFCI)) - 1)}
		if !bytes.Equal(out, want) {
			lc.fail("the reader returned % X, the card sent % X", out, want)
		}
	}),
	lcCase("LINK-CL-014", "A replaced status word is passed on as the card sent it", "ISO/IEC 14443-4 §7 (transparent)", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:sw=6F00:nth=1")
		out := lc.transmit(selectSSSEFCI)
		want := lc.expected(selectSSSEFCI)
		want = append(want[:len(want)-2], 0x6F, 0x00)
		if !bytes.Equal(out, want) {
			lc.fail("the reader returned % X, the card sent % X", out, want)
		}
	}),
	lcCase("LINK-CL-015", "Power lost mid-command: the reader reports an error in bounded time and can start over", "ISO/IEC 14443-4 §7.5.4; CARD.md §6 [model: NVM tearing]", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.transmit(selectSSSEFCI[:len(selectSSSEFCI)-1])
		before := lc.card.Cells()
		lc.arm("contactless:power-loss=1:nth=1")
		start := lc.field.Now()
		out, err := lc.reader.Transmit([]byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21})
		if err == nil {
			lc.fail("the card lost power and the reader returned % X", out)
		}
		if took := lc.field.Now() - start; took > 10*lc.fwt+time.Second {
			lc.fail("the reader took %v to give up", took)
		}
		if after := lc.card.Cells(); !cellsEqual(before, after) {
			lc.fail("the torn write changed the card image")
		}
		lc.picc.SetFaults(nil)
		lc.connect()
		lc.transmit(selectSSSEFCI[:len(selectSSSEFCI)-1])
		if out := lc.transmit([]byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21}); !bytes.Equal(out, []byte{0x63, 0xC2}) {
			lc.fail("after the power loss a wrong PIN gets % X: a try was lost to the torn write", out)
		}
	}),
	lcCase("LINK-CL-016", "A card that answers only garbage: the reader gives up in bounded time", "ISO/IEC 14443-4 §7.5.4.2", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.arm("contactless:edc:always")
		if out, err := lc.reader.Transmit(selectSSSEFCI); err == nil {
			lc.fail("every answer had a bad CRC and the reader returned % X", out)
		}
		if ex, _ := lc.protocol(); len(ex) > 20 {
			lc.fail("the reader sent %d blocks before giving up", len(ex))
		}
	}),
	lcCase("LINK-CL-017", "Block numbers alternate from APDU to APDU", "ISO/IEC 14443-4 §7.5.3.2 rules 1–2", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.transmit(selectSSSEFCI)
		out := lc.transmit(readEF05)
		lc.wantAnswer(out, selectSSSEFCI, readEF05)
		lc.transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08})
		_, blocks := lc.protocol()
		var nums []byte
		for _, b := range blocks {
			if b.Type == contactless.IBlock {
				nums = append(nums, b.Num)
			}
		}
		if !bytes.Equal(nums, []byte{0, 1, 0}) {
			lc.fail("I-block numbers %v, want [0 1 0]", nums)
		}
	}),
	lcCase("LINK-CL-018", "Type B: a corrupted CRC_B gets R(NAK)", "ISO/IEC 14443-3 §7.2; ISO/IEC 14443-4 §7.5.4.2 rule 4", func(s *S) {
		lc := newLinkCase(s, contactless.WithType(contactless.TypeB))
		defer lc.done()
		lc.connect()
		lc.arm("contactless:edc:nth=1")
		out := lc.transmit(selectSSSEFCI)
		lc.wantAnswer(out, selectSSSEFCI)
		lc.wantAfterFault(func(b contactless.Block) bool { return b.Type == contactless.RBlock && b.NAK }, "R(NAK)")
	}),
	lcCase("LINK-CL-019", "Disconnect deactivates the card (S(DESELECT) or field off)", "ISO/IEC 14443-4 §8", func(s *S) {
		lc := newLinkCase(s)
		defer lc.done()
		lc.connect()
		lc.transmit(selectSSSEFCI)
		if err := lc.reader.Disconnect(); err != nil {
			lc.fail("disconnect: %v", err)
		}
		if st := lc.picc.State(); st != "HALT" && st != "POWER-OFF" {
			lc.fail("after disconnect the card is in %s", st)
		}
	}),
}

// otherCard is another card of the case's profile, for a crowded field.
func (lc *linkCase) otherCard() *emulator.Card {
	c, err := emulator.New(lc.s.Profile(), emulator.WithSeed(caseSeed(lc.s.c.ID)+1))
	if err != nil {
		lc.s.Fatalf("building another card: %v", err)
	}
	return c
}

// wantAnswer checks the reader returned what the card answers the last of
// cmds after the others.
func (lc *linkCase) wantAnswer(out []byte, cmds ...[]byte) {
	if want := lc.expected(cmds...); !bytes.Equal(out, want) {
		lc.fail("the reader returned % X, the card answered % X", out, want)
	}
}

// wantAfterFault checks the reader's frame right after the first faulted
// answer.
func (lc *linkCase) wantAfterFault(ok func(contactless.Block) bool, what string) {
	i := lc.firstFaulted()
	_, blocks := lc.protocol()
	switch {
	case i < 0:
		lc.fail("no fault fired")
	case i+1 >= len(blocks):
		lc.fail("the reader sent nothing after the faulty frame")
	case !ok(blocks[i+1]):
		lc.fail("after the faulty frame the reader sent %s, want %s", blocks[i+1], what)
	}
}

func cellsEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
