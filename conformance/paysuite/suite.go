// Package paysuite is the conformance suite of the card's financial
// application (CARD.md §5): card-side cases for every command of the UICS
// and qUICS applications on the DES/RSA and the SM paths, and end-to-end
// transactions run by the reference kernel of package conformance/emv
// against the card, with the simulated issuer host recomputing the card's
// cryptograms. Importing it registers the suite "pay" with the conformance
// runner (the sscard CLI does).
//
// Expected values come from the card's profile (its pay section): the
// applications, PAN, PIN, electronic cash amounts and issuer master keys it
// declares, and the CA keys of vectors/pay. A card whose profile has no pay
// section skips every case.
package paysuite

import (
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// SuiteName is the name the suite registers under.
const SuiteName = "pay"

// Clause references.
const (
	cardPay  = "CARD.md §5"
	modelPay = "CARD.md §5 [model: emulator/pay]"
	book1    = "EMV Book 1 §12"
	book2    = "EMV Book 2"
	book3    = "EMV Book 3"
	quics    = "JR/T 0025.12 (qUICS), CARD.md §5"
	ecash    = "JR/T 0025.13 (electronic cash), CARD.md §5"
	iso4     = "ISO/IEC 7816-4"
)

func init() {
	var cases []*conformance.Case
	for _, g := range [][]*conformance.Case{selectCases, gpoCases, recordCases, odaCases, acCases,
		dataCases, pinCases, ecashCases, scriptCases, e2eCases} {
		cases = append(cases, g...)
	}
	conformance.Register(&conformance.Suite{Name: SuiteName, Title: "Financial application: UICS, qUICS, electronic cash", Cases: cases})
}

// --- requirements on the profile ---

func needPay(p *profile.Profile) string {
	if p.Kind != profile.KindCard {
		return "not a social security card"
	}
	if p.Pay == nil {
		return "no financial application in the card's profile (pay section)"
	}
	return ""
}

// needPath: the card offers the SM path (sm) or the DES/RSA path.
func needPath(sm bool) func(*profile.Profile) string {
	return conformance.RequireAll(needPay, func(p *profile.Profile) string {
		switch {
		case sm && !p.Pay.HasSM():
			return "the card has no SM path"
		case !sm && !p.Pay.HasDES():
			return "the card has no DES/RSA path"
		}
		return ""
	})
}

// needContactless: the first application is in the PPSE.
func needContactless(p *profile.Profile) string {
	if why := needPay(p); why != "" {
		return why
	}
	if a := p.Pay.Applications[0]; a.Contactless == nil || !*a.Contactless {
		return "the first payment application is not contactless"
	}
	return ""
}

// needECash: the first application has electronic cash.
func needECash(p *profile.Profile) string {
	if why := needContactless(p); why != "" {
		return why
	}
	if a := p.Pay.Applications[0]; a.ECash == nil || !*a.ECash {
		return "the first payment application has no electronic cash"
	}
	return ""
}

// needODA: the card supports the offline data authentication method.
func needODA(m string) func(*profile.Profile) string {
	return conformance.RequireAll(needPay, func(p *profile.Profile) string {
		if !slices.Contains(p.Pay.ODA, m) {
			return "the card does not support " + strings.ToUpper(m)
		}
		return ""
	})
}

// needPINTries: the payment PIN has at least n tries left.
func needPINTries(n int) func(*profile.Profile) string {
	return conformance.RequireAll(needPay, func(p *profile.Profile) string {
		if *p.Pay.PIN.TriesLeft < n {
			return fmt.Sprintf("needs %d payment PIN tries left", n)
		}
		return ""
	})
}

// --- the card's declared values ---

func pay(s *conformance.S) *profile.Pay { return s.Profile().Pay }

// app returns the first application's AID.
func app(s *conformance.S) []byte { return mustHex(s, pay(s).Applications[0].AID) }

func mustHex(s *conformance.S, h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		s.Fatalf("profile value %q is not hex", h)
	}
	return b
}

func panDigits(s *conformance.S) string { return pay(s).PAN }

func psn(s *conformance.S) string { return pay(s).PSN }

// IssuerFor returns the simulated issuer host holding the issuer master
// keys a pay section declares.
func IssuerFor(p *profile.Pay) (*emv.Issuer, error) {
	keys := func(k *profile.PayKeys) (*emv.IssuerKeys, error) {
		if k == nil {
			return nil, nil
		}
		var out emv.IssuerKeys
		for _, f := range []struct {
			dst *[]byte
			h   string
		}{{&out.AC, k.AC}, {&out.MAC, k.MAC}, {&out.ENC, k.Enc}} {
			b, err := hex.DecodeString(f.h)
			if err != nil || len(b) != 16 {
				return nil, fmt.Errorf("issuer master key %q is not 16 bytes of hex", f.h)
			}
			*f.dst = b
		}
		return &out, nil
	}
	des, err := keys(p.DES)
	if err != nil {
		return nil, err
	}
	sm, err := keys(p.SM)
	if err != nil {
		return nil, err
	}
	return &emv.Issuer{DES: des, SM: sm}, nil
}

