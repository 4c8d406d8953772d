package pay_test

import (
	"bytes"
	"crypto/ecdsa"
	"testing"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
	"github.com/sscard/sscard/vectors/pay/testpay"
)

// terminal is a minimal verifier of what the card says, written from the
// data model and paycrypto, with the keys of the profile: what an issuer
// host and a kernel know.
type terminal struct {
	t      testing.TB
	c      *tcard
	static []byte
	recs   map[byte][][]byte
}

const (
	desAC  = "5353434152442044455320494D4B4143"
	desMAC = "5353434152442044455320494D4B4D43"
	desENC = "5353434152442044455320494D4B454E"
	smAC   = "53534341524420534D3420494D4B4143"
	smMAC  = "53534341524420534D3420494D4B4D43"
	smENC  = "53534341524420534D3420494D4B454E"
	pan    = "6231230000000000015"
)

func cardKey(t testing.TB, alg paycrypto.Alg, imk string) []byte {
	t.Helper()
	k, err := paycrypto.CardKey(alg, h(imk), pan, "01")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// readAFL reads every record an AFL names and returns the static data to
// be authenticated (values of the ODA records, then the AIP).
func readAFL(t testing.TB, c *tcard, aip, afl []byte) []byte {
	t.Helper()
	var static []byte
	for i := 0; i+4 <= len(afl); i += 4 {
		for r := afl[i+1]; r <= afl[i+2]; r++ {
			rec := c.ok(apdu(0, 0xB2, r, afl[i]|4, nil, true))
			if int(r-afl[i+1]) < int(afl[i+3]) {
				static = append(static, find(t, rec, 0x70)...)
			}
		}
	}
	return append(static, aip...)
}

func record(t testing.TB, c *tcard, sfi, n byte) []byte {
	t.Helper()
	return c.ok(apdu(0, 0xB2, n, sfi<<3|4, nil, true))
}

// rsaICCKey recovers the ICC public key through the chain from the CA
// public key of capk.json.
func rsaICCKey(t testing.TB, c *tcard, static []byte) paycrypto.RSAPublicKey {
	t.Helper()
	r1 := record(t, c, 3, 1)
	capk, err := testpay.FindCAPK(hexByte(find(t, r1, 0x70, 0x8F)[0]))
	if err != nil {
		t.Fatal(err)
	}
	ca := paycrypto.RSAPublicKey{Modulus: testpay.Bytes(capk.Modulus), Exponent: testpay.Bytes(capk.Exponent)}
	rem, _ := iso7816.Find(r1, 0x70, 0x92)
	iss, err := paycrypto.RecoverIssuerCertificate(ca, find(t, record(t, c, 3, 2), 0x70, 0x90), rem, find(t, r1, 0x70, 0x9F32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := paycrypto.RecoverStatic(iss.Key, find(t, record(t, c, 3, 3), 0x70, 0x93), static); err != nil {
		t.Fatalf("SDA: %v", err)
	}
	r5 := record(t, c, 3, 5)
	irem, _ := iso7816.Find(r5, 0x70, 0x9F48)
	icc, err := paycrypto.RecoverICCCertificate(iss.Key, find(t, record(t, c, 3, 4), 0x70, 0x9F46), irem, find(t, r5, 0x70, 0x9F47), static)
	if err != nil {
		t.Fatal(err)
	}
	return icc.Key
}

// smICCKey verifies the SM2 chain from capk.json.
func smICCKey(t testing.TB, c *tcard, static []byte) *ecdsa.PublicKey {
	t.Helper()
	capk, err := testpay.FindCAPK(hexByte(find(t, record(t, c, 5, 1), 0x70, 0x8F)[0]))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := paycrypto.ParsePoint(testpay.Bytes(capk.Point))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := paycrypto.ParseSMIssuerCertificate(ca, find(t, record(t, c, 5, 2), 0x70, 0x90))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := paycrypto.SMVerifyStatic(iss.Key, find(t, record(t, c, 5, 3), 0x70, 0x93), static); err != nil {
		t.Fatalf("SDA: %v", err)
	}
	icc, err := paycrypto.ParseSMICCCertificate(iss.Key, find(t, record(t, c, 5, 4), 0x70, 0x9F46), static)
	if err != nil {
		t.Fatal(err)
	}
	return icc.Key
}

func hexByte(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func cvrOf(iad []byte) [3]byte { return [3]byte{iad[4], iad[5], iad[6]} }

func TestQUICSOfflineApprovalDES(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID([]byte("2PAY.SYS.DDF01")))
	c.ok(selectAID(debitAID))
	x := quicsTxn(1234)
	x.sm = 0
	r := find(t, c.ok(gpoAPDU(x.pdolData())), 0x77)
	if cid := find(t, r, 0x9F27); cid[0] != 0x40 {
		t.Fatalf("CID %X, want TC", cid)
	}
	atc := find(t, r, 0x9F36)
	eq(t, "ATC", atc, h("0001"))
	eq(t, "available offline amount", find(t, r, 0x9F5D), h(amt(10000-1234)))
	iad := find(t, r, 0x9F10)
	eq(t, "IAD head", iad[:4], h("07010103"))
	ac, err := paycrypto.Cryptogram(paycrypto.DES, cardKey(t, paycrypto.DES, desAC), 1, x.pdolData(), [2]byte{0x7D, 0}, cvrOf(iad))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "TC", find(t, r, 0x9F26), ac)
	static := readAFL(t, c, find(t, r, 0x82), find(t, r, 0x94))
	icc := rsaICCKey(t, c, static)
	cad := find(t, r, 0x9F69)
	tdd := append(append(append(h(x.un), h(amt(x.amount))...), h(x.currency)...), cad...)
	dd, err := paycrypto.RecoverDynamic(icc, find(t, r, 0x9F4B), tdd)
	if err != nil {
		t.Fatalf("fDDA: %v", err)
	}
	eq(t, "ICC dynamic number", dd, append([]byte{4}, cad[1:5]...))
	eq(t, "balance", c.ok(apdu(0x80, 0xCA, 0x9F, 0x79, nil, true)), h("9F7906"+amt(10000-1234)))
	// The log holds the transaction.
	lg := c.ok(apdu(0, 0xB2, 1, 11<<3|4, nil, true))
	eq(t, "log date", lg[:3], h(x.date))
	eq(t, "log amount", lg[6:12], h(amt(1234)))
	eq(t, "log ATC", lg[len(lg)-2:], atc)
}

func TestQUICSOfflineApprovalSM(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	x := quicsTxn(500)
	r := find(t, c.ok(gpoAPDU(x.pdolData())), 0x77)
	iad := find(t, r, 0x9F10)
	eq(t, "IAD head", iad[:4], h("07010403"))
	ac, err := paycrypto.Cryptogram(paycrypto.SM4, cardKey(t, paycrypto.SM4, smAC), 1, x.pdolData(), [2]byte{0x7D, 0}, cvrOf(iad))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "TC", find(t, r, 0x9F26), ac)
	afl := find(t, r, 0x94)
	eq(t, "SM AFL", afl, h("08010200100104022001010028010400"))
	static := readAFL(t, c, find(t, r, 0x82), afl)
	icc := smICCKey(t, c, static)
	cad := find(t, r, 0x9F69)
	tdd := append(append(append(h(x.un), h(amt(x.amount))...), h(x.currency)...), cad...)
	if _, err := paycrypto.SMVerifyDynamic(icc, find(t, r, 0x9F4B), tdd); err != nil {
		t.Fatalf("fDDA: %v", err)
	}
}

func TestContactOnlineTransaction(t *testing.T) {
	for _, sm := range []bool{false, true} {
		alg, ac, mac := paycrypto.DES, desAC, desMAC
		if sm {
			alg, ac, mac = paycrypto.SM4, smAC, smMAC
		}
		c := newCard(t, "activated")
		c.ok(selectAID([]byte("1PAY.SYS.DDF01")))
		dir := c.ok(apdu(0, 0xB2, 1, 0x0C, nil, true))
		eq(t, "directory AID", find(t, dir, 0x70, 0x61, 0x4F), debitAID)
		c.ok(selectAID(debitAID))
		x := quicsTxn(2000)
		x.ttq = "00000000"
		x.sm = 0
		if sm {
			x.sm = 1
		}
		r := c.ok(gpoAPDU(x.pdolData()))
		if r[0] != 0x80 || len(r) != 2+2+16 {
			t.Fatalf("GPO %X, want format 1", r)
		}
		r = c.ok(apdu(0x80, 0xAE, 0x80, 0, x.cdol1(), true))
		if r[2] != 0x80 {
			t.Fatalf("CID %X, want ARQC", r[2])
		}
		iad := r[13:]
		mkAC := cardKey(t, alg, ac)
		want, _ := paycrypto.Cryptogram(alg, mkAC, 1, x.cdol1(), [2]byte{0x7D, 0}, cvrOf(iad))
		arqc := r[5:13]
		eq(t, "ARQC", arqc, want)
		sk, _ := paycrypto.ACSessionKey(alg, mkAC, 1)
		arpc, _ := paycrypto.ARPC(alg, sk, arqc, h("3030"))
		c.ok(apdu(0, 0x82, 0, 0, append(arpc, h("3030")...), false))
		// An issuer script: PUT DATA of the balance.
		smk, _ := paycrypto.ScriptSessionKey(alg, cardKey(t, alg, mac), arqc)
		val := h(amt(777))
		m, _ := paycrypto.ScriptMAC(alg, smk, [4]byte{0x04, 0xDA, 0x9F, 0x79}, 10, 1, arqc, val)
		c.ok(apdu(0x04, 0xDA, 0x9F, 0x79, append(val, m...), false))
		cdol2 := h("3030 0000000000 12345678")
		r = c.ok(apdu(0x80, 0xAE, 0x40, 0, cdol2, true))
		if r[2] != 0x40 {
			t.Fatalf("second CID %X, want TC", r[2])
		}
		want, _ = paycrypto.Cryptogram(alg, mkAC, 1, cdol2, [2]byte{0x7D, 0}, cvrOf(r[13:]))
		eq(t, "TC", r[5:13], want)
		eq(t, "last online ATC", c.ok(apdu(0x80, 0xCA, 0x9F, 0x13, nil, true)), h("9F13020001"))
		eq(t, "balance", c.ok(apdu(0x80, 0xCA, 0x9F, 0x79, nil, true)), h("9F7906"+amt(777)))
	}
}

// TestKnownContactGPO: the gen2 persona answers the contact GPO of CARD.md
// §5 with the known bytes.
func TestKnownContactGPO(t *testing.T) {
	c := newCard(t, "gen2")
	c.ok(selectAID(debitAID))
	r := c.ok(h("80A800000B8309" + "00" + "000000000100" + "0156" + "00"))
	eq(t, "GPO", r, h("80127C0008010200100104001801030020010100"))
	if _, sw := c.send(selectAID([]byte("2PAY.SYS.DDF01"))); sw != iso7816.SWFileNotFound {
		t.Fatalf("contact-only card has a PPSE: %04X", uint16(sw))
	}
}

func TestSeededCardsAnswerAlike(t *testing.T) {
	run := func() []byte {
		c := newCard(t, "activated")
		c.ok(selectAID(debitAID))
		return c.ok(gpoAPDU(quicsTxn(100).pdolData()))
	}
	if a, b := run(), run(); !bytes.Equal(a, b) {
		t.Fatalf("two cards WithSeed(1) answer\n%X\n%X", a, b)
	}
}
