// Package pcd is the reference reader of ISO/IEC 14443 written in Go: a
// PCD that polls (Type A and Type B), resolves collisions, activates a
// card to ISO/IEC 14443-4 (RATS, PPS, ATTRIB) and exchanges APDUs with the
// block protocol and its error recovery; and the PC/SC view of a
// contactless card (the pseudo-ATR of CARD.md §7 and the FF CA GET DATA
// command).
//
// It talks to the RF field only through contactless.Air, so it drives the
// cards of a contactless.Field in process and anything else that speaks
// frames. It is the known-good reader the tests use, and the reader the
// link-contactless conformance suite is checked against.
//
// Reader is the interface every reader under test implements, in Go or
// behind the frame stream of stream.go (for reader firmware built for the
// host).
package pcd

import (
	"errors"

	"github.com/sscard/sscard/emulator/contactless"
)

// Reader is a PCD: the reference one, or one under test.
type Reader interface {
	// Connect switches the field on and activates one card in it up to
	// ISO/IEC 14443-4, through air.
	Connect(air contactless.Air) (*Activation, error)
	// Transmit exchanges one APDU with the activated card.
	Transmit(capdu []byte) ([]byte, error)
	// Disconnect deselects the card and switches the field off.
	Disconnect() error
}

// Activation is what a reader learnt activating a card.
type Activation struct {
	Type contactless.Type
	// UID is the Type A UID or the Type B PUPI.
	UID []byte
	// Type A: ATQA (as received), SAK, ATS (TL first, no CRC).
	ATQA []byte
	SAK  byte
	ATS  []byte
	// Type B: ATQB and the answer to ATTRIB, without CRC.
	ATQB       []byte
	AttribResp []byte
}

// Errors of the reference PCD.
var (
	// ErrNoCard: no card answered the polling.
	ErrNoCard = errors.New("no card in the field")
	// ErrNotConnected: Transmit without an activated card.
	ErrNotConnected = errors.New("no card activated")
	// ErrActivation: a card answered but its activation failed.
	ErrActivation = errors.New("card activation failed")
	// ErrLink: the block protocol failed even after error recovery (the
	// card stopped answering, or kept answering wrong).
	ErrLink = errors.New("ISO/IEC 14443-4 exchange failed")
	// ErrProtocol: the card broke the block protocol.
	ErrProtocol = errors.New("ISO/IEC 14443-4 protocol error")
)

// Historical returns the historical bytes: those of the ATS (Type A), or
// for Type B the ATQB application data, protocol info and a byte with the
// MBLI of the ATTRIB answer in its high nibble (PC/SC part 3, CARD.md §7).
func (a *Activation) Historical() []byte {
	if a.Type == contactless.TypeB {
		if len(a.ATQB) < 12 {
			return nil
		}
		h := append([]byte(nil), a.ATQB[5:12]...)
		mbli := byte(0)
		if len(a.AttribResp) > 0 {
			mbli = a.AttribResp[0] & 0xF0
		}
		return append(h, mbli)
	}
	ats, err := contactless.ParseATS(a.ATS)
	if err != nil {
		return nil
	}
	return ats.Historical
}

// PseudoATR returns the ATR a PC/SC reader reports for the card (CARD.md
// §7, PC/SC part 3): 3B 8n 80 01, the n historical bytes, TCK.
func (a *Activation) PseudoATR() []byte {
	h := a.Historical()
	if len(h) > 15 {
		h = h[:15]
	}
	atr := append([]byte{0x3B, 0x80 | byte(len(h)), 0x80, 0x01}, h...)
	tck := byte(0)
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}
