package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/paysuite" // registers the "pay" conformance suite
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

func init() {
	register(&command{
		name:    "pay",
		summary: "run one payment transaction through the reference EMV/qUICS kernel",
		run:     runPay,
	})
}

// payPersona is the card of "sscard pay" when nothing else is said.
const payPersona = "activated"

// runPay is "sscard pay".
func runPay(args []string, stdout, stderr io.Writer) int {
	f := newFlags("pay", "sscard pay --amount 12.34 [--contactless] [--card persona|file.json [--image FILE] | --reader NAME] [flags]", `
Run one transaction of the card's financial application (CARD.md §5)
through the reference terminal kernel: the contact kernel (PSE, GPO,
records, offline data authentication, processing restrictions, CVM,
terminal risk management, action analysis, GENERATE AC) or, with
--contactless, the qUICS kernel (PPSE, GPO, records, fDDA). A cryptogram
that needs the issuer goes to a simulated issuer host holding the master
keys the card's profile declares: it recomputes the cryptogram and answers
with an ARPC.

It prints the outcome (approved offline or online, online request, declined
offline or online, terminated, with the reason), the cryptogram, the
offline data authentication, the TVR and TSI bit by bit and the CVM
results, then every command and response with the response's data objects
decoded (--brief leaves them out).

The card is an emulated card of --card (default "activated"); with --image
its state (ATC, electronic cash balance, PIN tries) lives in FILE across
runs. With --reader the card in that PC/SC reader (build with -tags pcsc),
checked against the keys of the profile --card declares.

The exit status is 0 when the transaction was approved or ended as an
online request, 1 when it was declined or could not complete, 2 for a
wrong command line.`)
	amountF := f.String("amount", "", "the amount in yuan, e.g. `12.34` (required)")
	contactless := f.Bool("contactless", false, "run the qUICS contactless kernel instead of the contact kernel")
	card := f.String("card", "", "the card: a `persona|file.json` (default \"activated\"; with --reader: the card's profile)")
	image := f.String("image", "", "card image `FILE`: load the card from it if it exists, save it back at the end")
	seed := f.Uint64("seed", 0, "fixed `N` for the emulated card's random numbers; default crypto/rand")
	reader := f.String("reader", "", "run against the card in PC/SC reader `NAME`")
	pin := f.String("pin", "", "the `PIN` the PIN pad enters for offline PIN (default: the profile's; \"none\": the cardholder enters none)")
	forceOnline := f.Bool("force-online", false, "the merchant forces the transaction online")
	noHost := f.Bool("no-host", false, "the terminal cannot reach the issuer: an ARQC ends as an online request")
	noSM := f.Bool("no-sm", false, "the terminal does not support the SM algorithms (the DES/RSA path)")
	brief := f.Bool("brief", false, "print the outcome only, not the exchanges")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	if *amountF == "" {
		return f.usageError(stderr, "--amount is required, e.g. --amount 12.34")
	}
	amount, err := parseAmount(*amountF)
	if err != nil {
		return f.usageError(stderr, err.Error())
	}
	if *reader != "" && (f.isSet("image") || f.isSet("seed")) {
		return f.usageError(stderr, "--reader runs on the card in the reader: no --image or --seed")
	}
	var opts []emulator.Option
	if f.isSet("seed") {
		opts = append(opts, emulator.WithSeed(*seed))
	}
	t, p, finish, err := openPayCard(*card, *image, *reader, opts)
	if err != nil {
		fmt.Fprintf(stderr, "sscard pay: %v\n", err)
		return exitFail
	}
	cfg, err := payTerminal(p, *pin, !*noSM, !*noHost)
	if err != nil {
		fmt.Fprintf(stderr, "sscard pay: %v\n", err)
		finish()
		return exitFail
	}
	tx := emv.Transaction{Amount: amount, Contactless: *contactless, ForceOnline: *forceOnline}
	r, txErr := emv.New(cfg).Run(t, tx)
	if err := finish(); err != nil {
		fmt.Fprintf(stderr, "sscard pay: %v\n", err)
		return exitFail
	}
	out := bufio.NewWriter(stdout)
	iface := "contact"
	if *contactless {
		iface = "contactless"
	}
	fmt.Fprintf(out, "transaction: %d.%02d CNY, %s, card %s\n", amount/100, amount%100, iface, p.Name)
	werr := r.WriteText(out)
	if !*brief && werr == nil {
		fmt.Fprintln(out, "\nexchanges:")
		werr = r.WriteLog(out)
	}
	if err := errors.Join(werr, out.Flush()); err != nil {
		fmt.Fprintf(stderr, "sscard pay: writing the output: %v\n", err)
		return exitFail
	}
	if txErr != nil {
		return exitFail
	}
	return exitOK
}

