package idauth

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// CardStatus is a card's state in the card register (CARD.md §6).
type CardStatus string

// The register states (the values of profile.Register.State).
const (
	StatusSealed        CardStatus = "sealed"
	StatusEnabled       CardStatus = "enabled"
	StatusTemporaryLoss CardStatus = "temporary-loss"
	StatusFormalLoss    CardStatus = "formal-loss"
	StatusCancelled     CardStatus = "cancelled"
)

// Refused reports whether a relying server must refuse a card in this
// state: lost (temporarily or formally) or cancelled.
func (s CardStatus) Refused() bool {
	return s == StatusTemporaryLoss || s == StatusFormalLoss || s == StatusCancelled
}

// CardRef names a card in the register: its card identifier (卡识别码, 32
// hex digits: the OU of its certificates) and its holder's social security
// number (the certificate subject's serialNumber).
type CardRef struct {
	Identifier string
	SSN        string
}

// ErrUnknownCard is returned by a Register that does not know the card.
var ErrUnknownCard = errors.New("card not in the register")

// Register is the card register as the relying server sees it: the state
// of a card. The card register of the activation flows implements it.
type Register interface {
	CardStatus(ref CardRef) (CardStatus, error)
}

// StaticRegister is a fixed register: card identifier (upper-case hex) to
// state.
type StaticRegister map[string]CardStatus

// CardStatus implements Register.
func (r StaticRegister) CardStatus(ref CardRef) (CardStatus, error) {
	s, ok := r[ref.Identifier]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUnknownCard, ref.Identifier)
	}
	return s, nil
}

// RegisterOf builds a register holding the cards of the profiles with the
// state their register section declares (enabled when none).
func RegisterOf(ps ...*profile.Profile) StaticRegister {
	r := StaticRegister{}
	for _, p := range ps {
		if p == nil || p.SSSE == nil {
			continue
		}
		st := StatusEnabled
		if p.Register != nil {
			st = CardStatus(p.Register.State)
		}
		r[CardIdentifier(p)] = st
	}
	return r
}

// CardIdentifier is the card identifier of a card profile, upper-case hex.
func CardIdentifier(p *profile.Profile) string {
	return fmt.Sprintf("%X", ssse.CardIdentifier(&p.SSSE.Identity))
}

func validIdentifier(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 16
}
