package activation

import (
	"context"
	"slices"
	"testing"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

func prepare(t *testing.T, e *Env, s Scenario) *ScenarioRun {
	t.Helper()
	sr, err := e.Prepare(context.Background(), s, 7)
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

func mustRun(t *testing.T, sr *ScenarioRun) *Outcome {
	t.Helper()
	o, err := sr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := sr.Check(context.Background(), o); err != nil {
		t.Fatalf("%v\noutcome %+v", err, o)
	}
	return o
}

// verifySSSE presents a PIN to the card's SSSE.
func verifySSSE(t *testing.T, card *emulator.Card, pin string) iso7816.Status {
	t.Helper()
	card.Reset()
	ssc := &terminal.SSC{T: card}
	if err := ssc.Open(); err != nil {
		t.Fatal(err)
	}
	sw, err := ssc.Verify(pin)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// verifyBankPIN presents a plaintext offline PIN to the debit application.
func verifyBankPIN(t *testing.T, card *emulator.Card, pin string) iso7816.Status {
	t.Helper()
	card.Reset()
	if _, err := terminal.Do(card, iso7816.Command{INS: 0xA4, P1: 0x04, Data: []byte{0xA0, 0, 0, 0x03, 0x33, 0x01, 0x01, 0x01}, Ne: 256}); err != nil {
		t.Fatal(err)
	}
	blk, err := paycrypto.MakePINBlock(pin)
	if err != nil {
		t.Fatal(err)
	}
	r, err := terminal.Exchange(card, iso7816.Command{INS: 0x20, P2: 0x80, Data: blk[:]})
	if err != nil {
		t.Fatal(err)
	}
	return r.SW
}

func TestBankSetsBothPINs(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Bank, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipActivated})
	o := mustRun(t, sr)
	if !o.PINSet || !o.BankPINSet || o.PINReset {
		t.Fatalf("PINs: %+v", o)
	}
	if sw := verifySSSE(t, sr.Card, sr.Holder.PIN); sw != iso7816.SWOK {
		t.Errorf("the new social security PIN answers %04X", uint16(sw))
	}
	if sw := verifyBankPIN(t, sr.Card, sr.Holder.BankPIN); sw != iso7816.SWOK {
		t.Errorf("the new bank PIN answers %04X", uint16(sw))
	}
	c, _ := e.Store().Card(context.Background(), sr.CardID)
	if c.PINDefault {
		t.Error("the register still says the PIN is the default")
	}
	js, _ := e.Store().Journal(context.Background(), register.JournalQuery{Card: sr.CardID})
	var events []string
	for _, j := range js {
		events = append(events, j.Event)
	}
	for _, want := range []string{"activate", "chip", "pin-set", "bank-pin-set"} {
		if !slices.Contains(events, want) {
			t.Errorf("journal %v lacks %s", events, want)
		}
	}
	// A second visit keeps the PIN the holder set.
	again, err := sr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.PINSet || again.Result != AlreadyEnabled {
		t.Errorf("second visit: %+v", again)
	}
	if sw := verifySSSE(t, sr.Card, sr.Holder.PIN); sw != iso7816.SWOK {
		t.Errorf("the PIN after a second visit answers %04X", uint16(sw))
	}
}

func TestBankResetsABlockedPIN(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Bank, Card: "pin-blocked", Want: AlreadyEnabled, State: register.Enabled, Chip: register.ChipActivated})
	o := mustRun(t, sr)
	if !o.PINReset {
		t.Fatalf("the blocked PIN was not reset: %+v", o)
	}
	if sw := verifySSSE(t, sr.Card, sr.Holder.PIN); sw != iso7816.SWOK {
		t.Errorf("the reset PIN answers %04X", uint16(sw))
	}
}

