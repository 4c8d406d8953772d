// Package emulator assembles a card from a profile: the card OS with its
// file tree, NVM and applications (the SSSE for a social security card, DF01
// for a PSAM), and gives it the shape of a real card: an ATR, Transmit, warm
// reset, power off and on, and a card image that saves and loads.
//
// Every Card is independent: many cards live in one process and tests run
// them in parallel. A Card is safe for concurrent use; commands are
// serialised as they are on a chip.
package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
	"github.com/sscard/sscard/emulator/pay"
	"github.com/sscard/sscard/emulator/pki"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/psam"
	"github.com/sscard/sscard/emulator/ssse"
)

// ErrNoPower is returned by Transmit while the card is not powered.
var ErrNoPower = errors.New("card is not powered")

// ErrPowerLost is returned by Transmit when an injected power loss cut the
// command short: no response, and the card is off until PowerOn or Reset.
var ErrPowerLost = nvm.ErrPowerLost

// Card is an emulated card.
type Card struct {
	mu      sync.Mutex
	tmpl    *template
	mem     *nvm.Memory
	os      *cos.OS
	powered bool
	scratch []byte
}

// template is what every card of one profile shares.
type template struct {
	profile *profile.Profile
	layout  *cos.Layout
	atr     []byte
	// remembered: the profile is kept for the images of its cards.
	remembered sync.Once
}

// rememberForImages keeps the template's profile for the card images of
// its cards, once: loading one of them then shares this template.
func (t *template) rememberForImages() {
	t.remembered.Do(func() { rememberProfile(sha256.Sum256(t.profile.JSON()), t.profile) })
}

// New builds a card from a validated profile, powered and reset.
func New(p *profile.Profile, opts ...Option) (*Card, error) {
	t, err := templateOf(p)
	if err != nil {
		return nil, err
	}
	return t.newCard(nvm.New(t.layout.InitialCells()), opts)
}

// Open builds a card from a persona name or a profile file path.
func Open(nameOrPath string, opts ...Option) (*Card, error) {
	p, err := profile.Load(nameOrPath)
	if err != nil {
		return nil, err
	}
	return New(p, opts...)
}

func templateOf(p *profile.Profile) (*template, error) {
	v, err := p.Memo("emulator.template", func() (any, error) { return buildTemplate(p) })
	if err != nil {
		return nil, err
	}
	return v.(*template), nil
}

func buildTemplate(p *profile.Profile) (*template, error) {
	b := cos.NewBuilder()
	var err error
	switch p.Kind {
	case profile.KindCard:
		err = ssse.Build(b, p)
		if err == nil {
			err = pki.Build(b, p)
		}
		if err == nil {
			err = pay.Build(b, p)
		}
	case profile.KindPSAM:
		err = psam.Build(b, p)
	default:
		err = fmt.Errorf("unknown profile kind %q", p.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("building card %q: %w", p.Name, err)
	}
	layout, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("building card %q: %w", p.Name, err)
	}
	atr, err := buildATR(p)
	if err != nil {
		return nil, fmt.Errorf("building card %q: %w", p.Name, err)
	}
	return &template{profile: p, layout: layout, atr: atr}, nil
}

func buildATR(p *profile.Profile) ([]byte, error) {
	a := p.ATR
	if a.Hex != "" {
		raw, err := hex.DecodeString(a.Hex)
		if err != nil {
			return nil, fmt.Errorf("atr.hex: %w", err)
		}
		if _, err := iso7816.ParseATR(raw); err != nil {
			return nil, fmt.Errorf("atr.hex: %w", err)
		}
		return raw, nil
	}
	hist, err := hex.DecodeString(a.Historical)
	if err != nil {
		return nil, fmt.Errorf("atr.historical: %w", err)
	}
	spec := iso7816.ATRSpec{Protocols: a.Protocols, Historical: hist}
	a.LinkSpec(&spec)
	for _, f := range []struct {
		s   string
		dst **byte
	}{{a.TB1, &spec.TB1}, {a.TC1, &spec.TC1}} {
		if f.s == "" {
			continue
		}
		v, err := hex.DecodeString(f.s)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("atr: interface byte %q is not one hex byte", f.s)
		}
		*f.dst = &v[0]
	}
	return iso7816.BuildATR(spec)
}

