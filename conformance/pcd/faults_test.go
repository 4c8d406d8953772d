package pcd

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/link"
)

// faultRig is a card with injected faults and the reference PCD.
type faultRig struct {
	t  *testing.T
	p  *contactless.PICC
	f  *contactless.Field
	tr *link.Trace
	r  *PCD
}

// The card frames of a Type A activation with no PPS: ATQA, UID CL1, SAK,
// ATS. The answer to the first APDU is frame 5.
const firstAnswer = 5

func newFaultRig(t *testing.T, iso string, faults ...string) *faultRig {
	t.Helper()
	var fs []link.Fault
	for _, s := range faults {
		f, err := link.ParseFault(s)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	p := piccOf(t, iso, contactless.WithFaults(link.NewInjector(1, fs...)))
	f, tr := fieldOf(p)
	return &faultRig{t: t, p: p, f: f, tr: tr, r: New(Options{})}
}

// after returns the exchanges from the first one whose answer carried a
// fault.
func (fr *faultRig) afterFault() []contactless.Exchange {
	ex := fr.f.Exchanges()
	for i, x := range ex {
		if x.Faults != "" {
			return ex[i:]
		}
	}
	fr.t.Fatalf("no fault fired\n%s", dump(fr.tr))
	return nil
}

func blockOf(x contactless.Exchange) contactless.Block {
	body, _ := contactless.CheckCRC(x.Tx.Type, x.Tx.Data)
	b, _ := contactless.ParseBlock(body)
	return b
}

// Every fault kind against the reference PCD: what the reader does about
// each, and that the APDU still gets its true answer when the link
// recovers.
func TestFaultsAgainstReferencePCD(t *testing.T) {
	fwt := contactless.FWT(contactless.DefaultFWI)
	t.Run("corrupted CRC: R(NAK), then the answer", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:edc:nth=5")
		mustConnect(t, fr.r, fr.f, fr.tr)
		out := mustTransmit(t, fr.r, getChallenge, fr.tr)
		if len(out) != 10 {
			t.Fatalf("% X", out)
		}
		ex := fr.afterFault()
		if b := blockOf(ex[1]); b.Type != contactless.RBlock || !b.NAK {
			t.Errorf("after a bad CRC the reader sent %s\n%s", b, dump(fr.tr))
		}
	})
	t.Run("dropped answer: wait FWT, R(NAK), then the answer", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:drop:nth=5")
		mustConnect(t, fr.r, fr.f, fr.tr)
		mustTransmit(t, fr.r, getChallenge, fr.tr)
		ex := fr.afterFault()
		if ex[0].Listen < fwt || !errors.Is(ex[0].Err, contactless.ErrTimeout) {
			t.Errorf("the reader listened %v (FWT %v): %v", ex[0].Listen, fwt, ex[0].Err)
		}
		if ex[1].Start-ex[0].End < fwt {
			t.Errorf("the reader sent again %v after its frame, before the FWT %v", ex[1].Start-ex[0].End, fwt)
		}
		if b := blockOf(ex[1]); b.Type != contactless.RBlock || !b.NAK {
			t.Errorf("after a time-out the reader sent %s", b)
		}
	})
	t.Run("unsolicited WTX: S(WTX) answered, FWT × WTXM honoured", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:wtx:nth=5")
		mustConnect(t, fr.r, fr.f, fr.tr)
		if out := mustTransmit(t, fr.r, getChallenge, fr.tr); len(out) != 10 {
			t.Fatalf("% X", out)
		}
		ex := fr.afterFault()
		b := blockOf(ex[1])
		if b.Type != contactless.SBlock || b.S != contactless.WTX || b.WTXM() != 1 {
			t.Fatalf("answer to S(WTX,1): %s", b)
		}
		if ex[1].Listen < fwt {
			t.Errorf("after the WTX the reader listened %v < FWT × 1", ex[1].Listen)
		}
	})
	t.Run("needed WTX: a slow command answered through S(WTX)", func(t *testing.T) {
		slow := func(_, _ []byte, _ uint64) time.Duration { return 100 * time.Millisecond }
		p := piccOf(t, `{"fwi": 5}`, contactless.WithProcessingTime(slow))
		f, tr := fieldOf(p)
		r := New(Options{})
		mustConnect(t, r, f, tr)
		mustTransmit(t, r, getChallenge, tr)
		var wtx []contactless.Exchange
		for _, x := range f.Exchanges() {
			if b := blockOf(x); b.Type == contactless.SBlock && b.S == contactless.WTX {
				wtx = append(wtx, x)
				if x.Listen < time.Duration(b.WTXM())*contactless.FWT(5) {
					t.Errorf("WTXM %d: the reader listened %v", b.WTXM(), x.Listen)
				}
			}
		}
		if len(wtx) == 0 {
			t.Fatalf("no S(WTX) for a command of 100 ms at FWT %v\n%s", contactless.FWT(5), dump(tr))
		}
	})
	t.Run("tiny FSC: the reader chains in 16-byte frames", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:tiny-frame:nth=4")
		mustConnect(t, fr.r, fr.f, fr.tr)
		out := mustTransmit(t, fr.r, selectSSSE, fr.tr)
		if out[0] != 0x6F {
			t.Fatalf("% X", out)
		}
		chained := 0
		for _, x := range fr.f.Exchanges()[4:] {
			if len(x.Tx.Data) > 16 {
				t.Errorf("a frame of %d bytes to a card with FSC 16", len(x.Tx.Data))
			}
			if b := blockOf(x); b.Type == contactless.IBlock && b.Chaining {
				chained++
			}
		}
		if chained == 0 {
			t.Error("a 21-byte command to FSC 16 went unchained")
		}
	})
	t.Run("truncated frame: R(NAK)", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:truncate=3:nth=5")
		mustConnect(t, fr.r, fr.f, fr.tr)
		mustTransmit(t, fr.r, getChallenge, fr.tr)
		ex := fr.afterFault()
		if len(ex[0].Rx.Data) != 3 {
			t.Errorf("truncated to %d bytes", len(ex[0].Rx.Data))
		}
		if b := blockOf(ex[1]); b.Type != contactless.RBlock || !b.NAK {
			t.Errorf("after a cut frame: %s", b)
		}
	})
	for _, c := range []struct{ fault, want string }{
		{"contactless:sw=6A82:nth=5", "6A82"},
		{"contactless:wrong-6cxx:nth=5", "6C09"},
	} {
		t.Run(c.fault+": the reader passes the answer on as sent", func(t *testing.T) {
			fr := newFaultRig(t, `{}`, c.fault)
			mustConnect(t, fr.r, fr.f, fr.tr)
			out := mustTransmit(t, fr.r, getChallenge, fr.tr)
			if sw := out[len(out)-2:]; !bytes.Equal(sw, mustHex(c.want)) {
				t.Errorf("status % X, want %s", sw, c.want)
			}
		})
	}
	t.Run("wrong 61xx: transparent, and a terminal's GET RESPONSE loop ends", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:wrong-61xx:nth=5")
		mustConnect(t, fr.r, fr.f, fr.tr)
		// SELECT without Le: the card keeps the FCI for GET RESPONSE (61 1E).
		out := mustTransmit(t, fr.r, selectSSSE[:len(selectSSSE)-1], fr.tr)
		if !bytes.Equal(out, []byte{0x61, 0x1F}) {
			t.Fatalf("% X, want 61 1F (one more than the 1E the card holds)", out)
		}
		resp, err := terminal.Exchange(terminal.TransportFunc(fr.r.Transmit), iso7816.Command{CLA: 0, INS: 0xC0, Ne: 0x1F})
		if err != nil {
			t.Fatal(err)
		}
		_ = resp
	})
	t.Run("power loss mid-command: no answer, a consistent card, a new activation works", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:power-loss=1:nth=6")
		mustConnect(t, fr.r, fr.f, fr.tr)
		mustTransmit(t, fr.r, selectSSSE[:len(selectSSSE)-1], fr.tr)
		card := fr.p.Card()
		before := card.Cells()
		// A wrong PIN writes the try counter: the power goes at its first write.
		_, err := fr.r.Transmit([]byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21})
		if !errors.Is(err, ErrLink) {
			t.Fatalf("a card that lost power: %v\n%s", err, dump(fr.tr))
		}
		after := card.Cells()
		if !slices.EqualFunc(before, after, bytes.Equal) {
			// A torn first write rolls back: the try counter is as before.
			t.Errorf("the card image changed through a torn write")
		}
		// The reader tried R(NAK) Retries times after the silence, no more.
		ex := fr.afterFault()
		naks := 0
		for _, x := range ex[1:] {
			if b := blockOf(x); b.Type == contactless.RBlock && b.NAK {
				naks++
			}
		}
		if naks != 2 {
			t.Errorf("%d R(NAK) to a card without power, want 2\n%s", naks, dump(fr.tr))
		}
		mustConnect(t, fr.r, fr.f, fr.tr)
		mustTransmit(t, fr.r, selectSSSE[:len(selectSSSE)-1], fr.tr)
		out := mustTransmit(t, fr.r, []byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21}, fr.tr)
		if !bytes.Equal(out, []byte{0x63, 0xC2}) {
			t.Errorf("after the power loss a wrong PIN gets % X, want 63 C2 (no try lost)", out)
		}
	})
	t.Run("CRC corrupted always: the reader gives up after its retries", func(t *testing.T) {
		fr := newFaultRig(t, `{}`, "contactless:edc:every=1")
		fr.r = New(Options{Retries: 3})
		if _, err := fr.r.Connect(fr.f); !errors.Is(err, ErrActivation) {
			t.Fatalf("connect through corrupted CRCs: %v", err)
		}
	})
	t.Run("one in three frames dropped: seeded, the same run twice", func(t *testing.T) {
		run := func() string {
			fr := newFaultRig(t, `{}`, "contactless:drop:p=1/3")
			fr.r = New(Options{Retries: 6})
			if _, err := fr.r.Connect(fr.f); err == nil {
				fr.r.Transmit(selectSSSE)
				fr.r.Transmit(getChallenge)
			}
			return dump(fr.tr)
		}
		if a, b := run(), run(); a != b {
			t.Errorf("two runs with one seed differ:\n%s\n%s", a, b)
		}
	})
}

