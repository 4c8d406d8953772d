package emv

import (
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// AIP bits (EMV Book 3 Annex C1).
const (
	aipSDA        = 0x40 // byte 1: SDA supported
	aipDDA        = 0x20 // DDA supported
	aipCVM        = 0x10 // cardholder verification supported
	aipTermRisk   = 0x08 // terminal risk management to be performed
	aipIssuerAuth = 0x04 // issuer authentication supported
	aipCDA        = 0x01 // CDA supported
)

// template returns the value of the single data object of b, which must
// have tag want; anything but padding beside it is an error.
func template(b []byte, want Tag) ([]byte, bool) {
	p := iso7816.NewParser(b)
	var t Tag
	var v []byte
	if !p.ReadTLV(&t, &v) || t != want || !p.Empty() {
		return nil, false
	}
	return v, true
}

// responseTemplate returns the tag and value of a response message
// template: format 1 (80) or format 2 (77), alone in b.
func responseTemplate(b []byte) (Tag, []byte, bool) {
	p := iso7816.NewParser(b)
	var t Tag
	var v []byte
	if !p.ReadTLV(&t, &v) || (t != TagRMTF1 && t != TagRMTF2) || !p.Empty() {
		return 0, nil, false
	}
	return t, v, true
}

// gpo sends GET PROCESSING OPTIONS with the PDOL data (EMV Book 3 §6.5.8,
// §10.1) and stores the AIP, AFL and, for format 2, every data object of
// the response. seen collects the tags for the duplicate check of the
// records. It returns errNextApp when the card refuses (6985).
func (x *txn) gpo(seen seenTags) error {
	var pdol DOL
	if raw, ok := x.db.Lookup(TagPDOL); ok {
		var err error
		if pdol, err = ParseDOL(raw); err != nil {
			return fmt.Errorf("PDOL: %w", err)
		}
	}
	if x.tx.Contactless && !pdol.Has(TagTTQ) {
		return fmt.Errorf("%w: the PDOL does not ask for the TTQ (9F66): not a qUICS application", ErrTryAnotherInterface)
	}
	x.syncStatus()
	x.pdolData = pdol.Build(x.db)
	data := append([]byte{byte(TagCommandTemplate)}, iso7816.EncodeLength(nil, len(x.pdolData))...)
	data = append(data, x.pdolData...)
	r, err := x.send("GET PROCESSING OPTIONS", iso7816.Command{CLA: 0x80, INS: 0xA8, Data: data, Ne: 256})
	if err != nil {
		return err
	}
	switch r.SW {
	case iso7816.SWOK:
	case iso7816.SWConditionsNotSatisfied:
		if x.tx.Contactless {
			return fmt.Errorf("GPO answered 6985: %w", ErrTryAnotherInterface)
		}
		return errNextApp
	case iso7816.SWFuncNotSupported:
		return fmt.Errorf("GPO: %w (6A81)", ErrCardBlocked)
	case iso7816.SWWarnDeactivated, iso7816.SWAppPermanentlyLocked:
		return fmt.Errorf("GPO: %w (%04X)", ErrAppBlocked, uint16(r.SW))
	default:
		return fmt.Errorf("%w: GPO answered %04X", ErrNotAccepted, uint16(r.SW))
	}
	t, v, ok := responseTemplate(r.Data)
	if !ok {
		return fmt.Errorf("%w: GPO response is not one 80 or 77 template", ErrCardData)
	}
	if t == TagRMTF1 {
		if x.tx.Contactless {
			return fmt.Errorf("%w: format 1 GPO response on the contactless interface", ErrTryAnotherInterface)
		}
		if len(v) < 2 {
			return fmt.Errorf("%w: GPO format 1 response of %d bytes", ErrCardData, len(v))
		}
		if err := x.db.addCard(TagAIP, v[:2], seen, stageGPO); err != nil {
			return err
		}
		if err := x.db.addCard(TagAFL, v[2:], seen, stageGPO); err != nil {
			return err
		}
	} else if err := x.db.addCardObjects(v, seen, stageGPO); err != nil {
		return fmt.Errorf("GPO response: %w", err)
	}
	aip := x.db.Get(TagAIP)
	if len(aip) != 2 {
		return fmt.Errorf("%w: GPO response without a 2-byte AIP", ErrCardData)
	}
	copy(x.aip[:], aip)
	afl, ok := x.db.Lookup(TagAFL)
	if !ok && !x.tx.Contactless {
		return fmt.Errorf("%w: GPO response without an AFL", ErrCardData)
	}
	if x.afl, err = ParseAFL(afl); err != nil {
		return err
	}
	return nil
}

// readRecords reads every record the AFL lists (EMV Book 3 §10.2) and
// collects the static data to be authenticated: the value of the 70
// template for files 1 to 10, the whole record for files 11 to 30.
func (x *txn) readRecords(seen seenTags) error {
	x.static = x.static[:0]
	x.staticOK = true
	for _, e := range x.afl {
		for n := int(e.First); n <= int(e.Last); n++ {
			step := fmt.Sprintf("READ RECORD SFI %d record %d", e.SFI, n)
			r, err := x.send(step, readRecordCmd(e.SFI, byte(n)))
			if err != nil {
				return err
			}
			if r.SW != iso7816.SWOK {
				return fmt.Errorf("%w: %s answered %04X", ErrCardData, step, uint16(r.SW))
			}
			oda := n < int(e.First)+int(e.ODA)
			v, ok := template(r.Data, TagRecord)
			switch {
			case !ok && e.SFI <= 10:
				return fmt.Errorf("%w: %s is not a 70 template", ErrCardData, step)
			case !ok:
				if oda {
					x.staticOK = false
				}
				continue
			}
			if err := x.db.addCardObjects(v, seen, stageRecords); err != nil {
				return fmt.Errorf("%s: %w", step, err)
			}
			if oda {
				if e.SFI <= 10 {
					x.static = append(x.static, v...)
				} else {
					x.static = append(x.static, r.Data...)
				}
			}
		}
	}
	return nil
}

// staticData returns the static data to be authenticated: the records,
// then the AIP when the SDA tag list (9F4A) asks for it. ok is false when
// a record could not be used or the tag list names anything but 82 (EMV
// Book 3 §10.3).
func (x *txn) staticData() ([]byte, bool) {
	out := x.static
	if list, has := x.db.Lookup(TagSDATagList); has {
		switch {
		case len(list) == 0:
		case len(list) == 1 && list[0] == byte(TagAIP):
			out = append(out[:len(out):len(out)], x.aip[:]...)
		default:
			return out, false
		}
	}
	return out, x.staticOK
}
