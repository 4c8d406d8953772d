package emv

import (
	"errors"
	"fmt"
)

// readApplication is what runs after each final selection: GPO and the
// records.
func (x *txn) readApplication() error {
	seen := seenTags{}
	if err := x.gpo(seen); err != nil {
		return err
	}
	return x.readRecords(seen)
}

// selected wraps the outcome of application selection: a card whose only
// applications answered 6283 has its application blocked.
func (x *txn) selected(err error) error {
	if err != nil && x.blocked && !errors.Is(err, ErrAppBlocked) && !isFatal(err) &&
		(errors.Is(err, ErrNoApplication) || errors.Is(err, ErrNotAccepted)) {
		return fmt.Errorf("%w: %w", ErrAppBlocked, err)
	}
	return err
}

// contact is the contact kernel (EMV Book 3 §10, JR/T 0025.5): selection
// through the PSE or the list of AIDs, GPO, records, offline data
// authentication, processing restrictions, cardholder verification,
// terminal risk management, action analysis, GENERATE AC and, for an ARQC,
// the online step with issuer authentication, scripts and the second
// GENERATE AC.
func (x *txn) contact() error {
	cands, err := x.pse()
	if err != nil {
		return x.selected(err)
	}
	if err := x.selected(x.chooseApp(cands, x.readApplication)); err != nil {
		return err
	}
	for _, t := range []Tag{TagExpiry, TagPAN, TagCDOL1, TagCDOL2} {
		if !x.db.Has(t) {
			return fmt.Errorf("%w: mandatory %s (%s) missing", ErrCardData, t, TagName(t))
		}
	}
	x.ecash = x.db.Has(TagECIssuerAuth) && x.ecashAsked()
	x.res.ECash = x.ecash
	x.offlineAuth() // failure is in the TVR; action analysis weighs it
	x.restrictions()
	if err := x.cardholderVerification(); err != nil {
		return err
	}
	if err := x.riskManagement(); err != nil {
		return err
	}
	want := x.actionAnalysis()
	got, err := x.generateAC(want, false)
	x.res.TSI.Set(TSICardRisk)
	if err != nil {
		if errors.Is(err, ErrODAFailed) {
			x.finish(DeclinedOffline)
		}
		return err
	}
	switch got {
	case TC:
		x.finish(ApprovedOffline)
		return nil
	case AAC:
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: the card returned an AAC (CID %X)", ErrDeclined, x.db.Get(TagCID))
	}
	return x.onlineContact()
}

// ecashAsked reports whether the terminal told the card, through the PDOL,
// that it supports electronic cash for this transaction (9F7A = 01).
func (x *txn) ecashAsked() bool {
	raw, ok := x.db.Lookup(TagPDOL)
	if !ok {
		return false
	}
	pdol, err := ParseDOL(raw)
	return err == nil && pdol.Has(TagECTermSupport) && x.db.Get(TagECTermSupport)[0] == 1
}

// contactless is the qUICS kernel (JR/T 0025.12; the flow of CARD.md §5):
// PPSE, final selection, GPO with the TTQ, records, then by the card's
// decision: an offline approval that the kernel accepts only after fDDA,
// an online request, or a decline.
func (x *txn) contactless() error {
	if x.tx.Amount > x.cfg.ContactlessLimit {
		return fmt.Errorf("%w: amount above the contactless transaction limit", ErrTryAnotherInterface)
	}
	cands, err := x.ppse()
	if err != nil {
		return x.selected(err)
	}
	if err := x.selected(x.chooseApp(cands, x.readApplication)); err != nil {
		return err
	}
	if x.pan() == nil {
		return fmt.Errorf("%w: no PAN (5A or 57)", ErrCardData)
	}
	if ac := x.db.Get(TagAC); len(ac) != 8 || len(x.db.Get(TagATC)) != 2 {
		return fmt.Errorf("%w: GPO response without an 8-byte cryptogram and a 2-byte ATC", ErrCardData)
	}
	got, err := x.qCryptogram()
	if err != nil {
		return err
	}
	x.res.Cryptogram, x.res.AC = got, append([]byte(nil), x.db.Get(TagAC)...)
	if v, ok := x.db.Lookup(TagOfflineAmount); ok {
		if n, good := decodeBCD(v); good {
			x.res.ECBalance = int64(n)
			x.res.ECash = true
		}
	}
	x.restrictions()
	switch got {
	case AAC:
		x.qCVM(false)
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: the card declined (AAC)", ErrDeclined)
	case ARQC:
		x.res.TVR.Set(TVRODANotPerformed)
		x.qCVM(true)
		return x.onlineContactless()
	}
	x.qCVM(false)
	if err := x.fdda(); err != nil {
		x.odaFailed(FDDA, err)
		ctq := x.db.Get(TagCTQ)
		switch {
		case len(ctq) == 2 && ctq[0]&0x20 != 0 && x.cfg.Host != nil:
			return x.onlineContactless()
		case len(ctq) == 2 && ctq[0]&0x10 != 0:
			x.finish(DeclinedOffline)
			return fmt.Errorf("%w: fDDA: %w (%w)", ErrODAFailed, err, ErrTryAnotherInterface)
		}
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: fDDA: %w", ErrODAFailed, err)
	}
	x.res.ODA, x.res.ODAOK = FDDA, true
	if x.res.TVR.Has(TVRExpired) {
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: expired application approved offline by the card", ErrDeclined)
	}
	if x.res.TVR.Has(TVRCVMFailed) {
		x.finish(DeclinedOffline)
		return fmt.Errorf("%w: cardholder verification required and not possible", ErrDeclined)
	}
	x.finish(ApprovedOffline)
	return nil
}

