package pay_test

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

func TestDDA(t *testing.T) {
	for _, sm := range []bool{false, true} {
		c := newCard(t, "activated")
		c.ok(selectAID(debitAID))
		c.sw(h("0088000004 01020304 00"), iso7816.SWConditionsNotSatisfied) // before GPO
		x := contactTxn(10, sm)
		r := c.ok(gpoAPDU(x.pdolData()))
		static := readAFL(t, c, r[2:4], r[4:])
		un := h("CAFEBABE")
		c.sw(h("0088010004 CAFEBABE 00"), iso7816.SWWrongP1P2)
		c.sw(h("0088000000"), iso7816.SWWrongLength)
		sdad := find(t, c.ok(apdu(0, 0x88, 0, 0, un, true)), 0x80)
		if sm {
			dd, err := paycrypto.SMVerifyDynamic(smICCKey(t, c, static), sdad, un)
			if err != nil || len(dd) != 9 || dd[0] != 8 {
				t.Fatalf("SM DDA: %X %v", dd, err)
			}
			continue
		}
		dd, err := paycrypto.RecoverDynamic(rsaICCKey(t, c, static), sdad, un)
		if err != nil || len(dd) != 9 || dd[0] != 8 {
			t.Fatalf("DDA: %X %v", dd, err)
		}
		// Another challenge gives another signature.
		sdad2 := find(t, c.ok(apdu(0, 0x88, 0, 0, un, true)), 0x80)
		if bytes.Equal(sdad, sdad2) {
			t.Fatal("two DDA signatures are the same")
		}
	}
}

func TestCDA(t *testing.T) {
	for _, sm := range []bool{false, true} {
		c := newCard(t, "activated")
		c.ok(selectAID(debitAID))
		x := contactTxn(10, sm)
		r := c.ok(gpoAPDU(x.pdolData()))
		static := readAFL(t, c, r[2:4], r[4:])
		cdol1 := x.cdol1()
		resp := find(t, c.ok(apdu(0x80, 0xAE, 0x40|0x10, 0, cdol1, true)), 0x77)
		cid, atc, iad := find(t, resp, 0x9F27), find(t, resp, 0x9F36), find(t, resp, 0x9F10)
		if _, ok := iso7816.Find(resp, 0x9F26); ok {
			t.Fatal("a CDA answer with the cryptogram in clear")
		}
		var objs []byte
		for _, o := range []struct {
			tag byte
			v   []byte
		}{{0x27, cid}, {0x36, atc}, {0x10, iad}} {
			objs = append(objs, 0x9F, o.tag, byte(len(o.v)))
			objs = append(objs, o.v...)
		}
		alg, mk := paycrypto.DES, desAC
		if sm {
			alg, mk = paycrypto.SM4, smAC
		}
		tdhc := paycrypto.TransactionHash(alg, x.pdolData(), cdol1, nil, objs)
		var dd []byte
		var err error
		if sm {
			dd, err = paycrypto.SMVerifyDynamic(smICCKey(t, c, static), find(t, resp, 0x9F4B), h(x.un))
		} else {
			dd, err = paycrypto.RecoverDynamic(rsaICCKey(t, c, static), find(t, resp, 0x9F4B), h(x.un))
		}
		if err != nil {
			t.Fatalf("CDA signature: %v", err)
		}
		if dd[9] != cid[0] || !bytes.Equal(dd[18:], tdhc) {
			t.Fatalf("CDA dynamic data %X: CID or transaction data hash wrong", dd)
		}
		want, _ := paycrypto.Cryptogram(alg, cardKey(t, alg, mk), 1, cdol1, [2]byte{0x7D, 0}, cvrOf(iad))
		eq(t, "cryptogram inside the signature", dd[10:18], want)
	}
}

func TestCDANotForAAC(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
	r := c.ok(apdu(0x80, 0xAE, 0x00|0x10, 0, contactTxn(10, false).cdol1(), true))
	if r[0] != 0x80 || r[2] != 0x00 {
		t.Fatalf("AAC with CDA asked: %X", r)
	}
}

