package emv

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/sscard/sscard/emulator/iso7816"
)

// Directory names of the payment system environments (EMV Book 1 §12.2,
// CARD.md §5).
var (
	PSEName  = []byte("1PAY.SYS.DDF01")
	PPSEName = []byte("2PAY.SYS.DDF01")
)

// Candidate is an application both the card and the terminal support.
type Candidate struct {
	AID      []byte
	Label    string
	Priority byte // 87 b4-b1; 0: none
}

// maxPartial bounds the SELECT next-occurrence loop of one terminal AID.
const maxPartial = 16

// maxDirRecords bounds the PSE directory records read.
const maxDirRecords = 32

func selectCmd(name []byte, next bool) iso7816.Command {
	p2 := byte(0x00)
	if next {
		p2 = 0x02
	}
	return iso7816.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: p2, Data: name, Ne: 256}
}

// supported reports whether the terminal supports aid.
func (c *Config) supported(aid []byte) bool {
	for _, a := range c.AIDs {
		if bytes.Equal(a.AID, aid) || a.Partial && len(aid) > len(a.AID) && bytes.HasPrefix(aid, a.AID) {
			return true
		}
	}
	return false
}

// sortCandidates orders by priority, 1 first, no priority last; stable.
func sortCandidates(c []Candidate) {
	rank := func(p byte) int {
		if p&0x0F == 0 {
			return 16
		}
		return int(p & 0x0F)
	}
	slices.SortStableFunc(c, func(a, b Candidate) int { return rank(a.Priority) - rank(b.Priority) })
}

// dirEntry decodes one 61 directory entry.
func dirEntry(v []byte) (Candidate, bool) {
	aid, ok := iso7816.Find(v, TagAID)
	if !ok || len(aid) < 5 || len(aid) > 16 {
		return Candidate{}, false
	}
	c := Candidate{AID: slices.Clone(aid)}
	if l, ok := iso7816.Find(v, TagLabel); ok {
		c.Label = string(l)
	}
	if p, ok := iso7816.Find(v, TagPriority); ok && len(p) == 1 {
		c.Priority = p[0]
	}
	return c, true
}

// entries decodes the 61 entries at the top level of b, keeping those the
// terminal supports.
func (x *txn) entries(b []byte, into []Candidate) ([]Candidate, error) {
	p := iso7816.NewParser(b)
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			return into, fmt.Errorf("%w: malformed directory", ErrCardData)
		}
		if t != TagDirEntry {
			continue
		}
		if c, ok := dirEntry(v); ok && x.cfg.supported(c.AID) {
			into = append(into, c)
		}
	}
	return into, nil
}

// ppse builds the candidate list of a contactless card from its PPSE (EMV
// Book B §3.3, JR/T 0025.12).
func (x *txn) ppse() ([]Candidate, error) {
	r, err := x.send("SELECT PPSE", selectCmd(PPSEName, false))
	if err != nil {
		return nil, err
	}
	switch r.SW {
	case iso7816.SWOK:
	case iso7816.SWFuncNotSupported:
		return nil, fmt.Errorf("SELECT PPSE: %w (6A81)", ErrCardBlocked)
	default:
		return nil, fmt.Errorf("%w: SELECT PPSE answered %04X", ErrNoApplication, uint16(r.SW))
	}
	dir, ok := iso7816.Find(r.Data, TagFCI, TagFCIProp, TagFCIDiscret)
	if !ok {
		return nil, fmt.Errorf("%w: PPSE FCI without 6F/A5/BF0C", ErrCardData)
	}
	c, err := x.entries(dir, nil)
	if err != nil {
		return nil, err
	}
	if len(c) == 0 {
		return nil, fmt.Errorf("%w: the PPSE lists none of the terminal's applications", ErrNoApplication)
	}
	sortCandidates(c)
	return c, nil
}

// pse builds the candidate list of a contact card: from the PSE directory
// when the card has one, else by selecting each of the terminal's AIDs
// (EMV Book 1 §12.3).
func (x *txn) pse() ([]Candidate, error) {
	c, err := x.fromPSE()
	if err != nil {
		return nil, err
	}
	if len(c) == 0 {
		if c, err = x.fromList(); err != nil {
			return nil, err
		}
	}
	if len(c) == 0 {
		return nil, ErrNoApplication
	}
	sortCandidates(c)
	return c, nil
}

// fromPSE reads the PSE directory; a card without a usable PSE gives no
// candidates and no error, a blocked card gives ErrCardBlocked.
func (x *txn) fromPSE() ([]Candidate, error) {
	r, err := x.send("SELECT PSE", selectCmd(PSEName, false))
	if err != nil {
		return nil, err
	}
	if r.SW == iso7816.SWFuncNotSupported {
		return nil, fmt.Errorf("SELECT PSE: %w (6A81)", ErrCardBlocked)
	}
	if r.SW != iso7816.SWOK {
		return nil, nil
	}
	sfi, ok := iso7816.Find(r.Data, TagFCI, TagFCIProp, TagSFI)
	if !ok || len(sfi) != 1 || sfi[0] == 0 || sfi[0] > 10 {
		return nil, nil
	}
	var out []Candidate
	for n := 1; n <= maxDirRecords; n++ {
		rr, err := x.send(fmt.Sprintf("READ RECORD PSE %d", n), readRecordCmd(sfi[0], byte(n)))
		if err != nil {
			return nil, err
		}
		if rr.SW == iso7816.SWRecordNotFound {
			break
		}
		if rr.SW != iso7816.SWOK {
			return nil, nil // directory unusable: fall back to the list of AIDs
		}
		v, ok := iso7816.Find(rr.Data, TagRecord)
		if !ok {
			return nil, nil
		}
		if out, err = x.entries(v, out); err != nil {
			return nil, nil
		}
	}
	return out, nil
}

