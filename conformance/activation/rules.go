package activation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/iso7816"
)

// stateCodes are refusals that say the card's state did not allow what
// the terminal asked.
var stateCodes = []string{
	string(register.TemporaryLoss), string(register.FormalLoss), string(register.Cancelled),
	register.CauseExpired, register.CauseArrears,
	register.CodeOriginalNotEnabled, register.CodeNotUsable, register.CodeUnknownCard,
}

func detail(e register.Entry, k string) string {
	if v, ok := e.Detail[k].(string); ok {
		return v
	}
	return ""
}

// generation of a presence's card: read from EF05, or the register's, or
// "3.00" (checked as strictly as the strictest card).
func (c *checker) generation(p *presence) string {
	switch {
	case p.version != "":
		return p.version
	case c.gens[p.id] != "":
		return c.gens[p.id]
	}
	return "3.00"
}

// Rules are the rules of the activation routes, in report order.
var Rules = []*Rule{
	{
		ID: "ACT-ID-001", Title: "The card's identity is read before the register is asked to change the card",
		Step: func(r register.Route) Step { return stepOf(r, 1) },
		check: func(c *checker) ([]finding, string) {
			es := c.changes("activate", "reactivate", "reissue")
			if len(es) == 0 {
				return nil, "the terminal asked the register to change no card"
			}
			var fs []finding
			for _, e := range es {
				if !c.identified(e) {
					need := "its card identifier (EF05 record 01) and social security number (EF06 record 08)"
					if c.in.Flow == register.Online {
						need = "its card identifier (EF05 record 01)"
					}
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("%s of card %s asked (journal #%d) before the terminal read %s", e.Event, e.Card, e.Seq, need)})
				}
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-ID-002", Title: "The register is asked about the card's own holder",
		Step: func(r register.Route) Step {
			switch r {
			case register.Bank, register.Bureau:
				return stepOf(r, 2)
			case register.Pharmacy:
				return stepOf(r, 4)
			case register.Online:
				return stepOf(r, 3)
			}
			return stepOf(r, 1)
		},
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.mine {
				if e.Event != "activate" && e.Event != "reactivate" && e.Event != "reissue" {
					continue
				}
				n++
				if e.Outcome == register.OutcomeRefused && (e.Code == register.CodeIdentityMismatch || e.Code == register.CodeOriginalMismatch) {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("%s of card %s refused (journal #%d): %s: %v", e.Event, e.Card, e.Seq, e.Code, e.Detail["reason"])})
				}
			}
			for _, p := range c.a.presences {
				if p.id == "" || p.ssn == "" {
					continue
				}
				for _, e := range c.byCard[p.id] {
					if e.SSN != "" && e.SSN != p.ssn && e.Route != register.Issuer {
						fs = append(fs, finding{at: p.ssnAt, msg: fmt.Sprintf("card %s holds social security number %s; the register has %s", p.id, p.ssn, e.SSN)})
						break
					}
				}
			}
			if n == 0 && len(fs) == 0 {
				return nil, "the terminal asked the register to change no card"
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-REG-001", Title: "Activation only for a card whose register state allows it",
		Step: func(r register.Route) Step {
			switch r {
			case register.Bank, register.Bureau:
				return stepOf(r, 3)
			case register.Pharmacy:
				return stepOf(r, 5)
			case register.Online:
				return stepOf(r, 4)
			}
			return stepOf(r, 2)
		},
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.changes("activate") {
				n++
				if e.Outcome == register.OutcomeRefused && slices.Contains(stateCodes, e.Code) {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("asked the register (journal #%d) to %s card %s, which is %s: a terminal looks the card up and stops", e.Seq, e.Event, e.Card, e.Code)})
				}
			}
			for _, x := range c.a.card {
				if x.app != appSSSE || !x.ok() || (x.op != opActivate && x.op != opAppUnblock) {
					continue
				}
				n++
				id := x.p.id
				if id == "" {
					fs = append(fs, finding{at: x.t, msg: "the chip was activated (" + x.op + ") before the terminal read which card it is", x: []*ax{x}})
					continue
				}
				if st := c.stateAt(id, x.t); st != register.Enabled {
					if st == "" {
						st = "unknown to the register"
					}
					fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("the chip of card %s was changed (%s) while the register says %s", id, x.op, st), x: []*ax{x}})
				}
			}
			if n == 0 {
				return nil, "no activation asked or sent"
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-PIN-001", Title: "PIN tries never exceed what is left",
		Routes: []register.Route{register.Bank, register.Hospital, register.Pharmacy, register.Bureau},
		Step: func(r register.Route) Step {
			if r == register.Bank {
				return stepOf(r, 6)
			}
			return stepOf(r, 1)
		},
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, x := range c.a.card {
				if x.op != opPIN {
					continue
				}
				n++
				switch {
				case x.tries == 0:
					fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("a PIN (%s) was presented with no tries left", x.pinRef), x: []*ax{x}})
				case x.answer && x.sw == iso7816.SWAuthBlocked:
					fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("a PIN (%s) was presented to a blocked PIN without asking the tries left first", x.pinRef), x: []*ax{x}})
				}
			}
			if n == 0 {
				return nil, "the terminal presented no PIN"
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-MAC-001", Title: "Secured commands carry valid MACs and cryptograms",
		Step: func(r register.Route) Step {
			switch r {
			case register.Bank:
				return stepOf(r, 5)
			case register.Hospital:
				return stepOf(r, 4)
			case register.Pharmacy:
				return stepOf(r, 7)
			case register.Bureau:
				return stepOf(r, 6)
			}
			return stepOf(r, 2)
		},
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, x := range c.a.card {
				switch {
				case x.secure && x.app != appPay:
					n++
					if x.answer && x.sw == iso7816.SWSMDataIncorrect {
						fs = append(fs, finding{at: x.t, msg: "a secured command's MAC is wrong (6988)", x: []*ax{x}})
					}
				case x.op == opExtAuth && x.app != appPay:
					n++
					if x.answer && (x.sw.SW1() == 0x63 || x.sw == iso7816.SWAuthBlocked) {
						fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("EXTERNAL AUTHENTICATE with key %02X failed (%04X): the cryptogram is wrong", x.key, uint16(x.sw)), x: []*ax{x}})
					}
				}
			}
			if n == 0 {
				return nil, "no secured command"
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-PRIV-001", Title: "No personal data read without authentication",
		Step: func(r register.Route) Step { return stepOf(r, 1) },
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, x := range c.a.card {
				if x.op != opRead || x.app != appSSSE || !personalEF(x.sfi) {
					continue
				}
				n++
				switch {
				case x.answer && x.sw == iso7816.SWSecurityNotSatisfied:
					fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("EF%02X was read without authentication (the card answered 6982)", x.sfi), x: []*ax{x}})
				case c.generation(x.p) >= "3.00" && !x.authed:
					fs = append(fs, finding{at: x.t, msg: fmt.Sprintf("EF%02X of a third-generation card was read before external authentication with RKSSSE (0A)", x.sfi), x: []*ax{x}})
				}
			}
			if n == 0 {
				return nil, "no personal data read"
			}
			return fs, ""
		},
	},
	{
		ID: "ACT-CHIP-001", Title: "The chip follows the register: an enabled card activated, a cancelled or lost card blocked",
		Model:  true,
		Routes: []register.Route{register.Bank, register.Hospital, register.Pharmacy, register.Bureau},
		Step: func(r register.Route) Step {
			switch r {
			case register.Bank:
				return stepOf(r, 5)
			case register.Pharmacy:
				return stepOf(r, 7)
			case register.Bureau:
				return stepOf(r, 6)
			}
			return stepOf(r, 4)
		},
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.changes("activate", "reactivate") {
				if e.Outcome != register.OutcomeOK || e.To != register.Enabled {
					continue
				}
				n++
				if !c.activatedAfter(e.Card, e.Time) {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the register enabled card %s (journal #%d) and its chip was not activated afterwards (ACTIVATE FILE, or FCP 8A=05 seen)", e.Card, e.Seq)})
				}
			}
			for _, p := range c.a.presences {
				if p.id == "" || len(p.x) == 0 || !c.askedDuring(p) {
					continue // a terminal that did not ask cannot know
				}
				st := c.stateAt(p.id, p.until)
				if st != register.Cancelled && st != register.FormalLoss {
					continue
				}
				n++
				if !c.blockedFrom(p) {
					fs = append(fs, finding{at: p.start, msg: fmt.Sprintf("card %s, %s in the register, was seen and not blocked (APPLICATION BLOCK)", p.id, st), x: p.x[len(p.x)-1:]})
				}
			}
			if n == 0 {
				return nil, "no card whose chip had to change"
			}
			return fs, ""
		},
	},
	{
		ID: "HOSP-001", Title: "Every visit registers the holder for outpatient or inpatient service",
		Routes: []register.Route{register.Hospital},
		Step:   func(r register.Route) Step { return stepOf(r, 5) },
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, p := range c.a.presences {
				if p.id == "" || len(p.x) == 0 || p.blocked {
					continue
				}
				if c.stateAt(p.id, p.until) != register.Enabled || c.stoppedAt(p.id, p.until) {
					continue
				}
				n++
				ok := false
				for _, e := range c.mine {
					if e.Event == "registration" && e.Card == p.id && e.Outcome == register.OutcomeOK && !e.Time.Before(p.start) {
						ok = true
					}
				}
				if !ok {
					fs = append(fs, finding{at: p.start, msg: fmt.Sprintf("card %s, enabled, was used with no registration journaled", p.id)})
				}
			}
			if n == 0 {
				return nil, "no enabled card seen"
			}
			return fs, ""
		},
	},
	{
		ID: "PHARM-001", Title: "The original card is read before the new card, and both hold the same social security number",
		Routes: []register.Route{register.Pharmacy},
		Step:   func(r register.Route) Step { return stepOf(r, 4) },
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.changes("activate") {
				orig := detail(e, "original")
				if orig == "" || e.Outcome == register.OutcomeRefused {
					continue
				}
				n++
				po, pn := c.firstIdentified(orig, e.Time), c.firstIdentified(e.Card, e.Time)
				switch {
				case po == nil:
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the migration to card %s (journal #%d) names original card %s, which the terminal never read", e.Card, e.Seq, orig)})
				case pn == nil:
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the new card %s was never read", e.Card)})
				case !po.idAt.Before(pn.idAt):
					fs = append(fs, finding{at: pn.idAt, msg: fmt.Sprintf("the new card %s was read before the original card %s", e.Card, orig)})
				case po.ssn == "" || pn.ssn == "":
					fs = append(fs, finding{at: e.Time, msg: "the social security number of both cards was not read"})
				case po.ssn != pn.ssn:
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the original card holds %s, the new card %s", po.ssn, pn.ssn)})
				}
			}
			if n == 0 {
				return nil, "no migration"
			}
			return fs, ""
		},
	},
	{
		ID: "PHARM-002", Title: "The original card is cancelled by the migration and blocked on-chip when next seen",
		Routes: []register.Route{register.Pharmacy},
		Step:   func(r register.Route) Step { return stepOf(r, 8) },
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.changes("activate") {
				orig := detail(e, "original")
				if orig == "" || e.Outcome != register.OutcomeOK {
					continue
				}
				n++
				if st := c.stateAt(orig, e.Time.Add(time.Second)); st != register.Cancelled {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the original card %s is %s after the migration, not cancelled", orig, st)})
				}
				for _, p := range c.presencesOf(orig) {
					if p.start.After(e.Time) && !p.blocked {
						fs = append(fs, finding{at: p.start, msg: fmt.Sprintf("the original card %s was seen again after the migration and not blocked", orig), x: p.x[len(p.x)-1:]})
					}
				}
			}
			if n == 0 {
				return nil, "no migration"
			}
			return fs, ""
		},
	},
	{
		ID: "BUR-001", Title: "Arrears on the medical account are paid before reactivation",
		Routes: []register.Route{register.Bureau},
		Step:   func(r register.Route) Step { return stepOf(r, 4) },
		check: func(c *checker) ([]finding, string) {
			es := c.changes("reactivate")
			if len(es) == 0 {
				return nil, "no reactivation"
			}
			var fs []finding
			for _, e := range es {
				if e.Outcome == register.OutcomeRefused && e.Code == register.CauseArrears {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("reactivation of card %s asked (journal #%d) before the arrears were paid", e.Card, e.Seq)})
				}
			}
			return fs, ""
		},
	},
	{
		ID: "BUR-002", Title: "A renewed card's new expiry date is written to the chip",
		Routes: []register.Route{register.Bureau},
		Step:   func(r register.Route) Step { return stepOf(r, 7) },
		check: func(c *checker) ([]finding, string) {
			var fs []finding
			n := 0
			for _, e := range c.changes("reactivate") {
				exp := detail(e, "expiry")
				if exp == "" || e.Outcome != register.OutcomeOK {
					continue
				}
				n++
				if !c.expiryWritten(e.Card, exp, e.Time) {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("the register renewed card %s to %s (journal #%d) and the chip's EF05 record 06 was not written with it", e.Card, exp, e.Seq)})
				}
			}
			if n == 0 {
				return nil, "no renewal"
			}
			return fs, ""
		},
	},
	{
		ID: "ONL-001", Title: "The card is authenticated through its PKI application before activation",
		Routes: []register.Route{register.Online},
		Step:   func(r register.Route) Step { return stepOf(r, 2) },
		check: func(c *checker) ([]finding, string) {
			es := c.changes("activate")
			if len(es) == 0 {
				return nil, "no activation"
			}
			var fs []finding
			for _, e := range es {
				ok := false
				for _, p := range c.presencesOf(e.Card) {
					for _, x := range p.x {
						if x.app == appPKI && x.op == opSign && x.ok() && x.t.Before(e.Time) {
							ok = true
						}
					}
				}
				if !ok {
					fs = append(fs, finding{at: e.Time, msg: fmt.Sprintf("card %s was activated (journal #%d) without a signature of its PKI application before", e.Card, e.Seq)})
				}
			}
			return fs, ""
		},
	},
}

