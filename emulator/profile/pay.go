package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sscard/sscard/vectors"
)

// Pay is the financial application (CARD.md §5): UnionPay UICS debit,
// credit or electronic cash, contact and qUICS, with the DES/RSA and the SM
// paths. Package emulator/pay documents the data model; this section holds
// what a vendor or issuer personalises. Amounts are in minor units (fen).
type Pay struct {
	// Algorithms the card offers: "des" (DES/RSA), "sm" (SM4/SM2) or
	// "both", chosen per transaction by DF69 [model: default both on 3.00
	// cards, des before].
	Algorithms string `json:"algorithms,omitempty"`
	// Applications on the chip, in directory order. Default: one debit
	// application.
	Applications []PayApp `json:"applications,omitempty"`
	// PAN is the application PAN, 12 to 19 digits with a valid Luhn check
	// digit; PSN the PAN sequence number, 2 digits [model: default 01].
	PAN string `json:"pan"`
	PSN string `json:"psn,omitempty"`
	// EffectiveDate and ExpiryDate, YYYYMMDD. Default: the SSSE's issue
	// and expiry dates.
	EffectiveDate string `json:"effectiveDate,omitempty"`
	ExpiryDate    string `json:"expiryDate,omitempty"`
	// CardholderName (5F20), printable ASCII, 2 to 26 characters; empty:
	// no 5F20.
	CardholderName string `json:"cardholderName,omitempty"`
	// ServiceCode, 3 digits [model: default 220, international chip].
	ServiceCode string `json:"serviceCode,omitempty"`
	// Currency (9F42, 9F51) and Country (5F28), ISO 4217 / 3166 numeric,
	// 3 digits [default 156, China].
	Currency string `json:"currency,omitempty"`
	Country  string `json:"country,omitempty"`
	// PDOL replaces the qPBOC PDOL of CARD.md §5 (hex DOL); DF69 01 is
	// appended when the card has the SM path.
	PDOL string `json:"pdol,omitempty"`
	// AIP overrides the AIP (4 hex digits); default from ODA.
	AIP string `json:"aip,omitempty"`
	// AFL overrides the AFL of the DES/RSA path (hex, 4 bytes an entry);
	// the records it names must exist (emulator/pay).
	AFL string `json:"afl,omitempty"`
	// ResponseFormat of GPO (contact) and GENERATE AC: 1 (template 80) or
	// 2 (template 77) [model: default 1, as the known contact answer].
	ResponseFormat int `json:"responseFormat,omitempty"`
	// ODA lists the offline data authentication methods: sda, dda, cda
	// (fDDA on qUICS comes with dda) [model: default all three].
	ODA []string `json:"oda,omitempty"`
	// DKI is the derivation key index in the IAD, 2 hex digits [default 01].
	DKI string `json:"dki,omitempty"`
	// DAC is the data authentication code of SDA, 4 hex digits [default DAC1].
	DAC string `json:"dac,omitempty"`
	// CTQ is the base card transaction qualifiers, 4 hex digits [default 0000].
	CTQ string `json:"ctq,omitempty"`
	// AUC is the application usage control, 4 hex digits [default FF00].
	AUC string `json:"auc,omitempty"`
	// CVMList is the CVM list (8E) in hex [model: default amounts 0, online
	// PIN, offline plaintext PIN, signature, no CVM].
	CVMList string `json:"cvmList,omitempty"`
	// IACDefault, IACDenial, IACOnline are the issuer action codes, 10 hex
	// digits each [model: defaults DC4000A800, 0010000000, DC4004F800].
	IACDefault string `json:"iacDefault,omitempty"`
	IACDenial  string `json:"iacDenial,omitempty"`
	IACOnline  string `json:"iacOnline,omitempty"`
	// LowerOfflineLimit (9F14) and UpperOfflineLimit (9F23): consecutive
	// offline transactions [model: defaults 0 and 3].
	LowerOfflineLimit *int `json:"lowerOfflineLimit,omitempty"`
	UpperOfflineLimit *int `json:"upperOfflineLimit,omitempty"`
	// PIN is the offline PIN the payment applications share.
	PIN PayPIN `json:"pin"`
	// ECash is the electronic cash of the applications that have it.
	ECash ECash `json:"ecash"`
	// DES and SM are the issuer master keys of each path.
	DES *PayKeys `json:"des,omitempty"`
	SM  *PayKeys `json:"sm,omitempty"`
	// RSA and SM2 name the keys of each path's certificate chain in
	// vectors/pay (NAME.key.pem).
	RSA *PayChain `json:"rsa,omitempty"`
	SM2 *PayChain `json:"sm2,omitempty"`
	// LogRecords is the size of the transaction log [model: default 10].
	LogRecords int `json:"logRecords,omitempty"`
	// ATC is the application transaction counter at personalisation
	// (0..65535; at 65535 the applications are used up) [default 0].
	ATC int `json:"atc,omitempty"`
}

