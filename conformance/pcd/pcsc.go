package pcd

import (
	"fmt"

	"github.com/sscard/sscard/emulator/contactless"
)

// Slot is the PC/SC view of a contactless card, what a PC/SC reader
// driver shows an application (PC/SC part 3, CARD.md §7): a pseudo-ATR,
// APDUs carried by the block protocol, and the reader's own GET DATA
// command (class FF) answered without the card.
type Slot struct {
	r   Reader
	air contactless.Air
	act *Activation
}

// Connect activates a card with r and returns its slot.
func Connect(r Reader, air contactless.Air) (*Slot, error) {
	act, err := r.Connect(air)
	if err != nil {
		return nil, err
	}
	return &Slot{r: r, air: air, act: act}, nil
}

// ATR returns the pseudo-ATR.
func (s *Slot) ATR() []byte { return s.act.PseudoATR() }

// Activation returns what the reader learnt activating the card.
func (s *Slot) Activation() *Activation { return s.act }

// Reconnect resets the field and activates a card again (SCardReconnect
// with a cold reset), returning the new pseudo-ATR.
func (s *Slot) Reconnect() ([]byte, error) {
	act, err := s.r.Connect(s.air)
	if err != nil {
		return nil, err
	}
	s.act = act
	return act.PseudoATR(), nil
}

// Close deselects the card and switches the field off.
func (s *Slot) Close() error { return s.r.Disconnect() }

// Transmit sends an APDU to the card, or answers it when it is the
// reader's GET DATA (FF CA): the shape of (*scard.Card).Transmit.
func (s *Slot) Transmit(capdu []byte) ([]byte, error) {
	if len(capdu) >= 2 && capdu[0] == 0xFF {
		return s.pseudoAPDU(capdu), nil
	}
	return s.r.Transmit(capdu)
}

// pseudoAPDU answers the class FF commands of the reader: GET DATA
// FF CA 00 00 Le, the UID (Type A) or PUPI (Type B), and FF CA 01 00 Le,
// the ATS historical bytes (Type A only). Le 00 asks for all the data;
// a larger Le gets the data and 6282 (end reached before Le bytes), a
// smaller one 6Cxx with the right length. Other P1-P2 get 6A81 (function
// not supported), a GET DATA with a body 6700, another instruction 6D00.
func (s *Slot) pseudoAPDU(c []byte) []byte {
	if c[1] != 0xCA {
		return []byte{0x6D, 0x00}
	}
	if len(c) != 5 {
		return []byte{0x67, 0x00}
	}
	var data []byte
	switch {
	case c[2] == 0x00 && c[3] == 0x00:
		data = s.act.UID
	case c[2] == 0x01 && c[3] == 0x00 && s.act.Type == contactless.TypeA:
		data = s.act.Historical()
	default:
		return []byte{0x6A, 0x81}
	}
	le := int(c[4])
	switch {
	case le == 0 || le == len(data):
		return append(append([]byte(nil), data...), 0x90, 0x00)
	case le > len(data):
		return append(append([]byte(nil), data...), 0x62, 0x82)
	}
	return []byte{0x6C, byte(len(data))}
}

// String names the slot's card.
func (s *Slot) String() string {
	return fmt.Sprintf("Type %s card % X", s.act.Type, s.act.UID)
}