// A PIN that is not the default although the register thinks so is kept,
// and the bank never spends the last try on the default.
func TestBankKeepsAPINItDoesNotKnow(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Hospital, Card: "enabled"})
	ssc := &terminal.SSC{T: sr.Card}
	if err := ssc.Open(); err != nil {
		t.Fatal(err)
	}
	if sw, err := ssc.ChangePIN(DefaultPIN, "111111"); err != nil || sw != iso7816.SWOK {
		t.Fatalf("changing the PIN: %04X %v", uint16(sw), err)
	}
	bank, err := e.Terminal(context.Background(), register.Bank)
	if err != nil {
		t.Fatal(err)
	}
	o, err := bank.Bank(context.Background(), sr.Card, sr.Holder)
	if err != nil {
		t.Fatal(err)
	}
	if o.PINSet || len(o.Notes) == 0 {
		t.Fatalf("outcome %+v", o)
	}
	if sw := verifySSSE(t, sr.Card, "111111"); sw != iso7816.SWOK {
		t.Errorf("the holder's PIN answers %04X", uint16(sw))
	}
	// One try was spent on the default; with 2 left the bank tries once
	// more at most, and never with 1 left.
	for i := 0; i < 3; i++ {
		if _, err := bank.Bank(context.Background(), sr.Card, sr.Holder); err != nil {
			t.Fatal(err)
		}
	}
	sr.Card.Reset()
	c, err := openCard(sr.Card, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, blocked, err := c.pinTries()
	if err != nil || blocked || n < 1 {
		t.Fatalf("tries left %d blocked %v %v: the bank used up the holder's PIN", n, blocked, err)
	}
}

// After a pharmacy migration, the original card is blocked on-chip the
// next time any terminal sees it.
func TestOriginalBlockedWhenNextSeen(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Pharmacy, Card: "sealed", Other: "gen2", Want: Migrated,
		State: register.Enabled, Chip: register.ChipActivated, OtherState: register.Cancelled, OtherChip: register.ChipActivated})
	mustRun(t, sr)
	h, err := e.Terminal(context.Background(), register.Hospital)
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.Hospital(context.Background(), sr.Other, Holder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != Refused || o.Code != string(register.Cancelled) || !slices.Equal(o.Blocked, []string{sr.OtherID}) {
		t.Fatalf("the original card at the hospital: %+v", o)
	}
	if err := checkCard(context.Background(), e.Store(), sr.Other, sr.OtherID, register.Cancelled, register.ChipBlocked); err != nil {
		t.Fatal(err)
	}
	// Seen again: already blocked, refused without reading it.
	o, err = h.Seen(context.Background(), sr.Other)
	if err != nil || o.Code != CodeCardBlocked {
		t.Fatalf("seen again: %+v %v", o, err)
	}
}

// After an online activation, the first terminal with a PSAM activates the
// chip.
func TestOnlineThenHospitalActivatesTheChip(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Online, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipDeactivated})
	mustRun(t, sr)
	h, err := e.Terminal(context.Background(), register.Hospital)
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.Hospital(context.Background(), sr.Card, sr.Holder)
	if err != nil {
		t.Fatal(err)
	}
	if o.Result != AlreadyEnabled || o.Chip != register.ChipActivated {
		t.Fatalf("hospital after online: %+v", o)
	}
	if err := checkCard(context.Background(), e.Store(), sr.Card, sr.CardID, register.Enabled, register.ChipActivated); err != nil {
		t.Fatal(err)
	}
}

func TestStepsAreRecorded(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Hospital, Card: "sealed", Want: Activated, State: register.Enabled, Chip: register.ChipActivated})
	o := mustRun(t, sr)
	want := []string{"hospital/1", "hospital/2", "hospital/3", "hospital/4"}
	if !slices.Equal(o.Done, want) {
		t.Errorf("steps %v, want %v", o.Done, want)
	}
}

func TestATerminalRunsOnlyItsRoute(t *testing.T) {
	e := newEnv(t)
	sr := prepare(t, e, Scenario{Route: register.Hospital, Card: "sealed"})
	if _, err := sr.Terminal.Bank(context.Background(), sr.Card, sr.Holder); err == nil {
		t.Fatal("a hospital terminal ran the bank route")
	}
}
