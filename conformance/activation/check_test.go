package activation

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/trace"
)

// tick is a clock that moves a millisecond at every reading, shared by the
// register and the recorder: the trace and the journal share one time
// line in which every event has its own instant.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func newTickEnv(t testing.TB) (*Env, *tick) {
	t.Helper()
	clk := &tick{t: testNow}
	ctx, cancel := context.WithCancel(context.Background())
	e, err := NewEnv(ctx, filepath.Join(t.TempDir(), "register.db"), register.Options{Now: clk.Now, Sync: "normal"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		cancel()
	})
	return e, clk
}

// recorded prepares a scenario whose exchanges are recorded.
func recorded(t *testing.T, s Scenario) (*Env, *ScenarioRun, *Recorder) {
	t.Helper()
	e, clk := newTickEnv(t)
	sr, err := e.Prepare(context.Background(), s, 11)
	if err != nil {
		t.Fatal(err)
	}
	rec := &Recorder{Now: clk.Now}
	sr.Record(rec)
	return e, sr, rec
}

func checkRun(t *testing.T, e *Env, sr *ScenarioRun, rec *Recorder) *conformance.Report {
	t.Helper()
	js, err := e.Store().Journal(context.Background(), register.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	cards, err := e.Store().Cards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gens := map[string]string{}
	for _, c := range cards {
		gens[c.ID] = c.Generation
	}
	rep, err := Check(CheckInput{Flow: sr.Route, Trace: rec.Events(), Journal: js, Terminal: sr.Terminal.Register.Terminal, Generations: gens})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func failed(rep *conformance.Report) []string {
	var ids []string
	for _, r := range rep.Results {
		if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Every reference terminal passes the check of its route, on every
// scenario.
func TestReferenceTerminalsPassTheirCheck(t *testing.T) {
	for _, s := range Scenarios {
		t.Run(s.Name(), func(t *testing.T) {
			t.Parallel()
			e, sr, rec := recorded(t, s)
			if _, err := sr.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			rep := checkRun(t, e, sr, rec)
			if !rep.OK() {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("failed %v\n%s", failed(rep), b.String())
			}
		})
	}
}

// A bad terminal, and the rule it must fail.
type badTerminal struct {
	name     string
	scenario Scenario
	rule     string
	run      func(t *testing.T, sr *ScenarioRun, card terminal.Transport)
}

// open opens the SSSE session of a bad terminal (with the terminal's
// PSAM, recorded).
func openSSC(t *testing.T, sr *ScenarioRun, card terminal.Transport) *terminal.SSC {
	t.Helper()
	ps := &terminal.PSAM{T: sr.Terminal.PSAM}
	if err := ps.Select(); err != nil {
		t.Fatal(err)
	}
	ssc := &terminal.SSC{T: card, PSAM: ps}
	if err := ssc.Open(); err != nil {
		t.Fatal(err)
	}
	return ssc
}

// readIdentity reads EF06 the right way (RKSSSE first).
func readIdentity(t *testing.T, ssc *terminal.SSC) {
	t.Helper()
	if err := ssc.ExternalAuthenticate(terminal.KeyRKSSSE); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []byte{0x08, 0x09} {
		if _, err := terminal.ReadRecord(ssc.T, terminal.SFIEF06, tag); err != nil {
			t.Fatal(err)
		}
	}
}

var sealedHospital = Scenario{Route: register.Hospital, Card: "sealed"}

// ssnOf is the social security number of the scenario's card.
func ssnOf(t *testing.T, sr *ScenarioRun) string {
	t.Helper()
	c, err := sr.Env.Store().Card(context.Background(), sr.CardID)
	if err != nil || c == nil {
		t.Fatalf("card %s: %v", sr.CardID, err)
	}
	return c.SSN
}

var badTerminals = []badTerminal{
	{name: "asks the register without reading the card", scenario: sealedHospital, rule: "ACT-ID-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			openSSC(t, sr, card) // only the card identifier
			sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: sr.Holder.SSN, Service: register.Outpatient})
		}},
	{name: "sends another holder's number", scenario: sealedHospital, rule: "ACT-ID-002",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: otherSSN, Service: register.Outpatient})
		}},
	{name: "asks to activate a lost card", scenario: Scenario{Route: register.Hospital, Card: "lost"}, rule: "ACT-REG-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			readIdentity(t, ssc)
			sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: sr.Holder.SSN, Service: register.Outpatient})
			ssc.LifeCycle(insAppBlock)
		}},
	{name: "activates the chip without the register", scenario: sealedHospital, rule: "ACT-REG-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			readIdentity(t, ssc)
			sr.Terminal.Register.Lookup(context.Background(), sr.CardID)
			if sw, err := ssc.LifeCycle(insActivate); err != nil || sw != iso7816.SWOK {
				t.Fatalf("ACTIVATE FILE: %04X %v", uint16(sw), err)
			}
		}},
	{name: "forgets the chip", scenario: sealedHospital, rule: "ACT-CHIP-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: sr.Holder.SSN, Service: register.Outpatient})
		}},
	{name: "leaves a cancelled card unblocked", scenario: Scenario{Route: register.Hospital, Card: "cancelled"}, rule: "ACT-CHIP-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Lookup(context.Background(), sr.CardID)
		}},
	{name: "guesses PINs until the PIN blocks, then once more", scenario: Scenario{Route: register.Bank, Card: "enabled"}, rule: "ACT-PIN-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			for i := 0; i < 4; i++ {
				ssc.Verify("000000")
			}
		}},
	{name: "sends a wrong MAC", scenario: sealedHospital, rule: "ACT-MAC-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			if err := ssc.ExternalAuthenticate(terminal.KeyMaint); err != nil {
				t.Fatal(err)
			}
			terminal.GetChallenge(card, 16)
			terminal.Exchange(card, iso7816.Command{CLA: 0x84, INS: insActivate, Data: []byte{1, 2, 3, 4}})
		}},
	{name: "reads EF06 without authentication", scenario: sealedHospital, rule: "ACT-PRIV-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			terminal.ReadRecord(ssc.T, terminal.SFIEF06, 0x08)
		}},
	{name: "registers no one", scenario: Scenario{Route: register.Hospital, Card: "enabled"}, rule: "HOSP-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Lookup(context.Background(), sr.CardID)
		}},
	{name: "reads the new card first", scenario: Scenario{Route: register.Pharmacy, Card: "sealed", Other: "gen2"}, rule: "PHARM-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			ssc := openSSC(t, sr, card)
			readIdentity(t, ssc)
			other := sr.transport(sr.Other)
			os := openSSC(t, sr, other)
			terminal.ReadRecord(os.T, terminal.SFIEF06, 0x08)
			terminal.ReadRecord(os.T, terminal.SFIEF06, 0x09)
			if _, err := sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: ssnOf(t, sr), Original: sr.OtherID}); err != nil {
				t.Fatal(err)
			}
			ssc = openSSC(t, sr, card)
			ssc.LifeCycle(insActivate)
		}},
	{name: "does not block the original card seen again", scenario: Scenario{Route: register.Pharmacy, Card: "sealed", Other: "gen2"}, rule: "PHARM-002",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			if _, err := sr.Terminal.Pharmacy(context.Background(), sr.transport(sr.Other), card, Holder{}); err != nil {
				t.Fatal(err)
			}
			openSSC(t, sr, sr.transport(sr.Other)) // seen, not blocked
		}},
	{name: "asks for reactivation before payment", scenario: Scenario{Route: register.Bureau, Card: "arrears"}, rule: "BUR-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Reactivate(context.Background(), sr.CardID, register.ReactivateRequest{SSN: sr.Holder.SSN})
		}},
	{name: "renews the register but not the chip", scenario: Scenario{Route: register.Bureau, Card: "expired"}, rule: "BUR-002",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			readIdentity(t, openSSC(t, sr, card))
			sr.Terminal.Register.Reactivate(context.Background(), sr.CardID, register.ReactivateRequest{SSN: sr.Holder.SSN, Expiry: "20350601"})
		}},
	{name: "activates without authenticating the card", scenario: Scenario{Route: register.Online, Card: "sealed"}, rule: "ONL-001",
		run: func(t *testing.T, sr *ScenarioRun, card terminal.Transport) {
			phone, err := Contactless(sr.Card)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := openCard(sr.transport(phone), nil); err != nil {
				t.Fatal(err)
			}
			sr.Terminal.Register.Activate(context.Background(), sr.CardID, register.ActivateRequest{SSN: sr.Holder.SSN})
		}},
}

