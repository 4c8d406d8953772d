package emv

import (
	"bytes"
)

// riskManagement performs terminal risk management (EMV Book 3 §10.6) and
// the electronic cash checks of JR/T 0025.13: exception file, floor limit
// (the electronic cash terminal limit and balance when the card took the
// electronic cash path), velocity checking, merchant forced online.
// Random selection is not performed: this reference terminal is
// deterministic.
func (x *txn) riskManagement() error {
	if x.tx.ForceOnline {
		x.res.TVR.Set(TVRMerchantForced)
	}
	pan := x.pan()
	for _, p := range x.cfg.ExceptionFile {
		if bytes.Equal(p, pan) {
			x.res.TVR.Set(TVRExceptionFile)
		}
	}
	if x.aip[0]&aipTermRisk == 0 && !x.ecash {
		return nil
	}
	x.res.TSI.Set(TSITerminalRisk)
	if x.ecash {
		if err := x.ecashRisk(); err != nil {
			return err
		}
	} else if x.tx.Amount >= x.cfg.FloorLimit && !(x.cfg.FloorLimit == 0 && x.tx.Amount == 0) {
		x.res.TVR.Set(TVRFloorLimitExceeded)
	}
	return x.velocity()
}

// ecashRisk: an electronic cash transaction stays offline within the
// terminal's electronic cash limit and the card's balance.
func (x *txn) ecashRisk() error {
	bal, ok, err := x.getData(TagECBalance)
	if err != nil {
		return err
	}
	if ok {
		if v, good := decodeBCD(bal); good {
			x.res.ECBalance = int64(v)
		}
	}
	if x.tx.Amount > x.cfg.ECashLimit || x.res.ECBalance < 0 || uint64(x.res.ECBalance) < x.tx.Amount {
		x.res.TVR.Set(TVRFloorLimitExceeded)
	}
	return nil
}

// velocity compares the offline transactions since the last online one
// with the card's limits (EMV Book 3 §10.6.3).
func (x *txn) velocity() error {
	lcol, hasL := x.db.Lookup(TagLCOL)
	ucol, hasU := x.db.Lookup(TagUCOL)
	if !hasL || !hasU || len(lcol) != 1 || len(ucol) != 1 {
		return nil
	}
	atc, okA, err := x.getData(TagATC)
	if err != nil {
		return err
	}
	last, okL, err := x.getData(TagLastOnlineATC)
	if err != nil {
		return err
	}
	if !okA || !okL || len(atc) != 2 || len(last) != 2 {
		x.res.TVR.Set(TVRLCOLExceeded)
		x.res.TVR.Set(TVRUCOLExceeded)
		x.res.TVR.Set(TVRICCDataMissing)
		return nil
	}
	a, l := beUint(atc), beUint(last)
	if l == 0 {
		x.res.TVR.Set(TVRNewCard)
	}
	var n uint64
	if a > l {
		n = a - l
	}
	if n > uint64(lcol[0]) {
		x.res.TVR.Set(TVRLCOLExceeded)
	}
	if n > uint64(ucol[0]) {
		x.res.TVR.Set(TVRUCOLExceeded)
	}
	return nil
}

// actionAnalysis is terminal action analysis (EMV Book 3 §10.7): the
// cryptogram to ask for.
func (x *txn) actionAnalysis() Cryptogram {
	tvr := x.res.TVR
	iac := func(t Tag, def byte) TVR {
		var v TVR
		if b := x.db.Get(t); len(b) == 5 {
			copy(v[:], b)
		} else {
			for i := range v {
				v[i] = def
			}
		}
		return v
	}
	match := func(a, b TVR) bool {
		for i := range tvr {
			if tvr[i]&(a[i]|b[i]) != 0 {
				return true
			}
		}
		return false
	}
	if match(x.cfg.TACDenial, iac(TagIACDenial, 0x00)) {
		return AAC
	}
	if x.cfg.Host != nil {
		if match(x.cfg.TACOnline, iac(TagIACOnline, 0xFF)) {
			return ARQC
		}
		return TC
	}
	if match(x.cfg.TACDefault, iac(TagIACDefault, 0xFF)) {
		return AAC
	}
	return TC
}

// defaultAnalysis decides, when the terminal could not go online, whether
// to accept offline (EMV Book 3 §10.7, default action codes).
func (x *txn) defaultAnalysis() Cryptogram {
	var def TVR
	if b := x.db.Get(TagIACDefault); len(b) == 5 {
		copy(def[:], b)
	} else {
		def = TVR{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	}
	for i := range def {
		if x.res.TVR[i]&(def[i]|x.cfg.TACDefault[i]) != 0 {
			return AAC
		}
	}
	return TC
}
