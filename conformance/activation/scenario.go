package activation

import (
	"context"
	"errors"
	"fmt"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// Scenario is one route run on one persona, with the outcome expected.
type Scenario struct {
	Route register.Route
	// Card is the persona of the card presented: the new card at a
	// pharmacy, the old card of a bureau reissue.
	Card string
	// Other is the persona of a second card of the same holder: the
	// original card a pharmacy reads first; the card this one replaces
	// (a reissue, enrolled beforehand) at a bank, hospital or on line; the
	// new card of a bureau reissue.
	Other string
	// WrongPerson: the identity document (or, at a pharmacy, the new card)
	// is another person's.
	WrongPerson bool
	// Expected: the result and refusal code, and afterwards the card's
	// (and the other card's) state in the register and on the chip.
	Want       Result
	Code       string
	State      register.State
	Chip       register.Chip
	OtherState register.State
	OtherChip  register.Chip
}

// Name is the scenario's name: route/persona[+other][/wrong-person].
func (s Scenario) Name() string {
	n := string(s.Route) + "/" + s.Card
	switch {
	case s.Other != "" && s.Route == register.Pharmacy:
		n = string(s.Route) + "/" + s.Other + "→" + s.Card
	case s.Other != "" && s.Route == register.Bureau:
		n += "→reissue-" + s.Other
	case s.Other != "":
		n += "-replacing-" + s.Other
	}
	if s.WrongPerson {
		n += "/wrong-person"
	}
	return n
}

// States and chips of the scenario table.
const (
	sealed    = register.Sealed
	enabled   = register.Enabled
	tempLoss  = register.TemporaryLoss
	formal    = register.FormalLoss
	cancelled = register.Cancelled
	chipOff   = register.ChipDeactivated
	chipOn    = register.ChipActivated
	chipBlk   = register.ChipBlocked
)

// Scenarios is every route × every relevant persona with its expected
// outcome.
var Scenarios = []Scenario{
	// Route 2: a designated hospital.
	{Route: register.Hospital, Card: "sealed", Want: Activated, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "enabled", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "pin-blocked", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "expired", Want: Refused, Code: register.CauseExpired, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "sealed-expired", Want: Refused, Code: register.CauseExpired, State: sealed, Chip: chipOff},
	{Route: register.Hospital, Card: "lost", Want: Refused, Code: string(formal), State: formal, Chip: chipBlk},
	{Route: register.Hospital, Card: "temporary-loss", Want: Refused, Code: string(tempLoss), State: tempLoss, Chip: chipOn},
	{Route: register.Hospital, Card: "cancelled", Want: Refused, Code: string(cancelled), State: cancelled, Chip: chipBlk},
	{Route: register.Hospital, Card: "blocked", Want: Refused, Code: CodeCardBlocked, State: cancelled, Chip: chipBlk},
	{Route: register.Hospital, Card: "arrears", Want: Refused, Code: register.CauseArrears, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "sealed", WrongPerson: true, Want: Refused, Code: register.CodeIdentityMismatch, State: sealed, Chip: chipOff},
	{Route: register.Hospital, Card: "gen2", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Hospital, Card: "sealed", Other: "enabled", Want: Activated, State: enabled, Chip: chipOn, OtherState: cancelled, OtherChip: chipOn},

	// Route 1: a bank outlet.
	{Route: register.Bank, Card: "sealed", Want: Activated, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "enabled", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "pin-blocked", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "expired", Want: Refused, Code: register.CauseExpired, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "lost", Want: Refused, Code: string(formal), State: formal, Chip: chipBlk},
	{Route: register.Bank, Card: "temporary-loss", Want: Refused, Code: string(tempLoss), State: tempLoss, Chip: chipOn},
	{Route: register.Bank, Card: "cancelled", Want: Refused, Code: string(cancelled), State: cancelled, Chip: chipBlk},
	{Route: register.Bank, Card: "arrears", Want: Refused, Code: register.CauseArrears, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "sealed", WrongPerson: true, Want: Refused, Code: register.CodeIdentityMismatch, State: sealed, Chip: chipOff},
	{Route: register.Bank, Card: "gen2", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Bank, Card: "sealed", Other: "enabled", Want: Activated, State: enabled, Chip: chipOn, OtherState: cancelled, OtherChip: chipBlk},

	// Route 3: a designated pharmacy (Other is the original card).
	{Route: register.Pharmacy, Card: "sealed", Other: "gen2", Want: Migrated, State: enabled, Chip: chipOn, OtherState: cancelled, OtherChip: chipOn},
	{Route: register.Pharmacy, Card: "sealed", Other: "enabled", Want: Migrated, State: enabled, Chip: chipOn, OtherState: cancelled, OtherChip: chipOn},
	{Route: register.Pharmacy, Card: "sealed", Other: "gen2", WrongPerson: true, Want: Refused, Code: register.CodeOriginalMismatch, State: sealed, Chip: chipOff, OtherState: enabled, OtherChip: chipOn},
	{Route: register.Pharmacy, Card: "sealed", Other: "lost", Want: Refused, Code: register.CodeOriginalNotEnabled, State: sealed, Chip: chipOff, OtherState: formal, OtherChip: chipBlk},
	{Route: register.Pharmacy, Card: "sealed", Other: "cancelled", Want: Refused, Code: register.CodeOriginalNotEnabled, State: sealed, Chip: chipOff, OtherState: cancelled, OtherChip: chipBlk},
	{Route: register.Pharmacy, Card: "sealed-expired", Other: "gen2", Want: Refused, Code: register.CauseExpired, State: sealed, Chip: chipOff, OtherState: enabled, OtherChip: chipOn},
	{Route: register.Pharmacy, Card: "lost", Other: "gen2", Want: Refused, Code: string(formal), State: formal, Chip: chipBlk, OtherState: enabled, OtherChip: chipOn},

	// Route 4: the social security bureau.
	{Route: register.Bureau, Card: "expired", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "cancelled", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "blocked", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "lost", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "temporary-loss", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "arrears", Want: Reactivated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "sealed", Want: Activated, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "enabled", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Bureau, Card: "lost", WrongPerson: true, Want: Refused, Code: register.CodeIdentityMismatch, State: formal, Chip: chipOn},
	{Route: register.Bureau, Card: "cancelled", Other: "enabled", Want: Refused, Code: register.CodeAnotherCardEnabled, State: cancelled, Chip: chipBlk, OtherState: enabled, OtherChip: chipOn},
	{Route: register.Bureau, Card: "lost", Other: "sealed", Want: Reissued, State: cancelled, Chip: chipBlk, OtherState: enabled, OtherChip: chipOn},
	{Route: register.Bureau, Card: "expired", Other: "sealed", Want: Reissued, State: cancelled, Chip: chipBlk, OtherState: enabled, OtherChip: chipOn},

	// Route 5: online (the chip follows at the next terminal with a PSAM).
	{Route: register.Online, Card: "sealed", Want: Activated, State: enabled, Chip: chipOff},
	{Route: register.Online, Card: "enabled", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Online, Card: "pin-blocked", Want: AlreadyEnabled, State: enabled, Chip: chipOn},
	{Route: register.Online, Card: "expired", Want: Refused, Code: register.CauseExpired, State: enabled, Chip: chipOn},
	{Route: register.Online, Card: "lost", Want: Refused, Code: CodeNotAuthentic, State: formal, Chip: chipOn},
	{Route: register.Online, Card: "temporary-loss", Want: Refused, Code: CodeNotAuthentic, State: tempLoss, Chip: chipOn},
	{Route: register.Online, Card: "cancelled", Want: Refused, Code: CodeNotAuthentic, State: cancelled, Chip: chipOn},
	{Route: register.Online, Card: "arrears", Want: Refused, Code: register.CauseArrears, State: enabled, Chip: chipOn},
	{Route: register.Online, Card: "sealed", WrongPerson: true, Want: Refused, Code: register.CodeIdentityMismatch, State: sealed, Chip: chipOff},
}

// The other holder of wrong-person scenarios.
const (
	otherSSN  = "110105198001010018"
	otherName = "李四"
)

// ScenarioRun is a scenario set up in an Env: its cards made and enrolled.
type ScenarioRun struct {
	Scenario
	Env      *Env
	Terminal *Terminal
	Holder   Holder
	// Card and Other are the emulated cards; CardID and OtherID their
	// identifiers.
	Card, Other     *emulator.Card
	CardID, OtherID string
	// Recorder, if set, records the run's exchanges (Record sets it).
	Recorder *Recorder
}

// Record records the exchanges of the scenario's runs with the cards
// (slot 0) and the terminal's PSAM (slot 1) in rec.
func (sr *ScenarioRun) Record(rec *Recorder) {
	sr.Recorder = rec
	if sr.Terminal.PSAM != nil {
		sr.Terminal.PSAM = rec.Transport(PSAMSlot, sr.Terminal.PSAM)
	}
}

// transport is a card as the terminal reaches it: recorded when asked.
func (sr *ScenarioRun) transport(t terminal.Transport) terminal.Transport {
	if sr.Recorder == nil || t == nil {
		return t
	}
	return sr.Recorder.Transport(CardSlot, t)
}

// Prepare makes the scenario's cards, enrols them (all but the new card of
// a bureau reissue) and a terminal of its route.
func (e *Env) Prepare(ctx context.Context, s Scenario, seed uint64) (*ScenarioRun, error) {
	sr := &ScenarioRun{Scenario: s, Env: e}
	ssn, name := "", ""
	if s.WrongPerson && s.Route == register.Pharmacy {
		ssn, name = otherSSN, otherName
	}
	cp, err := PersonaProfile(s.Card, "", "", ssn, name)
	if err != nil {
		return nil, err
	}
	var op *profile.Profile
	if s.Other != "" {
		serial, number := "02AA000000000001", "B20000001"
		if s.Other == "gen2" {
			serial, number = "", ""
		}
		if op, err = PersonaProfile(s.Other, serial, number, "", ""); err != nil {
			return nil, err
		}
	}
	if sr.Card, err = emulator.New(cp, emulator.WithSeed(seed)); err != nil {
		return nil, err
	}
	ce, err := register.EnrollmentOf(cp)
	if err != nil {
		return nil, err
	}
	sr.CardID = ce.ID
	if op != nil {
		if sr.Other, err = emulator.New(op, emulator.WithSeed(seed+1)); err != nil {
			return nil, err
		}
		oe, err := register.EnrollmentOf(op)
		if err != nil {
			return nil, err
		}
		sr.OtherID = oe.ID
	}
	// Enrolment: the other card first (it may be the card this one
	// replaces), except the new card of a bureau reissue, which the
	// bureau enrols.
	replaces := ""
	switch {
	case op == nil:
	case s.Route == register.Bureau:
	case s.Route == register.Pharmacy:
		if _, err := e.Enroll(ctx, op, ""); err != nil {
			return nil, err
		}
	default:
		if _, err := e.Enroll(ctx, op, ""); err != nil {
			return nil, err
		}
		replaces = sr.OtherID
	}
	if s.Route == register.Bureau && op != nil && s.Want != Reissued {
		if _, err := e.Enroll(ctx, op, ""); err != nil {
			return nil, err
		}
	}
	if _, err := e.Enroll(ctx, cp, replaces); err != nil {
		return nil, err
	}
	id := &cp.SSSE.Identity
	sr.Holder = Holder{SSN: id.SSN, Name: id.Name, CardNumber: id.CardNumber, PIN: "246810", BankPIN: "135790", PKIPIN: "123456", Service: register.Outpatient}
	if cp.PKI != nil {
		sr.Holder.PKIPIN = cp.PKI.UserPIN.Value
	}
	switch {
	case s.Route == register.Pharmacy:
		// A pharmacy reads no identity document: the cards vouch.
		sr.Holder.SSN, sr.Holder.Name = "", ""
	case s.WrongPerson:
		sr.Holder.SSN, sr.Holder.Name = otherSSN, otherName
	}
	if sr.Terminal, err = e.Terminal(ctx, s.Route); err != nil {
		return nil, err
	}
	return sr, nil
}

// Run runs the scenario's route once (again for a retry).
func (sr *ScenarioRun) Run(ctx context.Context) (*Outcome, error) {
	t := sr.Terminal
	card := sr.transport(sr.Card)
	var other terminal.Transport
	if sr.Other != nil {
		other = sr.transport(sr.Other)
	}
	switch sr.Route {
	case register.Hospital:
		return t.Hospital(ctx, card, sr.Holder)
	case register.Bank:
		if other != nil {
			return t.Bank(ctx, card, sr.Holder, other) // the holder brought the old card
		}
		return t.Bank(ctx, card, sr.Holder)
	case register.Pharmacy:
		return t.Pharmacy(ctx, other, card, sr.Holder)
	case register.Bureau:
		req := BureauRequest{}
		if sr.Want == Reissued {
			req.NewCard = other
		}
		return t.Bureau(ctx, card, sr.Holder, req)
	case register.Online:
		phone, err := Contactless(sr.Card)
		if err != nil {
			return nil, err
		}
		return t.Online(ctx, sr.transport(phone), sr.Holder)
	}
	return nil, fmt.Errorf("no route %q", sr.Route)
}

// Check compares an outcome and the cards afterwards with the scenario's
// expectations, and checks that the register and the chips agree: each
// card's register row says the chip state the chip has, and the expiry
// date the chip holds.
func (sr *ScenarioRun) Check(ctx context.Context, o *Outcome) error {
	var errs []error
	if o.Result != sr.Want || o.Code != sr.Code {
		errs = append(errs, fmt.Errorf("outcome %s %s (%s), want %s %s", o.Result, o.Code, o.Reason, sr.Want, sr.Code))
	}
	for _, c := range []struct {
		what  string
		card  *emulator.Card
		id    string
		state register.State
		chip  register.Chip
	}{{"card", sr.Card, sr.CardID, sr.State, sr.Chip}, {"other card", sr.Other, sr.OtherID, sr.OtherState, sr.OtherChip}} {
		if c.card == nil {
			continue
		}
		if err := checkCard(ctx, sr.Env.Store(), c.card, c.id, c.state, c.chip); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.what, err))
		}
	}
	return errors.Join(errs...)
}