// Every rule catches the terminal that breaks it.
func TestBadTerminalsFailTheirRule(t *testing.T) {
	covered := map[string]bool{}
	for _, bt := range badTerminals {
		covered[bt.rule] = true
		t.Run(bt.rule+"/"+bt.name, func(t *testing.T) {
			t.Parallel()
			e, sr, rec := recorded(t, bt.scenario)
			bt.run(t, sr, sr.transport(sr.Card))
			rep := checkRun(t, e, sr, rec)
			var res *conformance.Result
			for _, r := range rep.Results {
				if r.ID == bt.rule {
					res = r
				}
			}
			if res == nil || res.Outcome != conformance.Fail {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Fatalf("%s did not fail\n%s", bt.rule, b.String())
			}
			if !strings.Contains(res.Clause, "step") {
				t.Errorf("clause %q names no step", res.Clause)
			}
		})
	}
	for _, r := range Rules {
		if !covered[r.ID] {
			t.Errorf("no bad terminal breaks %s", r.ID)
		}
	}
}

// The report comes out in the three formats of the conformance runner.
func TestCheckReportFormats(t *testing.T) {
	e, sr, rec := recorded(t, badTerminals[0].scenario)
	badTerminals[0].run(t, sr, sr.transport(sr.Card))
	rep := checkRun(t, e, sr, rec)
	for _, f := range []conformance.Format{conformance.Text, conformance.JSON, conformance.JUnit} {
		var b bytes.Buffer
		if err := rep.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "ACT-ID-001") {
			t.Errorf("%s report lacks the failed rule:\n%s", f, b.String())
		}
	}
}