// parseAmount reads a yuan amount with at most two decimals as fen.
func parseAmount(s string) (uint64, error) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	bad := fmt.Errorf("--amount %q: want yuan with at most two decimals, e.g. 12.34", s)
	if whole == "" || len(frac) > 2 || hasFrac && frac == "" || strings.ContainsAny(whole+frac, "+-") {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseUint(whole+frac, 10, 64)
	if err != nil || v > 999999999999 {
		return 0, bad
	}
	return v, nil
}

// openPayCard opens the card and returns its transport, the profile it
// is checked against, and a finish function that saves the image.
func openPayCard(card, image, reader string, opts []emulator.Option) (terminal.Transport, *profile.Profile, func() error, error) {
	if reader != "" {
		if card == "" {
			card = payPersona
		}
		p, err := payProfile(card)
		if err != nil {
			return nil, nil, nil, err
		}
		if readerOpener == nil {
			return nil, nil, nil, errNoPCSC
		}
		t, _, closeFn, err := readerOpener(reader)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, p, func() error { closeFn(); return nil }, nil
	}
	if card == "" && image == "" {
		card = payPersona
	}
	c, err := openCard(card, image, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	p := c.Profile()
	if p.Pay == nil {
		return nil, nil, nil, fmt.Errorf("card %q has no financial application (no pay section in its profile)", p.Name)
	}
	finish := func() error {
		if image == "" {
			return nil
		}
		return c.Save(image)
	}
	return c, p, finish, nil
}

func payProfile(card string) (*profile.Profile, error) {
	p, err := profile.Load(card)
	if err != nil {
		return nil, err
	}
	if p.Kind != profile.KindCard || p.Pay == nil {
		return nil, fmt.Errorf("profile %q declares no financial application (no pay section)", card)
	}
	return p, nil
}

// payTerminal is the reference terminal for the card of profile p.
func payTerminal(p *profile.Profile, pin string, sm, host bool) (emv.Config, error) {
	cfg := emv.DefaultConfig()
	keys, err := paysuite.CAKeys()
	if err != nil {
		return cfg, err
	}
	cfg.CAKeys = keys
	cfg.SM = sm
	switch pin {
	case "none":
		cfg.PIN = func(int) (string, bool) { return "", false }
	case "":
		cfg.PIN = enterOnce(p.Pay.PIN.Value)
	default:
		if _, err := emv.PlainPINBlock(pin); err != nil {
			return cfg, fmt.Errorf("--pin: %w", err)
		}
		cfg.PIN = enterOnce(pin)
	}
	if host {
		is, err := paysuite.IssuerFor(p.Pay)
		if err != nil {
			return cfg, err
		}
		cfg.Host = is
	}
	return cfg, nil
}

// enterOnce is a cardholder who enters pin once and, if the card refuses
// it, gives up (a wrong --pin costs one try, not all of them).
func enterOnce(pin string) emv.PINEntry {
	entered := false
	return func(int) (string, bool) {
		if entered {
			return "", false
		}
		entered = true
		return pin, true
	}
}
