package register

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is a card's back-end state (CARD.md §6 [known]).
type State string

// Back-end states.
const (
	Sealed        State = "sealed"         // 封存: issued, social security functions not yet enabled
	Enabled       State = "enabled"        // 启用
	TemporaryLoss State = "temporary-loss" // 临时挂失: reported lost, can be lifted
	FormalLoss    State = "formal-loss"    // 正式挂失
	Cancelled     State = "cancelled"      // 注销: replaced, moved away, ...
)

// States lists the back-end states in CARD.md order.
var States = []State{Sealed, Enabled, TemporaryLoss, FormalLoss, Cancelled}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Route is an activation route of CARD.md §6; each terminal belongs to one.
type Route string

// Activation routes.
const (
	Bank     Route = "bank"     // route 1: bank outlet
	Hospital Route = "hospital" // route 2: designated hospital
	Pharmacy Route = "pharmacy" // route 3: designated pharmacy
	Bureau   Route = "bureau"   // route 4: social security bureau
	Online   Route = "online"   // route 5: online, through a payment app
	// Issuer is the register's own side (enrolment, administration from
	// the command line); no terminal has it.
	Issuer Route = "issuer"
)

// Routes lists the terminal routes.
var Routes = []Route{Bank, Hospital, Pharmacy, Bureau, Online}

// Valid reports whether r is a terminal route.
func (r Route) Valid() bool { return slices.Contains(Routes, r) }

// Chip is the on-chip state of a card's SSSE as the register last heard it
// from a terminal (CARD.md §6 [model]: FCP 8A 05 activated, 04
// deactivated; APPLICATION BLOCK blocks it).
type Chip string

// On-chip states.
const (
	ChipDeactivated Chip = "deactivated" // life cycle 04: a sealed card as issued
	ChipActivated   Chip = "activated"   // life cycle 05
	ChipBlocked     Chip = "blocked"     // APPLICATION BLOCK applied
	ChipTerminated  Chip = "terminated"  // life cycle 0C
)

// Chips lists the on-chip states.
var Chips = []Chip{ChipDeactivated, ChipActivated, ChipBlocked, ChipTerminated}

// Valid reports whether c is one of Chips.
func (c Chip) Valid() bool { return slices.Contains(Chips, c) }

// Stop causes: why a card does not work (CARD.md §6 route 4).
const (
	CauseExpired       = "expired"
	CauseArrears       = "arrears"
	CauseTemporaryLoss = string(TemporaryLoss)
	CauseFormalLoss    = string(FormalLoss)
	CauseCancelled     = string(Cancelled)
)

// Card is one card as the register knows it.
type Card struct {
	// ID is the card identifier (卡识别码, EF05 record 01) in upper-case
	// hex: 32 digits.
	ID string `json:"cardId"`
	// Number is the card number (卡号) printed on the card.
	Number     string `json:"cardNumber"`
	SSN        string `json:"ssn"`
	Name       string `json:"name"`
	Generation string `json:"generation"`
	State      State  `json:"state"`
	// Issued and Expiry are YYYYMMDD, as on the chip (EF05 records 05, 06).
	Issued string `json:"issued"`
	Expiry string `json:"expiry"`
	// Chip is the last on-chip state a terminal reported.
	Chip Chip `json:"chip"`
	// PINDefault says the social security PIN is still the one the card
	// was issued with (no terminal has reported setting it).
	PINDefault bool `json:"pinDefault"`
	// Replaces is the card this one was issued to replace (reissue); it is
	// cancelled when this one is activated. ReplacedBy is the reverse link.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replacedBy,omitempty"`
	// Arrears on the holder's medical account, in fen (分).
	Arrears int64 `json:"arrears"`
	// Expired is computed from Expiry and the register's clock.
	Expired bool `json:"expired"`
	// StopCauses lists why the card does not work, if it does not:
	// expired, arrears, temporary-loss, formal-loss, cancelled.
	StopCauses []string `json:"stopCauses,omitempty"`
	// Version counts the changes of the row.
	Version int64     `json:"version"`
	Updated time.Time `json:"updated"`
}

// Usable reports whether the card is enabled and not stopped.
func (c *Card) Usable() bool { return c.State == Enabled && len(c.StopCauses) == 0 }

// Person is a card holder.
type Person struct {
	SSN  string `json:"ssn"`
	Name string `json:"name"`
	// Arrears on the medical account, in fen.
	Arrears int64 `json:"arrears"`
}

