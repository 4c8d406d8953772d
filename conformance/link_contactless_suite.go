package conformance

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/pcd"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// The link-contactless suite turns the tables: the card is the model, the
// reader is under test. Each case puts the card of its profile in a
// contactless.Field, injects a fault of emulator/link into the card's
// frames, lets the reader connect and exchange APDUs, and checks what the
// reader did: whether it sent R(NAK) or R(ACK) or the block again, how
// long it listened (FWT, FWT × WTXM), whether it waited the SFGT, kept to
// the card's FSC, passed the card's answer on as sent, and gave up in
// bounded time when the card was gone.
//
// The reader is the reference PCD of conformance/pcd unless
// ContactlessReader says otherwise, or the environment variable SSCARD_PCD
// names a reader behind the frame stream: "exec:PROGRAM [ARGS]" or
// "tcp:HOST:PORT" (see conformance/pcd, stream.go).

// LinkContactlessSuite is the name of the contactless link-layer suite.
const LinkContactlessSuite = "link-contactless"

// ContactlessReader opens the reader the link-contactless suite plays
// against, one per case; close ends it. Nil: SSCARD_PCD, or the
// reference PCD.
var ContactlessReader func() (r pcd.Reader, close func() error, err error)

// openContactlessReader returns the reader of one case and its name.
func openContactlessReader() (pcd.Reader, func() error, string, error) {
	if ContactlessReader != nil {
		r, c, err := ContactlessReader()
		return r, c, "reader under test", err
	}
	if spec := os.Getenv("SSCARD_PCD"); spec != "" {
		open, err := StreamContactlessReader(spec)
		if err != nil {
			return nil, nil, spec, err
		}
		r, c, err := open()
		return r, c, spec, err
	}
	return pcd.New(pcd.Options{}), func() error { return nil }, "reference PCD", nil
}

// StreamContactlessReader returns a ContactlessReader for the reader a
// spec names (link.ParsePeer): a program or a socket behind the frame
// stream, a session per case.
func StreamContactlessReader(spec string) (func() (pcd.Reader, func() error, error), error) {
	p, err := link.ParsePeer(spec)
	if err != nil {
		return nil, err
	}
	return func() (pcd.Reader, func() error, error) {
		sr, err := pcd.OpenPeer(p)
		if err != nil {
			return nil, nil, err
		}
		return sr, sr.Close, nil
	}, nil
}

func needsContactless(p *profile.Profile) string {
	if !p.Interfaces.Contactless {
		return "the card has no contactless interface"
	}
	return ""
}

// linkCase is one case's card, field and reader.
type linkCase struct {
	s      *S
	card   *emulator.Card
	picc   *contactless.PICC
	field  *contactless.Field
	trace  *link.Trace
	reader pcd.Reader
	name   string
	close  func() error
	act    *pcd.Activation
	// activated is the number of the reader's frames when Connect
	// returned: the protocol exchanges start there.
	activated int
	fsc       int
	fwt       time.Duration
}

// newLinkCase builds the card of the case's profile behind a field, with
// the PICC options given, and opens the reader.
func newLinkCase(s *S, opts ...contactless.Option) *linkCase {
	card, err := emulator.New(s.Profile(), emulator.WithSeed(caseSeed(s.c.ID)))
	if err != nil {
		s.Fatalf("building the card: %v", err)
	}
	p, err := contactless.New(card, append([]contactless.Option{contactless.WithSeed(caseSeed(s.c.ID))}, opts...)...)
	if err != nil {
		s.Fatalf("the contactless door: %v", err)
	}
	lc := &linkCase{s: s, card: card, picc: p, trace: &link.Trace{}}
	lc.field = contactless.NewField(contactless.WithTrace(lc.trace))
	lc.field.Add(p)
	r, closeFn, name, err := openContactlessReader()
	if err != nil {
		s.Fatalf("opening the reader %s: %v", name, err)
	}
	lc.reader, lc.close, lc.name = r, closeFn, name
	return lc
}

func (lc *linkCase) done() {
	if err := lc.close(); err != nil {
		lc.s.Errorf("closing the reader: %v", err)
	}
}

// fail records a failure with the air trace, for the reader's developer.
func (lc *linkCase) fail(format string, args ...any) {
	lc.s.Errorf("%s (%s)\n%s", fmt.Sprintf(format, args...), lc.name, lc.traceText())
}

func (lc *linkCase) fatal(format string, args ...any) {
	lc.fail(format, args...)
	panic(stopCase{})
}

func (lc *linkCase) traceText() string {
	var b bytes.Buffer
	frames := lc.trace.Frames
	if len(frames) > 60 {
		fmt.Fprintf(&b, "... %d frames before\n", len(frames)-60)
		frames = frames[len(frames)-60:]
	}
	(&link.Trace{Frames: frames}).WriteText(&b)
	return strings.TrimRight(b.String(), "\n")
}

