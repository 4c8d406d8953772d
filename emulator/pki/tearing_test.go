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

// TestTearingResetRetryCounter cuts the power at every NVM write of RESET
// RETRY COUNTER of a blocked user PIN: afterwards the card holds exactly
// the state before the command, the state after its admin try was spent,
// or the state after the reset (new user PIN key, user and admin tries
// restored), never a mix; and the PINs behave accordingly.
func TestTearingResetRetryCounter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newPIN string // "" for a tries-only reset
		mac    bool   // a right MAC
	}{
		{"new PIN", "13572468", true},
		{"tries only", "", true},
		{"wrong MAC", "13572468", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := func() *card {
				c := newCard(t, nil)
				c.block()
				return c
			}
			admin := func(c *card) string {
				if tc.mac {
					return c.adminPIN()
				}
				return "99999999"
			}
			// The three states a reset may leave, from whole commands.
			c := fresh()
			before := c.Cells()
			c.sw(c.resetCmd("99999999", tc.newPIN), 0x63C2)
			spent := c.Cells()
			c = fresh()
			want := iso7816.Status(0x63C2)
			if tc.mac {
				want = iso7816.SWOK
			}
			c.sw(c.resetCmd(admin(c), tc.newPIN), want)
			done := c.Cells()

			var seen [3]int
			for n := 1; ; n++ {
				c := fresh()
				raw, err := c.resetCmd(admin(c), tc.newPIN).Bytes()
				if err != nil {
					t.Fatal(err)
				}
				c.TearAfter(n)
				out, err := c.Transmit(raw)
				c.TearAfter(0)
				if err == nil {
					if r, _ := iso7816.ParseResponse(out); r.SW != want {
						t.Fatalf("completed reset answered %X", out)
					}
					if n == 1 {
						t.Fatal("the reset wrote nothing")
					}
					// Power was lost in each transaction of the command.
					if seen[0] == 0 || seen[1] == 0 || tc.mac && seen[2] == 0 {
						t.Errorf("torn states before, spent, done seen %v times", seen)
					}
					return
				}
				if !errors.Is(err, emulator.ErrPowerLost) {
					t.Fatalf("write %d: %v", n, err)
				}
				c.PowerOn()
				c.selectADF()
				got := c.Cells()
				switch {
				case equalCells(got, before):
					seen[0]++
					c.sw(adminStatus, 0x63C3)
					c.sw(userStatus, iso7816.SWAuthBlocked)
				case equalCells(got, spent):
					seen[1]++
					c.sw(adminStatus, 0x63C2)
					c.sw(userStatus, iso7816.SWAuthBlocked)
				case equalCells(got, done) && tc.mac:
					seen[2]++
					c.sw(adminStatus, 0x63C3)
					c.sw(userStatus, 0x63C3)
					pin := tc.newPIN
					if pin == "" {
						pin = c.userPIN()
					}
					c.verify(pki.PINUser, pin, iso7816.SWOK)
					continue
				default:
					t.Fatalf("torn at write %d: the card is in none of the states a reset may leave", n)
				}
				// Still blocked: the PIN key is the old one.
				c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWOK)
				c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
			}
		})
	}
}
