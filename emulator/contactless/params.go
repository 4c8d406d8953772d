package contactless

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// Defaults of the parameters a profile may leave out. None is public for
// the social security card [model, CARD.md §1]; profile field
// interfaces.iso14443 overrides each.
const (
	DefaultUIDSize = 4 // a single-size UID, random (08xxxxxx) at each power-up
	DefaultFSCI    = 8 // 256 bytes
	DefaultFWI     = 7 // 38.7 ms
	DefaultSFGI    = 0
	DefaultAFI     = 0x00
	// DefaultMBLI is the maximum buffer length index of the ATTRIB
	// answer: 0, no information given.
	DefaultMBLI = 0
)

// Processing-time model of the chip [model]: the time from the end of a
// command's last block to the start of the answer is BaseProcessing plus
// WriteProcessing per NVM write the command made (EEPROM page writes
// dominate a card's command times).
const (
	BaseProcessing  = 500 * time.Microsecond
	WriteProcessing = 3 * time.Millisecond
)

// params are a PICC's link parameters, the profile's with the defaults
// filled in.
type params struct {
	typ        Type
	uidSize    int
	uid        []byte // fixed UID, nil: random
	atqa       []byte // nil: computed
	sak        byte
	fsci       int
	fwi        int
	sfgi       int
	rates      []BitRate
	cid, nad   bool
	historical []byte
	afi        byte
	pupi       []byte // fixed PUPI, nil: random
	appData    [4]byte
}

func paramsOf(p *profile.Profile, atr []byte) (params, error) {
	c := p.Interfaces.ISO14443
	if c == nil {
		c = &profile.ISO14443{}
	}
	pr := params{
		typ: TypeA, uidSize: DefaultUIDSize, sak: SAK14443_4,
		fsci: DefaultFSCI, fwi: DefaultFWI, sfgi: DefaultSFGI,
		rates: AllRates, cid: true, afi: DefaultAFI,
	}
	if p.Interfaces.Type == "B" {
		pr.typ = TypeB
	}
	var err error
	hexOf := func(field, s string) []byte {
		if err != nil || s == "" {
			return nil
		}
		var b []byte
		if b, err = hex.DecodeString(s); err != nil {
			err = fmt.Errorf("interfaces.iso14443.%s: %w", field, err)
		}
		return b
	}
	if pr.uid = hexOf("uid", c.UID); pr.uid != nil {
		pr.uidSize = len(pr.uid)
	} else if c.UIDSize != 0 {
		pr.uidSize = c.UIDSize
	}
	pr.atqa = hexOf("atqa", c.ATQA)
	if b := hexOf("sak", c.SAK); len(b) == 1 {
		pr.sak = b[0]
	}
	if b := hexOf("afi", c.AFI); len(b) == 1 {
		pr.afi = b[0]
	}
	pr.pupi = hexOf("pupi", c.PUPI)
	copy(pr.appData[:], hexOf("appData", c.AppData))
	for _, x := range []struct {
		v   *int
		dst *int
	}{{c.FSCI, &pr.fsci}, {c.FWI, &pr.fwi}, {c.SFGI, &pr.sfgi}} {
		if x.v != nil {
			*x.dst = *x.v
		}
	}
	if len(c.BitRates) > 0 {
		pr.rates = []BitRate{Rate106}
		for _, r := range c.BitRates {
			if br := BitRate(r); br != Rate106 && br.Valid() {
				pr.rates = append(pr.rates, br)
			}
		}
	}
	if c.CID != nil {
		pr.cid = *c.CID
	}
	if c.NAD != nil {
		pr.nad = *c.NAD
	}
	if c.Historical != nil {
		pr.historical = hexOf("historical", *c.Historical)
	} else if a, perr := iso7816.ParseATR(atr); perr == nil {
		pr.historical = a.Historical
	}
	return pr, err
}

// supports reports whether the card supports rate r (both directions).
func (pr *params) supports(r BitRate) bool {
	for _, x := range pr.rates {
		if x == r.or106() {
			return true
		}
	}
	return false
}

// higherRates returns the supported rates above 106, for TA1 and the ATQB.
func (pr *params) higherRates() []BitRate {
	var out []BitRate
	for _, r := range pr.rates {
		if r != Rate106 {
			out = append(out, r)
		}
	}
	return out
}

// atqaBytes returns the ATQA as transmitted: the UID size in b8–b7 and
// bit frame anticollision b3 of the first byte [model], unless the
// profile gives it.
func (pr *params) atqaBytes() []byte {
	if len(pr.atqa) == 2 {
		return pr.atqa
	}
	size := byte(0)
	switch pr.uidSize {
	case 7:
		size = 1
	case 10:
		size = 2
	}
	return []byte{size<<6 | 0x04, 0x00}
}

func (pr *params) ats(tinyFSC bool) ATS {
	a := ATS{FSCI: pr.fsci, DS: pr.higherRates(), DR: pr.higherRates(), FWI: pr.fwi, SFGI: pr.sfgi,
		CID: pr.cid, NAD: pr.nad, Historical: pr.historical}
	if tinyFSC {
		a.FSCI = 0
	}
	return a
}
