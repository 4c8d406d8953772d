package emv

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// simCard is a small EMV card for the kernel's own tests, independent of
// the model card: the data model of CARD.md §5 as package emulator/pay
// documents it (PSE, PPSE, the debit AID, the DOLs, AFLs and records, the
// IAD and cryptogram input), signed with the test keys of vectors/pay
// through paycrypto, so the kernel's verification is checked against the
// card side's formats. Knobs let tests break one thing at a time.
type simCard struct {
	t testing.TB

	// knobs
	noPSE      bool // SELECT PSE answers 6A82
	appBlocked bool // application blocked: AAC only
	cardBlock  bool // every command answers 6A81
	sw6283     bool // SELECT AID answers 6283
	aip        [2]byte
	balance    uint64 // e-cash balance
	pin        string
	tries      int
	rsaOnly    bool // no SM path: DF69 not in the PDOL
	badFDDA    bool // corrupt the fDDA signature
	badAC      bool // corrupt the cryptograms
	format2    bool // GENERATE AC answers format 2

	// state
	sm        bool
	quics     bool
	atc       uint16
	gpoData   []byte
	acCount   int
	lastAC    []byte
	firstAC   []byte
	cdol1     []byte
	lastCVR   [4]byte
	amount    uint64
	rng       *rand.ChaCha8
	keys      *simKeys
	log       [][]byte
	scriptRun []byte // INS of the script commands accepted
}

const (
	simTrack2 = simPAN + "D3012201000000000F"
	simPAN    = "6212345678901234"
	simPSN    = "01"
)

var simAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}

// simKeys are the test keys and the certificates made from them.
type simKeys struct {
	caRSA, issuerRSA, iccRSA *rsa.PrivateKey
	caSM2, issuerSM2, iccSM2 *sm2.PrivateKey
	imk                      map[Alg]*IssuerKeys
}

var (
	simKeysOnce sync.Once
	simKeysVal  *simKeys
	simKeysErr  error
)