// TestEncipheredPIN enciphers the PIN block under the ICC public key as a
// terminal does (EMV Book 2 §7.2), with the card's GET CHALLENGE.
func TestEncipheredPIN(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	r := c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
	icc := rsaICCKey(t, c, readAFL(t, c, r[2:4], r[4:]))
	encipher := func(pin string, chal []byte) []byte {
		blk, _ := paycrypto.MakePINBlock(pin)
		m := make([]byte, len(icc.Modulus))
		m[0] = 0x7F
		copy(m[1:], blk[:])
		copy(m[9:], chal)
		rand.Read(m[17:])
		n := new(big.Int).SetBytes(icc.Modulus)
		v := new(big.Int).SetBytes(m)
		v.Mod(v, n)
		return v.Exp(v, new(big.Int).SetBytes(icc.Exponent), n).FillBytes(make([]byte, len(icc.Modulus)))
	}
	c.sw(apdu(0, 0x20, 0, 0x88, encipher("123456", make([]byte, 8)), false), iso7816.SWConditionsNotSatisfied) // no challenge
	chal := c.ok(h("0084000008"))
	c.ok(apdu(0, 0x20, 0, 0x88, encipher("123456", chal), false))
	chal = c.ok(h("0084000008"))
	c.sw(apdu(0, 0x20, 0, 0x88, encipher("111111", chal), false), iso7816.SWVerifyFailed|2)
	c.ok(h("0084000008"))
	c.sw(apdu(0, 0x20, 0, 0x88, encipher("123456", make([]byte, 8)), false), iso7816.SWWrongData) // another challenge
	c.sw(apdu(0, 0x20, 0, 0x88, make([]byte, 10), false), iso7816.SWWrongLength)
}

func TestQUICSDecisions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		edit    func(*txn)
		cid     byte
		ctq     string
	}{
		{"offline", "", func(x *txn) {}, 0x40, "0000"},
		{"offline-only reader", "", func(x *txn) { x.ttq = "28000000" }, 0x40, "0000"},
		{"online required", "", func(x *txn) { x.ttq = "26800000" }, 0x80, "0000"},
		{"online required, offline-only reader", "", func(x *txn) { x.ttq = "28800000" }, 0x00, "0000"},
		{"amount above balance", "", func(x *txn) { x.amount = 10001 }, 0x80, "0000"},
		{"amount above balance, offline-only reader", "", func(x *txn) { x.amount = 10001; x.ttq = "28000000" }, 0x00, "0000"},
		{"amount other", "", func(x *txn) { x.other = 1 }, 0x80, "0000"},
		{"foreign currency", "", func(x *txn) { x.currency = "0840" }, 0x80, "0000"},
		{"above CVM limit, online PIN reader", `"ecash":{"balance":50000,"cvmLimit":100}`, func(x *txn) { x.amount = 200; x.ttq = "24000000" }, 0x80, "8000"},
		{"above CVM limit, signature reader", `"ecash":{"balance":50000,"cvmLimit":100}`, func(x *txn) { x.amount = 200; x.ttq = "22000000" }, 0x40, "4000"},
		{"above single limit", `"ecash":{"balance":50000,"singleLimit":100}`, func(x *txn) { x.amount = 101 }, 0x80, "0000"},
		{"below reset threshold", `"ecash":{"balance":1000,"resetThreshold":950}`, func(x *txn) { x.amount = 100 }, 0x80, "0000"},
		{"below reset threshold, offline-only reader", `"ecash":{"balance":1000,"resetThreshold":950}`, func(x *txn) { x.amount = 100; x.ttq = "28000000" }, 0x40, "0000"},
		{"credit application", `"applications":[{"type":"credit"}]`, func(x *txn) {}, 0x80, "0000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCard(t, "activated")
			aid := debitAID
			if tc.profile != "" {
				c = fromJSON(t, `{"schema":1,"name":"t","extends":"activated","pay":{`+tc.profile+`}}`)
				if tc.name == "credit application" {
					aid = h("A000000333010102")
				}
			}
			c.ok(selectAID(aid))
			x := quicsTxn(100)
			tc.edit(&x)
			before := c.ok(h("80CA9F3600"))
			r := find(t, c.ok(gpoAPDU(x.pdolData())), 0x77)
			eq(t, "CID", find(t, r, 0x9F27), []byte{tc.cid})
			eq(t, "CTQ", find(t, r, 0x9F6C), h(tc.ctq))
			_, fdda := iso7816.Find(r, 0x9F4B)
			if fdda != (tc.cid == 0x40) {
				t.Fatalf("fDDA signature present: %v for CID %02X", fdda, tc.cid)
			}
			if before[4] != 0 || find(t, r, 0x9F36)[1] != 1 {
				t.Fatalf("ATC %X after %X", find(t, r, 0x9F36), before)
			}
		})
	}
}