// qCryptogram finds the type of the GPO cryptogram: the CID (9F27) when
// the card returns one, else bits 6-5 of the second CVR byte of the
// issuer application data (the PBOC and VIS IAD layout: length, key index,
// cryptogram version, CVR 03 xx xx xx).
func (x *txn) qCryptogram() (Cryptogram, error) {
	if cid, ok := x.db.Lookup(TagCID); ok {
		if len(cid) != 1 || cid[0]&0xC0 == 0xC0 {
			return AAC, fmt.Errorf("%w: CID % X", ErrCardData, cid)
		}
		return Cryptogram(cid[0] & 0xC0), nil
	}
	iad := x.db.Get(TagIAD)
	if len(iad) < 5 || iad[3] != 0x03 {
		return AAC, fmt.Errorf("%w: no CID and no CVR in the issuer application data % X", ErrCardData, iad)
	}
	switch (iad[4] >> 4) & 0x03 {
	case 0:
		return AAC, nil
	case 1:
		return TC, nil
	case 2:
		return ARQC, nil
	}
	return AAC, fmt.Errorf("%w: CVR cryptogram type 11", ErrCardData)
}

// qCVM chooses the contactless CVM from the CTQ (9F6C) and the TTQ.
func (x *txn) qCVM(online bool) {
	ttq := x.db.Get(TagTTQ)
	ctq := x.db.Get(TagCTQ)
	x.res.TSI.Set(TSICVM)
	onlinePIN := len(ttq) == 4 && ttq[0]&0x04 != 0 && online
	signature := len(ttq) == 4 && ttq[0]&0x02 != 0
	required := len(ttq) == 4 && ttq[1]&0x40 != 0
	switch {
	case len(ctq) == 2 && ctq[0]&0x80 != 0 && onlinePIN:
		x.res.CVMResults = [3]byte{cvmOnlinePIN, 0x00, cvmResUnknown}
		x.res.TVR.Set(TVROnlinePINEntered)
	case len(ctq) == 2 && ctq[0]&0x40 != 0 && signature:
		x.res.CVMResults = [3]byte{cvmSignature, 0x00, cvmResUnknown}
	case required && onlinePIN:
		x.res.CVMResults = [3]byte{cvmOnlinePIN, 0x00, cvmResUnknown}
		x.res.TVR.Set(TVROnlinePINEntered)
	case required && signature:
		x.res.CVMResults = [3]byte{cvmSignature, 0x00, cvmResUnknown}
	case required:
		x.res.CVMResults = [3]byte{0x3F, 0x00, cvmResFailed}
		x.res.TVR.Set(TVRCVMFailed)
	default:
		x.res.CVMResults = [3]byte{cvmNone, 0x00, cvmResOK}
	}
}

// onlineContactless sends the GPO cryptogram to the issuer; the card is
// gone by then, so the issuer's answer is the outcome.
func (x *txn) onlineContactless() error {
	resp, err := x.askIssuer()
	switch {
	case err != nil:
		return err
	case resp == nil:
		x.finish(OnlineRequest)
		return nil
	case resp.Approved():
		x.finish(ApprovedOnline)
		return nil
	}
	x.finish(DeclinedOnline)
	return fmt.Errorf("%w: the issuer answered %q", ErrDeclined, resp.ARC[:])
}
