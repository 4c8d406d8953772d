package register

import "time"

// Actor is who asks the register: a terminal, authenticated by the API
// server, or the issuer (the command line, enrolment).
type Actor struct {
	Terminal string
	Route    Route
	// Nonce and Time of the request: the nonce is consumed in the
	// operation's own transaction, so a replayed request changes nothing.
	// Empty for the issuer.
	Nonce string
	Time  time.Time
}

// IssuerActor is the register's own side.
var IssuerActor = Actor{Terminal: "issuer", Route: Issuer}

// ActivateRequest asks to enable a card (POST /v1/cards/{id}/activate).
type ActivateRequest struct {
	// SSN is the social security number the terminal read from the card:
	// it must be the register's.
	SSN string `json:"ssn"`
	// Service is the hospital service the activation comes with:
	// outpatient or inpatient (route 2); the register journals the
	// registration with the activation.
	Service string `json:"service,omitempty"`
	// Original is the original card of a pharmacy migration (route 3),
	// read first: same holder, enabled; it is cancelled when this card is
	// enabled.
	Original string `json:"original,omitempty"`
}

// ActivateResult says what an activation did.
type ActivateResult struct {
	Card *Card `json:"card"`
	// Changed is false when the card was already enabled: activation is
	// idempotent.
	Changed bool `json:"changed"`
	// Cancelled lists the cards cancelled by this activation: the card a
	// reissued card replaces, the original card of a migration.
	Cancelled []string `json:"cancelled,omitempty"`
}

// ChipRequest reports the on-chip state a terminal left the card in
// (POST /v1/cards/{id}/chip).
type ChipRequest struct {
	Chip Chip `json:"chip"`
}

// CardResult is a card after an operation.
type CardResult struct {
	Card    *Card `json:"card"`
	Changed bool  `json:"changed"`
}

// EventRequest records a step a terminal did (POST /v1/cards/{id}/events).
type EventRequest struct {
	// Event is one of Events.
	Event string `json:"event"`
	// Service is the service of a hospital registration: outpatient or
	// inpatient.
	Service string `json:"service,omitempty"`
}

// Events a terminal may record, and the routes that may record each.
var Events = map[string][]Route{
	// The holder set the social security PIN (CHANGE PIN from the default).
	"pin-set": {Bank, Bureau},
	// The outlet reset a blocked PIN (PIN RELOAD with the PSAM).
	"pin-reload": {Bank, Bureau},
	// The holder set the bank card PIN on the financial application.
	"bank-pin-set": {Bank},
	// A registration for outpatient or inpatient service (route 2).
	"registration": {Hospital},
	// The terminal checked the holder's identity against the card.
	"identity-check": {Bank, Hospital, Pharmacy, Bureau, Online},
}

// Hospital services of route 2.
const (
	Outpatient = "outpatient"
	Inpatient  = "inpatient"
)

// PaymentRequest pays arrears on a person's medical account
// (POST /v1/persons/{ssn}/payments).
type PaymentRequest struct {
	// Amount in fen, more than 0.
	Amount int64 `json:"amount"`
}

// PaymentResult is the person after a payment.
type PaymentResult struct {
	Person *Person `json:"person"`
	// Paid is what was taken: the amount, or the arrears if less.
	Paid int64 `json:"paid"`
}

// ReactivateRequest asks the bureau to put a stopped card back in use
// (POST /v1/cards/{id}/reactivate; route 4).
type ReactivateRequest struct {
	SSN string `json:"ssn"`
	// Expiry is the new expiry date of an expired card (renewal),
	// YYYYMMDD, after today.
	Expiry string `json:"expiry,omitempty"`
}

// ReactivateResult says what a reactivation did.
type ReactivateResult struct {
	Card    *Card `json:"card"`
	Changed bool  `json:"changed"`
	// Cleared lists the stop causes the reactivation ended.
	Cleared []string `json:"cleared,omitempty"`
}

// ReissueRequest enrols a new card for the holder of a card
// (POST /v1/cards/{id}/reissue; route 4). The new card is sealed and
// replaces the old one: the old one is cancelled when the new one is
// activated.
type ReissueRequest struct {
	NewCard    string `json:"newCardId"`
	Number     string `json:"cardNumber"`
	SSN        string `json:"ssn"`
	Generation string `json:"generation"`
	Issued     string `json:"issued"`
	Expiry     string `json:"expiry"`
}

// LossRequest reports a card lost (POST /v1/cards/{id}/loss).
type LossRequest struct {
	// Kind is temporary-loss or formal-loss.
	Kind State `json:"kind"`
}

// CardsResult lists cards (GET /v1/cards?number=N).
type CardsResult struct {
	Cards []*Card `json:"cards"`
}

// JournalResult is a page of the journal (GET /v1/journal).
type JournalResult struct {
	Entries []Entry `json:"entries"`
}