// Entry is one journal entry.
type Entry struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Terminal string    `json:"terminal"`
	Route    Route     `json:"route"`
	// Event names what was asked: enroll, lookup, activate, chip, event
	// names (pin-set, registration, ...), payment, reactivate, reissue,
	// loss, cancel, set.
	Event string `json:"event"`
	Card  string `json:"cardId,omitempty"`
	SSN   string `json:"ssn,omitempty"`
	// Outcome is ok (something changed), unchanged (nothing to do: an
	// idempotent repeat, a lookup) or refused (with Code).
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`
	From    State  `json:"from,omitempty"`
	To      State  `json:"to,omitempty"`
	// Detail holds the event's parameters and effects as a JSON object.
	Detail map[string]any `json:"detail,omitempty"`
}

// Outcomes of journal entries.
const (
	OutcomeOK        = "ok"
	OutcomeUnchanged = "unchanged"
	OutcomeRefused   = "refused"
)

// Refusal is a definite "no" of the register: the request was valid and
// authenticated, and the card's state does not allow it. It is journaled.
type Refusal struct {
	// Code is machine-readable: unknown-card, identity-mismatch, expired,
	// arrears, temporary-loss, formal-loss, cancelled, another-card-enabled,
	// original-required, original-mismatch, original-not-enabled,
	// not-allowed, not-usable, conflict.
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (r *Refusal) Error() string { return "register refused (" + r.Code + "): " + r.Message }

func refuse(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Refusal codes.
const (
	CodeUnknownCard        = "unknown-card"
	CodeIdentityMismatch   = "identity-mismatch"
	CodeAnotherCardEnabled = "another-card-enabled"
	CodeOriginalRequired   = "original-required"
	CodeOriginalMismatch   = "original-mismatch"
	CodeOriginalNotEnabled = "original-not-enabled"
	CodeNotAllowed         = "not-allowed"
	CodeNotUsable          = "not-usable"
	CodeConflict           = "conflict"
)

// CardIDLen is the length of a card identifier in hex digits.
const CardIDLen = 32

// NormalizeCardID checks a card identifier (32 hex digits) and returns it
// in upper case.
func NormalizeCardID(s string) (string, error) {
	if len(s) != CardIDLen {
		return "", fmt.Errorf("card identifier %q: want %d hex digits", clip(s), CardIDLen)
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return "", fmt.Errorf("card identifier %q: not hex", clip(s))
		}
	}
	return strings.ToUpper(s), nil
}

// CheckSSN checks a social security number: 18 characters, 17 digits and
// a digit or X (the citizen ID number, CARD.md §2). The check character is
// not verified: test data is not always real.
func CheckSSN(s string) error {
	if len(s) != 18 {
		return fmt.Errorf("social security number %q: want 18 characters", clip(s))
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("social security number %q: not digits", clip(s))
		}
	}
	if c := s[17]; (c < '0' || c > '9') && c != 'X' {
		return fmt.Errorf("social security number %q: last character must be a digit or X", clip(s))
	}
	return nil
}

// CheckDate checks a YYYYMMDD date.
func CheckDate(s string) error {
	if _, err := time.Parse("20060102", s); err != nil || len(s) != 8 {
		return fmt.Errorf("date %q: want YYYYMMDD", clip(s))
	}
	return nil
}

// CheckCardNumber checks a card number (卡号): 9 printable ASCII characters.
func CheckCardNumber(s string) error {
	if len(s) != 9 {
		return fmt.Errorf("card number %q: want 9 characters", clip(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return fmt.Errorf("card number %q: not printable ASCII", clip(s))
		}
	}
	return nil
}

// CheckTerminalID checks a terminal name: 1 to 64 characters of
// [A-Za-z0-9._-].
func CheckTerminalID(s string) error {
	if len(s) == 0 || len(s) > 64 {
		return fmt.Errorf("terminal name %q: want 1 to 64 characters", clip(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("terminal name %q: only letters, digits, '.', '_' and '-'", clip(s))
		}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// clip shortens hostile input quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// china is the calendar of card dates (expiry) [model: China Standard
// Time, UTC+8, the time zone of the issuers].
var china = time.FixedZone("CST", 8*3600)

// today returns the date of t on the card calendar as YYYYMMDD.
func today(t time.Time) string { return t.In(china).Format("20060102") }
