package pay

import (
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// card is what the payment applications of one layout share: the
// personalisation data, the records, the keys. Immutable after Build.
type card struct {
	pan, psn  string
	track2    []byte
	aip       [2]byte
	pdol      dol
	cdol1     dol
	cdol2     dol
	ddol      dol
	logFormat dol
	records   map[byte][][]byte
	currency  [2]byte
	dki       byte
	ctq       [2]byte
	ucol      int
	format    int
	sda       bool
	dda       bool
	cda       bool
	des, sm   *path
	logSize   int
	pinMax    int
	pinCell   int // the PIN block of the offline PIN (8 bytes)
	triesCell int // PIN tries left (1 byte)
	blockCell int // CARD BLOCK applied (1 byte)
}

// path is one algorithm path: its card keys, AFL and ODA keys.
type path struct {
	alg           paycrypto.Alg
	cvn, algID    byte
	mkAC, mkMAC   []byte
	mkENC         []byte
	afl           []byte
	rsaICC        *rsa.PrivateKey
	smICC         *sm2.PrivateKey
	staticData    []byte
	recordsSFI    byte
	staticRecords int
}

// Build adds the payment directories and applications under the MF of b,
// personalised from the profile's pay section (nothing when there is none).
func Build(b *cos.Builder, p *profile.Profile) error {
	if p.Pay == nil {
		return nil
	}
	if err := build(b, p); err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	return nil
}

func build(b *cos.Builder, p *profile.Profile) error {
	s := p.Pay
	c := &card{pan: s.PAN, psn: s.PSN, records: map[byte][][]byte{}, format: s.ResponseFormat,
		ucol: *s.UpperOfflineLimit, logSize: s.LogRecords, pinMax: s.PIN.MaxTries}
	copy(c.currency[:], bcd(s.Currency, 2))
	c.dki = mustHex(s.DKI)[0]
	copy(c.ctq[:], mustHex(s.CTQ))
	for _, o := range s.ODA {
		switch o {
		case "sda":
			c.sda = true
		case "dda":
			c.dda = true
		case "cda":
			c.cda = true
		}
	}
	pdol := mustHex(s.PDOL)
	if s.HasSM() {
		pdol = append(append([]byte(nil), pdol...), SMIndicatorEntry...)
	}
	var err error
	if c.pdol, err = parseDOL(pdol); err != nil {
		return fmt.Errorf("pdol: %w", err)
	}
	if c.pdol.size > 252 {
		return fmt.Errorf("pdol: %d bytes of data with DF69, more than 252", c.pdol.size)
	}
	c.cdol1, _ = parseDOL(DefaultCDOL1)
	c.cdol2, _ = parseDOL(DefaultCDOL2)
	c.ddol, _ = parseDOL(DefaultDDOL)
	c.logFormat, _ = parseDOL(LogFormat)
	c.aip = [2]byte{AIPCVM | AIPTRM | AIPIssuerAuth, 0}
	if c.sda {
		c.aip[0] |= AIPSDA
	}
	if c.dda {
		c.aip[0] |= AIPDDA
	}
	if c.cda {
		c.aip[0] |= AIPCDA
	}
	if s.AIP != "" {
		copy(c.aip[:], mustHex(s.AIP))
	}
	if err := c.staticRecords(p); err != nil {
		return err
	}
	if s.HasDES() {
		afl := mustHex("08010200100104021801050020010100")
		if s.AFL != "" {
			afl = mustHex(s.AFL)
		}
		if c.des, err = c.newPath(paycrypto.DES, s.DES, afl, SFIRSA); err != nil {
			return fmt.Errorf("des: %w", err)
		}
		if err := c.rsaRecords(s); err != nil {
			return fmt.Errorf("rsa: %w", err)
		}
	}
	if s.HasSM() {
		if c.sm, err = c.newPath(paycrypto.SM4, s.SM, mustHex("08010200100104022001010028010400"), SFISM); err != nil {
			return fmt.Errorf("sm: %w", err)
		}
		if err := c.smRecords(s); err != nil {
			return fmt.Errorf("sm2: %w", err)
		}
	}
	for _, pa := range []*path{c.des, c.sm} {
		if pa == nil {
			continue
		}
		if err := c.checkAFL(pa.afl); err != nil {
			return fmt.Errorf("afl: %w", err)
		}
	}
	blk, _ := paycrypto.MakePINBlock(s.PIN.Value)
	c.pinCell = b.AppCell(blk[:], paycrypto.PINBlock, true)
	c.triesCell = b.AppCell([]byte{byte(*s.PIN.TriesLeft)}, 1, true)
	c.blockCell = b.AppCell([]byte{0}, 1, true)
	c.directories(b, p)
	for _, a := range s.Applications {
		c.addADF(b, s, a)
	}
	return nil
}

func (c *card) newPath(alg paycrypto.Alg, k *profile.PayKeys, afl []byte, sfi byte) (*path, error) {
	pa := &path{alg: alg, afl: afl, recordsSFI: sfi, cvn: CVNDES, algID: AlgDES}
	if alg == paycrypto.SM4 {
		pa.cvn, pa.algID = CVNSM, AlgSM
	}
	for _, d := range []struct {
		dst  *[]byte
		imk  string
		name string
	}{{&pa.mkAC, k.AC, "ac"}, {&pa.mkMAC, k.MAC, "mac"}, {&pa.mkENC, k.Enc, "enc"}} {
		mk, err := paycrypto.CardKey(alg, mustHex(d.imk), c.pan, c.psn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = mk
	}
	static, err := c.staticData(afl)
	if err != nil {
		return nil, fmt.Errorf("afl: %w", err)
	}
	pa.staticData = static
	return pa, nil
}

// staticData is the static data to be authenticated (EMV Book 3 §10.3): the
// values of the AFL's ODA records, then the AIP (9F4A = 82).
func (c *card) staticData(afl []byte) ([]byte, error) {
	var out []byte
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi, first, n := afl[i]>>3, int(afl[i+1]), int(afl[i+3])
		for r := first; r < first+n; r++ {
			recs, ok := c.records[sfi]
			if !ok || r > len(recs) {
				return nil, fmt.Errorf("ODA record %d of SFI %d is not among the records of SFI 1, 2 and 4", r, sfi)
			}
			v, ok := iso7816.Find(recs[r-1], TagRecord)
			if !ok {
				return nil, fmt.Errorf("ODA record %d of SFI %d is not a template 70", r, sfi)
			}
			out = append(out, v...)
		}
	}
	return append(out, c.aip[:]...), nil
}

// checkAFL verifies that every record the AFL names exists.
func (c *card) checkAFL(afl []byte) error {
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi, first, last := afl[i]>>3, int(afl[i+1]), int(afl[i+2])
		if last > len(c.records[sfi]) || first < 1 {
			return fmt.Errorf("entry %X names records %d..%d of SFI %d, which has %d", afl[i:i+4], first, last, sfi, len(c.records[sfi]))
		}
	}
	return nil
}