// issuer is the simulated issuer host holding the card's declared keys.
func issuer(s *conformance.S) *emv.Issuer {
	is, err := IssuerFor(pay(s))
	s.OK(err, "issuer keys")
	return is
}

var (
	caOnce sync.Once
	caKeys []emv.CAKey
	caErr  error
)

// CAKeys returns the CA public keys of vectors/pay as the terminal holds
// them.
func CAKeys() ([]emv.CAKey, error) {
	caOnce.Do(func() { caKeys, caErr = loadCAKeys() })
	return caKeys, caErr
}

func loadCAKeys() ([]emv.CAKey, error) {
	list, err := testpay.CAPublicKeys()
	if err != nil {
		return nil, err
	}
	var out []emv.CAKey
	for _, k := range list {
		rid, err1 := hex.DecodeString(k.RID)
		idx, err2 := hex.DecodeString(k.Index)
		if err1 != nil || err2 != nil || len(rid) != 5 || len(idx) != 1 {
			return nil, fmt.Errorf("CA key %s %s: malformed RID or index", k.RID, k.Index)
		}
		ck := emv.CAKey{Index: idx[0]}
		copy(ck.RID[:], rid)
		switch k.Algorithm {
		case "rsa":
			n, err1 := hex.DecodeString(k.Modulus)
			e, err2 := hex.DecodeString(k.Exponent)
			if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
				return nil, fmt.Errorf("CA key %s: malformed modulus or exponent", k.Index)
			}
			ck.RSA = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case "sm2":
			xy, err := hex.DecodeString(k.Point)
			if err != nil {
				return nil, fmt.Errorf("CA key %s: malformed point", k.Index)
			}
			if ck.SM2, err = emv.SM2Key(xy); err != nil {
				return nil, fmt.Errorf("CA key %s: %w", k.Index, err)
			}
		default:
			return nil, fmt.Errorf("CA key %s: algorithm %q", k.Index, k.Algorithm)
		}
		out = append(out, ck)
	}
	return out, nil
}

// today is the transaction date of every case: today in China at noon, so
// the model and a real card in a differential run see the same data.
func today() time.Time {
	n := time.Now().In(time.FixedZone("CST", 8*3600))
	return time.Date(n.Year(), n.Month(), n.Day(), 12, 0, 0, 0, n.Location())
}

// kernel returns the reference terminal of a case: the CA keys of
// vectors/pay, a PIN pad entering the card's declared PIN, the issuer
// host with its declared keys, fixed unpredictable numbers
// (see termSeed), and the kernel's steps recorded in the case.
func kernel(s *conformance.S, sm bool, mods ...func(*emv.Config)) (*emv.Kernel, *emv.Issuer) {
	keys, err := CAKeys()
	if err != nil {
		s.Fatalf("CA keys: %v", err)
	}
	cfg := emv.DefaultConfig()
	cfg.CAKeys = keys
	cfg.SM = sm
	pin := pay(s).PIN.Value
	cfg.PIN = func(int) (string, bool) { return pin, true }
	is := issuer(s)
	cfg.Host = is
	cfg.Rand = mrand.NewChaCha8(termSeed)
	cfg.Now = today
	cfg.Step = func(name string) { s.Step("kernel: %s", name) }
	for _, m := range mods {
		m(&cfg)
	}
	return emv.New(cfg), is
}

// termSeed seeds the terminal's unpredictable numbers: the same in every
// run, so reports are reproducible and a differential run sends the real
// card and the model the same commands (the card's own randomness keeps
// its signatures fresh).
var termSeed = [32]byte{'s', 's', 'c', 'a', 'r', 'd', ' ', 'p', 'a', 'y'}

// transact runs one transaction through the kernel on the case's card.
func transact(s *conformance.S, k *emv.Kernel, tx emv.Transaction) (*emv.Result, error) {
	r, err := k.Run(s.Card(), tx)
	s.Step("after the transaction")
	return r, err
}

// --- direct commands ---

// selectApp selects an application by AID and ends the case unless 9000.
func selectApp(s *conformance.S, aid []byte) iso7816.Response {
	s.Step("SELECT %X", aid)
	r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: aid, Ne: 256})
	want := iso7816.SWOK
	if _, blocked := blockedApps.Load(s); blocked {
		want = iso7816.SWWarnDeactivated // EMV Book 1 §12.3.3
	}
	if r.SW != want {
		s.Fatalf("SELECT %X answered %04X, want %04X", aid, uint16(r.SW), uint16(want))
	}
	return r
}

// blockedApps holds the cases (*conformance.S) whose application is
// blocked by APPLICATION BLOCK at the moment: its SELECT answers 6283.
var blockedApps sync.Map

