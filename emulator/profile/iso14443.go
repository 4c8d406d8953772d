package profile

import "fmt"

// ISO14443 holds the ISO/IEC 14443 parameters of the contactless door.
// None of them is public for the social security card: every field is a
// model choice [model, CARD.md §1], and a field left out takes the default
// written on it (emulator/contactless applies the defaults; the profile
// keeps only what was given).
type ISO14443 struct {
	// UIDSize is the Type A UID length: 4, 7 or 10 bytes. Default 4, or
	// the length of UID when UID is given.
	UIDSize int `json:"uidSize,omitempty"`
	// UID is a fixed Type A UID in hex. Empty: a random UID at every
	// power-up (for 4 bytes, a random ID 08xxxxxx, ISO/IEC 14443-3 §6.4.4).
	UID string `json:"uid,omitempty"`
	// ATQA overrides the answer to request, 4 hex digits as transmitted
	// (first byte first). Default: the UID size bits and bit frame
	// anticollision bit 3 (0400, 4400 or 8400).
	ATQA string `json:"atqa,omitempty"`
	// SAK overrides the final select acknowledge, 2 hex digits. Default 20
	// (UID complete, compliant with ISO/IEC 14443-4).
	SAK string `json:"sak,omitempty"`
	// FSCI is the frame size for the card code (0..12: 16..4096 bytes).
	// Default 8 (256 bytes).
	FSCI *int `json:"fsci,omitempty"`
	// FWI is the frame waiting time integer (0..14). Default 7 (38.7 ms).
	FWI *int `json:"fwi,omitempty"`
	// SFGI is the start-up frame guard time integer (0..14). Default 0.
	SFGI *int `json:"sfgi,omitempty"`
	// BitRates are the bit rates the card supports, in kbit/s, in both
	// directions: 106, 212, 424, 848. Default all four.
	BitRates []int `json:"bitRates,omitempty"`
	// CID and NAD say whether the card supports them. Default CID yes,
	// NAD no.
	CID *bool `json:"cid,omitempty"`
	NAD *bool `json:"nad,omitempty"`
	// Historical are the ATS historical bytes in hex. Default: the
	// historical bytes of the contact ATR, so that both doors name the
	// card alike (the PC/SC pseudo-ATR of CARD.md §7 carries them).
	Historical *string `json:"historical,omitempty"`
	// AFI is the Type B application family identifier, 2 hex digits.
	// Default 00.
	AFI string `json:"afi,omitempty"`
	// PUPI is a fixed Type B PUPI, 8 hex digits. Empty: random at every
	// power-up.
	PUPI string `json:"pupi,omitempty"`
	// AppData is the Type B ATQB application data, 8 hex digits. Default
	// 00000000.
	AppData string `json:"appData,omitempty"`
}

// validate checks the parameters given; it fills in no defaults.
func (c *ISO14443) validate() error {
	const f = "interfaces.iso14443."
	switch c.UIDSize {
	case 0, 4, 7, 10:
	default:
		return fieldErr(f+"uidSize", "is %d, want 4, 7 or 10", c.UIDSize)
	}
	if c.UID != "" {
		uid, err := hexField(f+"uid", c.UID, 4, 10)
		if err != nil {
			return err
		}
		if n := len(uid); n != 4 && n != 7 && n != 10 {
			return fieldErr(f+"uid", "is %d bytes, want 4, 7 or 10", n)
		}
		if c.UIDSize != 0 && c.UIDSize != len(uid) {
			return fieldErr(f+"uid", "is %d bytes but uidSize is %d", len(uid), c.UIDSize)
		}
		if uid[0] == 0x88 {
			return fieldErr(f+"uid", "starts with 88, the cascade tag (ISO/IEC 14443-3 §6.5.4)")
		}
	}
	for _, h := range []struct {
		name, v string
		n       int
	}{{"atqa", c.ATQA, 2}, {"sak", c.SAK, 1}, {"afi", c.AFI, 1}, {"pupi", c.PUPI, 4}, {"appData", c.AppData, 4}} {
		if h.v != "" {
			if _, err := hexField(f+h.name, h.v, h.n, h.n); err != nil {
				return err
			}
		}
	}
	for _, x := range []struct {
		name string
		v    *int
		max  int
	}{{"fsci", c.FSCI, 12}, {"fwi", c.FWI, 14}, {"sfgi", c.SFGI, 14}} {
		if x.v != nil && (*x.v < 0 || *x.v > x.max) {
			return fieldErr(f+x.name, "is %d, want 0..%d", *x.v, x.max)
		}
	}
	for i, r := range c.BitRates {
		switch r {
		case 106, 212, 424, 848:
		default:
			return fieldErr(fmt.Sprintf("%sbitRates[%d]", f, i), "%d kbit/s is not 106, 212, 424 or 848", r)
		}
	}
	if c.Historical != nil {
		if _, err := hexField(f+"historical", *c.Historical, 0, 15); err != nil {
			return err
		}
	}
	return nil
}