// record builds a template 70.
func record(f func(b *iso7816.Builder)) []byte {
	var b iso7816.Builder
	b.AddConstructed(TagRecord, f)
	out, err := b.Bytes()
	if err != nil {
		panic("pay: record: " + err.Error())
	}
	return out
}

// staticRecords builds SFI 1, 2 and 4.
func (c *card) staticRecords(p *profile.Profile) error {
	s := p.Pay
	exp, eff := s.ExpiryDate[2:], s.EffectiveDate[2:]
	track2 := s.PAN + "D" + exp[:4] + s.ServiceCode + "00000"
	c.track2 = bcdF(track2, (len(track2)+1)/2)
	c.records[SFITrack] = [][]byte{
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagTrack2, c.track2)
			if s.CardholderName != "" {
				b.AddTLV(TagName, []byte(s.CardholderName))
			}
		}),
		record(func(b *iso7816.Builder) {
			if p.SSSE != nil {
				b.AddTLV(TagIDNumber, []byte(p.SSSE.Identity.SSN))
			}
			b.AddTLV(TagIDType, []byte{0})
		}),
	}
	c.records[SFIApp] = [][]byte{
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagPAN, bcdF(s.PAN, (len(s.PAN)+1)/2))
			b.AddTLV(TagExpiry, mustHex(exp))
			b.AddTLV(TagEffective, mustHex(eff))
			b.AddTLV(TagPSN, mustHex(s.PSN))
			b.AddTLV(TagIssuerCtry, bcd(s.Country, 2))
			b.AddTLV(TagAUC, mustHex(s.AUC))
			b.AddTLV(TagAppVersion, []byte{0x00, 0x30})
			b.AddTLV(TagServiceCode, bcd(s.ServiceCode, 2))
		}),
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagCVMList, mustHex(s.CVMList))
			b.AddTLV(TagIACDefault, mustHex(s.IACDefault))
			b.AddTLV(TagIACDenial, mustHex(s.IACDenial))
			b.AddTLV(TagIACOnline, mustHex(s.IACOnline))
			b.AddTLV(TagAppCurrency, c.currency[:])
			b.AddTLV(TagCurrencyExp, []byte{0x02})
		}),
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagCDOL1, DefaultCDOL1)
			b.AddTLV(TagCDOL2, DefaultCDOL2)
			b.AddTLV(TagDDOL, DefaultDDOL)
			b.AddTLV(TagSDATagList, []byte{byte(TagAIP)})
		}),
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagLCOL, []byte{byte(*s.LowerOfflineLimit)})
			b.AddTLV(TagUCOL, []byte{byte(*s.UpperOfflineLimit)})
			b.AddTLV(TagPBOCCurrency, c.currency[:])
		}),
	}
	c.records[SFIECash] = [][]byte{record(func(b *iso7816.Builder) { b.AddTLV(TagECashAuth, ECashAuthCode) })}
	return nil
}

