// Package linkcontact is the link-layer conformance suite of readers on the
// contact interface (suite "link-contact"): each case plays the card side
// (emulator/contact in front of an emulated card) against a reader, injects
// faults into the card's frames, and checks what the reader does: that it
// resends, asks with R-blocks carrying the right error bits, fetches 61xx
// with GET RESPONSE, sends again after 6Cxx, honours WT, BWT and WTX,
// resynchronises, respects IFSC, deactivates when ISO/IEC 7816-3 says so,
// and that its results are the card's.
//
// The registered suite runs the cases against the reference IFD
// (conformance/ifd). Run and Cases run them against any reader given as an
// ifd.Factory: a Go implementation, or another program through the frame
// stream (ifd.Command, ifd.Dial).
package linkcontact

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// Reporter is where a case reports: *testing.T, or a conformance.S.
type Reporter interface {
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// seed makes every case's card and faults reproducible.
const seed = 7816

// Env is the world of one case: the emulated card and its contact
// interface with the faults of the case, a twin card that gets the same
// commands without a link (the expected answers), and the reader under
// test.
type Env struct {
	rep     Reporter
	factory ifd.Factory
	base    *profile.Profile

	Card   *emulator.Card
	Twin   *emulator.Card
	ICC    *contact.ICC
	Trace  *link.Trace
	Reader ifd.Reader
	closer io.Closer
}

// Setup says what a case needs.
type Setup struct {
	// ATR is a JSON object merged over the profile's "atr" (e.g.
	// `{"protocols":[1],"t1":{"ifsc":16}}`); empty: the profile's.
	ATR string
	// Work is the card's computing time model; nil: contact.DefaultWork.
	Work func(capdu []byte, nvmWrites uint64) time.Duration
	// Faults are armed before activation (ParseFault syntax).
	Faults []string
}

func newEnv(rep Reporter, f ifd.Factory, base *profile.Profile) *Env {
	return &Env{rep: rep, factory: f, base: base}
}

// Open builds the card, its twin, the contact interface and the reader.
func (e *Env) Open(s Setup) {
	p, err := e.profile(s.ATR)
	if err != nil {
		e.rep.Fatalf("setting up the card: %v", err)
	}
	if e.Card, err = emulator.New(p, emulator.WithSeed(seed)); err != nil {
		e.rep.Fatalf("building the card: %v", err)
	}
	if e.Twin, err = emulator.New(p, emulator.WithSeed(seed)); err != nil {
		e.rep.Fatalf("building the twin card: %v", err)
	}
	e.Trace = &link.Trace{}
	e.ICC, err = contact.New(e.Card, contact.Config{Trace: e.Trace, Work: s.Work})
	if err != nil {
		e.rep.Fatalf("contact interface: %v", err)
	}
	if len(s.Faults) > 0 {
		e.Arm(s.Faults...)
	}
	rd, err := e.factory(e.ICC)
	if err != nil {
		e.rep.Fatalf("building the reader: %v", err)
	}
	e.Reader = rd
	if c, ok := rd.(io.Closer); ok {
		e.closer = c
	}
}

// Close releases the reader (a case that opens several cards in turn
// closes each before the next).
func (e *Env) Close() {
	if e.closer != nil {
		e.closer.Close()
		e.closer = nil
	}
}

// Skipf ends the case as skipped.
func (e *Env) Skipf(format string, args ...any) { e.rep.Skipf(format, args...) }

// derived caches the profiles made from a base and an ATR overlay, so
// that their cards share one template.
var derived sync.Map // derivedKey → *profile.Profile

type derivedKey struct {
	base    *profile.Profile
	overlay string
}

// profile is the case's profile: the base with the ATR overlay.
func (e *Env) profile(overlay string) (*profile.Profile, error) {
	if overlay == "" {
		return e.base, nil
	}
	key := derivedKey{e.base, overlay}
	if p, ok := derived.Load(key); ok {
		return p.(*profile.Profile), nil
	}
	p, err := derive(e.base, overlay)
	if err != nil {
		return nil, err
	}
	derived.Store(key, p)
	return p, nil
}

func derive(base *profile.Profile, overlay string) (*profile.Profile, error) {
	e := &Env{base: base}
	var obj map[string]any
	if err := json.Unmarshal(e.base.JSON(), &obj); err != nil {
		return nil, err
	}
	atr, _ := obj["atr"].(map[string]any)
	if atr == nil {
		atr = map[string]any{}
	}
	if h, ok := atr["hex"].(string); ok && h != "" {
		// An ATR given whole: keep its historical bytes, rebuild the rest.
		raw, _ := hex.DecodeString(h)
		a, err := iso7816.ParseATR(raw)
		if err != nil {
			return nil, err
		}
		atr = map[string]any{"historical": fmt.Sprintf("%X", a.Historical)}
	}
	var over map[string]any
	if err := json.Unmarshal([]byte(overlay), &over); err != nil {
		return nil, fmt.Errorf("ATR overlay %s: %w", overlay, err)
	}
	for k, v := range over {
		atr[k] = v
	}
	obj["atr"] = atr
	obj["name"] = fmt.Sprint(obj["name"], "-link")
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return profile.Parse(raw, "")
}

// Arm replaces the faults injected into the card's frames; frames are
// counted from here.
func (e *Env) Arm(faults ...string) {
	var fs []link.Fault
	for _, s := range faults {
		f, err := link.ParseFault(s)
		if err != nil {
			e.rep.Fatalf("case fault: %v", err)
		}
		fs = append(fs, f)
	}
	e.ICC.SetFaults(link.NewInjector(seed, fs...))
}

// Activate activates the card through the reader; failing ends the case.
func (e *Env) Activate() []byte {
	atr, err := e.Reader.Activate()
	if err != nil {
		e.Fatalf("the reader could not activate the card: %v", err)
	}
	if want := e.Card.ATR(); !bytes.Equal(atr, want) {
		e.Errorf("the reader reports ATR %X, the card sent %X", atr, want)
	}
	return atr
}

// Transmit sends a command (hex) through the reader.
func (e *Env) Transmit(capdu string) ([]byte, error) {
	return e.Reader.Transmit(mustHex(capdu))
}

// Expect sends a command through the reader and to the twin, and checks
// that the reader gives the twin's response.
func (e *Env) Expect(capdu string) []byte {
	got, err := e.Transmit(capdu)
	want, terr := e.Twin.Transmit(mustHex(capdu))
	if terr != nil {
		e.Fatalf("twin card: %v", terr)
	}
	if err != nil {
		e.Fatalf("%s: the reader failed: %v", capdu, err)
	}
	if !bytes.Equal(got, want) {
		e.Errorf("%s: the reader gives %X, the card answered %X", capdu, got, want)
	}
	return got
}

// Twin sends a command to the twin only, to keep it in step.
func (e *Env) TwinSend(capdu string) []byte {
	out, err := e.Twin.Transmit(mustHex(capdu))
	if err != nil {
		e.Fatalf("twin card: %v", err)
	}
	return out
}

// Errorf records a failure, with the end of the trace.
func (e *Env) Errorf(format string, args ...any) {
	e.rep.Errorf("%s\n%s", fmt.Sprintf(format, args...), e.tail())
}

// Fatalf records a failure, with the end of the trace, and ends the case.
func (e *Env) Fatalf(format string, args ...any) {
	e.rep.Fatalf("%s\n%s", fmt.Sprintf(format, args...), e.tail())
}

// tail is the last frames of the trace, for failure messages.
func (e *Env) tail() string {
	if e.Trace == nil {
		return ""
	}
	fr := e.Trace.Frames
	if len(fr) > 24 {
		fr = fr[len(fr)-24:]
	}
	var sb strings.Builder
	sb.WriteString("link trace (end):\n")
	(&link.Trace{Frames: fr}).WriteText(&sb)
	return sb.String()
}

// CheckTiming fails the case for every waiting or guard time the reader
// did not honour.
func (e *Env) CheckTiming() {
	for _, v := range e.ICC.Violations() {
		e.Errorf("timing: %s", v)
	}
	fr := e.Trace.Frames
	for i := 1; i < len(fr); i++ {
		if fr[i].Start < fr[i-1].Start {
			e.Errorf("trace: frame %d (%s) starts at %v, before frame %d (%s) at %v", i, fr[i].Note, fr[i].Start, i-1, fr[i-1].Note, fr[i-1].Start)
		}
	}
}

// Mark is a position in the trace.
func (e *Env) Mark() int { return len(e.Trace.Frames) }

// ReaderFrames returns the reader's frames since mark.
func (e *Env) ReaderFrames(mark int) []link.Frame {
	var out []link.Frame
	for _, f := range e.Trace.Frames[mark:] {
		if f.Dir == link.ToCard && !f.IsEvent() {
			out = append(out, f)
		}
	}
	return out
}

// Events returns the notes of the events since mark.
func (e *Env) Events(mark int) []link.Frame {
	var out []link.Frame
	for _, f := range e.Trace.Frames[mark:] {
		if f.IsEvent() {
			out = append(out, f)
		}
	}
	return out
}

// Count counts the events since mark whose note starts with prefix.
func (e *Env) Count(mark int, prefix string) int {
	n := 0
	for _, f := range e.Events(mark) {
		if strings.HasPrefix(f.Note, prefix) {
			n++
		}
	}
	return n
}

// Blocks decodes the reader's T=1 blocks since mark.
func (e *Env) Blocks(mark int) []contact.Block {
	crc := e.ICC.ATR().CRC
	var out []contact.Block
	for _, f := range e.ReaderFrames(mark) {
		if b, err := contact.ParseBlock(f.Data, crc); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// Failed reports a reader error that the case expected, checking it is an
// error and not a response.
func (e *Env) MustFail(capdu string) error {
	out, err := e.Transmit(capdu)
	if err == nil {
		e.Fatalf("%s: the reader returned %X though the card never answered", capdu, out)
	}
	return err
}

// Reactivate activates again after a failure, if the reader deactivated
// (it may also have kept the card active after a resynchronisation).
func (e *Env) Reactivate() {
	if e.ICC.Params().Active {
		return
	}
	e.Activate()
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(fmt.Sprintf("linkcontact: bad hex literal %q", s))
	}
	return b
}
