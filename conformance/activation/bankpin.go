package activation

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// ErrNoFinancialApp is returned by BankHost.SetPIN for a card without a
// financial application.
var ErrNoFinancialApp = errors.New("the card has no financial application")

// BankHost is the bank's side of the bank card PIN (route 1): the issuer
// host, which sends PIN CHANGE (84 24 00 02, the new PIN enciphered with
// the script encipherment session key, CARD.md §5) as an issuer script in
// the answer to an online balance inquiry run by the reference EMV kernel.
type BankHost struct {
	// Issuer holds the issuer master keys (paysuite.IssuerFor builds it
	// from a profile's pay section).
	Issuer *emv.Issuer
	// CAKeys are the terminal's certification authority keys.
	CAKeys []emv.CAKey
	// CurrentPIN is the card's bank PIN before the change, entered if
	// the kernel asks for offline PIN verification.
	CurrentPIN string
	// Now and Rand are the kernel's clock and unpredictable numbers
	// (defaults time.Now and crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

// SetPIN changes the bank card PIN of the card behind t to pin.
func (b *BankHost) SetPIN(t terminal.Transport, pin string) error {
	if b.Issuer == nil {
		return errors.New("bank PIN: no issuer keys")
	}
	var scriptErr error
	is := &emv.Issuer{DES: b.Issuer.DES, SM: b.Issuer.SM}
	is.Scripts = func(req *emv.AuthRequest) []emv.Script {
		data, err := b.encipherPIN(req, pin)
		if err != nil {
			scriptErr = err
			return nil
		}
		return []emv.Script{{Template: emv.TagScript72, ID: []byte{0x50, 0x49, 0x4E, 0x01},
			Commands: []emv.ScriptCommand{{CLA: 0x84, INS: 0x24, P1: 0x00, P2: 0x02, Data: data}}}}
	}
	cfg := emv.DefaultConfig()
	cfg.CAKeys = b.CAKeys
	cur := b.CurrentPIN
	cfg.PIN = func(int) (string, bool) { return cur, cur != "" }
	cfg.Host = is
	cfg.Now, cfg.Rand = b.Now, b.Rand
	// A balance inquiry (9C 31) of no amount, forced online: the issuer's
	// answer carries the script.
	r, err := emv.New(cfg).Run(t, emv.Transaction{Type: 0x31, ForceOnline: true})
	if errors.Is(err, emv.ErrNoApplication) {
		return ErrNoFinancialApp
	}
	if scriptErr != nil {
		return fmt.Errorf("bank PIN: %w", scriptErr)
	}
	if r == nil || r.Online == nil {
		if err == nil {
			err = errors.New("no online step")
		}
		return fmt.Errorf("bank PIN: the transaction did not go online: %w", err)
	}
	if len(r.Online.Scripts) != 1 || r.Online.Scripts[0].Failed {
		sw := uint16(0)
		if len(r.Online.Scripts) == 1 {
			sw = r.Online.Scripts[0].SW
		}
		return fmt.Errorf("%w: bank PIN: the PIN CHANGE script failed (%04X)", ErrCardAnswer, sw)
	}
	return nil
}

// encipherPIN enciphers pin for the card and cryptogram of req.
func (b *BankHost) encipherPIN(req *emv.AuthRequest, pin string) ([]byte, error) {
	iad := req.Get(emv.TagIAD)
	ac := req.Get(emv.TagAC)
	if len(iad) < 3 || len(ac) != 8 {
		return nil, errors.New("the request lacks the IAD or the cryptogram")
	}
	a := emv.Alg(iad[2])
	keys, palg := b.Issuer.DES, paycrypto.DES
	if a == emv.AlgSM4 {
		keys, palg = b.Issuer.SM, paycrypto.SM4
	}
	if keys == nil {
		return nil, fmt.Errorf("no %s issuer keys", a)
	}
	pan := strings.TrimRight(strings.ToUpper(hex.EncodeToString(req.Get(emv.TagPAN))), "F")
	psn := ""
	if p := req.Get(emv.TagPSN); len(p) == 1 {
		psn = fmt.Sprintf("%02X", p[0])
	}
	mk, err := emv.CardMasterKey(a, keys.ENC, pan, psn)
	if err != nil {
		return nil, err
	}
	sk, err := emv.SessionKey(a, mk, ac)
	if err != nil {
		return nil, err
	}
	return paycrypto.EncipherPIN(palg, sk, pin)
}
