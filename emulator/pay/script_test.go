package pay_test

import (
	"testing"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// online runs a contact transaction up to the ARQC and returns it.
func (c *tcard) online(x txn) []byte {
	c.t.Helper()
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(x.pdolData()))
	r := c.ok(apdu(0x80, 0xAE, 0x80, 0, x.cdol1(), true))
	if r[2] != 0x80 {
		c.t.Fatalf("CID %02X, want ARQC", r[2])
	}
	return r[5:13]
}

// scriptAPDU builds an issuer script command with its MAC.
func scriptAPDU(t testing.TB, alg paycrypto.Alg, macKey string, atc uint16, arqc []byte, cla, ins, p1, p2 byte, body []byte) []byte {
	t.Helper()
	sk, err := paycrypto.ScriptSessionKey(alg, cardKey(t, alg, macKey), arqc)
	if err != nil {
		t.Fatal(err)
	}
	lc := byte(len(body) + 4)
	m, err := paycrypto.ScriptMAC(alg, sk, [4]byte{cla, ins, p1, p2}, lc, atc, arqc, body)
	if err != nil {
		t.Fatal(err)
	}
	return apdu(cla, ins, p1, p2, append(append([]byte(nil), body...), m...), false)
}

func TestScriptsNeedACryptogram(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	c.sw(h("841E000004 01020304"), iso7816.SWConditionsNotSatisfied)
	c.ok(gpoAPDU(contactTxn(1, false).pdolData()))
	c.sw(h("841E000004 01020304"), iso7816.SWConditionsNotSatisfied)
	c.sw(h("801E000004 01020304"), iso7816.SWSecurityNotSatisfied)
}

func TestScriptsWrongMAC(t *testing.T) {
	for _, tc := range []struct {
		name string
		ins  byte
		cla  byte
		p1   byte
		p2   byte
		body []byte
	}{
		{"application block", 0x1E, 0x84, 0, 0, nil},
		{"card block", 0x16, 0x84, 0, 0, nil},
		{"pin unblock", 0x24, 0x84, 0, 0, nil},
		{"put data balance", 0xDA, 0x04, 0x9F, 0x79, h(amt(99999))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCard(t, "activated")
			arqc := c.online(contactTxn(10, false))
			before := c.state()
			good := scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, tc.cla, tc.ins, tc.p1, tc.p2, tc.body)
			bad := append([]byte(nil), good...)
			bad[len(bad)-1] ^= 1
			c.sw(bad, iso7816.SWSMDataIncorrect)
			if c.state() != before {
				t.Fatal("a script with a wrong MAC changed the state")
			}
			// Wrong length.
			c.sw(good[:len(good)-1], iso7816.SWWrongLength)
			// The card is still usable, and the CVR of the next
			// transaction tells the issuer a script failed.
			r := c.ok(apdu(0x80, 0xAE, 0x00, 0, h("3030 0000000000 12345678"), true))
			c.ok(selectAID(debitAID))
			c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
			r = c.ok(apdu(0x80, 0xAE, 0x80, 0, contactTxn(10, false).cdol1(), true))
			if cvr := r[13+4 : 13+7]; cvr[2]&0xF8 != 0x18 {
				t.Fatalf("CVR %X: want one script processed and a failure in byte 3", cvr)
			}
		})
	}
}

func TestApplicationBlockAndUnblock(t *testing.T) {
	c := newCard(t, "activated")
	arqc := c.online(contactTxn(10, false))
	c.ok(scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x84, 0x1E, 0, 0, nil))
	// Blocked: SELECT answers the FCI with 6283 (EMV Book 1 §12.3.3); a
	// terminal that goes on anyway gets a declined qUICS and an AAC.
	fci := c.sw(selectAID(debitAID), iso7816.SWWarnDeactivated)
	eq(t, "FCI of the blocked application", find(t, find(t, fci, 0x6F), 0x84), debitAID)
	r := find(t, c.ok(gpoAPDU(quicsTxn(10).pdolData())), 0x77)
	eq(t, "qUICS CID", find(t, r, 0x9F27), []byte{0x00})
	c.sw(selectAID(debitAID), iso7816.SWWarnDeactivated)
	c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
	r = c.ok(apdu(0x80, 0xAE, 0x80, 0, contactTxn(10, false).cdol1(), true))
	if r[2] != 0x00 {
		t.Fatalf("blocked application answered CID %02X", r[2])
	}
	// The issuer unblocks it in a transaction that ends with the AAC.
	c.ok(scriptAPDU(t, paycrypto.DES, desMAC, 3, r[5:13], 0x84, 0x18, 0, 0, nil))
	c.ok(selectAID(debitAID)) // 9000 again
	r = find(t, c.ok(gpoAPDU(quicsTxn(10).pdolData())), 0x77)
	eq(t, "qUICS CID after unblock", find(t, r, 0x9F27), []byte{0x40})
}