// checkCard checks one card's register row and chip.
func checkCard(ctx context.Context, st *register.Store, card *emulator.Card, id string, state register.State, chip register.Chip) error {
	rec, err := st.Card(ctx, id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%s is not in the register", id)
	}
	got, expiry, err := ReadChip(card)
	if err != nil {
		return err
	}
	var errs []error
	if state != "" && rec.State != state {
		errs = append(errs, fmt.Errorf("register state %s, want %s", rec.State, state))
	}
	if chip != "" && got != chip {
		errs = append(errs, fmt.Errorf("chip %s, want %s", got, chip))
	}
	if rec.Chip != got {
		errs = append(errs, fmt.Errorf("the register says the chip is %s, the chip is %s", rec.Chip, got))
	}
	if expiry != "" && expiry != rec.Expiry {
		errs = append(errs, fmt.Errorf("the register says the card expires %s, the chip %s", rec.Expiry, expiry))
	}
	return errors.Join(errs...)
}

// ReadChip reads the on-chip state of a model card without changing it
// (after a warm reset, as a new session): the SSSE's life cycle (SELECT
// with FCP) and its expiry date ("" when the application is blocked).
func ReadChip(card *emulator.Card) (register.Chip, string, error) {
	card.Reset()
	c, err := openCard(card, nil)
	if err != nil {
		return "", "", err
	}
	card.Reset()
	return c.chipState(), c.expiry, nil
}