// certificate fields shared by both chains [model]: the issuer identifier
// is the first 6 PAN digits F-padded, both certificates expire with the
// application, serial numbers 000001.
func (c *card) certFields(s *profile.Pay) (id [4]byte, pan [10]byte, exp [2]byte, serial [3]byte) {
	copy(id[:], bcdF(s.PAN[:6], 4))
	copy(pan[:], bcdF(s.PAN, 10))
	copy(exp[:], mustHex(s.ExpiryDate[4:6]+s.ExpiryDate[2:4]))
	serial = [3]byte{0, 0, 1}
	return
}

func caIndex(name string) (byte, error) {
	k, ok := testpay.Spec(name)
	if !ok || k.CAIndex == "" {
		return 0, fmt.Errorf("ca: %s is not a CA key of vectors/pay", name)
	}
	return mustHex(k.CAIndex)[0], nil
}

// rsaRecords makes the certificates of the RSA chain and SFI 3.
func (c *card) rsaRecords(s *profile.Pay) error {
	ca, err := testpay.RSAKey(s.RSA.CA)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	idx, err := caIndex(s.RSA.CA)
	if err != nil {
		return err
	}
	iss, err := testpay.RSAKey(s.RSA.Issuer)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	icc, err := testpay.RSAKey(s.RSA.ICC)
	if err != nil {
		return fmt.Errorf("icc: %w", err)
	}
	id, pan, exp, serial := c.certFields(s)
	issPub, iccPub := paycrypto.PublicOf(&iss.PublicKey), paycrypto.PublicOf(&icc.PublicKey)
	issCert, issRem, err := paycrypto.IssuerCertificate(ca, paycrypto.IssuerCert{IssuerID: id, Expiry: exp, Serial: serial, Key: issPub})
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	static := c.des.staticData
	iccCert, iccRem, err := paycrypto.ICCCertificate(iss, paycrypto.ICCCert{PAN: pan, Expiry: exp, Serial: serial, Key: iccPub}, static)
	if err != nil {
		return fmt.Errorf("icc: %w", err)
	}
	var dac [2]byte
	copy(dac[:], mustHex(s.DAC))
	ssad, err := paycrypto.SignStatic(iss, dac, static)
	if err != nil {
		return err
	}
	c.des.rsaICC = icc
	c.records[SFIRSA] = [][]byte{
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagCAIndex, []byte{idx})
			b.AddTLV(TagIssuerExp, issPub.Exponent)
			if len(issRem) > 0 {
				b.AddTLV(TagIssuerRem, issRem)
			}
		}),
		record(func(b *iso7816.Builder) { b.AddTLV(TagIssuerCert, issCert) }),
		record(func(b *iso7816.Builder) { b.AddTLV(TagSSAD, ssad) }),
		record(func(b *iso7816.Builder) { b.AddTLV(TagICCCert, iccCert) }),
		record(func(b *iso7816.Builder) {
			b.AddTLV(TagICCExp, iccPub.Exponent)
			if len(iccRem) > 0 {
				b.AddTLV(TagICCRem, iccRem)
			}
		}),
	}
	return nil
}