func TestContactECash(t *testing.T) {
	c := fromJSON(t, `{"schema":1,"name":"ecash","extends":"activated","pay":{"pdol":"9F7A019F02065F2A029F3704"}}`)
	c.ok(selectAID(debitAID))
	gpo := h("01" + amt(300) + "0156" + "11223344" + "00")
	r := c.ok(gpoAPDU(gpo))
	if r[0] != 0x80 {
		t.Fatalf("GPO %X", r)
	}
	x := contactTxn(300, false)
	r = c.ok(apdu(0x80, 0xAE, 0x40, 0, x.cdol1(), true))
	if r[2] != 0x40 {
		t.Fatalf("e-cash CID %02X, want TC", r[2])
	}
	eq(t, "balance", c.ok(h("80CA9F7900")), h("9F7906"+amt(10000-300)))
	eq(t, "IAD balance", r[13+10:13+16], h(amt(10000-300)))
	// An amount that changed since GPO is declined.
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(gpo))
	r = c.ok(apdu(0x80, 0xAE, 0x40, 0, contactTxn(301, false).cdol1(), true))
	if r[2] != 0x00 {
		t.Fatalf("changed amount: CID %02X, want AAC", r[2])
	}
	eq(t, "balance", c.ok(h("80CA9F7900")), h("9F7906"+amt(10000-300)))
}

// TestECashTwoChannels: a contact e-cash transaction on channel 0 and a
// qUICS one on channel 1 share the balance; the second to finish cannot
// spend what the first took.
func TestECashTwoChannels(t *testing.T) {
	c := fromJSON(t, `{"schema":1,"name":"ecash","extends":"activated","pay":{"pdol":"9F7A019F02065F2A029F3704"}}`)
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(h("01" + amt(6000) + "0156" + "11223344" + "00")))
	c.ok(h("0070000001"))
	c.ok(apdu(0x01, 0xA4, 0x04, 0x00, debitAID, true))
	c.ok(apdu(0x81, 0xA8, 0, 0, append([]byte{0x83, 14}, h("01"+amt(6000)+"0156"+"11223344"+"00")...), true))
	c.ok(apdu(0x81, 0xAE, 0x40, 0, contactTxn(6000, false).cdol1(), true))
	r := c.ok(apdu(0x80, 0xAE, 0x40, 0, contactTxn(6000, false).cdol1(), true))
	if r[2] != 0x00 {
		t.Fatalf("CID %02X, want AAC: the balance no longer covers the amount", r[2])
	}
	eq(t, "balance", c.ok(h("80CA9F7900")), h("9F7906"+amt(4000)))
}

func TestContactOfflineLimit(t *testing.T) {
	c := newCard(t, "activated")
	for i := range 4 {
		c.ok(selectAID(debitAID))
		x := contactTxn(10, false)
		c.ok(gpoAPDU(x.pdolData()))
		r := c.ok(apdu(0x80, 0xAE, 0x40, 0, x.cdol1(), true))
		want := byte(0x40)
		if i == 3 { // upper consecutive offline limit 3
			want = 0x80
		}
		if r[2] != want {
			t.Fatalf("transaction %d: CID %02X, want %02X", i+1, r[2], want)
		}
	}
}

func TestATCExhausted(t *testing.T) {
	c := fromJSON(t, `{"schema":1,"name":"old card","extends":"activated","pay":{"atc":65534}}`)
	c.ok(selectAID(debitAID))
	r := find(t, c.ok(gpoAPDU(quicsTxn(1).pdolData())), 0x77)
	eq(t, "last ATC", find(t, r, 0x9F36), h("FFFF"))
	c.ok(selectAID(debitAID))
	before := c.state()
	c.sw(gpoAPDU(quicsTxn(1).pdolData()), iso7816.SWConditionsNotSatisfied)
	c.sw(gpoAPDU(contactTxn(1, false).pdolData()), iso7816.SWConditionsNotSatisfied)
	if c.state() != before {
		t.Fatal("an exhausted ATC moved")
	}
}
