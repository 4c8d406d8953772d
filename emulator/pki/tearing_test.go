package pki_test

import (
	"errors"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

// TestTearingNeverWinsATry cuts the power at every NVM write of a VERIFY:
// a torn VERIFY answers nothing, and afterwards the card has either the
// tries it had or the tries the presentation leaves; a completed wrong
// presentation always costs its try (the decrement is committed before the
// PIN is compared).
func TestTearingNeverWinsATry(t *testing.T) {
	status := iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser}
	for _, tc := range []struct {
		name        string
		pin         string
		done        iso7816.Status
		after       iso7816.Status // tries when completed
		allowedTorn []iso7816.Status
	}{
		{"wrong PIN", "000000", 0x63C2, 0x63C2, []iso7816.Status{0x63C3, 0x63C2}},
		{"right PIN", "123456", iso7816.SWOK, iso7816.SWOK, []iso7816.Status{0x63C3, 0x63C2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for n := 1; ; n++ {
				c := newCard(t, nil)
				raw, err := c.verifyCmd(pki.PINUser, tc.pin).Bytes()
				if err != nil {
					t.Fatal(err)
				}
				c.TearAfter(n)
				out, err := c.Transmit(raw)
				c.TearAfter(0)
				if err == nil {
					if r, _ := iso7816.ParseResponse(out); r.SW != tc.done {
						t.Fatalf("completed VERIFY answered %X", out)
					}
					c.sw(status, tc.after)
					if n == 1 {
						t.Fatal("VERIFY wrote nothing")
					}
					return
				}
				if !errors.Is(err, emulator.ErrPowerLost) {
					t.Fatalf("write %d: %v", n, err)
				}
				c.PowerOn()
				c.selectADF()
				r := c.do(status)
				ok := false
				for _, a := range tc.allowedTorn {
					ok = ok || r.SW == a
				}
				if !ok {
					t.Errorf("torn at write %d: the PIN state is %04X", n, uint16(r.SW))
				}
			}
		})
	}
}