// seeded is the deterministic nonce source of a certificate of the SM
// chain: a ChaCha8 stream seeded by SHA-256 of what it signs.
func seeded(what string, data []byte) io.Reader {
	return mrand.NewChaCha8(sha256.Sum256(append([]byte("sscard pay sm2 "+what+" "), data...)))
}

// smRecords makes the certificates of the SM2 chain and SFI 5.
func (c *card) smRecords(s *profile.Pay) error {
	ca, err := testpay.SM2Key(s.SM2.CA)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	idx, err := caIndex(s.SM2.CA)
	if err != nil {
		return err
	}
	iss, err := testpay.SM2Key(s.SM2.Issuer)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	icc, err := testpay.SM2Key(s.SM2.ICC)
	if err != nil {
		return fmt.Errorf("icc: %w", err)
	}
	id, pan, exp, serial := c.certFields(s)
	static := c.sm.staticData
	issCert, err := paycrypto.SMIssuerCertificate(seeded("issuer", append(id[:], paycrypto.Point(&iss.PublicKey)...)), ca,
		paycrypto.SMCert{ID: id[:], Expiry: exp, Serial: serial, Key: &iss.PublicKey})
	if err != nil {
		return err
	}
	iccCert, err := paycrypto.SMICCCertificate(seeded("icc", append(append(pan[:], paycrypto.Point(&icc.PublicKey)...), static...)), iss,
		paycrypto.SMCert{ID: pan[:], Expiry: exp, Serial: serial, Key: &icc.PublicKey}, static)
	if err != nil {
		return err
	}
	var dac [2]byte
	copy(dac[:], mustHex(s.DAC))
	ssad, err := paycrypto.SMSignStatic(seeded("ssad", static), iss, dac, static)
	if err != nil {
		return err
	}
	c.sm.smICC = icc
	c.records[SFISM] = [][]byte{
		record(func(b *iso7816.Builder) { b.AddTLV(TagCAIndex, []byte{idx}) }),
		record(func(b *iso7816.Builder) { b.AddTLV(TagIssuerCert, issCert) }),
		record(func(b *iso7816.Builder) { b.AddTLV(TagSSAD, ssad) }),
		record(func(b *iso7816.Builder) { b.AddTLV(TagICCCert, iccCert) }),
	}
	return nil
}

func entry(b *iso7816.Builder, a profile.PayApp) {
	b.AddConstructed(TagDirEntry, func(b *iso7816.Builder) {
		b.AddTLV(TagAID, mustHex(a.AID))
		b.AddTLV(TagLabel, []byte(a.Label))
		b.AddTLV(TagPriority, []byte{byte(a.Priority)})
	})
}

