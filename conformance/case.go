// Package conformance runs conformance suites against cards: the in-process
// model, a real card in a PC/SC reader, or both side by side (differential
// runs). A suite is a list of cases; each case names the clause it checks,
// the card it needs, and drives the card through a Transport while every
// exchange is recorded, so a failure shows the commands and responses, what
// was expected and what came.
//
// Expected values come from the card's profile: the suite checks a card
// against what its profile declares, so the same case checks the model, a
// vendor's chip described by the vendor's profile, and the differences
// between them.
package conformance

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sscard/sscard/emulator/profile"
)

// Case is one conformance case.
type Case struct {
	// ID is stable across releases, e.g. SSSE-READ-004.
	ID    string
	Title string
	// Clause is what the case checks: "ISO/IEC 7816-4 §11.3.3",
	// "LD/T 32.5", "CARD.md §2". Model says the clause is a model choice of
	// CARD.md rather than a published requirement.
	Clause string
	Model  bool
	Suite  string
	// Persona is the persona the case runs on when the model is chosen per
	// case (the default run). Empty: "activated".
	Persona string
	// Requires says whether a card described by p can run the case; it
	// returns the reason to skip, or "".
	Requires func(p *profile.Profile) string
	// PSAM says the case needs the PSAM beside the card.
	PSAM bool
	// Destructive cases change the card for good (block a PIN, terminate
	// an application): on a real card they run only when allowed.
	Destructive bool
	// Restores is true for cases that change the card but put it back
	// (e.g. a wrong VERIFY followed by a right one).
	Restores bool
	// ModelOnly cases test something other than the card of the target
	// (e.g. a reader's link layer against a model card): they are skipped
	// when the target is a real card.
	ModelOnly bool
	Run       func(s *S)
}

// RequireAll combines requirements of Case.Requires: the first that
// gives a reason to skip decides.
func RequireAll(reqs ...func(*profile.Profile) string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		for _, r := range reqs {
			if why := r(p); why != "" {
				return why
			}
		}
		return ""
	}
}

// Suite is a named list of cases.
type Suite struct {
	Name  string
	Title string
	Cases []*Case
	// ModelOnly marks every case of the suite ModelOnly.
	ModelOnly bool
}

var suites []*Suite

// Register adds a suite; suites register themselves from init functions.
func Register(s *Suite) {
	for _, c := range s.Cases {
		c.Suite = s.Name
		if s.ModelOnly {
			c.ModelOnly = true
		}
	}
	suites = append(suites, s)
}

// Suites returns the registered suites in registration order.
func Suites() []*Suite { return slices.Clone(suites) }

// Selection picks cases by suite name and ID glob.
type Selection struct {
	Suites []string // empty: all
	Cases  []string // path.Match globs on case IDs; empty: all
}

// Select returns the cases a selection names, in suite order. Unknown suite
// names and globs that match nothing are errors.
func Select(sel Selection) ([]*Case, error) {
	var out []*Case
	known := map[string]bool{}
	for _, s := range suites {
		known[s.Name] = true
	}
	for _, n := range sel.Suites {
		if !known[n] {
			var names []string
			for _, s := range suites {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("no suite %q (suites: %s)", n, strings.Join(names, ", "))
		}
	}
	for _, g := range sel.Cases {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("case pattern %q: %w", g, err)
		}
	}
	matched := make([]bool, len(sel.Cases))
	for _, s := range suites {
		if len(sel.Suites) > 0 && !slices.Contains(sel.Suites, s.Name) {
			continue
		}
		for _, c := range s.Cases {
			if len(sel.Cases) == 0 {
				out = append(out, c)
				continue
			}
			for i, g := range sel.Cases {
				if ok, _ := path.Match(g, c.ID); ok {
					matched[i] = true
					out = append(out, c)
					break
				}
			}
		}
	}
	for i, m := range matched {
		if !m {
			return nil, fmt.Errorf("no case matches %q", sel.Cases[i])
		}
	}
	return out, nil
}

func (c *Case) persona() string {
	if c.Persona == "" {
		return "activated"
	}
	return c.Persona
}
