package profile

import (
	"encoding/hex"
	"slices"

	"github.com/sscard/sscard/emulator/iso7816"
)

// T1 holds the T=1 parameters the ATR announces (ISO/IEC 7816-3 §11.4), in
// the first TA, TB and TC for T=1. Absent fields keep the ISO defaults.
type T1 struct {
	// IFSC is the card's information field size, 1..254; 0: the default 32.
	IFSC int `json:"ifsc,omitempty"`
	// BWI (0..9) and CWI (0..15) are the block and character waiting time
	// integers; absent: 4 and 13.
	BWI *int `json:"bwi,omitempty"`
	CWI *int `json:"cwi,omitempty"`
	// CRC selects the CRC error detection code instead of LRC.
	CRC bool `json:"crc,omitempty"`
	// ErrorReplies is the number of R-blocks with an error bit the card
	// sends in a row before it stays in reception mode until an
	// error-free block comes (ISO/IEC 7816-3 rule 7.4.3), 1..15
	// [model: absent, 3: its first answer and two retransmissions].
	ErrorReplies int `json:"errorReplies,omitempty"`
}

// DefaultT1ErrorReplies is T1.ErrorReplies when the profile does not say.
const DefaultT1ErrorReplies = 3

// validateLink checks TA1 and the T=1 parameters of an ATR given by parts.
func (a *ATR) validateLink() error {
	if a.TA1 != "" {
		b, err := hexField("atr.ta1", a.TA1, 1, 1)
		if err != nil {
			return err
		}
		if _, err := iso7816.BuildATR(iso7816.ATRSpec{TA1: &b[0]}); err != nil {
			return fieldErr("atr.ta1", "%s names a reserved Fi or Di", a.TA1)
		}
	}
	t := a.T1
	if t == nil {
		return nil
	}
	if !slices.Contains(a.Protocols, 1) {
		return fieldErr("atr.t1", "T=1 parameters, but protocols %v has no T=1", a.Protocols)
	}
	if t.IFSC < 0 || t.IFSC > 254 {
		return fieldErr("atr.t1.ifsc", "%d is outside 1..254", t.IFSC)
	}
	if t.BWI != nil && (*t.BWI < 0 || *t.BWI > 9) {
		return fieldErr("atr.t1.bwi", "%d is outside 0..9", *t.BWI)
	}
	if t.CWI != nil && (*t.CWI < 0 || *t.CWI > 15) {
		return fieldErr("atr.t1.cwi", "%d is outside 0..15", *t.CWI)
	}
	if t.ErrorReplies < 0 || t.ErrorReplies > 15 {
		return fieldErr("atr.t1.errorReplies", "%d is outside 1..15", t.ErrorReplies)
	}
	return nil
}

// T1ErrorReplies returns the profile's atr.t1.errorReplies, or the
// default.
func (p *Profile) T1ErrorReplies() int {
	if p != nil && p.ATR.T1 != nil && p.ATR.T1.ErrorReplies > 0 {
		return p.ATR.T1.ErrorReplies
	}
	return DefaultT1ErrorReplies
}

// LinkSpec sets TA1 and the T=1 parameters of an ATR spec from a validated
// ATR given by parts.
func (a *ATR) LinkSpec(s *iso7816.ATRSpec) {
	if a.TA1 != "" {
		if b, err := hex.DecodeString(a.TA1); err == nil && len(b) == 1 {
			s.TA1 = &b[0]
		}
	}
	if t := a.T1; t != nil {
		s.IFSC, s.CRC = t.IFSC, t.CRC
		if t.BWI != nil || t.CWI != nil {
			bwi, cwi := iso7816.DefaultBWI, iso7816.DefaultCWI
			if t.BWI != nil {
				bwi = *t.BWI
			}
			if t.CWI != nil {
				cwi = *t.CWI
			}
			v := byte(bwi<<4 | cwi)
			s.BWICWI = &v
		}
	}
}
