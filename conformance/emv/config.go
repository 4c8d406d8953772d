package emv

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"time"
)

// AIDConfig is an application the terminal supports (EMV Book 1 §12.3.1).
type AIDConfig struct {
	AID []byte
	// Partial: the card's AID may be longer than this one (partial name
	// selection).
	Partial bool
}

// CAKey is a certification authority public key the terminal holds: RSA
// for the DES/RSA path (EMV Book 2 §5.1), SM2 for the SM path.
type CAKey struct {
	RID   [5]byte
	Index byte
	RSA   *rsa.PublicKey
	SM2   *ecdsa.PublicKey
}

// PINEntry asks the cardholder for the offline PIN. tries is the card's
// PIN try counter when known (-1 when not). ok false means the cardholder
// did not enter a PIN (bypass).
type PINEntry func(tries int) (pin string, ok bool)

// Config is the terminal: its data elements (EMV Book 4 §6), its limits,
// its certification authority keys and its connection to the issuer.
// DefaultConfig fills every field a transaction needs.
type Config struct {
	// CountryCode and CurrencyCode are n3 codes as two BCD bytes (9F1A,
	// 5F2A); CurrencyExp is 5F36.
	CountryCode  [2]byte
	CurrencyCode [2]byte
	CurrencyExp  byte
	// TerminalType is 9F35; Capabilities 9F33; AddCapabilities 9F40.
	TerminalType    byte
	Capabilities    [3]byte
	AddCapabilities [5]byte
	// AppVersion is the terminal's application version number (9F09).
	AppVersion [2]byte
	// TerminalID is 9F1C (8 characters); IFDSerial is 9F1E.
	TerminalID string
	IFDSerial  string
	// AIDs are the applications the terminal supports, in preference
	// order when the card lists no priorities.
	AIDs []AIDConfig

	// FloorLimit is the contact floor limit (9F1B), in minor units.
	FloorLimit uint64
	// Terminal action codes (EMV Book 3 §10.7).
	TACDenial, TACOnline, TACDefault TVR

	// ECash: the terminal supports electronic cash (9F7A = 01 when the
	// amount is within ECashLimit, 9F7B).
	ECash      bool
	ECashLimit uint64

	// Contactless limits (qUICS, JR/T 0025.12 §7): a transaction above
	// ContactlessLimit is not done contactless; at or above
	// ContactlessFloor the reader asks for an online cryptogram; at or
	// above CVMLimit it asks for a CVM.
	ContactlessLimit uint64
	ContactlessFloor uint64
	CVMLimit         uint64
	// TTQ is the base terminal transaction qualifiers (9F66); the kernel
	// sets the "online cryptogram required" and "CVM required" bits per
	// transaction.
	TTQ [4]byte

	// SM: the terminal supports the SM algorithms and asks for the SM path
	// (DF69 = 01 in the PDOL data, CARD.md §5).
	SM bool
	// CAKeys are the certification authority public keys.
	CAKeys []CAKey
	// ExceptionFile lists PANs (as in 5A) the terminal refuses offline.
	ExceptionFile [][]byte

	// PIN is the PIN pad; nil: no PIN pad.
	PIN PINEntry
	// Host is the acquirer/issuer connection; nil: the terminal cannot go
	// online and a transaction that needs it ends as an online request.
	Host Host

	// Rand gives the unpredictable numbers; Now the transaction date and
	// time. Defaults: crypto/rand and time.Now.
	Rand io.Reader
	Now  func() time.Time

	// Step, if set, is called with the name of each command before the
	// kernel sends it ("GET PROCESSING OPTIONS", "READ RECORD SFI 2
	// record 1"...), for traces and reports.
	Step func(name string)
}

// UnionPay is the registered application provider identifier of China
// UnionPay (A000000333).
var UnionPay = [5]byte{0xA0, 0x00, 0x00, 0x03, 0x33}

// DefaultConfig returns an attended, online-capable Chinese POS terminal
// supporting the UnionPay debit, credit and electronic cash applications by
// partial selection, plaintext offline PIN, online PIN, signature, SDA,
// DDA and CDA, with action codes that send to the issuer any transaction
// whose offline checks fail. It has no CA keys, PIN pad or host: callers
// add theirs.
func DefaultConfig() Config {
	return Config{
		CountryCode:  [2]byte{0x01, 0x56},
		CurrencyCode: [2]byte{0x01, 0x56},
		CurrencyExp:  2,
		TerminalType: 0x22, // attended, offline with online capability
		// IC with contacts, magnetic stripe, manual entry; plaintext PIN
		// by ICC, enciphered PIN online, signature, no CVM; SDA, DDA, card
		// capture, CDA.
		Capabilities:     [3]byte{0xE0, 0xE8, 0xE8},
		AddCapabilities:  [5]byte{0x60, 0x00, 0xF0, 0xA0, 0x01},
		AppVersion:       [2]byte{0x00, 0x30},
		TerminalID:       "SSCARD01",
		IFDSerial:        "00000001",
		AIDs:             []AIDConfig{{AID: UnionPay[:], Partial: true}},
		FloorLimit:       0,
		TACDenial:        TVR{0x00, 0x10, 0x00, 0x00, 0x00},
		TACOnline:        TVR{0xDC, 0x40, 0x04, 0xF8, 0x00},
		TACDefault:       TVR{0xDC, 0x40, 0x04, 0xF8, 0x00},
		ECash:            true,
		ECashLimit:       100000,
		ContactlessLimit: 99999999,
		ContactlessFloor: 100000,
		CVMLimit:         30000,
		TTQ:              [4]byte{0x26, 0x00, 0x00, 0x80},
		SM:               true,
	}
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// caKey returns the CA key with this RID and index.
func (c *Config) caKey(rid []byte, index byte) *CAKey {
	for i := range c.CAKeys {
		k := &c.CAKeys[i]
		if string(k.RID[:]) == string(rid) && k.Index == index {
			return k
		}
	}
	return nil
}
