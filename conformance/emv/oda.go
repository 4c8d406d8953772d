package emv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm3"

	"github.com/sscard/sscard/emulator/iso7816"
)

// Terminal capabilities byte 3 (EMV Book 4 Annex A2).
const (
	capSDA = 0x80
	capDDA = 0x40
	capCDA = 0x08
)

// pubKey is an issuer or ICC public key of either path.
type pubKey struct {
	rsa *rsa.PublicKey
	sm2 *ecdsa.PublicKey
}

// odaKeys are the keys recovered in this transaction.
type odaKeys struct {
	issuer, icc pubKey
	sm          bool
}

// errMissing marks ODA failures caused by absent card data (the TVR then
// also says "ICC data missing").
var errMissing = errors.New("missing")

func (x *txn) need(tags ...Tag) error {
	for _, t := range tags {
		if !x.db.Has(t) {
			return fmt.Errorf("%w: %w: no %s (%s)", ErrRecovery, errMissing, t, TagName(t))
		}
	}
	return nil
}

// certContext is the PAN and date certificates are checked against.
func (x *txn) certContext() RSACertContext {
	d := x.db.Get(TagTxDate)
	today := 0
	if v, ok := ymd(d); ok {
		today = v / 100
	}
	return RSACertContext{PAN: x.pan(), Today: today}
}

// caKey finds the CA key the card names (8F, with the RID of its AID).
func (x *txn) caKey() (*CAKey, error) {
	if err := x.need(TagCAIndex); err != nil {
		return nil, err
	}
	idx := x.db.Get(TagCAIndex)
	if len(idx) != 1 || len(x.res.AID) < 5 {
		return nil, recErr("CA public key index % X", idx)
	}
	k := x.cfg.caKey(x.res.AID[:5], idx[0])
	if k == nil {
		return nil, recErr("the terminal has no CA key %X index %02X", x.res.AID[:5], idx[0])
	}
	return k, nil
}

// recoverIssuer recovers the issuer key on the card's path.
func (x *txn) recoverIssuer() error {
	ca, err := x.caKey()
	if err != nil {
		return err
	}
	ctx := x.certContext()
	switch {
	case ca.SM2 != nil && x.cfg.SM:
		if err := x.need(TagIssuerCert); err != nil {
			return err
		}
		k, err := RecoverIssuerKeySM2(ca.SM2, x.db.Get(TagIssuerCert), ctx)
		if err != nil {
			return err
		}
		x.oda.issuer, x.oda.sm = pubKey{sm2: k}, true
	case ca.RSA != nil:
		if err := x.need(TagIssuerCert, TagIssuerExp); err != nil {
			return err
		}
		k, err := RecoverIssuerKey(ca.RSA, x.db.Get(TagIssuerCert), x.db.Get(TagIssuerRemainder), x.db.Get(TagIssuerExp), ctx)
		if err != nil {
			return err
		}
		x.oda.issuer = pubKey{rsa: k}
	default:
		return recErr("CA key %02X is not usable on this terminal", ca.Index)
	}
	x.res.SM = x.oda.sm
	return nil
}

// recoverICC recovers the issuer key, then the ICC key.
func (x *txn) recoverICC() error {
	if err := x.recoverIssuer(); err != nil {
		return err
	}
	static, ok := x.staticData()
	if !ok {
		return recErr("the records for offline data authentication are not usable")
	}
	ctx := x.certContext()
	if x.oda.sm {
		if err := x.need(TagICCCert); err != nil {
			return err
		}
		k, err := RecoverICCKeySM2(x.oda.issuer.sm2, x.db.Get(TagICCCert), static, ctx)
		if err != nil {
			return err
		}
		x.oda.icc = pubKey{sm2: k}
		return nil
	}
	if err := x.need(TagICCCert, TagICCExp); err != nil {
		return err
	}
	k, err := RecoverICCKey(x.oda.issuer.rsa, x.db.Get(TagICCCert), x.db.Get(TagICCRemainder), x.db.Get(TagICCExp), static, ctx)
	if err != nil {
		return err
	}
	x.oda.icc = pubKey{rsa: k}
	return nil
}

// verifyDynamic checks signed dynamic data with the ICC key and returns the
// ICC dynamic data.
func (x *txn) verifyDynamic(sdad, terminalData []byte) ([]byte, error) {
	if x.oda.sm {
		return VerifySDADSM2(x.oda.icc.sm2, sdad, terminalData)
	}
	return RecoverSDAD(x.oda.icc.rsa, sdad, terminalData)
}

