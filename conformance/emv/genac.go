package emv

import (
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// cdaRequest is bit 5 of GENERATE AC P1: combined DDA/AC generation.
const cdaRequest = 0x10

// acResponse is a decoded GENERATE AC response.
type acResponse struct {
	cid  byte
	atc  []byte
	ac   []byte
	iad  []byte
	data []byte // the 77 template's value (for CDA)
}

// parseACResponse decodes a GENERATE AC response (EMV Book 3 §6.5.5.4):
// format 1 CID ATC AC [IAD] or format 2 with 9F27, 9F36, 9F26 (or 9F4B
// under CDA) and optional 9F10.
func parseACResponse(b []byte, cda bool) (acResponse, error) {
	t, v, ok := responseTemplate(b)
	if !ok {
		return acResponse{}, fmt.Errorf("%w: GENERATE AC response is not one 80 or 77 template", ErrCardData)
	}
	if t == TagRMTF1 {
		if len(v) < 11 || len(v) > 11+32 {
			return acResponse{}, fmt.Errorf("%w: GENERATE AC format 1 response of %d bytes", ErrCardData, len(v))
		}
		return acResponse{cid: v[0], atc: v[1:3], ac: v[3:11], iad: v[11:]}, nil
	}
	r := acResponse{data: v}
	seen := map[Tag]bool{}
	p := iso7816.NewParser(v)
	for !p.Empty() {
		var tag Tag
		var val []byte
		if !p.ReadTLV(&tag, &val) {
			return acResponse{}, fmt.Errorf("%w: malformed GENERATE AC response", ErrCardData)
		}
		if seen[tag] {
			return acResponse{}, fmt.Errorf("%w: GENERATE AC response repeats %s", ErrCardData, tag)
		}
		seen[tag] = true
		switch tag {
		case TagCID:
			if len(val) != 1 {
				return acResponse{}, fmt.Errorf("%w: CID of %d bytes", ErrCardData, len(val))
			}
			r.cid = val[0]
		case TagATC:
			r.atc = val
		case TagAC:
			r.ac = val
		case TagIAD:
			r.iad = val
		}
	}
	switch {
	case !seen[TagCID] || len(r.atc) != 2:
		return acResponse{}, fmt.Errorf("%w: GENERATE AC response without CID or 2-byte ATC", ErrCardData)
	case r.ac != nil && len(r.ac) != 8:
		return acResponse{}, fmt.Errorf("%w: application cryptogram of %d bytes", ErrCardData, len(r.ac))
	case r.ac == nil && !(cda && seen[TagSDAD]):
		return acResponse{}, fmt.Errorf("%w: GENERATE AC response without a cryptogram", ErrCardData)
	case len(r.iad) > 32:
		return acResponse{}, fmt.Errorf("%w: issuer application data of %d bytes", ErrCardData, len(r.iad))
	}
	return r, nil
}

// allowed reports whether a card may answer a request for want with got
// (EMV Book 3 §6.5.5.3: never a higher cryptogram than asked for).
func allowed(want, got Cryptogram) bool {
	switch want {
	case AAC:
		return got == AAC
	case ARQC:
		return got == AAC || got == ARQC
	case TC:
		return got == AAC || got == ARQC || got == TC
	}
	return false
}

// generateAC sends GENERATE AC asking for want with the CDOL's data and
// stores the answer. second marks the second GENERATE AC (CDOL2).
func (x *txn) generateAC(want Cryptogram, second bool) (Cryptogram, error) {
	dolTag, step := TagCDOL1, "GENERATE AC 1"
	if second {
		dolTag, step = TagCDOL2, "GENERATE AC 2"
	}
	dol, err := ParseDOL(x.db.Get(dolTag))
	if err != nil {
		return AAC, fmt.Errorf("%s: %w", dolTag, err)
	}
	if dol.Has(TagTCHash) {
		x.tcHash()
	}
	x.syncStatus()
	data := dol.Build(x.db)
	p1 := byte(want)
	cda := x.cdaAsked && want != AAC
	if cda {
		p1 |= cdaRequest
	}
	if !second {
		x.cdol1 = data
	}
	r, err := x.send(step, iso7816.Command{CLA: 0x80, INS: 0xAE, P1: p1, Data: data, Ne: 256})
	if err != nil {
		return AAC, err
	}
	if r.SW != iso7816.SWOK {
		return AAC, fmt.Errorf("%w: %s answered %04X", ErrNotAccepted, step, uint16(r.SW))
	}
	ac, err := parseACResponse(r.Data, cda)
	if err != nil {
		return AAC, err
	}
	got := Cryptogram(ac.cid & 0xC0)
	if ac.cid&0xC0 == 0xC0 || !allowed(want, got) {
		return AAC, fmt.Errorf("%w: asked for %s, the card answered CID %02X", ErrCardData, want, ac.cid)
	}
	x.db.put(TagCID, []byte{ac.cid}, FromCard)
	x.db.put(TagATC, ac.atc, FromCard)
	if ac.iad != nil {
		x.db.put(TagIAD, ac.iad, FromCard)
	}
	if ac.ac != nil {
		x.db.put(TagAC, ac.ac, FromCard)
	}
	x.res.Cryptogram, x.res.AC = got, append([]byte(nil), ac.ac...)
	if cda && got != AAC {
		var cdol2 []byte
		if second {
			cdol2 = data
		}
		sig, err := x.verifyCDA(ac.cid, cdol2, ac.data)
		if err != nil {
			x.odaFailed(CDA, err)
			return got, fmt.Errorf("%w: CDA: %w", ErrODAFailed, err)
		}
		x.res.ODA, x.res.ODAOK = CDA, true
		x.db.put(TagAC, sig, FromCard)
		x.res.AC = sig
	} else if ac.ac == nil {
		return AAC, fmt.Errorf("%w: GENERATE AC response without a cryptogram", ErrCardData)
	}
	return got, nil
}

// tcHash sets the TC hash value (98) from the card's TDOL or the default
// (empty) TDOL (EMV Book 3 §10.10.3).
func (x *txn) tcHash() {
	var tdol DOL
	if raw, ok := x.db.Lookup(TagTDOL); ok {
		if d, err := ParseDOL(raw); err == nil {
			tdol = d
		}
	} else {
		x.res.TVR.Set(TVRDefaultTDOL)
	}
	x.db.Set(TagTCHash, sha1Of(tdol.Build(x.db)))
}
