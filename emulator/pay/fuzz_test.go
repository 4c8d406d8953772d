package pay_test

import (
	"sync"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

var fuzzProfile = sync.OnceValues(func() (*profile.Profile, error) { return profile.Load("activated") })

// fuzzCard is a fresh card of the activated persona with the debit
// application selected; the layout is built once.
func fuzzCard(t *testing.T) *tcard {
	p, err := fuzzProfile()
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(p, emulator.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	c := &tcard{t: t, Card: card}
	c.ok(selectAID(debitAID))
	return c
}

// FuzzGPO sends arbitrary GPO data. Whatever the data, the card answers a
// status word; a refused GPO changes nothing; an accepted one moves the ATC
// by one and never raises the balance.
func FuzzGPO(f *testing.F) {
	for _, x := range []txn{quicsTxn(1), quicsTxn(99999), contactTxn(5, false), contactTxn(5, true)} {
		f.Add(append([]byte{0x83, byte(len(x.pdolData()))}, x.pdolData()...))
	}
	f.Add([]byte{0x83, 0x00})
	f.Add([]byte{0x83, 0x81, 0x1C})
	f.Add([]byte{0x70, 0x02, 0x83, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 255 {
			return
		}
		c := fuzzCard(t)
		atc0 := c.ok(h("80CA9F3600"))
		bal0 := c.ok(h("80CA9F7900"))
		r, sw := c.send(apdu(0x80, 0xA8, 0, 0, data, true))
		atc1 := c.ok(h("80CA9F3600"))
		bal1 := c.ok(h("80CA9F7900"))
		if sw != iso7816.SWOK && sw&0xFF00 != iso7816.SWBytesAvailable {
			if len(r) != 0 || string(atc0) != string(atc1) || string(bal0) != string(bal1) {
				t.Fatalf("refused GPO (%04X) changed the state or answered data", uint16(sw))
			}
			return
		}
		if atc1[4] != atc0[4]+1 {
			t.Fatalf("ATC %X after %X", atc1, atc0)
		}
		b0, _ := amountOf(bal0[3:])
		b1, _ := amountOf(bal1[3:])
		if b1 > b0 {
			t.Fatalf("balance rose from %d to %d", b0, b1)
		}
	})
}

// FuzzGenerateAC sends arbitrary GENERATE AC commands after a contact GPO:
// the ATC never moves, the balance never moves (no e-cash on this PDOL),
// and a second command is refused or is a valid second GENERATE AC.
func FuzzGenerateAC(f *testing.F) {
	x := contactTxn(10, false)
	f.Add(byte(0x40), x.cdol1(), h("3030000000000012345678"))
	f.Add(byte(0x80), x.cdol1(), h("3030000000000012345678"))
	f.Add(byte(0x50), x.cdol1(), h("3030000000000012345678"))
	f.Add(byte(0x90), x.cdol1()[:10], []byte{})
	f.Add(byte(0xC0), []byte{}, []byte{0x00})
	f.Fuzz(func(t *testing.T, p1 byte, data, data2 []byte) {
		if len(data) > 255 || len(data2) > 255 {
			return
		}
		c := fuzzCard(t)
		c.ok(gpoAPDU(contactTxn(10, false).pdolData()))
		atc0 := c.ok(h("80CA9F3600"))
		bal0 := c.ok(h("80CA9F7900"))
		for _, d := range [][]byte{data, data2} {
			c.send(apdu(0x80, 0xAE, p1, 0, d, true))
			if atc := c.ok(h("80CA9F3600")); string(atc) != string(atc0) {
				t.Fatalf("GENERATE AC moved the ATC: %X -> %X", atc0, atc)
			}
			if bal := c.ok(h("80CA9F7900")); string(bal) != string(bal0) {
				t.Fatalf("GENERATE AC moved the balance: %X -> %X", bal0, bal)
			}
		}
	})
}

func amountOf(b []byte) (uint64, bool) {
	var v uint64
	for _, c := range b {
		if c>>4 > 9 || c&15 > 9 {
			return 0, false
		}
		v = v*100 + uint64(c>>4)*10 + uint64(c&15)
	}
	return v, true
}
