package main

import (
	"fmt"
	"io"
	"time"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

func init() {
	register(&command{
		name:    "auth",
		summary: "run online identity authentication against a card's PKI application",
		run:     runAuth,
	})
}

// runAuth is "sscard auth": the relying server's flow against a card,
// step by step, and its verdict.
func runAuth(args []string, stdout, stderr io.Writer) int {
	f := newFlags("auth", "sscard auth [--card persona|file.json | --reader NAME] [--pin PIN] [--server NAME] [--at TIME]", `
Run online identity authentication as a relying server does: issue a fresh
challenge, read the card's signing certificate and verify its chain to the
test root (validity, key usage), check the card's state in the card
register, verify the user PIN on the card, have the card sign the challenge
bound to the server's name and time, and verify the signature. Each step is
printed, then the verdict.

The card is an emulated card of --card (default "activated"), or the card
in PC/SC reader --reader (build with -tags pcsc). The register holds the
card of --card with the state its profile declares; with --reader and no
--card the register is not consulted.

The exit status is 0 when the card is accepted, 1 when it is refused, 2 for
a wrong command line.`)
	card := f.String("card", "", "the card: a `persona|file.json` (default \"activated\"; with --reader: the card's profile, for the register)")
	reader := f.String("reader", "", "authenticate the card in PC/SC reader `NAME`")
	pin := f.String("pin", "", "the user `PIN` (default: the PIN the card's profile declares, else 123456)")
	name := f.String("server", "sscard relying server", "the relying server's `NAME`, bound into the signed challenge")
	at := f.String("at", "", "the server's clock: `TIME` as YYYY-MM-DD or RFC 3339 (default now)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	now := time.Now
	if *at != "" {
		t, err := parseTime(*at)
		if err != nil {
			return f.usageError(stderr, err.Error())
		}
		now = func() time.Time { return t }
	}
	t, p, closeFn, err := openPKICard(*card, *reader)
	if err != nil {
		fmt.Fprintf(stderr, "sscard auth: %v\n", err)
		return exitFail
	}
	defer closeFn()
	srv, err := newRelyingServer(*name, now, p)
	if err != nil {
		fmt.Fprintf(stderr, "sscard auth: %v\n", err)
		return exitFail
	}
	return authenticate(srv, t, userPIN(*pin, p), stdout)
}

// newRelyingServer is a relying server trusting the test PKI, with the
// card of profile p (if any) in its register.
func newRelyingServer(name string, now func() time.Time, p *profile.Profile) (*idauth.Server, error) {
	roots, err := testpki.Roots()
	if err != nil {
		return nil, err
	}
	inter, err := testpki.Intermediates()
	if err != nil {
		return nil, err
	}
	cfg := idauth.Config{Name: name, Roots: roots, Intermediates: inter, Now: now}
	if p != nil {
		cfg.Register = idauth.RegisterOf(p)
		if p.PKI != nil {
			cfg.UserID = p.PKI.UserID
			cfg.SignMessage = p.PKI.SignInput == "message"
		}
	}
	return idauth.NewServer(cfg)
}

func authenticate(srv *idauth.Server, t terminal.Transport, pin string, stdout io.Writer) int {
	n := 0
	res := idauth.Authenticate(srv, t, pin, func(s idauth.Step) {
		n++
		status := "ok"
		detail := s.Detail
		if s.Err != nil {
			status = "FAILED"
			detail = s.Err.Error()
		}
		fmt.Fprintf(stdout, "%d. %-11s %-6s %s (%s)\n", n, s.Name, status, detail, s.Took.Round(time.Microsecond))
	})
	if !res.Accepted {
		fmt.Fprintf(stdout, "verdict: REFUSED: %v\n", res.Err)
		return exitFail
	}
	id := res.Identity
	fmt.Fprintf(stdout, "verdict: ACCEPTED: %s, social security number %s, card %s\n", id.Name, id.Card.SSN, id.Card.Identifier)
	return exitOK
}

func userPIN(flagPIN string, p *profile.Profile) string {
	switch {
	case flagPIN != "":
		return flagPIN
	case p != nil && p.PKI != nil:
		return p.PKI.UserPIN.Value
	}
	return "123456"
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t, nil
}

// openPKICard opens the card of --card (emulated) or --reader, and returns
// its transport and the profile declared for it (nil if none).
func openPKICard(card, reader string) (terminal.Transport, *profile.Profile, func(), error) {
	var p *profile.Profile
	if card != "" || reader == "" {
		if card == "" {
			card = "activated"
		}
		var err error
		if p, err = profile.Load(card); err != nil {
			return nil, nil, nil, err
		}
		if p.Kind != profile.KindCard {
			return nil, nil, nil, fmt.Errorf("profile %q is a %s, not a social security card", card, p.Kind)
		}
	}
	if reader != "" {
		if readerOpener == nil {
			return nil, nil, nil, errNoPCSC
		}
		t, _, closeFn, err := readerOpener(reader)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, p, closeFn, nil
	}
	if p.PKI == nil {
		return nil, nil, nil, fmt.Errorf("card %q has no PKI application (a %s card)", p.Name, p.Generation)
	}
	c, err := emulator.New(p)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, p, func() {}, nil
}