// storeDynNumber keeps the ICC dynamic number (9F4C) from ICC dynamic data.
func (x *txn) storeDynNumber(dyn []byte) error {
	if len(dyn) < 1 || int(dyn[0]) < 2 || int(dyn[0]) > 8 || len(dyn) < 1+int(dyn[0]) {
		return recErr("ICC dynamic data % X has no valid ICC dynamic number", dyn)
	}
	x.db.put(TagICCDynNumber, dyn[1:1+int(dyn[0])], FromCard)
	return nil
}

// odaFailed records a failure of method m.
func (x *txn) odaFailed(m ODAMethod, err error) {
	x.res.ODA, x.res.ODAOK = m, false
	if errors.Is(err, errMissing) {
		x.res.TVR.Set(TVRICCDataMissing)
	}
	switch m {
	case SDA:
		x.res.TVR.Set(TVRSDAFailed)
	case DDA, FDDA:
		x.res.TVR.Set(TVRDDAFailed)
	case CDA:
		x.res.TVR.Set(TVRCDAFailed)
	}
}

// offlineAuth performs the contact kernel's offline data authentication
// (EMV Book 3 §10.3): CDA when card and terminal support it (its signature
// comes with GENERATE AC; the keys are recovered here), else DDA, else
// SDA. It returns the error of a failed method, for the result; failure
// does not end the transaction (the action analysis weighs the TVR).
func (x *txn) offlineAuth() error {
	caps := x.cfg.Capabilities[2]
	var m ODAMethod
	switch {
	case x.aip[0]&aipCDA != 0 && caps&capCDA != 0:
		m = CDA
	case x.aip[0]&aipDDA != 0 && caps&capDDA != 0:
		m = DDA
	case x.aip[0]&aipSDA != 0 && caps&capSDA != 0:
		m = SDA
	default:
		x.res.TVR.Set(TVRODANotPerformed)
		return nil
	}
	x.res.TSI.Set(TSIODA)
	var err error
	switch m {
	case SDA:
		x.res.TVR.Set(TVRSDASelected)
		err = x.sda()
	case DDA:
		err = x.dda()
	case CDA:
		if err = x.recoverICC(); err == nil {
			x.cdaAsked = true
		}
	}
	if err != nil {
		x.odaFailed(m, err)
		return fmt.Errorf("%s: %w", m, err)
	}
	x.res.ODA, x.res.ODAOK = m, m != CDA // CDA completes with GENERATE AC
	return nil
}

func (x *txn) sda() error {
	if err := x.recoverIssuer(); err != nil {
		return err
	}
	if err := x.need(TagSSAD); err != nil {
		return err
	}
	static, ok := x.staticData()
	if !ok {
		return recErr("the records for offline data authentication are not usable")
	}
	var dac []byte
	var err error
	if x.oda.sm {
		dac, err = VerifySSADSM2(x.oda.issuer.sm2, x.db.Get(TagSSAD), static)
	} else {
		dac, err = VerifySSAD(x.oda.issuer.rsa, x.db.Get(TagSSAD), static)
	}
	if err != nil {
		return err
	}
	x.db.put(TagDAC, dac, FromCard)
	return nil
}

// defaultDDOL is the terminal's DDOL for cards without one.
var defaultDDOL = DOL{{Tag: TagUN, Len: 4}}

func (x *txn) dda() error {
	if err := x.recoverICC(); err != nil {
		return err
	}
	ddol := defaultDDOL
	if raw, ok := x.db.Lookup(TagDDOL); ok {
		d, err := ParseDOL(raw)
		if err != nil {
			return recErr("DDOL: %v", err)
		}
		ddol = d
	}
	if !ddol.Has(TagUN) {
		return recErr("the DDOL does not ask for the unpredictable number")
	}
	data := ddol.Build(x.db)
	r, err := x.send("INTERNAL AUTHENTICATE", iso7816.Command{CLA: 0x00, INS: 0x88, Data: data, Ne: 256})
	if err != nil {
		return err
	}
	if r.SW != iso7816.SWOK {
		return recErr("INTERNAL AUTHENTICATE answered %04X", uint16(r.SW))
	}
	t, v, ok := responseTemplate(r.Data)
	if !ok {
		return recErr("INTERNAL AUTHENTICATE response is not one 80 or 77 template")
	}
	sdad := v
	if t == TagRMTF2 {
		if sdad, ok = iso7816.Find(v, TagSDAD); !ok {
			return recErr("INTERNAL AUTHENTICATE response without 9F4B")
		}
	}
	x.db.put(TagSDAD, sdad, FromCard)
	dyn, err := x.verifyDynamic(sdad, data)
	if err != nil {
		return err
	}
	return x.storeDynNumber(dyn)
}