// The trace of a run written as text and read back checks the same.
func TestTraceFileRoundTrip(t *testing.T) {
	e, sr, rec := recorded(t, Scenario{Route: register.Hospital, Card: "sealed"})
	if _, err := sr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := trace.WriteText(&b, rec.Events()); err != nil {
		t.Fatal(err)
	}
	back, err := trace.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rec.Events()) {
		t.Fatalf("%d events read back, %d written", len(back), len(rec.Events()))
	}
	for i, ev := range rec.Events() {
		if !bytes.Equal(back[i].Data, ev.Data) || !back[i].Time.Equal(ev.Time) || back[i].Kind != ev.Kind || back[i].Slot != ev.Slot {
			t.Fatalf("event %d: %v read back as %v", i, ev, back[i])
		}
	}
	js, _ := e.Store().Journal(context.Background(), register.JournalQuery{})
	rep, err := Check(CheckInput{Flow: register.Hospital, Trace: back, Journal: js})
	if err != nil || !rep.OK() {
		t.Fatalf("check of the trace read back: %v %v", err, failed(rep))
	}
}

// An insertion that names the card (sscard emulate's trace) gives the
// card its identifier even when the terminal never reads EF05; a read
// identifier is kept over it, and a text without an identifier names
// nothing.
func TestInsertedIdentity(t *testing.T) {
	const id = "110100D15600000501160185D3A5C7E9"
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := func(n int, dir trace.Dir, k trace.Kind, data []byte, text string) trace.Event {
		return trace.Event{Time: t0.Add(time.Duration(n) * time.Millisecond), Slot: CardSlot, Dir: dir, Kind: k, Data: data, Text: text}
	}
	sel := []byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF}
	events := []trace.Event{
		ev(0, trace.Note, trace.Insert, []byte{0x3B}, "id="+strings.ToLower(id)+" profile=activated"),
		ev(1, trace.ToCard, trace.APDU, sel, ""),
		ev(2, trace.FromCard, trace.Response, []byte{0x61, 0x1E}, ""),
		ev(3, trace.Note, trace.Remove, nil, ""),
		ev(4, trace.Note, trace.Insert, []byte{0x3B}, "profile=gen2 id=nothex"),
		ev(5, trace.ToCard, trace.APDU, sel, ""),
		ev(6, trace.FromCard, trace.Response, []byte{0x61, 0x1E}, ""),
	}
	a := analyze(events)
	if len(a.presences) != 2 {
		t.Fatalf("%d presences, want 2", len(a.presences))
	}
	if p := a.presences[0]; p.inserted != id || p.id != "" {
		t.Errorf("first card: inserted %q, read %q; want %s, none read", p.inserted, p.id, id)
	}
	if p := a.presences[1]; p.inserted != "" {
		t.Errorf("second card: inserted %q, want none", p.inserted)
	}
	c := &checker{a: a}
	c.inferBlocked()
	if p := a.presences[0]; p.id != id || !p.inferred {
		t.Errorf("after inference: id %q (inferred %v), want %s", p.id, p.inferred, id)
	}
	if _, err := Check(CheckInput{Flow: register.Hospital, Trace: events}); err != nil {
		t.Fatal(err)
	}
}