func (t *template) newCard(mem *nvm.Memory, opts []Option) (*Card, error) {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.rand == nil {
		cfg.rand = defaultRand()
	}
	o, err := cos.New(t.layout, mem, cos.Options{Rand: cfg.rand, Extended: t.profile.ExtendedLength, Defects: cfg.defects})
	if err != nil {
		return nil, err
	}
	return &Card{tmpl: t, mem: mem, os: o, powered: true}, nil
}

// Profile returns the profile the card was built from.
func (c *Card) Profile() *profile.Profile { return c.tmpl.profile }

// ATR returns the card's answer to reset (contact interface).
func (c *Card) ATR() []byte { return append([]byte(nil), c.tmpl.atr...) }

// Transmit sends one command APDU and returns the response APDU. It has the
// shape of (*scard.Card).Transmit, so the in-process card, a card behind
// pcscd and a real card are interchangeable. Malformed APDUs get an ISO
// status word, never an error; errors mean there was no answer at all.
func (c *Card) Transmit(capdu []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.powered {
		return nil, ErrNoPower
	}
	var err error
	c.scratch, err = c.os.Process(capdu, c.scratch[:0])
	if err != nil {
		c.powered = false
		return nil, fmt.Errorf("transmitting %X: %w", capdu, err)
	}
	return append([]byte(nil), c.scratch...), nil
}

// TransmitAppend is Transmit appending the response to dst, for callers that
// reuse a buffer.
func (c *Card) TransmitAppend(dst, capdu []byte) ([]byte, error) {
	out, _, err := c.TransmitCount(dst, capdu)
	return out, err
}

// TransmitCount is TransmitAppend that also returns the number of NVM
// writes the command made (torn ones included), read under the same lock
// as the command ran: a link layer's timing model needs it for every
// command.
func (c *Card) TransmitCount(dst, capdu []byte) ([]byte, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.powered {
		return dst, 0, ErrNoPower
	}
	w0 := c.mem.Writes()
	out, err := c.os.Process(capdu, dst)
	writes := c.mem.Writes() - w0
	if err != nil {
		c.powered = false
		return dst, writes, fmt.Errorf("transmitting %X: %w", capdu, err)
	}
	return out, writes, nil
}

// Reset is a warm reset: the volatile state (selections, security state,
// logical channels) is lost; the card answers with its ATR. A card that was
// off is powered on.
func (c *Card) Reset() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.os.Reset()
	c.powered = true
	return c.ATR()
}

// PowerOff removes power. Any armed power loss is disarmed.
func (c *Card) PowerOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem.TearAfter(0)
	c.powered = false
}

// PowerOn powers the card (cold reset); NVM recovery runs first.
func (c *Card) PowerOn() []byte { return c.Reset() }

// Powered reports whether the card is powered.
func (c *Card) Powered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.powered
}

// TearAfter arms a power loss after n more NVM writes (0 disarms): the
// command during which it happens gets no answer and ErrPowerLost, and the
// card recovers to the state before or after each NVM transaction at the
// next power-up.
func (c *Card) TearAfter(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem.TearAfter(n)
}

// NVMWrites returns the number of physical NVM writes so far.
func (c *Card) NVMWrites() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mem.Writes()
}

// Cells returns a copy of the committed NVM contents, for comparing states.
// A card torn by a power loss is recovered first, as its next power-up
// would, so a half-written commit never shows.
func (c *Card) Cells() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mem.Powered() {
		c.mem.PowerUp()
	}
	return c.mem.Cells()
}

// Save writes the card image to path atomically. A card torn by a power loss
// is recovered first, as its next power-up would.
func (c *Card) Save(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mem.Powered() {
		c.mem.PowerUp()
	}
	c.tmpl.rememberForImages()
	// nvm.SaveImage's errors already say "saving card image".
	return nvm.SaveImage(path, c.tmpl.profile.JSON(), c.mem)
}