// personalEF reports the SSSE files holding personal data: EF06
// (identity), EF07 (fingerprints), EF08 (photo), EF0D (person identifier).
func personalEF(sfi byte) bool { return sfi == 6 || sfi == 7 || sfi == 8 || sfi == 0x0D }

// identified reports whether the terminal had read the card an entry is
// about before asking: its identifier and (but on line) its holder's
// number. A blocked card, found by its printed number, counts when a
// blocked card was in the reader.
func (c *checker) identified(e register.Entry) bool {
	for _, p := range c.presencesOf(e.Card) {
		if p.idAt.IsZero() || p.idAt.After(e.Time) {
			continue
		}
		if c.in.Flow == register.Online || (!p.ssnAt.IsZero() && !p.ssnAt.After(e.Time)) {
			return true
		}
	}
	if e.Event == "reactivate" || e.Event == "reissue" {
		for _, p := range c.presencesOf(e.Card) {
			if p.wasBlocked && p.start.Before(e.Time) {
				return true
			}
		}
	}
	return false
}

// firstIdentified is the first presence of a card whose identifier was
// read before t.
func (c *checker) firstIdentified(id string, t time.Time) *presence {
	for _, p := range c.presencesOf(id) {
		if !p.idAt.IsZero() && !p.idAt.After(t) {
			return p
		}
	}
	return nil
}

