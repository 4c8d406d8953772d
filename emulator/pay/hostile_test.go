package pay_test

import (
	"testing"

	"github.com/sscard/sscard/emulator/iso7816"
)

// state is what must never be corrupted: the ATC, the balance, the log.
func (c *tcard) state() string {
	c.t.Helper()
	atc := c.ok(apdu(0x80, 0xCA, 0x9F, 0x36, nil, true))
	bal := c.ok(apdu(0x80, 0xCA, 0x9F, 0x79, nil, true))
	lg, _ := c.send(apdu(0, 0xB2, 1, 11<<3|4, nil, true))
	return hexs(atc) + "/" + hexs(bal) + "/" + hexs(lg)
}

func hexs(b []byte) string {
	out := ""
	for _, c := range b {
		out += hexByte(c)
	}
	return out
}

func TestGPOHostile(t *testing.T) {
	good := quicsTxn(100).pdolData()
	bad := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name string
		apdu []byte
		sw   iso7816.Status
	}{
		{"P1", h("80A80100"), iso7816.SWWrongP1P2},
		{"P2", apdu(0x80, 0xA8, 0, 1, append([]byte{0x83, byte(len(good))}, good...), true), iso7816.SWWrongP1P2},
		{"class 00", apdu(0x00, 0xA8, 0, 0, append([]byte{0x83, byte(len(good))}, good...), true), iso7816.SWCLANotSupported},
		{"class 84", apdu(0x84, 0xA8, 0, 0, append([]byte{0x83, byte(len(good))}, good...), true), iso7816.SWCLANotSupported},
		{"no data", h("80A8000000"), iso7816.SWWrongData},
		{"template 84", apdu(0x80, 0xA8, 0, 0, append([]byte{0x84, byte(len(good))}, good...), true), iso7816.SWWrongData},
		{"empty 83", apdu(0x80, 0xA8, 0, 0, []byte{0x83, 0}, true), iso7816.SWWrongLength},
		{"short", gpoAPDU(good[:len(good)-1]), iso7816.SWWrongLength},
		{"long", gpoAPDU(append(append([]byte(nil), good...), 0)), iso7816.SWWrongLength},
		{"truncated TLV", apdu(0x80, 0xA8, 0, 0, append([]byte{0x83, byte(len(good) + 5)}, good...), true), iso7816.SWWrongData},
		{"length 81 form", apdu(0x80, 0xA8, 0, 0, append([]byte{0x83, 0x81, byte(len(good))}, good...), true), iso7816.SWOK},
		{"trailing object", apdu(0x80, 0xA8, 0, 0, append(append([]byte{0x83, byte(len(good))}, good...), 0x9F, 0x02, 0x01, 0x00), true), iso7816.SWWrongData},
		{"amount not BCD", gpoAPDU(bad(func(b []byte) { b[9] = 0x1A })), iso7816.SWWrongData},
		{"amount other not BCD", gpoAPDU(bad(func(b []byte) { b[10] = 0xF0 })), iso7816.SWWrongData},
		{"currency not BCD", gpoAPDU(bad(func(b []byte) { b[23] = 0xFF })), iso7816.SWWrongData},
		{"month 13", gpoAPDU(bad(func(b []byte) { b[26] = 0x13 })), iso7816.SWWrongData},
		{"day 00", gpoAPDU(bad(func(b []byte) { b[27] = 0x00 })), iso7816.SWWrongData},
		{"type not BCD", gpoAPDU(bad(func(b []byte) { b[28] = 0xAA })), iso7816.SWWrongData},
		{"DF69 02", gpoAPDU(bad(func(b []byte) { b[len(b)-1] = 2 })), iso7816.SWWrongData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCard(t, "activated")
			c.ok(selectAID(debitAID))
			before := c.state()
			c.sw(tc.apdu, tc.sw)
			if tc.sw != iso7816.SWOK && c.state() != before {
				t.Fatalf("state changed by a refused GPO: %s -> %s", before, c.state())
			}
		})
	}
}

func TestGPOOrder(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(quicsTxn(1).pdolData()))
	before := c.state()
	c.sw(gpoAPDU(quicsTxn(1).pdolData()), iso7816.SWConditionsNotSatisfied)
	if c.state() != before {
		t.Fatal("a second GPO changed the state")
	}
	// Selecting again starts a new transaction.
	c.ok(selectAID(debitAID))
	c.ok(gpoAPDU(quicsTxn(1).pdolData()))
}

func contactTxn(amount uint64, sm bool) txn {
	x := quicsTxn(amount)
	x.ttq = "00000000"
	x.sm = 0
	if sm {
		x.sm = 1
	}
	return x
}

