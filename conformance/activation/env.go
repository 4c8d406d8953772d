package activation

import (
	"context"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/paysuite"
	"github.com/sscard/sscard/conformance/pcd"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// Env is a card register served on loopback and the terminals that use it,
// all in process: the world of the scenarios, the fleet runs and the
// tests.
type Env struct {
	Service *register.Service
	// Now is the clock of the register and the terminals.
	Now func() time.Time

	opt   register.Options
	relay *relay
	psam  *profile.Profile
	mu    sync.Mutex
	n     int
}

// NewEnv opens (or creates) the register at path and serves its API on a
// free loopback port until Close.
func NewEnv(ctx context.Context, path string, opt register.Options) (*Env, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	st, err := register.Open(path, opt)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("register API: %w", err)
	}
	psam, err := profile.Load("psam")
	if err != nil {
		st.Close()
		ln.Close()
		return nil, err
	}
	rl := newRelay(ln)
	return &Env{Service: register.Serve(ctx, rl.gate(), st), Now: opt.Now, opt: opt, relay: rl, psam: psam}, nil
}

// Store is the register.
func (e *Env) Store() *register.Store {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.Service.Store
}

// Restart stops the register (letting the requests under way finish) and
// starts it again from its file on the same address, as an operator
// restarting it would; terminals keep their clients. The listening socket
// stays open meanwhile: connections made during the restart wait for the
// new register, as with socket activation.
func (e *Env) Restart(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	path := e.Service.Store.Path()
	if err := e.Service.Stop(); err != nil {
		return err
	}
	st, err := register.Open(path, e.opt)
	if err != nil {
		return err
	}
	e.Service = register.Serve(ctx, e.relay.gate(), st)
	return nil
}

// Close stops the API and closes the register.
func (e *Env) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.Service.Stop()
	e.relay.ln.Close()
	return err
}

// relay accepts the connections of one listening socket and hands them to
// the register being served, one after the other across restarts.
type relay struct {
	ln    net.Listener
	conns chan net.Conn
}

func newRelay(ln net.Listener) *relay {
	r := &relay{ln: ln, conns: make(chan net.Conn)}
	go func() {
		defer close(r.conns)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.conns <- c
		}
	}()
	return r
}

// gate is the listener one register serves: closing it leaves the socket
// open.
func (r *relay) gate() net.Listener { return &gate{r: r, done: make(chan struct{})} }

type gate struct {
	r    *relay
	done chan struct{}
	once sync.Once
}

func (g *gate) Accept() (net.Conn, error) {
	select {
	case <-g.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case c, ok := <-g.r.conns:
		if !ok {
			return nil, net.ErrClosed
		}
		return c, nil
	case <-g.done:
		return nil, net.ErrClosed
	}
}

func (g *gate) Close() error {
	g.once.Do(func() { close(g.done) })
	return nil
}

func (g *gate) Addr() net.Addr { return g.r.ln.Addr() }

// Client registers a new terminal of route with the register and returns
// its API client.
func (e *Env) Client(ctx context.Context, route register.Route) (*register.Client, error) {
	e.mu.Lock()
	e.n++
	name := fmt.Sprintf("%s-%03d", route, e.n)
	e.mu.Unlock()
	key, err := e.Store().AddTerminal(ctx, name, route)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	url := e.Service.URL()
	e.mu.Unlock()
	return &register.Client{BaseURL: url, Terminal: name, Key: key, Now: e.Now}, nil
}

// Terminal returns a new reference terminal of route: registered with the
// register, with its own model PSAM (none for the online route, which gets
// a verifier trusting the test PKI and asking the register), and for the
// bank route the bank host of the test issuer keys.
func (e *Env) Terminal(ctx context.Context, route register.Route) (*Terminal, error) {
	cl, err := e.Client(ctx, route)
	if err != nil {
		return nil, err
	}
	seed := seedOf(cl.Terminal)
	t := &Terminal{Route: route, Register: cl, Now: e.Now, Rand: mrand.NewChaCha8(seed)}
	switch route {
	case register.Online:
		roots, err := testpki.Roots()
		if err != nil {
			return nil, err
		}
		inter, err := testpki.Intermediates()
		if err != nil {
			return nil, err
		}
		t.Verifier, err = idauth.NewServer(idauth.Config{
			Name: "sscard online activation", Roots: roots, Intermediates: inter,
			Register: RegisterStatus{Client: cl, Ctx: ctx}, Now: e.Now, Rand: mrand.NewChaCha8(seed),
		})
		if err != nil {
			return nil, err
		}
		return t, nil
	case register.Bank:
		if t.BankHost, err = testBankHost(e.Now, seed); err != nil {
			return nil, err
		}
	}
	ps, err := emulator.New(e.psam, emulator.WithSeed(uint64(seed[0])<<8|uint64(seed[1])))
	if err != nil {
		return nil, err
	}
	t.PSAM = ps
	return t, nil
}

// testBankHost is the bank host holding the test issuer keys of the
// personas' financial application (base-3.00's pay section).
func testBankHost(now func() time.Time, seed [32]byte) (*BankHost, error) {
	p, err := profile.Load("activated")
	if err != nil {
		return nil, err
	}
	if p.Pay == nil {
		return nil, nil
	}
	is, err := paysuite.IssuerFor(p.Pay)
	if err != nil {
		return nil, err
	}
	keys, err := paysuite.CAKeys()
	if err != nil {
		return nil, err
	}
	return &BankHost{Issuer: is, CAKeys: keys, CurrentPIN: p.Pay.PIN.Value, Now: now, Rand: mrand.NewChaCha8(seed)}, nil
}

func seedOf(s string) [32]byte {
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	var seed [32]byte
	for i := 0; i < 8; i++ {
		seed[i] = byte(v >> (8 * i))
	}
	return seed
}

// Enroll enrols the card of a profile, as a reissue of replaces when not
// empty.
func (e *Env) Enroll(ctx context.Context, p *profile.Profile, replaces string) (register.Enrollment, error) {
	en, err := register.EnrollmentOf(p)
	if err != nil {
		return en, err
	}
	en.Replaces = replaces
	_, err = e.Store().Enroll(ctx, en)
	return en, err
}

// Contactless returns the card as a phone reads it: its contactless door
// in a field, activated by the reference PCD, through the PC/SC view.
func Contactless(card *emulator.Card) (terminal.Transport, error) {
	picc, err := contactless.New(card)
	if err != nil {
		return nil, err
	}
	f := contactless.NewField(contactless.WithoutRecord())
	f.Add(picc)
	slot, err := pcd.Connect(pcd.New(pcd.Options{}), f)
	if err != nil {
		return nil, fmt.Errorf("activating the card contactlessly: %w", err)
	}
	return slot, nil
}