func TestCardBlock(t *testing.T) {
	c := newCard(t, "activated")
	arqc := c.online(contactTxn(10, false))
	c.ok(scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x84, 0x16, 0, 0, nil))
	// The application selected stays current, and refuses everything.
	c.sw(h("80CA9F3600"), iso7816.SWFuncNotSupported)
	c.sw(gpoAPDU(quicsTxn(10).pdolData()), iso7816.SWFuncNotSupported)
	c.sw(h("00B2010C00"), iso7816.SWFuncNotSupported)
	// Every payment SELECT answers 6A81 (EMV Book 3 §6.5.1): the
	// applications, the PSE and the PPSE.
	for _, name := range [][]byte{debitAID, []byte("1PAY.SYS.DDF01"), []byte("2PAY.SYS.DDF01")} {
		if d := c.sw(selectAID(name), iso7816.SWFuncNotSupported); len(d) != 0 {
			t.Errorf("SELECT %X after CARD BLOCK answered data %X", name, d)
		}
	}
	// The social security application goes on.
	c.ok(selectAID(h("7378312E73682EC9E7BBE1B1A3D5CF")))
	c.ok(h("00B2012C00"))
	// A refused SELECT leaves the current DF as it was.
	c.sw(selectAID(debitAID), iso7816.SWFuncNotSupported)
	c.ok(h("00B2012C00"))
	// After a power cycle too.
	c.PowerOff()
	c.PowerOn()
	c.sw(selectAID(debitAID), iso7816.SWFuncNotSupported)
	c.sw(selectAID([]byte("2PAY.SYS.DDF01")), iso7816.SWFuncNotSupported)
}

func plainPIN(pin string) []byte {
	b, err := paycrypto.MakePINBlock(pin)
	if err != nil {
		panic(err)
	}
	return apdu(0, 0x20, 0, 0x80, b[:], false)
}

func TestOfflinePIN(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	c.ok(plainPIN("123456"))
	c.sw(plainPIN("654321"), iso7816.SWVerifyFailed|2)
	c.sw(h("0020008000"), iso7816.SWVerifyFailed|2)
	eq(t, "9F17", c.ok(h("80CA9F1700")), h("9F170102"))
	c.ok(plainPIN("123456")) // resets the counter
	eq(t, "9F17", c.ok(h("80CA9F1700")), h("9F170103"))
	for _, tc := range []struct {
		name string
		apdu []byte
		sw   iso7816.Status
	}{
		{"control field 1", apdu(0, 0x20, 0, 0x80, h("161234FFFFFFFFFF"), false), iso7816.SWWrongData},
		{"length 3", apdu(0, 0x20, 0, 0x80, h("23123FFFFFFFFFFF"), false), iso7816.SWWrongData},
		{"length 13", apdu(0, 0x20, 0, 0x80, h("2D1234567890123F"), false), iso7816.SWWrongData},
		{"digit A", apdu(0, 0x20, 0, 0x80, h("2412A4FFFFFFFFFF"), false), iso7816.SWWrongData},
		{"filler 0", apdu(0, 0x20, 0, 0x80, h("24123400FFFFFFFF"), false), iso7816.SWWrongData},
		{"7 bytes", apdu(0, 0x20, 0, 0x80, h("241234FFFFFFFF"), false), iso7816.SWWrongLength},
		{"P2 00", apdu(0, 0x20, 0, 0x00, h("241234FFFFFFFFFF"), false), iso7816.SWWrongP1P2},
		{"P1 01", apdu(0, 0x20, 1, 0x80, h("241234FFFFFFFFFF"), false), iso7816.SWWrongP1P2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.on(t).sw(tc.apdu, tc.sw)
			eq(t, "no try spent", c.on(t).ok(h("80CA9F1700")), h("9F170103"))
		})
	}
	c.sw(plainPIN("0000"), iso7816.SWVerifyFailed|2)
	c.sw(plainPIN("0000"), iso7816.SWVerifyFailed|1)
	c.sw(plainPIN("0000"), iso7816.SWAuthBlocked)
	c.sw(plainPIN("123456"), iso7816.SWAuthBlocked)
	// PIN CHANGE/UNBLOCK by script: a new PIN and the counter reset.
	arqc := c.online(contactTxn(10, false))
	sk, _ := paycrypto.ScriptSessionKey(paycrypto.DES, cardKey(t, paycrypto.DES, desENC), arqc)
	enc, _ := paycrypto.EncipherPIN(paycrypto.DES, sk, "8888")
	c.sw(scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x84, 0x24, 0, 0x01, enc), iso7816.SWWrongP1P2)
	c.ok(scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x84, 0x24, 0, 0x02, enc))
	c.ok(plainPIN("8888"))
	c.sw(plainPIN("123456"), iso7816.SWVerifyFailed|2)
}

