//go:build pcsc

package pcsc_test

// End-to-end tests: emulated cards in vpcd's readers, reached through pcscd
// by this package, by the conformance suites and by third-party PC/SC
// programs. They need pcscd running with vsmartcard-vpcd; without them they
// skip, or fail with SSCARD_REQUIRE_PCSC=1.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/pcsc"
	"github.com/sscard/sscard/conformance/pcsc/pcsctest"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// ssseAID is the SSSE's DF name: "sx1.sh." and 社会保障 in GBK.
var ssseAID = []byte{0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF}

// cardPersonas are the built-in personas of social security cards.
var cardPersonas = []string{"default", "activated", "pin-blocked", "expired", "lost", "cancelled", "gen2", "trace-1.00"}

func openEmulator(t testing.TB, persona string, seed uint64) *emulator.Card {
	t.Helper()
	c, err := emulator.Open(persona, emulator.WithSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// connect connects to the card in reader, closed at the end of t.
func connect(t testing.TB, e *pcsctest.Emulation, reader string, o pcsc.Options) *pcsc.Card {
	t.Helper()
	c, err := e.Ctx.Connect(reader, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing: %v", err)
		}
	})
	return c
}

func TestReadersAndATR(t *testing.T) {
	card := openEmulator(t, "activated", 1)
	psam := openEmulator(t, "psam", 2)
	e := pcsctest.Emulate(t, card, psam)
	readers, err := e.Ctx.Readers()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{pcsctest.CardReader, pcsctest.PSAMReader} {
		present, err := e.Ctx.CardPresent(r)
		if err != nil || !present {
			t.Errorf("CardPresent(%q) = %v, %v; readers %q", r, present, err, readers)
		}
	}
	for _, tc := range []struct {
		reader string
		c      *emulator.Card
	}{{pcsctest.CardReader, card}, {pcsctest.PSAMReader, psam}} {
		pc := connect(t, e, tc.reader, pcsc.Options{})
		if !bytes.Equal(pc.ATR(), tc.c.ATR()) {
			t.Errorf("%s: ATR through PC/SC % X, the card's % X", tc.reader, pc.ATR(), tc.c.ATR())
		}
		if pc.Protocol() != pcsc.T0 || pc.Reader() != tc.reader {
			t.Errorf("%s: protocol %v, reader %q; want T=0 (the ATR offers only T=0)", tc.reader, pc.Protocol(), pc.Reader())
		}
	}
}

// readEF05 selects the SSSE and reads the EF05 data items by record
// identifier: card identifier (01), version (03), card number (07).
func readEF05(t testing.TB, tr terminal.Transport) [][]byte {
	t.Helper()
	if r, err := terminal.SelectByName(tr, ssseAID); err != nil || r.SW != iso7816.SWOK {
		t.Fatalf("SELECT SSSE: %v %v", r, err)
	}
	var out [][]byte
	for _, id := range []byte{0x01, 0x03, 0x07} {
		r, err := terminal.ReadRecord(tr, 5, id)
		if err != nil || r.SW != iso7816.SWOK {
			t.Fatalf("READ RECORD EF05 %02X: %v %v", id, r, err)
		}
		out = append(out, r.Bytes())
	}
	return out
}

// The card's data read through pcscd is what the model gives, and what the
// profile says.
func TestReadEF05ThroughReader(t *testing.T) {
	for _, persona := range []string{"activated", "gen2", "trace-1.00"} {
		t.Run(persona, func(t *testing.T) {
			e := pcsctest.Emulate(t, openEmulator(t, persona, 1), nil)
			got := readEF05(t, connect(t, e, pcsctest.CardReader, pcsc.Options{}))
			want := readEF05(t, openEmulator(t, persona, 1))
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("record %d: reader % X, model % X", i, got[i], want[i])
				}
			}
			p, err := profile.Load(persona)
			if err != nil {
				t.Fatal(err)
			}
			if id := p.SSSE.Identity; !bytes.Contains(got[2], []byte(id.CardNumber)) {
				t.Errorf("card number record % X lacks the profile's %q", got[2], id.CardNumber)
			}
			if !bytes.Contains(got[1], []byte(p.Generation)) {
				t.Errorf("version record % X lacks the profile's %q", got[1], p.Generation)
			}
		})
	}
}