func mustHex(s string) []byte {
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'A') + 10
			}
		}
		b = append(b, v)
	}
	return b
}

// A fault on any frame of the activation: the reference PCD still gets
// the card activated (it starts over, with a field reset when the card
// is past the point of no return).
func TestFaultsDuringActivation(t *testing.T) {
	for _, typ := range []contactless.Type{contactless.TypeA, contactless.TypeB} {
		for n := 1; n <= 6; n++ {
			for _, kind := range []string{"drop", "edc", "truncate"} {
				fault := "contactless:" + kind + ":nth=" + string(rune('0'+n))
				t.Run(typ.String()+" "+fault, func(t *testing.T) {
					fs, _ := link.ParseFault(fault)
					p := piccOf(t, `{}`, contactless.WithType(typ), contactless.WithFaults(link.NewInjector(1, fs)))
					f, tr := fieldOf(p)
					r := New(Options{Type: typ})
					mustConnect(t, r, f, tr)
					mustTransmit(t, r, getChallenge, tr)
				})
			}
		}
	}
}

// A card that asks for more time for ever, or chains for ever: the
// reference PCD gives up.
func TestEndlessCard(t *testing.T) {
	f := &scriptedAir{}
	r := New(Options{})
	r.air, r.typ, r.fsc, r.fwt = f, contactless.TypeA, 256, contactless.FWT(4)
	r.act = &Activation{Type: contactless.TypeA}
	f.answer = func(contactless.Tx) []byte { return []byte{0xF2, 0x01} } // S(WTX) again and again
	if _, err := r.Transmit(getChallenge); !errors.Is(err, ErrLink) || f.n > maxWTX+2 {
		t.Errorf("endless WTX: %v after %d frames", err, f.n)
	}
	r.act, f.n = &Activation{Type: contactless.TypeA}, 0
	num := byte(0)
	f.answer = func(contactless.Tx) []byte { // chained I-blocks for ever
		b := contactless.Block{Type: contactless.IBlock, Num: num, Chaining: true, INF: make([]byte, 250)}.Append(nil)
		num ^= 1
		return b
	}
	if _, err := r.Transmit(getChallenge); !errors.Is(err, ErrProtocol) {
		t.Errorf("endless chaining: %v after %d frames", err, f.n)
	}
}

type scriptedAir struct {
	n      int
	answer func(contactless.Tx) []byte
}

func (a *scriptedAir) SetField(bool)      {}
func (a *scriptedAir) Wait(time.Duration) {}
func (a *scriptedAir) Now() time.Duration { return 0 }
func (a *scriptedAir) Transceive(tx contactless.Tx) (contactless.Rx, error) {
	a.n++
	return contactless.Rx{Data: contactless.AppendCRC(tx.Type, a.answer(tx))}, nil
}