func TestGenerateACHostile(t *testing.T) {
	x := contactTxn(100, false)
	for _, tc := range []struct {
		name  string
		gpo   bool
		quics bool
		apdu  []byte
		sw    iso7816.Status
	}{
		{"before GPO", false, false, apdu(0x80, 0xAE, 0x40, 0, x.cdol1(), true), iso7816.SWConditionsNotSatisfied},
		{"after qUICS", false, true, apdu(0x80, 0xAE, 0x40, 0, x.cdol1(), true), iso7816.SWConditionsNotSatisfied},
		{"P1 C0", true, false, apdu(0x80, 0xAE, 0xC0, 0, x.cdol1(), true), iso7816.SWWrongP1P2},
		{"P1 RFU bit", true, false, apdu(0x80, 0xAE, 0x41, 0, x.cdol1(), true), iso7816.SWWrongP1P2},
		{"P2", true, false, apdu(0x80, 0xAE, 0x40, 1, x.cdol1(), true), iso7816.SWWrongP1P2},
		{"class 00", true, false, apdu(0x00, 0xAE, 0x40, 0, x.cdol1(), true), iso7816.SWCLANotSupported},
		{"short CDOL1", true, false, apdu(0x80, 0xAE, 0x40, 0, x.cdol1()[1:], true), iso7816.SWWrongLength},
		{"long CDOL1", true, false, apdu(0x80, 0xAE, 0x40, 0, append(x.cdol1(), 0), true), iso7816.SWWrongLength},
		{"no data", true, false, h("80AE400000"), iso7816.SWWrongLength},
		{"amount not BCD", true, false, apdu(0x80, 0xAE, 0x40, 0, func() []byte { b := x.cdol1(); b[5] = 0xCD; return b }(), true), iso7816.SWWrongData},
		{"time 25h", true, false, apdu(0x80, 0xAE, 0x40, 0, func() []byte { b := x.cdol1(); b[29] = 0x25; return b }(), true), iso7816.SWWrongData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCard(t, "activated")
			c.ok(selectAID(debitAID))
			switch {
			case tc.gpo:
				c.ok(gpoAPDU(x.pdolData()))
			case tc.quics:
				c.ok(gpoAPDU(quicsTxn(1).pdolData()))
			}
			before := c.state()
			c.sw(tc.apdu, tc.sw)
			if c.state() != before {
				t.Fatalf("state changed by a refused GENERATE AC: %s -> %s", before, c.state())
			}
		})
	}
}

func TestGenerateACSequence(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	x := contactTxn(100, false)
	c.ok(gpoAPDU(x.pdolData()))
	c.ok(apdu(0x80, 0xAE, 0x80, 0, x.cdol1(), true))
	cdol2 := h("3030 0000000000 12345678")
	c.sw(apdu(0x80, 0xAE, 0x80, 0, cdol2, true), iso7816.SWWrongP1P2)
	c.sw(apdu(0x80, 0xAE, 0x40, 0, x.cdol1(), true), iso7816.SWWrongLength)
	r := c.ok(apdu(0x80, 0xAE, 0x00, 0, cdol2, true))
	if r[2] != 0x00 {
		t.Fatalf("second CID %02X, want AAC", r[2])
	}
	c.sw(apdu(0x80, 0xAE, 0x00, 0, cdol2, true), iso7816.SWConditionsNotSatisfied)
}

func TestReadRecordHostile(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	for _, tc := range []struct {
		name string
		apdu []byte
		sw   iso7816.Status
	}{
		{"P2 by number in current file", h("00B2010400"), iso7816.SWWrongP1P2},
		{"P2 010", h("00B2010A00"), iso7816.SWWrongP1P2},
		{"unknown SFI", h("00B2013400"), iso7816.SWFileNotFound},
		{"record 0", h("00B2000C00"), iso7816.SWRecordNotFound},
		{"record 3 of SFI 1", h("00B2030C00"), iso7816.SWRecordNotFound},
		{"empty log", h("00B2015C00"), iso7816.SWRecordNotFound},
		{"data", h("00B2010C0100"), iso7816.SWWrongLength},
		{"class 80", h("80B2010C00"), iso7816.SWCLANotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) { c.on(t).sw(tc.apdu, tc.sw) })
	}
	// Le shorter than the record: the card keeps the rest (61xx).
	r, _ := c.Transmit(h("00B2010C05"))
	if len(r) != 7 || r[5] != 0x61 {
		t.Fatalf("short Le: %X", r)
	}
}

func TestGetData(t *testing.T) {
	c := newCard(t, "activated")
	c.ok(selectAID(debitAID))
	for tag, want := range map[string]string{
		"9F36": "9F36020000", "9F13": "9F13020000", "9F17": "9F170103",
		"9F79": "9F7906000000010000", "9F77": "9F7706000000100000", "9F78": "9F7806000000050000",
		"9F6D": "9F6D06000000000000", "9F6B": "9F6B06000000030000",
		"9F4F": "9F4F19" + hexs(h("9A039F21039F02069F03069F1A025F2A029F4E149C019F3602")),
	} {
		eq(t, "GET DATA "+tag, c.ok(h("80CA"+tag+"00")), h(want))
	}
	c.sw(h("80CA9F5000"), iso7816.SWRefDataNotFound)
	c.sw(h("80CA9F360100"), iso7816.SWWrongLength)
	c.sw(h("00CA9F3600"), iso7816.SWCLANotSupported)
	// A credit application has no electronic cash.
	cc := fromJSON(t, `{"schema":1,"name":"credit","extends":"activated","pay":{"applications":[{"type":"debit"},{"type":"credit"}]}}`)
	cc.ok(selectAID(h("A000000333010102")))
	cc.sw(h("80CA9F7900"), iso7816.SWRefDataNotFound)
	cc.ok(h("80CA9F3600"))
}