// gpoOpts is a GET PROCESSING OPTIONS a case sends itself.
type gpoOpts struct {
	amount, other uint64
	quics         bool
	sm            bool
	ttq           [4]byte // 0: a qUICS reader's 26000000
	currency      []byte  // nil: 0156
	ecash         bool    // 9F7A = 01 when the PDOL asks for it
}

// pdolOf returns the PDOL the card's FCI announces (the profile's, with
// DF69 01 on a card with the SM path).
func pdolOf(s *conformance.S) emv.DOL {
	raw := mustHex(s, pay(s).PDOL)
	if pay(s).HasSM() {
		raw = append(raw, 0xDF, 0x69, 0x01)
	}
	d, err := emv.ParseDOL(raw)
	if err != nil {
		s.Fatalf("profile PDOL: %v", err)
	}
	return d
}

// gpoData builds the PDOL data of a transaction.
func gpoData(s *conformance.S, o gpoOpts) []byte {
	db := emv.NewDB()
	amt := func(v uint64) []byte {
		out := make([]byte, 6)
		for i := 5; i >= 0; i-- {
			out[i] = byte(v%10) | byte(v/10%10)<<4
			v /= 100
		}
		return out
	}
	db.Set(emv.TagAmount, amt(o.amount))
	db.Set(emv.TagAmountOther, amt(o.other))
	db.Set(emv.TagTermCountry, []byte{0x01, 0x56})
	cur := o.currency
	if cur == nil {
		cur = []byte{0x01, 0x56}
	}
	db.Set(emv.TagCurrency, cur)
	d := today()
	db.Set(emv.TagTxDate, []byte{bcd(d.Year() % 100), bcd(int(d.Month())), bcd(d.Day())})
	db.Set(emv.TagTxType, []byte{0x00})
	db.Set(emv.TagUN, []byte{0x12, 0x34, 0x56, 0x78})
	if o.quics {
		ttq := o.ttq
		if ttq == [4]byte{} {
			ttq = [4]byte{0x26, 0x00, 0x00, 0x00}
		}
		db.Set(emv.TagTTQ, ttq[:])
	}
	if o.sm {
		db.Set(emv.TagSMSupport, []byte{0x01})
	}
	if o.ecash {
		db.Set(emv.TagECTermSupport, []byte{0x01})
	}
	return pdolOf(s).Build(db)
}

func bcd(v int) byte { return byte(v/10%10)<<4 | byte(v%10) }

// gpoCommand encodes GPO with data as the 83 template.
func gpoCommand(data []byte) []byte {
	out := []byte{0x80, 0xA8, 0x00, 0x00, byte(len(data) + 2), 0x83, byte(len(data))}
	out = append(out, data...)
	return append(out, 0x00)
}

// gpo selects the first application and sends GPO.
func gpo(s *conformance.S, o gpoOpts) iso7816.Response {
	selectApp(s, app(s))
	s.Step("GET PROCESSING OPTIONS")
	d := gpoData(s, o)
	return s.Exchange(iso7816.Command{CLA: 0x80, INS: 0xA8, Data: append([]byte{0x83, byte(len(d))}, d...), Ne: 256})
}

// getData reads a data object with GET DATA and ends the case unless the
// card answers it.
func getData(s *conformance.S, t emv.Tag) []byte {
	s.Step("GET DATA %s", t)
	r := s.Exchange(iso7816.Command{CLA: 0x80, INS: 0xCA, P1: byte(t >> 8), P2: byte(t), Ne: 256})
	if r.SW != iso7816.SWOK {
		s.Fatalf("GET DATA %s answered %04X", t, uint16(r.SW))
	}
	v, ok := iso7816.Find(r.Data, t)
	if !ok {
		s.Fatalf("GET DATA %s answered % X, not the data object", t, r.Data)
	}
	return v
}

// atc reads the ATC with GET DATA (the application must be selected).
func atc(s *conformance.S) uint16 {
	v := getData(s, emv.TagATC)
	if len(v) != 2 {
		s.Fatalf("ATC of %d bytes", len(v))
	}
	return uint16(v[0])<<8 | uint16(v[1])
}

// amountOf decodes an n12 amount.
func amountOf(s *conformance.S, v []byte) uint64 {
	var n uint64
	for _, c := range v {
		if c>>4 > 9 || c&0x0F > 9 {
			s.Fatalf("amount % X is not BCD", v)
		}
		n = n*100 + uint64(c>>4)*10 + uint64(c&0x0F)
	}
	return n
}

// balance reads the electronic cash balance.
func balance(s *conformance.S) uint64 { return amountOf(s, getData(s, emv.TagECBalance)) }

// field returns the value of a data object of a template, or ends the case.
func field(s *conformance.S, data []byte, path ...emv.Tag) []byte {
	v, ok := iso7816.Find(data, path...)
	if !ok {
		var names []string
		for _, t := range path {
			names = append(names, t.String())
		}
		s.Fatalf("no %s in % X", strings.Join(names, "/"), data)
	}
	return v
}
