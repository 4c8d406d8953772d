package emv

import (
	"errors"
	"fmt"
	"io"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Transaction is what the cardholder and the merchant asked for.
type Transaction struct {
	// Amount and Other are in minor units of the terminal's currency
	// (fen for CNY): 12.34 yuan is 1234.
	Amount, Other uint64
	// Type is the transaction type 9C (00 goods and services).
	Type byte
	// Contactless runs the qUICS kernel (PPSE, one GPO); otherwise the
	// contact kernel (PSE, GENERATE AC).
	Contactless bool
	// ForceOnline: the merchant forces the transaction online.
	ForceOnline bool
}

// Kernel is the reference terminal kernel: it drives a card through a
// transport for one transaction at a time. It is safe for concurrent use
// when its Config's Rand, Now, PIN and Host are.
type Kernel struct {
	cfg Config
}

// New returns a kernel with the terminal configuration cfg.
func New(cfg Config) *Kernel { return &Kernel{cfg: cfg} }

// Config returns the kernel's configuration.
func (k *Kernel) Config() Config { return k.cfg }

// Run performs one transaction on the card behind t. It always returns a
// result; the error is non-nil exactly when the transaction was not
// approved and did not end as an online request: declined (wrapping
// ErrDeclined, ErrODAFailed, ErrCardBlocked or ErrAppBlocked) or
// terminated (wrapping the cause: ErrCardData, ErrTransport,
// ErrNoApplication...).
func (k *Kernel) Run(t terminal.Transport, tx Transaction) (*Result, error) {
	x := &txn{k: k, cfg: &k.cfg, t: t, tx: tx}
	x.res = &Result{Contactless: tx.Contactless, PINTriesLeft: -1, ECBalance: -1}
	var err error
	if tx.Contactless {
		err = x.contactless()
	} else {
		err = x.contact()
	}
	r := x.res
	if err != nil && (r.Outcome.Approved() || r.Outcome == OnlineRequest) {
		r.Outcome = Terminated
	}
	if err == nil && !r.Outcome.Approved() && r.Outcome != OnlineRequest {
		err = fmt.Errorf("%w: %s", ErrDeclined, r.Outcome)
	}
	if err != nil && r.Outcome == Terminated &&
		(errors.Is(err, ErrCardBlocked) || errors.Is(err, ErrAppBlocked)) {
		r.Outcome = DeclinedOffline
	}
	if x.db != nil {
		x.syncStatus()
		r.DB = x.db
	}
	r.PDOLData, r.CDOL1Data = x.pdolData, x.cdol1
	r.Err = err
	return r, err
}

// txn is the state of one transaction.
type txn struct {
	k   *Kernel
	cfg *Config
	t   terminal.Transport
	tx  Transaction
	db  *DB
	res *Result

	aip      [2]byte
	afl      []AFLEntry
	pdolData []byte
	cdol1    []byte // CDOL1 data of the first GENERATE AC
	static   []byte // static data to be authenticated
	staticOK bool   // every ODA record was a 70 template
	un       [4]byte
	sdaTags  bool // 9F4A listed only 82
	oda      odaKeys
	cdaAsked bool
	ecash    bool
	attempts int
	blocked  bool // a selection answered 6283
}

// isFatal reports whether err ends the transaction at once rather than
// moving on to the next candidate application.
func isFatal(err error) bool {
	return errors.Is(err, ErrTransport) || errors.Is(err, ErrCardBlocked)
}

// maxSelectAttempts bounds final selections after GPO refusals.
const maxSelectAttempts = 8

// step records one exchange in the log and returns the response.
func (x *txn) send(step string, cmd iso7816.Command) (iso7816.Response, error) {
	raw, _ := cmd.Bytes()
	if x.cfg.Step != nil {
		x.cfg.Step(step)
	}
	resp, err := terminal.Exchange(x.t, cmd)
	e := Exchange{Step: step, Command: raw, Err: err}
	if err == nil {
		e.Response = resp.Bytes()
	}
	x.res.Log = append(x.res.Log, e)
	if err != nil {
		return resp, fmt.Errorf("%s: %w: %w", step, ErrTransport, err)
	}
	return resp, nil
}

// syncStatus copies the TVR, TSI and CVM results into the database, where
// the DOLs find them.
func (x *txn) syncStatus() {
	x.db.Set(TagTVR, x.res.TVR[:])
	x.db.Set(TagTSI, x.res.TSI[:])
	x.db.Set(TagCVMResults, x.res.CVMResults[:])
}

// initDB starts the database of one application attempt with the
// terminal's data.
func (x *txn) initDB() error {
	c := x.cfg
	db := NewDB()
	x.db = db
	x.res.TVR, x.res.TSI, x.res.CVMResults = TVR{}, TSI{}, [3]byte{0x3F, 0, 0}
	if x.un == ([4]byte{}) {
		if _, err := io.ReadFull(c.rand(), x.un[:]); err != nil {
			return fmt.Errorf("unpredictable number: %w", err)
		}
	}
	now := c.now()
	db.Set(TagAmount, bcdAmount(x.tx.Amount))
	db.Set(TagAmountOther, bcdAmount(x.tx.Other))
	db.Set(TagAmountBinary, be32(x.tx.Amount))
	db.Set(TagTermCountry, c.CountryCode[:])
	db.Set(TagCurrency, c.CurrencyCode[:])
	db.Set(TagCurrencyExp, []byte{c.CurrencyExp})
	db.Set(TagTxDate, bcdDate(now))
	db.Set(TagTxTime, bcdTime(now))
	db.Set(TagTxType, []byte{x.tx.Type})
	db.Set(TagUN, x.un[:])
	db.Set(TagTermType, []byte{c.TerminalType})
	db.Set(TagTermCaps, c.Capabilities[:])
	db.Set(TagAddTermCaps, c.AddCapabilities[:])
	db.Set(TagTermAppVersion, c.AppVersion[:])
	db.Set(TagTerminalID, padText(c.TerminalID, 8))
	db.Set(TagIFDSerial, padText(c.IFDSerial, 8))
	db.Set(TagFloorLimit, be32(c.FloorLimit))
	db.Set(TagCAPP, []byte{0x00})
	sm := byte(0)
	if c.SM {
		sm = 1
	}
	db.Set(TagSMSupport, []byte{sm})
	ec := byte(0)
	if c.ECash && !x.tx.Contactless && x.tx.Amount <= c.ECashLimit && x.tx.Other == 0 {
		ec = 1
	}
	db.Set(TagECTermSupport, []byte{ec})
	db.Set(TagECTermLimit, bcdAmount(c.ECashLimit))
	if x.tx.Contactless {
		db.Set(TagTTQ, x.ttq())
	}
	x.syncStatus()
	return nil
}

// ttq returns the terminal transaction qualifiers of this transaction.
func (x *txn) ttq() []byte {
	c := x.cfg
	q := c.TTQ
	if x.tx.Amount >= c.ContactlessFloor || x.tx.ForceOnline {
		q[1] |= 0x80 // online cryptogram required
	}
	if x.tx.Amount >= c.CVMLimit {
		q[1] |= 0x40 // CVM required
	}
	return q[:]
}

// pan returns the application PAN: 5A, or the digits of track 2 before
// the separator.
func (x *txn) pan() []byte { return panOf(x.db) }

func panOf(db *DB) []byte {
	if p := db.Get(TagPAN); len(p) > 0 {
		return p
	}
	t2 := db.Get(TagTrack2)
	for i, b := range t2 {
		if b>>4 == 0x0D {
			return append([]byte(nil), t2[:i]...)
		}
		if b&0x0F == 0x0D {
			out := append([]byte(nil), t2[:i+1]...)
			out[i] = b&0xF0 | 0x0F
			return out
		}
	}
	return nil
}

// finish sets the outcome.
func (x *txn) finish(o Outcome) { x.res.Outcome = o }