// connect lets the reader activate the card; it must succeed.
func (lc *linkCase) connect() *pcd.Activation {
	lc.s.Step("activation")
	act, err := lc.reader.Connect(lc.field)
	if err != nil {
		lc.fatal("the reader could not activate the card: %v", err)
	}
	lc.act = act
	lc.activated = len(lc.field.Exchanges())
	lc.fsc, lc.fwt = 256, contactless.FWT(4)
	if act.Type == contactless.TypeA {
		if ats, err := contactless.ParseATS(act.ATS); err == nil {
			lc.fsc, lc.fwt = contactless.FrameSize(ats.FSCI), contactless.FWT(ats.FWI)
		}
	} else if q, err := contactless.ParseATQB(act.ATQB); err == nil {
		lc.fsc, lc.fwt = contactless.FrameSize(q.FSCI), contactless.FWT(q.FWI)
	}
	return act
}

// arm injects faults into the card's frames from its next frame on.
func (lc *linkCase) arm(faults ...string) {
	var fs []link.Fault
	for _, f := range faults {
		fault, err := link.ParseFault(f)
		if err != nil {
			panic(fmt.Sprintf("case %s: fault %q: %v", lc.s.c.ID, f, err))
		}
		fs = append(fs, fault)
	}
	lc.picc.SetFaults(link.NewInjector(caseSeed(lc.s.c.ID), fs...))
}

// expected returns what the card answers an APDU, from a twin of the card
// that went through the same commands (a bare Card.Transmit).
func (lc *linkCase) expected(cmds ...[]byte) []byte {
	twin, err := emulator.New(lc.s.Profile(), emulator.WithSeed(caseSeed(lc.s.c.ID)))
	if err != nil {
		lc.s.Fatalf("building the twin card: %v", err)
	}
	var out []byte
	for _, c := range cmds {
		if out, err = twin.Transmit(c); err != nil {
			lc.s.Fatalf("the twin card: %v", err)
		}
	}
	return out
}

// transmit sends an APDU through the reader; it must succeed.
func (lc *linkCase) transmit(capdu []byte) []byte {
	out, err := lc.reader.Transmit(capdu)
	if err != nil {
		lc.fatal("the reader could not exchange % X: %v", capdu, err)
	}
	return out
}

// protocol returns the reader's frames since the activation, with their
// blocks decoded (invalid ones have Type 0).
func (lc *linkCase) protocol() ([]contactless.Exchange, []contactless.Block) {
	ex := lc.field.Exchanges()[lc.activated:]
	blocks := make([]contactless.Block, len(ex))
	for i, x := range ex {
		if body, ok := contactless.CheckCRC(x.Tx.Type, x.Tx.Data); ok {
			blocks[i], _ = contactless.ParseBlock(body)
		}
	}
	return ex, blocks
}

// cardBlock decodes the card's answer of an exchange.
func cardBlock(x contactless.Exchange) (contactless.Block, bool) {
	if x.Err != nil || x.Rx.Collided {
		return contactless.Block{}, false
	}
	body, ok := contactless.CheckCRC(x.Tx.Type, x.Rx.Data)
	if !ok {
		return contactless.Block{}, false
	}
	b, err := contactless.ParseBlock(body)
	return b, err == nil
}

// checkFSC checks no frame of the reader since the activation was longer
// than the card's FSC (ISO/IEC 14443-4 §7.1.1.2).
func (lc *linkCase) checkFSC(fsc int) {
	ex, _ := lc.protocol()
	for _, x := range ex {
		if len(x.Tx.Data) > fsc {
			lc.fail("the reader sent a frame of %d bytes to a card whose FSC is %d", len(x.Tx.Data), fsc)
			return
		}
	}
}

// checkWaits checks the reader listened at least FWT after each block,
// and FWT × WTXM after answering S(WTX) (ISO/IEC 14443-4 §7.2, §7.3).
func (lc *linkCase) checkWaits() {
	ex, blocks := lc.protocol()
	for i, x := range ex {
		want := lc.fwt
		if b := blocks[i]; b.Type == contactless.SBlock && b.S == contactless.WTX {
			want = min(time.Duration(b.WTXM())*lc.fwt, contactless.MaxFWT)
		} else if b.Type == contactless.SBlock && b.S == contactless.Deselect {
			continue
		}
		if x.Listen < want {
			lc.fail("after %s the reader listened %v, less than %v", blocks[i], x.Listen, want)
			return
		}
	}
}

// firstFaulted returns the index (in protocol()) of the first exchange
// whose answer carried an injected fault, or -1.
func (lc *linkCase) firstFaulted() int {
	ex, _ := lc.protocol()
	for i, x := range ex {
		if x.Faults != "" {
			return i
		}
	}
	return -1
}

// selectSSSEFCI is SELECT of the SSSE by AID with Le: its answer is the
// FCI, the same on every model card of a profile.
var selectSSSEFCI = []byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF, 0x00}

// readEF05 reads the card identifier record by SFI.
var readEF05 = []byte{0x00, 0xB2, 0x01, 0x2C, 0x00}