// fromList selects each terminal AID, with next-occurrence selection for
// partial names.
func (x *txn) fromList() ([]Candidate, error) {
	var out []Candidate
	for _, a := range x.cfg.AIDs {
		next := false
		for i := 0; i < maxPartial; i++ {
			r, err := x.send("SELECT "+fmt.Sprintf("%X", a.AID), selectCmd(a.AID, next))
			if err != nil {
				return nil, err
			}
			if r.SW == iso7816.SWFuncNotSupported && !next {
				return nil, fmt.Errorf("SELECT %X: %w (6A81)", a.AID, ErrCardBlocked)
			}
			if r.SW != iso7816.SWOK && r.SW != iso7816.SWWarnDeactivated {
				break
			}
			name, ok := iso7816.Find(r.Data, TagFCI, TagDFName)
			if !ok {
				break
			}
			if r.SW == iso7816.SWOK && (bytes.Equal(name, a.AID) || a.Partial && bytes.HasPrefix(name, a.AID) && len(name) <= 16) {
				c := Candidate{AID: slices.Clone(name)}
				if l, ok := iso7816.Find(r.Data, TagFCI, TagFCIProp, TagLabel); ok {
					c.Label = string(l)
				}
				if p, ok := iso7816.Find(r.Data, TagFCI, TagFCIProp, TagPriority); ok && len(p) == 1 {
					c.Priority = p[0]
				}
				if !slices.ContainsFunc(out, func(o Candidate) bool { return bytes.Equal(o.AID, c.AID) }) {
					out = append(out, c)
				}
			} else if r.SW == iso7816.SWWarnDeactivated {
				x.blocked = true
			}
			if !a.Partial {
				break
			}
			next = true
		}
	}
	return out, nil
}

// finalSelect selects the candidate and stores its FCI. It returns
// ErrAppBlocked for a blocked application (6283) and ErrCardData for an
// FCI that does not name the application; the caller removes the
// candidate and tries the next.
func (x *txn) finalSelect(c Candidate) error {
	if err := x.initDB(); err != nil {
		return err
	}
	r, err := x.send("SELECT AID", selectCmd(c.AID, false))
	if err != nil {
		return err
	}
	switch r.SW {
	case iso7816.SWOK:
	case iso7816.SWWarnDeactivated:
		x.blocked = true
		return fmt.Errorf("SELECT %X: %w (6283)", c.AID, ErrAppBlocked)
	case iso7816.SWFuncNotSupported:
		return fmt.Errorf("SELECT %X: %w (6A81)", c.AID, ErrCardBlocked)
	default:
		return fmt.Errorf("%w: SELECT %X answered %04X", ErrNoApplication, c.AID, uint16(r.SW))
	}
	fci, ok := iso7816.Find(r.Data, TagFCI)
	if !ok {
		return fmt.Errorf("%w: SELECT %X: no FCI template", ErrCardData, c.AID)
	}
	name, ok := iso7816.Find(fci, TagDFName)
	if !ok || !bytes.Equal(name, c.AID) {
		return fmt.Errorf("%w: SELECT %X: FCI names %X", ErrCardData, c.AID, name)
	}
	prop, ok := iso7816.Find(fci, TagFCIProp)
	if !ok {
		return fmt.Errorf("%w: SELECT %X: FCI without A5", ErrCardData, c.AID)
	}
	if err := x.db.addCard(TagDFName, name, nil, 0); err != nil {
		return err
	}
	if err := x.db.addCardObjects(prop, seenTags{}, stageGPO); err != nil {
		return fmt.Errorf("SELECT %X: %w", c.AID, err)
	}
	x.res.AID = slices.Clone(c.AID)
	x.res.Label = c.Label
	if l := x.db.Get(TagLabel); len(l) > 0 {
		x.res.Label = string(l)
	}
	return nil
}

// chooseApp selects candidates in order until one accepts GPO. next is
// called after each successful final selection; it returns errNextApp to
// move on to the next candidate (GPO 6985).
func (x *txn) chooseApp(cands []Candidate, next func() error) error {
	var last error
	for len(cands) > 0 && x.attempts < maxSelectAttempts {
		x.attempts++
		c := cands[0]
		cands = cands[1:]
		err := x.finalSelect(c)
		if err == nil {
			err = next()
			if err != errNextApp {
				return err
			}
			last = fmt.Errorf("%w: %X refused the transaction (GPO 6985)", ErrNotAccepted, c.AID)
			continue
		}
		if isFatal(err) {
			return err
		}
		last = err
	}
	if last == nil {
		last = ErrNoApplication
	}
	return last
}

// errNextApp asks chooseApp for the next candidate.
var errNextApp = fmt.Errorf("next application")

func readRecordCmd(sfi, n byte) iso7816.Command {
	return iso7816.Command{CLA: 0x00, INS: 0xB2, P1: n, P2: sfi<<3 | 4, Ne: 256}
}
