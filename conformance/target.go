package conformance

import (
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// Target is what a suite runs against.
type Target interface {
	// Name describes the target in reports ("model", "reader ACS ACR39U").
	Name() string
	// Profile is the profile the card under test is checked against; nil
	// when the target builds a fresh card per case from the case's persona.
	Profile() *profile.Profile
	// Real reports whether the card is a real one: destructive cases need
	// permission, and every case must leave the card as it found it.
	Real() bool
	// Open gives the transports of one case: the card (reset, with a fresh
	// volatile state) and the PSAM (nil if there is none). close releases
	// them.
	Open(c *Case, p *profile.Profile) (card, psam terminal.Transport, close func(), err error)
}

// ModelTarget runs cases on fresh in-process cards.
type ModelTarget struct {
	// Card is the persona name or profile file of every card; empty: each
	// case runs on its own persona.
	Card string
	// PSAM is the persona or profile file of the PSAM (default "psam").
	PSAM string
	// Options are passed to every card built (e.g. deliberate defects).
	Options []emulator.Option

	fixed *profile.Profile
	psamP *profile.Profile
}

// NewModel loads the profiles a model target needs.
func NewModel(card, psam string, opts ...emulator.Option) (*ModelTarget, error) {
	m := &ModelTarget{Card: card, PSAM: psam, Options: opts}
	if m.PSAM == "" {
		m.PSAM = "psam"
	}
	var err error
	if card != "" {
		if m.fixed, err = profile.Load(card); err != nil {
			return nil, err
		}
		if m.fixed.Kind != profile.KindCard {
			return nil, fmt.Errorf("profile %q is a %s, not a social security card", card, m.fixed.Kind)
		}
	}
	if m.psamP, err = profile.Load(m.PSAM); err != nil {
		return nil, err
	}
	if m.psamP.Kind != profile.KindPSAM {
		return nil, fmt.Errorf("profile %q is not a PSAM", m.PSAM)
	}
	return m, nil
}

// Name implements Target.
func (m *ModelTarget) Name() string {
	if m.Card == "" {
		return "model (per-case personas)"
	}
	return "model " + m.Card
}

// Profile implements Target.
func (m *ModelTarget) Profile() *profile.Profile { return m.fixed }

// Real implements Target.
func (m *ModelTarget) Real() bool { return false }

// Open implements Target. Each case gets its own card, seeded from the case
// ID so that reports are reproducible.
func (m *ModelTarget) Open(c *Case, p *profile.Profile) (terminal.Transport, terminal.Transport, func(), error) {
	if p == nil {
		return nil, nil, nil, errors.New("no profile")
	}
	seed := caseSeed(c.ID)
	opts := append([]emulator.Option{emulator.WithSeed(seed)}, m.Options...)
	card, err := emulator.New(p, opts...)
	if err != nil {
		return nil, nil, nil, err
	}
	var psam terminal.Transport
	if c.PSAM {
		pc, err := emulator.New(m.psamP, emulator.WithSeed(seed+1))
		if err != nil {
			return nil, nil, nil, err
		}
		psam = pc
	}
	return card, psam, func() {}, nil
}

func caseSeed(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// profileCache loads each persona once per run.
type profileCache map[string]*profile.Profile

func (pc profileCache) load(name string) (*profile.Profile, error) {
	if p, ok := pc[name]; ok {
		return p, nil
	}
	p, err := profile.Load(name)
	if err != nil {
		return nil, err
	}
	pc[name] = p
	return p, nil
}

// CardTarget runs cases on one card behind a transport: a real card in a
// reader, or any card the caller connects. Cases run one at a time; the
// card is reset before each.
type CardTarget struct {
	// Label names the card in reports ("reader ACS ACR39U 00").
	Label string
	// Declared is the profile the card is checked against (required).
	Declared *profile.Profile
	// Card is the card's transport.
	Card terminal.Transport
	// Reset warm-resets the card before each case; nil: no reset.
	Reset func() error
	// PSAM is the PSAM's transport; nil: the built-in PSAM model (which
	// holds the test keys; a vendor's card with other keys needs its own
	// PSAM or PSAM profile).
	PSAM terminal.Transport
	// PSAMProfile is the persona or file of the model PSAM used when PSAM
	// is nil (default "psam").
	PSAMProfile string
	// IsModel marks a card that may be damaged freely (destructive cases
	// run without permission).
	IsModel bool
	// FreshPerCase says Reset puts a fresh card in before each case (an
	// emulated card behind a real reader, in tests) rather than resetting
	// one card that lives through the run; differential runs then compare
	// with a fresh model card per case too.
	FreshPerCase bool

	psamCard terminal.Transport
}

// Name implements Target.
func (t *CardTarget) Name() string { return t.Label }

// Profile implements Target.
func (t *CardTarget) Profile() *profile.Profile { return t.Declared }

// Real implements Target.
func (t *CardTarget) Real() bool { return !t.IsModel }

// Open implements Target.
func (t *CardTarget) Open(c *Case, p *profile.Profile) (terminal.Transport, terminal.Transport, func(), error) {
	if t.Card == nil {
		return nil, nil, nil, errors.New("no card")
	}
	if t.Reset != nil {
		if err := t.Reset(); err != nil {
			return nil, nil, nil, fmt.Errorf("resetting the card: %w", err)
		}
	}
	psam := t.PSAM
	if psam == nil && c.PSAM {
		if t.psamCard == nil {
			name := t.PSAMProfile
			if name == "" {
				name = "psam"
			}
			pc, err := emulator.Open(name)
			if err != nil {
				return nil, nil, nil, err
			}
			t.psamCard = pc
		}
		psam = t.psamCard
	}
	return t.Card, psam, func() {}, nil
}

// singleCard returns a target of one model card of m's profile that lives
// through a whole run, reset before each case, like a card in a reader.
// real says whether destructive cases need permission, as on a real card.
func (m *ModelTarget) singleCard(real bool) (*CardTarget, error) {
	if m.fixed == nil {
		return nil, errors.New("a single model card needs a profile")
	}
	opts := append([]emulator.Option{emulator.WithSeed(caseSeed(m.fixed.Name))}, m.Options...)
	c, err := emulator.New(m.fixed, opts...)
	if err != nil {
		return nil, err
	}
	return &CardTarget{
		Label:       "model " + m.fixed.Name + " (one card for the run)",
		Declared:    m.fixed,
		Card:        c,
		Reset:       func() error { c.Reset(); return nil },
		PSAMProfile: m.PSAM,
		IsModel:     !real,
	}, nil
}