// The PSAM in slot 1 answers: DF01 selects and EF16 holds the profile's
// terminal number.
func TestPSAMInSlot1(t *testing.T) {
	psam := openEmulator(t, "psam", 2)
	e := pcsctest.Emulate(t, openEmulator(t, "activated", 1), psam)
	pc := connect(t, e, pcsctest.PSAMReader, pcsc.Options{})
	ps := &terminal.PSAM{T: pc}
	if err := ps.Select(); err != nil {
		t.Fatal(err)
	}
	got, err := ps.TerminalNumber()
	if err != nil {
		t.Fatal(err)
	}
	model := &terminal.PSAM{T: openEmulator(t, "psam", 2)}
	if err := model.Select(); err != nil {
		t.Fatal(err)
	}
	want, err := model.TerminalNumber()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("terminal number % X, model % X", got, want)
	}
}

// With HostT0 a T=0 card's 61xx and 6Cxx are handled by Transmit.
func TestHostT0ThroughReader(t *testing.T) {
	e := pcsctest.Emulate(t, openEmulator(t, "activated", 1), nil)
	raw := connect(t, e, pcsctest.CardReader, pcsc.Options{})
	selectSSSE := append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(ssseAID))}, ssseAID...)
	shortLe := []byte{0x00, 0xB2, 0x07, 0x28, 0x02} // card number, Le too short

	r, err := raw.Transmit(selectSSSE)
	if err != nil || len(r) != 2 || r[0] != 0x61 {
		t.Fatalf("raw SELECT: % X %v, want 61xx", r, err)
	}
	if _, err := raw.Transmit([]byte{0x00, 0xC0, 0x00, 0x00, r[1]}); err != nil {
		t.Fatal(err)
	}
	r, err = raw.Transmit(shortLe)
	if err != nil || len(r) != 2 || r[0] != 0x6C {
		t.Fatalf("raw READ RECORD with a short Le: % X %v, want 6Cxx", r, err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	host := connect(t, e, pcsctest.CardReader, pcsc.Options{HostT0: true})
	if _, err := host.Reset(); err != nil {
		t.Fatal(err)
	}
	r, err = host.Transmit(selectSSSE)
	if err != nil || len(r) < 3 || r[0] != 0x6F || !bytes.HasSuffix(r, []byte{0x90, 0x00}) {
		t.Fatalf("host T=0 SELECT: % X %v, want the FCI and 9000", r, err)
	}
	r, err = host.Transmit(shortLe)
	if err != nil || len(r) < 4 || r[0] != 0x07 || !bytes.HasSuffix(r, []byte{0x90, 0x00}) {
		t.Fatalf("host T=0 READ RECORD: % X %v, want the record and 9000", r, err)
	}
}

// The typed errors: an unknown reader lists the readers, an empty reader
// is ErrNoCard, an exclusive connection makes others ErrBusy, a reset by
// another application is ErrCardReset until Reconnect, a removed card is
// ErrNoCard.
func TestErrors(t *testing.T) {
	e := pcsctest.Emulate(t, openEmulator(t, "activated", 1), nil)

	_, err := e.Ctx.Connect("No Such Reader 00 00", pcsc.Options{})
	var re *pcsc.ReaderError
	if !errors.Is(err, pcsc.ErrNoReader) || !errors.As(err, &re) || len(re.Readers) < 2 || re.Readers[0] != pcsctest.CardReader {
		t.Errorf("unknown reader: %v", err)
	}
	if _, err := e.Ctx.Connect(pcsctest.PSAMReader, pcsc.Options{}); !errors.Is(err, pcsc.ErrNoCard) {
		t.Errorf("empty reader: %v, want ErrNoCard", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = e.Ctx.WaitForCard(ctx, pcsctest.PSAMReader)
	cancel()
	if !errors.Is(err, pcsc.ErrNoCard) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting on an empty reader: %v", err)
	}
	if _, err := pcsc.Open(pcsctest.PSAMReader, pcsc.Options{Wait: 300 * time.Millisecond}); !errors.Is(err, pcsc.ErrNoCard) {
		t.Errorf("Open with Wait on an empty reader: %v", err)
	}

	ex := connect(t, e, pcsctest.CardReader, pcsc.Options{Exclusive: true})
	if _, err := e.Ctx.Connect(pcsctest.CardReader, pcsc.Options{}); !errors.Is(err, pcsc.ErrBusy) {
		t.Errorf("second connection to an exclusive card: %v, want ErrBusy", err)
	}
	if err := ex.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08}); !errors.Is(err, pcsc.ErrClosed) {
		t.Errorf("Transmit after Close: %v", err)
	}

	a := connect(t, e, pcsctest.CardReader, pcsc.Options{})
	b := connect(t, e, pcsctest.CardReader, pcsc.Options{})
	if _, err := b.Reset(); err != nil {
		t.Fatal(err)
	}
	getChallenge := []byte{0x00, 0x84, 0x00, 0x00, 0x08}
	if _, err := a.Transmit(getChallenge); !errors.Is(err, pcsc.ErrCardReset) {
		t.Errorf("after a reset by another connection: %v, want ErrCardReset", err)
	}
	if err := a.Reconnect(); err != nil {
		t.Fatal(err)
	}
	if r, err := a.Transmit(getChallenge); err != nil || len(r) != 10 {
		t.Errorf("after Reconnect: % X %v", r, err)
	}

	e.Slots[0].Remove()
	wctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := e.Ctx.WaitForRemoval(wctx, pcsctest.CardReader); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Transmit(getChallenge); !errors.Is(err, pcsc.ErrNoCard) {
		t.Errorf("card removed: %v, want ErrNoCard", err)
	}
}