// fdda verifies the contactless signature the card returned with GPO over
// UN, amount, currency and, for fDDA version 01, the card authentication
// related data (JR/T 0025.12 §7.8; EMV Book C-3 §C.3).
func (x *txn) fdda() error {
	x.res.TSI.Set(TSIODA)
	if err := x.need(TagSDAD); err != nil {
		return err
	}
	if err := x.recoverICC(); err != nil {
		return err
	}
	data := x.fddaData()
	dyn, err := x.verifyDynamic(x.db.Get(TagSDAD), data)
	if err != nil {
		return err
	}
	if err := x.storeDynNumber(dyn); err != nil {
		return err
	}
	if cad := x.db.Get(TagCardAuthData); len(cad) >= 5 && cad[0] == 0x01 {
		// fDDA 01: the card's unpredictable number in 9F69 must be the
		// ICC dynamic number it signed.
		if !bytes.Equal(cad[1:5], x.db.Get(TagICCDynNumber)) {
			return recErr("card authentication related data does not match the ICC dynamic number")
		}
	}
	return nil
}

// fddaData is the terminal dynamic data of fDDA.
func (x *txn) fddaData() []byte {
	out := make([]byte, 0, 32)
	out = append(out, x.db.Get(TagUN)...)
	out = append(out, x.db.Get(TagAmount)...)
	out = append(out, x.db.Get(TagCurrency)...)
	if cad := x.db.Get(TagCardAuthData); len(cad) > 0 && cad[0] == 0x01 {
		out = append(out, cad...)
	}
	return out
}

// txDataHash is the transaction data hash code of CDA (EMV Book 2
// §6.6.1): SHA-1 on the RSA path, SM3 on the SM path, of the PDOL data,
// the CDOL data of this and the first GENERATE AC, and the response's data
// objects but the signature.
func (x *txn) txDataHash(cdol2 []byte, resp []byte) []byte {
	var parts [][]byte
	parts = append(parts, x.pdolData, x.cdol1)
	if cdol2 != nil {
		parts = append(parts, cdol2)
	}
	p := iso7816.NewParser(resp)
	for !p.Empty() {
		before := p.Rest()
		var t Tag
		if !p.ReadTLV(&t, nil) {
			break
		}
		if t != TagSDAD {
			parts = append(parts, before[:len(before)-len(p.Rest())])
		}
	}
	if x.oda.sm {
		h := sm3.New()
		for _, b := range parts {
			h.Write(b)
		}
		return h.Sum(nil)
	}
	return sha1Of(parts...)
}

// verifyCDA checks the signature of a GENERATE AC response (EMV Book 2
// §6.6.2) and returns the application cryptogram it carries.
func (x *txn) verifyCDA(cid byte, cdol2, resp []byte) ([]byte, error) {
	sdad, ok := iso7816.Find(resp, TagSDAD)
	if !ok {
		return nil, fmt.Errorf("%w: %w: GENERATE AC response without 9F4B", ErrRecovery, errMissing)
	}
	dyn, err := x.verifyDynamic(sdad, x.db.Get(TagUN))
	if err != nil {
		return nil, err
	}
	hl := 20
	if x.oda.sm {
		hl = 32
	}
	if len(dyn) < 1 || len(dyn) != 1+int(dyn[0])+1+8+hl {
		return nil, recErr("CDA ICC dynamic data of %d bytes", len(dyn))
	}
	if err := x.storeDynNumber(dyn); err != nil {
		return nil, err
	}
	p := 1 + int(dyn[0])
	if dyn[p] != cid {
		return nil, recErr("CDA signed CID %02X, the response has %02X", dyn[p], cid)
	}
	ac := dyn[p+1 : p+9]
	if !bytes.Equal(dyn[p+9:], x.txDataHash(cdol2, resp)) {
		return nil, recErr("CDA transaction data hash code does not match")
	}
	return append([]byte(nil), ac...), nil
}
