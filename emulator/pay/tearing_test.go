package pay_test

import (
	"errors"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// tearSweep runs setup, then cmd with a power loss armed after 1, 2, ...
// NVM writes until cmd completes untorn. After each tear the card powers
// up and must be in the state before cmd or in the state after it, never
// a mix: the ATC, the e-cash balance and the newest log record move
// together.
func tearSweep(t *testing.T, name string, setup func(c *tcard), cmd []byte) {
	t.Helper()
	ref := newCard(t, "activated")
	setup(ref)
	before := ref.state()
	ref.ok(cmd)
	after := ref.state()
	if before == after {
		t.Fatalf("%s: the command changes nothing", name)
	}
	sawBefore := false
	for n := 1; n < 64; n++ {
		c := newCard(t, "activated")
		setup(c)
		c.TearAfter(n)
		_, err := c.Transmit(cmd)
		if err == nil {
			c.TearAfter(0)
			if got := c.state(); got != after {
				t.Fatalf("%s: untorn at %d writes, state %s, want %s", name, n, got, after)
			}
			if !sawBefore {
				t.Fatalf("%s: no tear left the state before", name)
			}
			return
		}
		if !errors.Is(err, emulator.ErrPowerLost) {
			t.Fatalf("%s: tear after %d writes: %v", name, n, err)
		}
		c.PowerOn()
		c.ok(selectAID(debitAID))
		switch got := c.state(); got {
		case before:
			sawBefore = true
		case after:
		default:
			t.Fatalf("%s: torn after %d writes: state %s, neither %s nor %s", name, n, got, before, after)
		}
	}
	t.Fatalf("%s: still torn after 64 writes", name)
}

func TestTearingECashDebit(t *testing.T) {
	sel := func(c *tcard) { c.ok(selectAID(debitAID)) }
	tearSweep(t, "qUICS offline debit DES", sel, gpoAPDU(func() []byte { x := quicsTxn(123); x.sm = 0; return x.pdolData() }()))
	tearSweep(t, "qUICS offline debit SM", sel, gpoAPDU(quicsTxn(123).pdolData()))
	contact := func(c *tcard) {
		c.ok(selectAID(debitAID))
		c.ok(gpoAPDU(contactTxn(50, false).pdolData()))
	}
	tearSweep(t, "contact offline TC", contact, apdu(0x80, 0xAE, 0x40, 0, contactTxn(50, false).cdol1(), true))
}

func TestTearingPutData(t *testing.T) {
	var cmd []byte
	setup := func(c *tcard) {
		arqc := c.online(contactTxn(10, false))
		cmd = scriptAPDU(t, paycrypto.DES, desMAC, 1, arqc, 0x04, 0xDA, 0x9F, 0x79, h(amt(4321)))
	}
	setup(newCard(t, "activated")) // the same ARQC on every card WithSeed(1)
	tearSweep(t, "PUT DATA balance", setup, cmd)
}