// PayApp is one payment application (ADF).
type PayApp struct {
	// Type: debit, credit or ecash.
	Type string `json:"type"`
	// AID, default A000000333010101 (debit) [known], ...0102 (credit),
	// ...0106 (ecash) [model].
	AID string `json:"aid,omitempty"`
	// Label (50), printable ASCII up to 16; default UICS DEBIT, UICS
	// CREDIT, UICS ECASH.
	Label string `json:"label,omitempty"`
	// Priority (87), 1..15; default the position in the list.
	Priority int `json:"priority,omitempty"`
	// Contactless puts the application in the PPSE [default true on a card
	// with a contactless interface].
	Contactless *bool `json:"contactless,omitempty"`
	// ECash says the application has electronic cash [default: debit and
	// ecash yes, credit no].
	ECash *bool `json:"ecash,omitempty"`
}

// PayPIN is the offline PIN.
type PayPIN = AppPIN

// ECash holds the electronic cash amounts, in minor units, each at most
// 999999999999 (n12).
type ECash struct {
	Balance        int64 `json:"balance,omitempty"`        // 9F79
	BalanceLimit   int64 `json:"balanceLimit,omitempty"`   // 9F77 [default 100000]
	SingleLimit    int64 `json:"singleLimit,omitempty"`    // 9F78 [default 100000]
	ResetThreshold int64 `json:"resetThreshold,omitempty"` // 9F6D [default 0: never]
	CVMLimit       int64 `json:"cvmLimit,omitempty"`       // 9F6B [default 30000]
}

// PayKeys are the three issuer master keys of a path, 32 hex digits each:
// application cryptograms, script MACs, script encipherment.
type PayKeys struct {
	AC  string `json:"ac"`
	MAC string `json:"mac"`
	Enc string `json:"enc"`
}

// PayChain names the CA, issuer and ICC keys of a certificate chain.
type PayChain struct {
	CA     string `json:"ca"`
	Issuer string `json:"issuer"`
	ICC    string `json:"icc"`
}

// Defaults of the pay section.
const (
	DefaultPayDebitAID  = "A000000333010101"
	DefaultPayCreditAID = "A000000333010102"
	DefaultPayECashAID  = "A000000333010106"
	DefaultPayPDOL      = "9F66049F02069F03069F1A0295055F2A029A039C019F3704"
	MaxAmount           = 999999999999
)

// PayAppTypes are the values of PayApp.Type.
var PayAppTypes = []string{"debit", "credit", "ecash"}

// PayODA are the values of Pay.ODA.
var PayODA = []string{"sda", "dda", "cda"}

// HasDES and HasSM say which paths the card offers.
func (s *Pay) HasDES() bool { return s.Algorithms != "sm" }

// HasSM says whether the card offers the SM path.
func (s *Pay) HasSM() bool { return s.Algorithms != "des" }