func loadSimKeys() (*simKeys, error) {
	simKeysOnce.Do(func() {
		k := &simKeys{}
		var err error
		get := func(name string) *rsa.PrivateKey {
			if err != nil {
				return nil
			}
			var key *rsa.PrivateKey
			key, err = testpay.RSAKey(name)
			return key
		}
		gets := func(name string) *sm2.PrivateKey {
			if err != nil {
				return nil
			}
			var key *sm2.PrivateKey
			key, err = testpay.SM2Key(name)
			return key
		}
		k.caRSA, k.issuerRSA, k.iccRSA = get(testpay.CARSA), get(testpay.IssuerRSA), get(testpay.CardRSA("01160185D3A5C7E9"))
		k.caSM2, k.issuerSM2, k.iccSM2 = gets(testpay.CASM2), gets(testpay.IssuerSM2), gets(testpay.CardSM2("01160185D3A5C7E9"))
		k.imk = map[Alg]*IssuerKeys{
			AlgDES: {AC: mustHex("0123456789ABCDEFFEDCBA9876543210"), MAC: mustHex("11111111111111112222222222222222"), ENC: mustHex("33333333333333334444444444444444")},
			AlgSM4: {AC: mustHex("00112233445566778899AABBCCDDEEFF"), MAC: mustHex("0F0E0D0C0B0A09080706050403020100"), ENC: mustHex("FFEEDDCCBBAA99887766554433221100")},
		}
		simKeysVal, simKeysErr = k, err
	})
	return simKeysVal, simKeysErr
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func newSimCard(t testing.TB) *simCard {
	t.Helper()
	k, err := loadSimKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &simCard{t: t, keys: k, aip: [2]byte{0x7D, 0x00}, balance: 50000, pin: "1234", tries: 3,
		rng: rand.NewChaCha8([32]byte{1})}
}

// simConfig is the terminal that trusts the test CAs and talks to an
// issuer with the sim card's keys.
func simConfig(t testing.TB) (Config, *Issuer) {
	t.Helper()
	k, err := loadSimKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.CAKeys = []CAKey{
		{RID: UnionPay, Index: 0xF1, RSA: &k.caRSA.PublicKey},
		{RID: UnionPay, Index: 0xF2, SM2: &k.caSM2.PublicKey},
	}
	cfg.Rand = rand.NewChaCha8([32]byte{2})
	cfg.Now = fixedNow
	is := &Issuer{DES: k.imk[AlgDES], SM: k.imk[AlgSM4]}
	cfg.Host = is
	return cfg, is
}

func tlv(t Tag, v []byte) []byte {
	var b iso7816.Builder
	b.AddTLV(t, v)
	out, err := b.Bytes()
	if err != nil {
		panic(err)
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ok(data []byte) []byte { return append(append([]byte(nil), data...), 0x90, 0x00) }

func sw(s uint16) []byte { return []byte{byte(s >> 8), byte(s)} }

var simPDOL = mustHex("9F66049F02069F03069F1A0295055F2A029A039C019F37049F7A01")

func (c *simCard) pdol() []byte {
	if c.rsaOnly {
		return simPDOL
	}
	return cat(simPDOL, mustHex("DF6901"))
}

// records returns the records of one SFI on the current path.
func (c *simCard) record(sfi, n byte) []byte {
	panBCD := mustHex(simPAN)
	switch {
	case sfi == 1 && n == 1:
		return cat(tlv(TagTrack2, mustHex(simTrack2)), tlv(0x5F20, []byte("TEST/CARD")))
	case sfi == 1 && n == 2:
		return cat(tlv(0x9F61, []byte("110101199001011234")), tlv(0x9F62, []byte{0}))
	case sfi == 2 && n == 1:
		return c.static1()
	case sfi == 2 && n == 2:
		return c.static2()
	case sfi == 2 && n == 3:
		return cat(tlv(TagCDOL1, mustHex("9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14")),
			tlv(TagCDOL2, mustHex("8A0295059F3704")), tlv(TagDDOL, mustHex("9F3704")), tlv(TagSDATagList, []byte{0x82}))
	case sfi == 2 && n == 4:
		return cat(tlv(TagLCOL, []byte{0x05}), tlv(TagUCOL, []byte{0x0A}), tlv(0x9F51, []byte{0x01, 0x56}))
	case sfi == 3 && n == 1:
		return cat(tlv(TagCAIndex, []byte{0xF1}), tlv(TagIssuerExp, []byte{1, 0, 1}))
	case sfi == 3 && n == 2:
		cert, _ := c.rsaIssuerCert()
		return tlv(TagIssuerCert, cert)
	case sfi == 3 && n == 3:
		return tlv(TagSSAD, c.rsaSSAD())
	case sfi == 3 && n == 4:
		cert, _ := c.rsaICCCert()
		return tlv(TagICCCert, cert)
	case sfi == 3 && n == 5:
		_, rem := c.rsaICCCert()
		return cat(tlv(TagICCExp, []byte{1, 0, 1}), tlv(TagICCRemainder, rem))
	case sfi == 4 && n == 1:
		return tlv(TagECIssuerAuth, []byte("ECC001"))
	case sfi == 5 && n == 1:
		return tlv(TagCAIndex, []byte{0xF2})
	case sfi == 5 && n == 2:
		return tlv(TagIssuerCert, c.smIssuerCert())
	case sfi == 5 && n == 3:
		return tlv(TagSSAD, c.smSSAD())
	case sfi == 5 && n == 4:
		return tlv(TagICCCert, c.smICCCert())
	}
	_ = panBCD
	return nil
}

func (c *simCard) static1() []byte {
	return cat(tlv(TagPAN, mustHex(simPAN)), tlv(TagExpiry, mustHex("301231")), tlv(TagEffective, mustHex("200101")),
		tlv(TagPSN, mustHex(simPSN)), tlv(TagIssuerCountry, []byte{0x01, 0x56}), tlv(TagAUC, []byte{0xFF, 0x00}),
		tlv(TagAppVersion, []byte{0x00, 0x30}), tlv(TagServiceCode, []byte{0x02, 0x20}))
}

func (c *simCard) static2() []byte {
	return cat(tlv(TagCVMList, mustHex("00000000000000004103"+"1E031F00")),
		tlv(TagIACDefault, mustHex("D84000A800")), tlv(TagIACDenial, mustHex("0010000000")),
		tlv(TagIACOnline, mustHex("D84004F800")), tlv(TagAppCurrency, []byte{0x01, 0x56}), tlv(0x9F44, []byte{0x02}))
}

// staticData is what the certificates sign: SFI 2 records 1-2 and the AIP.
func (c *simCard) staticData() []byte { return cat(c.static1(), c.static2(), c.aip[:]) }

func (c *simCard) alg() Alg {
	if c.sm {
		return AlgSM4
	}
	return AlgDES
}

// cryptogram computes an AC with paycrypto (the card side's code).
func (c *simCard) cryptogram(dolData []byte) []byte {
	a := paycrypto.DES
	if c.sm {
		a = paycrypto.SM4
	}
	mk, err := paycrypto.CardKey(a, c.keys.imk[c.alg()].AC, simPAN, simPSN)
	if err != nil {
		c.t.Fatal(err)
	}
	sk, err := paycrypto.ACSessionKey(a, mk, c.atc)
	if err != nil {
		c.t.Fatal(err)
	}
	in := cat(dolData, c.aip[:], []byte{byte(c.atc >> 8), byte(c.atc)}, c.lastCVR[:])
	ac, err := paycrypto.MAC(a, sk, in)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.badAC {
		ac[0] ^= 0xFF
	}
	c.lastAC = ac
	return ac
}

func (c *simCard) iad() []byte {
	cvn := byte(0x01)
	if c.sm {
		cvn = 0x04
	}
	return cat([]byte{0x07, 0x01, cvn}, c.lastCVR[:], []byte{cvn, 0x0A, 0x01}, bcdAmount(c.balance)[:], []byte{0, 0, 0})
}

func (c *simCard) afl() []byte {
	if c.sm {
		return mustHex("08010200100104022001010028010400")
	}
	return mustHex("08010200100104021801050020010100")
}

// Transmit implements terminal.Transport.
func (c *simCard) Transmit(apdu []byte) ([]byte, error) {
	c.log = append(c.log, append([]byte(nil), apdu...))
	cmd, err := iso7816.ParseCommand(apdu)
	if err != nil {
		return sw(0x6700), nil
	}
	if c.cardBlock {
		return sw(0x6A81), nil
	}
	switch cmd.INS {
	case 0xA4:
		return c.selectFile(cmd), nil
	case 0xA8:
		return c.gpo(cmd), nil
	case 0xB2:
		if cmd.P2&0x07 != 0x04 {
			return sw(0x6A86), nil
		}
		r := c.record(cmd.P2>>3, cmd.P1)
		if r == nil {
			return sw(0x6A83), nil
		}
		return ok(tlv(TagRecord, r)), nil
	case 0xCA:
		return c.getData(cmd), nil
	case 0x20:
		return c.verify(cmd), nil
	case 0x88:
		dyn := append([]byte{0x08}, c.idn(8)...)
		return ok(tlv(TagRMTF1, c.signDynamic(dyn, cmd.Data))), nil
	case 0xAE:
		return c.generateAC(cmd), nil
	case 0x82:
		return c.externalAuth(cmd), nil
	case 0x1E, 0x18:
		return c.script(cmd), nil
	}
	return sw(0x6D00), nil
}

func (c *simCard) idn(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(c.rng.Uint64())
	}
	return b
}

func (c *simCard) selectFile(cmd iso7816.Command) []byte {
	switch {
	case bytes.Equal(cmd.Data, PSEName):
		if c.noPSE {
			return sw(0x6A82)
		}
		return ok(tlv(TagFCI, cat(tlv(TagDFName, PSEName), tlv(TagFCIProp, cat(tlv(TagSFI, []byte{1}), tlv(TagLanguage, []byte("zhen")))))))
	case bytes.Equal(cmd.Data, PPSEName):
		entry := tlv(TagDirEntry, cat(tlv(TagAID, simAID), tlv(TagLabel, []byte("UICS DEBIT")), tlv(TagPriority, []byte{1})))
		return ok(tlv(TagFCI, cat(tlv(TagDFName, PPSEName), tlv(TagFCIProp, tlv(TagFCIDiscret, entry)))))
	case bytes.HasPrefix(simAID, cmd.Data) && cmd.P2 == 0x00:
		c.gpoData, c.acCount, c.quics = nil, 0, false
		fci := tlv(TagFCI, cat(tlv(TagDFName, simAID), tlv(TagFCIProp, cat(tlv(TagLabel, []byte("UICS DEBIT")),
			tlv(TagPriority, []byte{1}), tlv(TagPDOL, c.pdol()), tlv(TagLanguage, []byte("zhen"))))))
		if c.sw6283 {
			return append(fci, 0x62, 0x83)
		}
		return ok(fci)
	}
	return sw(0x6A82)
}

func (c *simCard) gpo(cmd iso7816.Command) []byte {
	if c.gpoData != nil {
		return sw(0x6985)
	}
	v, okT := template(cmd.Data, TagCommandTemplate)
	if !okT {
		return sw(0x6A80)
	}
	pdol, _ := ParseDOL(c.pdol())
	if len(v) != pdol.DataLen() {
		return sw(0x6700)
	}
	c.gpoData = v
	m, _ := pdol.Split(v)
	c.sm = !c.rsaOnly && len(m[TagSMSupport]) == 1 && m[TagSMSupport][0] == 1
	ttq := m[TagTTQ]
	c.quics = ttq[0]&0x20 != 0
	c.amount, _ = decodeBCD(m[TagAmount])
	c.atc++
	if !c.quics {
		return ok(tlv(TagRMTF1, cat(c.aip[:], c.afl())))
	}
	cid := byte(TC)
	switch {
	case c.appBlocked:
		cid = byte(AAC)
	case ttq[1]&0x80 != 0, c.amount > c.balance:
		cid = byte(ARQC)
	}
	c.lastCVR = [4]byte{0x03, cid >> 2, 0x00, 0x00}
	ac := c.cryptogram(v)
	c.firstAC = ac
	var extra []byte
	if cid == byte(TC) {
		c.balance -= c.amount
		idn := c.idn(4)
		cad := cat([]byte{0x01}, idn, []byte{0x00, 0x00})
		term := cat(m[TagUN], m[TagAmount], m[TagCurrency], cad)
		sdad := c.signDynamic(append([]byte{0x04}, idn...), term)
		if c.badFDDA {
			sdad[len(sdad)-1] ^= 0x01
		}
		extra = cat(tlv(TagCardAuthData, cad), tlv(TagSDAD, sdad))
	}
	afl := c.afl()
	return ok(tlv(TagRMTF2, cat(tlv(TagAIP, c.aip[:]), tlv(TagAFL, afl), tlv(TagATC, []byte{byte(c.atc >> 8), byte(c.atc)}),
		tlv(TagCID, []byte{cid}), tlv(TagAC, ac), tlv(TagIAD, c.iad()), tlv(TagTrack2, mustHex(simTrack2)), tlv(TagPSN, mustHex(simPSN)),
		tlv(TagCTQ, []byte{0, 0}), tlv(TagOfflineAmount, bcdAmount(c.balance)), extra)))
}

func (c *simCard) getData(cmd iso7816.Command) []byte {
	t := Tag(cmd.P1)<<8 | Tag(cmd.P2)
	switch t {
	case TagECBalance:
		return ok(tlv(t, bcdAmount(c.balance)))
	case TagPINTry:
		return ok(tlv(t, []byte{byte(c.tries)}))
	case TagATC:
		return ok(tlv(t, []byte{byte(c.atc >> 8), byte(c.atc)}))
	case TagLastOnlineATC:
		return ok(tlv(t, []byte{0, 1}))
	}
	return sw(0x6A88)
}

func (c *simCard) verify(cmd iso7816.Command) []byte {
	if c.tries == 0 {
		return sw(0x6983)
	}
	want, _ := PlainPINBlock(c.pin)
	if bytes.Equal(cmd.Data, want) {
		c.tries = 3
		return sw(0x9000)
	}
	c.tries--
	return sw(0x63C0 | uint16(c.tries))
}

func (c *simCard) generateAC(cmd iso7816.Command) []byte {
	if c.gpoData == nil || c.quics || c.acCount >= 2 {
		return sw(0x6985)
	}
	c.acCount++
	want := Cryptogram(cmd.P1 & 0xC0)
	got := want
	if c.acCount == 1 {
		c.amount, _ = decodeBCD(cmd.Data[:6])
		if want == TC && c.amount > c.balance {
			got = ARQC
		}
		c.lastCVR = [4]byte{0x03, byte(got)>>2 | 0x80, 0, 0}
	} else {
		c.lastCVR[1] = c.lastCVR[1]&0x3F | byte(got)
	}
	if c.appBlocked {
		got = AAC
	}
	if got == TC && c.acCount == 1 {
		c.balance -= c.amount
	}
	ac := c.cryptogram(cmd.Data)
	if c.acCount == 1 {
		c.firstAC = ac
	}
	cid := byte(got)
	atc := []byte{byte(c.atc >> 8), byte(c.atc)}
	if cmd.P1&cdaRequest != 0 && got != AAC {
		head := cat(tlv(TagCID, []byte{cid}), tlv(TagATC, atc))
		tail := tlv(TagIAD, c.iad())
		h := paycrypto.TransactionHash(map[bool]paycrypto.Alg{true: paycrypto.SM4, false: paycrypto.DES}[c.sm],
			c.gpoData, c.firstCDOL(cmd.Data), head, tail)
		dyn := cat([]byte{0x08}, c.idn(8), []byte{cid}, ac, h)
		var un []byte
		if c.acCount == 2 {
			un = cmd.Data[len(cmd.Data)-4:]
		} else {
			un = cmd.Data[len(cmd.Data)-4-3-20 : len(cmd.Data)-3-20]
		}
		return ok(tlv(TagRMTF2, cat(head, tlv(TagSDAD, c.signDynamic(dyn, un)), tail)))
	}
	if c.format2 {
		return ok(tlv(TagRMTF2, cat(tlv(TagCID, []byte{cid}), tlv(TagATC, atc), tlv(TagAC, ac), tlv(TagIAD, c.iad()))))
	}
	return ok(tlv(TagRMTF1, cat([]byte{cid}, atc, ac, c.iad())))
}

// firstCDOL remembers the CDOL1 data for CDA's hash of the second AC.
func (c *simCard) firstCDOL(data []byte) []byte {
	if c.acCount == 1 {
		c.cdol1 = data
		return data
	}
	return cat(c.cdol1, data)
}

func (c *simCard) externalAuth(cmd iso7816.Command) []byte {
	if len(cmd.Data) != 10 || c.lastAC == nil {
		return sw(0x6985)
	}
	a := paycrypto.DES
	if c.sm {
		a = paycrypto.SM4
	}
	mk, _ := paycrypto.CardKey(a, c.keys.imk[c.alg()].AC, simPAN, simPSN)
	sk, _ := paycrypto.ACSessionKey(a, mk, c.atc)
	arpc, _ := paycrypto.ARPC(a, sk, c.lastAC, cmd.Data[8:])
	if !bytes.Equal(arpc, cmd.Data[:8]) {
		return sw(0x6300)
	}
	return sw(0x9000)
}

func (c *simCard) script(cmd iso7816.Command) []byte {
	if len(cmd.Data) < 4 || c.lastAC == nil {
		return sw(0x6985)
	}
	a := paycrypto.DES
	if c.sm {
		a = paycrypto.SM4
	}
	mk, _ := paycrypto.CardKey(a, c.keys.imk[c.alg()].MAC, simPAN, simPSN)
	sk, _ := paycrypto.ScriptSessionKey(a, mk, c.firstAC)
	mac, _ := paycrypto.ScriptMAC(a, sk, [4]byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2}, byte(len(cmd.Data)), c.atc, c.firstAC, cmd.Data[:len(cmd.Data)-4])
	if !bytes.Equal(mac, cmd.Data[len(cmd.Data)-4:]) {
		return sw(0x6988)
	}
	c.scriptRun = append(c.scriptRun, cmd.INS)
	if cmd.INS == 0x1E {
		c.appBlocked = true
	}
	return sw(0x9000)
}

func (c *simCard) String() string { return fmt.Sprintf("sim card ATC %d balance %d", c.atc, c.balance) }
