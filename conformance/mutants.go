package conformance

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/profile"
)

// Mutant is a deliberately wrong card built from the model: the suites must
// fail on every mutant, or they would pass a broken card.
type Mutant struct {
	Name        string
	Description string
	// Defects built into the card OS.
	Defects cos.Defect
	// Patch changes the card's profile (what the chip holds) while the
	// cases still check it against the original profile (what the card
	// should hold).
	Patch func(m map[string]any)
	// Wrap puts a card of profile p behind a transport that changes its
	// answers: what a card with the defect answers.
	Wrap func(card terminal.Transport, p *profile.Profile) terminal.Transport
	// Suite names the suite written to catch the mutant; empty: the card
	// suite, or any.
	Suite string
}

var (
	registeredMu      sync.Mutex
	registeredMutants []Mutant
)

// RegisterMutants adds the mutants a suite is checked against (from its
// package's init, like Register).
func RegisterMutants(ms ...Mutant) {
	registeredMu.Lock()
	defer registeredMu.Unlock()
	for _, m := range ms {
		for _, o := range registeredMutants {
			if o.Name == m.Name {
				panic("conformance: mutant " + m.Name + " registered twice")
			}
		}
		registeredMutants = append(registeredMutants, m)
	}
}

// Mutants returns the mutants the suites are checked against: the card
// OS defects, the card suite's profile patches, and the mutants the other
// suites registered.
func Mutants() []Mutant {
	var out []Mutant
	for _, d := range cos.Defects() {
		out = append(out, Mutant{Name: d.String(), Description: "card OS defect " + d.String(), Defects: d})
	}
	out = append(out,
		Mutant{Name: "ef06-free-read", Description: "EF06 personal data readable without authentication on a 3.00 card",
			Patch: func(m map[string]any) { setPath(m, "free", "ssse", "access", "EF06", "read") }},
		Mutant{Name: "ef05-free-write", Description: "EF05 writable without external authentication",
			Patch: func(m map[string]any) { setPath(m, "free", "ssse", "access", "EF05", "update") }},
		Mutant{Name: "fci-no-algorithm", Description: "3.00 FCI without the 9F0C algorithm identifier",
			Patch: func(m map[string]any) { setPath(m, false, "ssse", "fciAlgorithm") }},
		Mutant{Name: "wrong-expiry", Description: "the chip holds another expiry date than the card's record says",
			Patch: func(m map[string]any) { setPath(m, "20991231", "ssse", "identity", "expiryDate") }},
		Mutant{Name: "pin-six-tries", Description: "the PIN allows 6 tries where the card declares 3",
			Patch: func(m map[string]any) {
				setPath(m, json.Number("6"), "ssse", "pin", "maxTries")
				setPath(m, json.Number("6"), "ssse", "pin", "triesLeft")
			}},
	)
	registeredMu.Lock()
	defer registeredMu.Unlock()
	return append(out, registeredMutants...)
}

func setPath(m map[string]any, v any, path ...string) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// MutantTarget runs cases on model cards carrying one mutant; cases check
// them against the unmutated profiles.
type MutantTarget struct {
	M    Mutant
	base *ModelTarget
	mu   sync.Mutex
	cmap map[*profile.Profile]*profile.Profile
}

// NewMutantTarget builds the target of one mutant with per-case personas.
func NewMutantTarget(m Mutant) (*MutantTarget, error) {
	base, err := NewModel("", "", emulator.WithDefects(m.Defects))
	if err != nil {
		return nil, err
	}
	return &MutantTarget{M: m, base: base, cmap: map[*profile.Profile]*profile.Profile{}}, nil
}

// Name implements Target.
func (t *MutantTarget) Name() string { return "mutant " + t.M.Name }

// Profile implements Target.
func (t *MutantTarget) Profile() *profile.Profile { return nil }

// Real implements Target.
func (t *MutantTarget) Real() bool { return false }

// Open implements Target.
func (t *MutantTarget) Open(c *Case, p *profile.Profile) (terminal.Transport, terminal.Transport, func(), error) {
	declared := p
	if t.M.Patch != nil && p.Kind == profile.KindCard {
		mp, err := t.patched(p)
		if err != nil {
			return nil, nil, nil, err
		}
		p = mp
	}
	card, psam, done, err := t.base.Open(c, p)
	if err != nil || t.M.Wrap == nil || declared.Kind != profile.KindCard {
		return card, psam, done, err
	}
	return t.M.Wrap(card, declared), psam, done, nil
}

func (t *MutantTarget) patched(p *profile.Profile) (*profile.Profile, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if mp, ok := t.cmap[p]; ok {
		return mp, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytesReader(p.JSON()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	t.M.Patch(m)
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	mp, err := profile.Parse(raw, "")
	if err != nil {
		return nil, fmt.Errorf("mutant %s: %w", t.M.Name, err)
	}
	t.cmap[p] = mp
	return mp, nil
}