func TestPINUnblockSM(t *testing.T) {
	c := fromJSON(t, `{"schema":1,"name":"blocked pin","extends":"activated","pay":{"pin":{"value":"1234","triesLeft":0}}}`)
	c.ok(selectAID(debitAID))
	c.sw(plainPIN("1234"), iso7816.SWAuthBlocked)
	arqc := c.online(contactTxn(10, true))
	c.ok(scriptAPDU(t, paycrypto.SM4, smMAC, 1, arqc, 0x84, 0x24, 0, 0, nil))
	c.ok(plainPIN("1234"))
}

func TestPutData(t *testing.T) {
	c := newCard(t, "activated")
	arqc := c.online(contactTxn(10, false))
	put := func(tag uint16, v []byte) []byte {
		return scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x04, 0xDA, byte(tag>>8), byte(tag), v)
	}
	c.sw(put(0x9F79, h(amt(100001))), iso7816.SWWrongData) // above the balance limit
	c.sw(put(0x9F79, h("00000000001A")), iso7816.SWWrongData)
	c.sw(put(0x9F77, h(amt(5000))), iso7816.SWWrongData) // below the balance
	c.sw(put(0x9F50, h(amt(1))), iso7816.SWRefDataNotFound)
	c.sw(put(0x9F79, h("0000000001")), iso7816.SWWrongLength)
	eq(t, "balance", c.ok(h("80CA9F7900")), h("9F7906"+amt(10000)))
	c.ok(put(0x9F78, h(amt(200))))
	c.ok(put(0x9F6D, h(amt(50))))
	c.ok(put(0x9F77, h(amt(20000))))
	c.ok(put(0x9F79, h(amt(20000))))
	eq(t, "balance", c.ok(h("80CA9F7900")), h("9F7906"+amt(20000)))
	eq(t, "single limit", c.ok(h("80CA9F7800")), h("9F7806"+amt(200)))
	// 84 DA works as well as 04 DA.
	c.ok(scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x84, 0xDA, 0x9F, 0x6B, h(amt(100))))
	eq(t, "CVM limit", c.ok(h("80CA9F6B00")), h("9F6B06"+amt(100)))
}

func TestIssuerAuthentication(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	c.sw(h("008200000A 00000000000000003030"), iso7816.SWConditionsNotSatisfied)
	arqc := c.online(contactTxn(10, false))
	c.sw(h("0082000008 0000000000000000"), iso7816.SWWrongLength)
	c.sw(h("008200000A 00000000000000003030"), iso7816.Status(0x6300))
	sk, _ := paycrypto.ACSessionKey(paycrypto.DES, cardKey(t, paycrypto.DES, desAC), 1)
	arpc, _ := paycrypto.ARPC(paycrypto.DES, sk, arqc, h("3030"))
	c.sw(apdu(0, 0x82, 0, 0, append(arpc, h("3030")...), false), iso7816.SWConditionsNotSatisfied) // one try
	r := c.ok(apdu(0x80, 0xAE, 0x40, 0, h("3030 0000000000 12345678"), true))
	if cvr := r[17:20]; cvr[0]&0x08 == 0 {
		t.Fatalf("CVR %X: issuer authentication failure not recorded", cvr)
	}
	// The next transaction reports it as "failed last time".
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
	r = c.ok(apdu(0x80, 0xAE, 0x80, 0, contactTxn(10, false).cdol1(), true))
	if cvr := r[17:20]; cvr[1]&0x08 == 0 {
		t.Fatalf("CVR %X: last issuer authentication failure not reported", cvr)
	}
}