// readerTarget is the card in vpcd's slot 0 as a conformance target: a
// fresh card of the persona (and a fresh PSAM in slot 1) before every case,
// then a warm reset through pcscd, so destructive cases cannot spoil the
// next ones.
func readerTarget(t testing.TB, persona string) *conformance.CardTarget {
	t.Helper()
	p, err := profile.Load(persona)
	if err != nil {
		t.Fatal(err)
	}
	card := pcsctest.NewSwap(openEmulator(t, persona, 0))
	psam := pcsctest.NewSwap(openEmulator(t, "psam", 0))
	e := pcsctest.Emulate(t, card, psam)
	pcard := connect(t, e, pcsctest.CardReader, pcsc.Options{Exclusive: true})
	ppsam := connect(t, e, pcsctest.PSAMReader, pcsc.Options{Exclusive: true})
	var seed uint64
	return &conformance.CardTarget{
		Label:        "reader " + pcsctest.CardReader + " (" + persona + ")",
		Declared:     p,
		Card:         pcard,
		PSAM:         ppsam,
		FreshPerCase: true,
		Reset: func() error {
			seed += 2
			c, err := emulator.New(p, emulator.WithSeed(seed))
			if err != nil {
				return err
			}
			ps, err := emulator.Open("psam", emulator.WithSeed(seed+1))
			if err != nil {
				return err
			}
			card.Set(c)
			psam.Set(ps)
			if _, err := ppsam.Reset(); err != nil {
				return err
			}
			_, err = pcard.Reset()
			return err
		},
	}
}

// The whole conformance suite, destructive cases included, passes through
// pcscd for every card persona, with the outcomes the model gives.
func TestConformanceThroughReader(t *testing.T) {
	for _, persona := range cardPersonas {
		t.Run(persona, func(t *testing.T) {
			target := readerTarget(t, persona)
			opt := conformance.Options{AllowDestructive: true}
			rep, err := conformance.Execute(target, opt)
			if err != nil {
				t.Fatal(err)
			}
			model, err := conformance.NewModel(persona, "")
			if err != nil {
				t.Fatal(err)
			}
			mrep, err := conformance.Execute(model, opt)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep)
			for i, r := range rep.Results {
				if r.Outcome == conformance.Skip && strings.Contains(r.Reason, "link layer") {
					continue // a model-only suite: it tests readers, not the card in this one
				}
				if m := mrep.Results[i]; r.Outcome != m.Outcome {
					t.Errorf("%s: %s through the reader, %s on the model (%s / %s)", r.ID, r.Outcome, m.Outcome, r.Reason, m.Reason)
				}
			}
			c := rep.Counts()
			t.Logf("%s: %d passed, %d skipped", persona, c[conformance.Pass], c[conformance.Skip])
		})
	}
}

// A differential run of the card in the reader against the model finds no
// divergence.
func TestDifferentialThroughReader(t *testing.T) {
	for _, persona := range []string{"activated", "default", "gen2", "trace-1.00"} {
		t.Run(persona, func(t *testing.T) {
			target := readerTarget(t, persona)
			model, err := conformance.NewModel(persona, "")
			if err != nil {
				t.Fatal(err)
			}
			rep, err := conformance.ExecuteDiff(target, model, conformance.Options{AllowDestructive: true})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep)
		})
	}
}

// checkReport fails t unless rep is OK with cases passed, showing what
// went wrong.
func checkReport(t *testing.T, rep *conformance.Report) {
	t.Helper()
	if rep.Counts()[conformance.Pass] == 0 {
		t.Error("no case passed")
	}
	if rep.OK() {
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, conformance.Text); err != nil {
		t.Fatal(err)
	}
	t.Errorf("report not OK:\n%s", buf.String())
}