func (s *Pay) validate(p *Profile) error {
	const f = "pay."
	if s.Algorithms == "" {
		s.Algorithms = "des"
		if p.Generation == "3.00" {
			s.Algorithms = "both"
		}
	}
	if !slices.Contains([]string{"des", "sm", "both"}, s.Algorithms) {
		return fieldErr(f+"algorithms", "%q is not one of des, sm, both", s.Algorithms)
	}
	if s.HasSM() && p.Generation != "3.00" {
		return fieldErr(f+"algorithms", "%q: the SM algorithms are on 3.00 cards only", s.Algorithms)
	}
	if len(s.Applications) == 0 {
		s.Applications = []PayApp{{Type: "debit"}}
	}
	seen := map[string]bool{}
	for i := range s.Applications {
		if err := s.Applications[i].validate(fmt.Sprintf("%sapplications[%d]", f, i), i, p.Interfaces.Contactless); err != nil {
			return err
		}
		aid := strings.ToUpper(s.Applications[i].AID)
		if seen[aid] {
			return fieldErr(fmt.Sprintf("%sapplications[%d].aid", f, i), "%s is used twice", aid)
		}
		seen[aid] = true
	}
	if err := luhnField(f+"pan", s.PAN); err != nil {
		return err
	}
	def(&s.PSN, "01")
	if err := digitsField(f+"psn", s.PSN, 2, 2); err != nil {
		return err
	}
	if p.SSSE != nil {
		def(&s.EffectiveDate, p.SSSE.Identity.IssueDate)
		def(&s.ExpiryDate, p.SSSE.Identity.ExpiryDate)
	}
	for name, v := range map[string]string{"effectiveDate": s.EffectiveDate, "expiryDate": s.ExpiryDate} {
		if err := dateField(f+name, v); err != nil {
			return err
		}
	}
	if s.CardholderName != "" {
		if err := asciiField(f+"cardholderName", s.CardholderName, 2, 26); err != nil {
			return err
		}
	}
	def(&s.ServiceCode, "220")
	def(&s.Currency, "156")
	def(&s.Country, "156")
	for name, v := range map[string]string{"serviceCode": s.ServiceCode, "currency": s.Currency, "country": s.Country} {
		if err := digitsField(f+name, v, 3, 3); err != nil {
			return err
		}
	}
	def(&s.PDOL, DefaultPayPDOL)
	if err := dolField(f+"pdol", s.PDOL, 250); err != nil {
		return err
	}
	if s.AIP != "" {
		if _, err := hexField(f+"aip", s.AIP, 2, 2); err != nil {
			return err
		}
	}
	if s.AFL != "" {
		if err := aflField(f+"afl", s.AFL); err != nil {
			return err
		}
	}
	if s.ResponseFormat == 0 {
		s.ResponseFormat = 1
	}
	if s.ResponseFormat != 1 && s.ResponseFormat != 2 {
		return fieldErr(f+"responseFormat", "%d is neither 1 nor 2", s.ResponseFormat)
	}
	if s.ODA == nil {
		s.ODA = slices.Clone(PayODA)
	}
	for i, o := range s.ODA {
		if !slices.Contains(PayODA, o) {
			return fieldErr(fmt.Sprintf("%soda[%d]", f, i), "%q is not one of %s", o, strings.Join(PayODA, ", "))
		}
	}
	for _, h := range []struct {
		name string
		v    *string
		def  string
		n    int
	}{
		{"dki", &s.DKI, "01", 1}, {"dac", &s.DAC, "DAC1", 2}, {"ctq", &s.CTQ, "0000", 2}, {"auc", &s.AUC, "FF00", 2},
		{"iacDefault", &s.IACDefault, "DC4000A800", 5}, {"iacDenial", &s.IACDenial, "0010000000", 5},
		{"iacOnline", &s.IACOnline, "DC4004F800", 5},
	} {
		def(h.v, h.def)
		if _, err := hexField(f+h.name, *h.v, h.n, h.n); err != nil {
			return err
		}
	}
	def(&s.CVMList, "0000000000000000420341031E031F00")
	if b, err := hexField(f+"cvmList", s.CVMList, 8, 64); err != nil {
		return err
	} else if len(b)%2 != 0 {
		return fieldErr(f+"cvmList", "amounts X and Y, then 2-byte rules: an even length")
	}
	for _, l := range []struct {
		name string
		v    **int
		def  int
	}{{"lowerOfflineLimit", &s.LowerOfflineLimit, 0}, {"upperOfflineLimit", &s.UpperOfflineLimit, 3}} {
		if *l.v == nil {
			d := l.def
			*l.v = &d
		}
		if **l.v < 0 || **l.v > 255 {
			return fieldErr(f+l.name, "%d is outside 0..255", **l.v)
		}
	}
	if *s.LowerOfflineLimit > *s.UpperOfflineLimit {
		return fieldErr(f+"lowerOfflineLimit", "%d is above upperOfflineLimit %d", *s.LowerOfflineLimit, *s.UpperOfflineLimit)
	}
	if err := s.PIN.validate(f + "pin."); err != nil {
		return err
	}
	if err := s.ECash.validate(f + "ecash."); err != nil {
		return err
	}
	if s.LogRecords == 0 {
		s.LogRecords = 10
	}
	if s.LogRecords < 1 || s.LogRecords > 30 {
		return fieldErr(f+"logRecords", "%d is outside 1..30", s.LogRecords)
	}
	if s.ATC < 0 || s.ATC > 0xFFFF {
		return fieldErr(f+"atc", "%d is outside 0..65535", s.ATC)
	}
	return s.validateKeys(f)
}

func (s *Pay) validateKeys(f string) error {
	for _, path := range []struct {
		name  string
		on    bool
		keys  *PayKeys
		chain *PayChain
		cname string
		alg   string
	}{{"des", s.HasDES(), s.DES, s.RSA, "rsa", "rsa"}, {"sm", s.HasSM(), s.SM, s.SM2, "sm2", "sm2"}} {
		if !path.on {
			continue
		}
		if path.keys == nil {
			return fieldErr(f+path.name, "missing: the %s path needs its issuer master keys (ac, mac, enc)", path.name)
		}
		for k, v := range map[string]string{"ac": path.keys.AC, "mac": path.keys.MAC, "enc": path.keys.Enc} {
			if _, err := hexField(f+path.name+"."+k, v, 16, 16); err != nil {
				return err
			}
		}
		if path.chain == nil {
			return fieldErr(f+path.cname, "missing: the %s path needs its ca, issuer and icc keys", path.name)
		}
		for k, v := range map[string]string{"ca": path.chain.CA, "issuer": path.chain.Issuer, "icc": path.chain.ICC} {
			if v == "" {
				return fieldErr(f+path.cname+"."+k, "missing")
			}
			if _, err := vectors.Pay(v + ".key.pem"); err != nil {
				return fieldErr(f+path.cname+"."+k, "%v", err)
			}
		}
	}
	return nil
}