// activatedAfter reports whether the card's chip was seen activated (by
// ACTIVATE FILE, APPLICATION UNBLOCK or its FCP) after t.
func (c *checker) activatedAfter(id string, t time.Time) bool {
	for _, p := range c.presencesOf(id) {
		for _, x := range p.x {
			if x.t.Before(t) || x.app != appSSSE || !x.ok() {
				continue
			}
			if x.op == opActivate {
				return true
			}
			if x.op == opSelect {
				if v, ok := iso7816.Find(x.data, 0x62, 0x8A); ok && len(v) == 1 && v[0] == lcsActivated {
					return true
				}
			}
		}
		if !p.blocked && p.lcs == lcsActivated && p.until.After(t) {
			return true
		}
	}
	return false
}

// expiryWritten reports an UPDATE RECORD of EF05 record 06 with the date
// after t.
func (c *checker) expiryWritten(id, date string, t time.Time) bool {
	for _, p := range c.presencesOf(id) {
		for _, x := range p.x {
			if x.op == opUpdate && x.sfi == 5 && x.tag == recExpiry && x.ok() && !x.t.Before(t) {
				d := commandData(x.cmd)
				if len(d) == 6 && strings.EqualFold(hexString(d[2:]), date) {
					return true
				}
			}
		}
	}
	return false
}
