package emv

import (
	"errors"
	"fmt"
)

// Outcome is how a transaction ended.
type Outcome int

// Outcomes.
const (
	// Terminated: the kernel could not complete the transaction (no
	// application, a transport failure, malformed or inconsistent card
	// data). The error says why.
	Terminated Outcome = iota
	// ApprovedOffline: the card returned a TC and the terminal accepted it.
	ApprovedOffline
	// DeclinedOffline: the card or the terminal declined without the
	// issuer (AAC, blocked application, failed offline checks).
	DeclinedOffline
	// OnlineRequest: the transaction needs the issuer and the terminal has
	// no host; the ARQC and the data for the authorisation request are in
	// the result.
	OnlineRequest
	// ApprovedOnline: the issuer approved and, on the contact interface,
	// the card accepted with a TC.
	ApprovedOnline
	// DeclinedOnline: the issuer declined, or the card refused the
	// issuer's approval.
	DeclinedOnline
)

func (o Outcome) String() string {
	switch o {
	case Terminated:
		return "terminated"
	case ApprovedOffline:
		return "approved offline"
	case DeclinedOffline:
		return "declined offline"
	case OnlineRequest:
		return "online request"
	case ApprovedOnline:
		return "approved online"
	case DeclinedOnline:
		return "declined online"
	}
	return fmt.Sprintf("outcome %d", int(o))
}

// Approved reports whether the outcome approves the transaction.
func (o Outcome) Approved() bool { return o == ApprovedOffline || o == ApprovedOnline }

// Cryptogram is the type of an application cryptogram (EMV Book 3 Table 14).
type Cryptogram byte

// Cryptogram types, as coded in bits 8-7 of the CID.
const (
	AAC  Cryptogram = 0x00
	TC   Cryptogram = 0x40
	ARQC Cryptogram = 0x80
)

func (c Cryptogram) String() string {
	switch c {
	case AAC:
		return "AAC"
	case TC:
		return "TC"
	case ARQC:
		return "ARQC"
	}
	return fmt.Sprintf("cryptogram %02X", byte(c))
}

// ODAMethod is the offline data authentication the kernel performed.
type ODAMethod string

// Offline data authentication methods.
const (
	ODANone ODAMethod = ""
	SDA     ODAMethod = "SDA"
	DDA     ODAMethod = "DDA"
	CDA     ODAMethod = "CDA"
	FDDA    ODAMethod = "fDDA"
)

// Errors that classify why a transaction did not complete. Each error a
// transaction returns wraps one of them or ErrCardData.
var (
	ErrNoApplication = errors.New("no application the card and the terminal share")
	ErrCardBlocked   = errors.New("the card is blocked")
	ErrAppBlocked    = errors.New("the application is blocked")
	ErrNotAccepted   = errors.New("the card refused the transaction")
	ErrODAFailed     = errors.New("offline data authentication failed")
	ErrDeclined      = errors.New("transaction declined")
	ErrIssuer        = errors.New("issuer host")
	ErrTransport     = errors.New("card communication failed")
	// ErrTryAnotherInterface: the contactless transaction cannot go on; the
	// terminal should ask for the contact interface.
	ErrTryAnotherInterface = errors.New("try another interface")
)

// Exchange is one command of the transaction and the card's answer.
type Exchange struct {
	Step     string
	Command  []byte
	Response []byte // data and status word
	Err      error
}

// ScriptResult is the outcome of one issuer script (EMV Book 3 §10.10).
type ScriptResult struct {
	ID       []byte // 9F18, may be empty
	Template Tag    // 71 or 72
	Commands int    // commands sent
	Failed   bool
	SW       uint16 // status word of the last command sent
}

// OnlineResult is what happened online.
type OnlineResult struct {
	Request  *AuthRequest
	Response *AuthResponse
	// IssuerAuth: the card accepted the issuer authentication data
	// (EXTERNAL AUTHENTICATE or second GENERATE AC); nil when not done.
	IssuerAuth *bool
	Scripts    []ScriptResult
}

// Result is everything a transaction produced: its outcome and cryptogram,
// the TVR and TSI the terminal built, the data exchanged.
type Result struct {
	Outcome     Outcome
	Contactless bool
	AID         []byte
	Label       string
	// Cryptogram is the type of the last cryptogram the card returned;
	// AC is its value.
	Cryptogram Cryptogram
	AC         []byte
	// ODA is the offline data authentication performed (or tried, when
	// ODAOK is false); SM says it used the SM2 path.
	ODA   ODAMethod
	ODAOK bool
	SM    bool
	TVR   TVR
	TSI   TSI
	// CVMResults is 9F34.
	CVMResults [3]byte
	// PINTriesLeft is the card's PIN try counter after offline PIN
	// verification; -1 when no PIN was presented.
	PINTriesLeft int
	// ECash: the card took the electronic cash path; ECBalance is the
	// balance the card reported (9F79 or 9F5D), -1 when unknown.
	ECash     bool
	ECBalance int64
	Online    *OnlineResult
	// PDOLData and CDOL1Data are the data the terminal sent in GET
	// PROCESSING OPTIONS and the first GENERATE AC.
	PDOLData, CDOL1Data []byte
	DB                  *DB
	Log                 []Exchange
	// Err is the error Run returned.
	Err error
}
