package emv

import (
	"bytes"
)

// Transaction types (EMV Book 3 Annex A, 9C).
const (
	TxGoods    = 0x00
	TxCash     = 0x01
	TxCashback = 0x09
)

// Application usage control byte 1 bits (EMV Book 3 Annex C2).
const (
	aucDomesticCash     = 0x80
	aucIntlCash         = 0x40
	aucDomesticGoods    = 0x20
	aucIntlGoods        = 0x10
	aucDomesticServices = 0x08
	aucIntlServices     = 0x04
	aucNotATM           = 0x01
)

// restrictions performs processing restrictions (EMV Book 3 §10.4):
// application versions, usage control, effective and expiration dates.
func (x *txn) restrictions() {
	if v, ok := x.db.Lookup(TagAppVersion); ok && !bytes.Equal(v, x.cfg.AppVersion[:]) {
		x.res.TVR.Set(TVRVersionsDiffer)
	}
	if auc, ok := x.db.Lookup(TagAUC); ok && len(auc) == 2 {
		if !x.aucAllows(auc[0]) {
			x.res.TVR.Set(TVRServiceNotAllowed)
		}
	}
	today, _ := ymd(x.db.Get(TagTxDate))
	if d, ok := x.db.Lookup(TagEffective); ok {
		if v, ok := ymd(d); !ok || v > today {
			x.res.TVR.Set(TVRNotYetEffective)
		}
	}
	if d, ok := x.db.Lookup(TagExpiry); ok {
		if v, ok := ymd(d); !ok || v < today {
			x.res.TVR.Set(TVRExpired)
		}
	}
}

// aucAllows checks byte 1 of the application usage control against the
// transaction (EMV Book 3 §10.4.2); the terminal is not an ATM.
func (x *txn) aucAllows(b byte) bool {
	if b&aucNotATM == 0 {
		return false
	}
	ic, ok := x.db.Lookup(TagIssuerCountry)
	if !ok {
		return true
	}
	domestic := bytes.Equal(ic, x.cfg.CountryCode[:])
	pick := func(dom, intl byte) bool {
		if domestic {
			return b&dom != 0
		}
		return b&intl != 0
	}
	switch x.tx.Type {
	case TxCash:
		return pick(aucDomesticCash, aucIntlCash)
	default:
		return pick(aucDomesticGoods, aucIntlGoods) || pick(aucDomesticServices, aucIntlServices)
	}
}