// Load reads a card image written by Save and returns the card, powered.
// A damaged or foreign image is an error; the file is never modified.
func Load(path string, opts ...Option) (*Card, error) {
	meta, cells, err := nvm.LoadImage(path)
	if err != nil {
		return nil, err // nvm says "loading card image" / "loading PATH"
	}
	return fromImage(meta, cells, opts)
}

// FromImage builds a card from image bytes (as written by Save).
func FromImage(b []byte, opts ...Option) (*Card, error) {
	meta, cells, err := nvm.DecodeImage(b)
	if err != nil {
		return nil, fmt.Errorf("loading card image: %w", err)
	}
	return fromImage(meta, cells, opts)
}

func fromImage(meta []byte, cells [][]byte, opts []Option) (*Card, error) {
	p, err := imageProfile(meta)
	if err != nil {
		return nil, fmt.Errorf("loading card image: %w: %w", nvm.ErrImage, err)
	}
	t, err := templateOf(p)
	if err != nil {
		return nil, fmt.Errorf("loading card image: %w: %w", nvm.ErrImage, err)
	}
	if err := t.layout.CheckCells(cells); err != nil {
		return nil, fmt.Errorf("loading card image: %w: %w", nvm.ErrImage, err)
	}
	mem := nvm.New(t.layout.InitialCells())
	if err := mem.Restore(cells); err != nil {
		return nil, fmt.Errorf("loading card image: %w: %w", nvm.ErrImage, err)
	}
	return t.newCard(mem, opts)
}

// imageProfiles holds the profiles of the card images saved or loaded,
// by the SHA-256 of the profile JSON an image embeds, so that a card
// loaded from an image shares the template (file tree and layout) of the
// cards of its profile however many images are loaded. It keeps at most
// maxImageProfiles; beyond that an image's profile is parsed for its card
// alone.
var (
	imageProfilesMu sync.Mutex
	imageProfiles   = map[[sha256.Size]byte]*profile.Profile{}
)

const maxImageProfiles = 256

func imageProfile(meta []byte) (*profile.Profile, error) {
	key := sha256.Sum256(meta)
	imageProfilesMu.Lock()
	p, ok := imageProfiles[key]
	imageProfilesMu.Unlock()
	if ok {
		return p, nil
	}
	p, err := profile.Parse(meta, "")
	if err != nil {
		return nil, err
	}
	return rememberProfile(key, p), nil
}

// rememberProfile keeps p as the profile of images whose profile hashes
// to key, unless one is kept already (returned) or the cache is full.
func rememberProfile(key [sha256.Size]byte, p *profile.Profile) *profile.Profile {
	imageProfilesMu.Lock()
	defer imageProfilesMu.Unlock()
	if q, ok := imageProfiles[key]; ok {
		return q
	}
	if len(imageProfiles) < maxImageProfiles {
		imageProfiles[key] = p
	}
	return p
}

// Image returns the card image bytes (what Save writes).
func (c *Card) Image() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.mem.Powered() {
		c.mem.PowerUp()
	}
	c.tmpl.rememberForImages()
	return nvm.EncodeImage(c.tmpl.profile.JSON(), c.mem.Cells())
}

// Option configures a card.
type Option func(*config)

type config struct {
	rand    io.Reader
	defects cos.Defect
}

// WithRand sets the card's random source (challenges). The default is
// crypto/rand.
func WithRand(r io.Reader) Option { return func(c *config) { c.rand = r } }

// WithSeed makes the card's randomness a fixed-seed deterministic stream, for
// tests and reproducible traces. Never use it for anything else.
func WithSeed(seed uint64) Option { return func(c *config) { c.rand = seededRand(seed) } }

// WithDefects builds the card with deliberate defects (see cos.Defect), to
// check that conformance suites catch a card that is wrong.
func WithDefects(d cos.Defect) Option { return func(c *config) { c.defects |= d } }