func tlvs(f func(b *iso7816.Builder)) []byte {
	var b iso7816.Builder
	f(&b)
	out, err := b.Bytes()
	if err != nil {
		panic("pay: " + err.Error())
	}
	return out
}

// directories adds the PSE (with its directory file) and, on a card with a
// contactless interface, the PPSE.
func (c *card) directories(b *cos.Builder, p *profile.Profile) {
	s := p.Pay
	pse := b.DF(b.MF(), cos.DFSpec{AID: []byte(PSEName), Label: "PSE", App: directory{c}, FCIProprietary: tlvs(func(b *iso7816.Builder) {
		b.AddTLV(TagSFI, []byte{SFIDirPSE})
		b.AddTLV(TagLanguage, []byte("zhen"))
	})})
	var recs [][]byte
	size := 1
	for _, a := range s.Applications {
		r := record(func(b *iso7816.Builder) { entry(b, a) })
		recs = append(recs, r)
		size = max(size, len(r))
	}
	b.EF(pse, cos.EFSpec{SFI: SFIDirPSE, Label: "PSE directory", Structure: cos.LinearVariable,
		RecordSize: size, MaxRecords: len(recs), Records: recs,
		Access: cos.Access{Read: cos.Rule{Kind: cos.Free}, Update: cos.Rule{Kind: cos.Never}}})
	if !p.Interfaces.Contactless {
		return
	}
	b.DF(b.MF(), cos.DFSpec{AID: []byte(PPSEName), Label: "PPSE", App: directory{c}, FCIProprietary: tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFCIIssuer, func(b *iso7816.Builder) {
			for _, a := range s.Applications {
				if *a.Contactless {
					entry(b, a)
				}
			}
		})
	})})
}

// addADF adds one payment application with its own NVM state.
func (c *card) addADF(b *cos.Builder, s *profile.Pay, a profile.PayApp) {
	d := &adf{c: c, aid: mustHex(a.AID), ecash: *a.ECash}
	d.atcCell = b.AppCell(atcBytes(uint16(s.ATC)), 2, true)
	d.lastOnlineCell = b.AppCell([]byte{0, 0}, 2, true)
	d.offlineCell = b.AppCell([]byte{0}, 1, true)
	d.statusCell = b.AppCell([]byte{0, 0}, 2, true)
	e := s.ECash
	bal := uint64(e.Balance)
	if !d.ecash {
		bal = 0
	}
	d.balanceCell = b.AppCell(amountBytes(bal), 6, true)
	limits := make([]byte, 0, 24)
	for _, v := range []int64{e.BalanceLimit, e.SingleLimit, e.ResetThreshold, e.CVMLimit} {
		limits = append(limits, amountBytes(uint64(v))...)
	}
	d.limitsCell = b.AppCell(limits, 24, true)
	d.logHeadCell = b.AppCell([]byte{0, 0}, 2, true)
	for range c.logSize {
		d.logCells = append(d.logCells, b.AppCell(nil, c.logFormat.size, false))
	}
	b.DF(b.MF(), cos.DFSpec{AID: d.aid, Label: "payment " + strings.ToLower(a.Type) + " " + a.AID, App: d,
		FCIProprietary: tlvs(func(b *iso7816.Builder) {
			b.AddTLV(TagLabel, []byte(a.Label))
			b.AddTLV(TagPriority, []byte{byte(a.Priority)})
			b.AddTLV(TagPDOL, c.pdol.raw)
			b.AddTLV(TagLanguage, []byte("zhen"))
			b.AddConstructed(TagFCIIssuer, func(b *iso7816.Builder) {
				b.AddTLV(TagLogEntry, []byte{SFILog, byte(c.logSize)})
			})
		})})
}