func (a *PayApp) validate(f string, i int, contactless bool) error {
	defAID := map[string]string{"debit": DefaultPayDebitAID, "credit": DefaultPayCreditAID, "ecash": DefaultPayECashAID}
	defLabel := map[string]string{"debit": "UICS DEBIT", "credit": "UICS CREDIT", "ecash": "UICS ECASH"}
	if !slices.Contains(PayAppTypes, a.Type) {
		return fieldErr(f+".type", "%q is not one of %s", a.Type, strings.Join(PayAppTypes, ", "))
	}
	def(&a.AID, defAID[a.Type])
	if _, err := hexField(f+".aid", a.AID, 5, 16); err != nil {
		return err
	}
	def(&a.Label, defLabel[a.Type])
	if err := asciiField(f+".label", a.Label, 1, 16); err != nil {
		return err
	}
	if a.Priority == 0 {
		a.Priority = i + 1
	}
	if a.Priority < 1 || a.Priority > 15 {
		return fieldErr(f+".priority", "%d is outside 1..15", a.Priority)
	}
	if a.Contactless == nil {
		a.Contactless = &contactless
	}
	if *a.Contactless && !contactless {
		return fieldErr(f+".contactless", "the card has no contactless interface")
	}
	if a.ECash == nil {
		e := a.Type != "credit"
		a.ECash = &e
	}
	return nil
}

func (e *ECash) validate(f string) error {
	if e.BalanceLimit == 0 {
		e.BalanceLimit = 100000
	}
	if e.SingleLimit == 0 {
		e.SingleLimit = 100000
	}
	if e.CVMLimit == 0 {
		e.CVMLimit = 30000
	}
	for name, v := range map[string]int64{"balance": e.Balance, "balanceLimit": e.BalanceLimit, "singleLimit": e.SingleLimit,
		"resetThreshold": e.ResetThreshold, "cvmLimit": e.CVMLimit} {
		if v < 0 || v > MaxAmount {
			return fieldErr(f+name, "%d is outside 0..%d", v, int64(MaxAmount))
		}
	}
	if e.Balance > e.BalanceLimit {
		return fieldErr(f+"balance", "%d is above balanceLimit %d", e.Balance, e.BalanceLimit)
	}
	return nil
}

func def(v *string, d string) {
	if *v == "" {
		*v = d
	}
}

// luhnField checks a PAN: 12 to 19 digits with a valid Luhn check digit.
func luhnField(field, s string) error {
	if err := digitsField(field, s, 12, 19); err != nil {
		return err
	}
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if sum%10 != 0 {
		return fieldErr(field, "%s fails the Luhn check", s)
	}
	return nil
}

// dolField checks a data object list: tag-length pairs, BER-TLV tags of 1
// to 3 bytes, lengths 1..255 (at most max data bytes in all).
func dolField(field, s string, max int) error {
	b, err := hexField(field, s, 2, 252)
	if err != nil {
		return err
	}
	total := 0
	for len(b) > 0 {
		n := 1
		if b[0]&0x1F == 0x1F {
			for n < len(b) && b[n]&0x80 != 0 {
				n++
			}
			n++
		}
		if b[0] == 0 || b[0] == 0xFF || n > 3 || n >= len(b) {
			return fieldErr(field, "malformed data object list at %X", b)
		}
		l := int(b[n])
		if l == 0 || l > 127 {
			return fieldErr(field, "data object %X has length %d", b[:n], l)
		}
		total += l
		b = b[n+1:]
	}
	if total > max {
		return fieldErr(field, "asks for %d bytes of data, more than %d", total, max)
	}
	return nil
}

// aflField checks an AFL: 4-byte entries SFI<<3, first, last, ODA count.
func aflField(field, s string) error {
	b, err := hexField(field, s, 4, 252)
	if err != nil {
		return err
	}
	if len(b)%4 != 0 {
		return fieldErr(field, "is %d bytes, not whole 4-byte entries", len(b))
	}
	for i := 0; i < len(b); i += 4 {
		sfi, first, last, oda := b[i]>>3, b[i+1], b[i+2], b[i+3]
		if b[i]&7 != 0 || sfi < 1 || sfi > 30 || first < 1 || last < first || int(oda) > int(last-first)+1 {
			return fieldErr(field, "entry %X is not SFI<<3, first, last, ODA records", b[i:i+4])
		}
	}
	return nil
}
