package pki_test

import (
	"testing"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

// resetCmd builds RESET RETRY COUNTER of the user PIN over a fresh
// challenge, under the MAC of admin's key: with newPIN (P1 02), or of the
// tries only (P1 03) when newPIN is "".
func (c *card) resetCmd(admin, newPIN string) iso7816.Command {
	c.t.Helper()
	a := cardcrypto.PKIPINKey(admin)
	p1 := pki.P1ResetTries
	var body []byte
	if newPIN != "" {
		p1 = pki.P1ResetNewPIN
		n := cardcrypto.PKIPINKey(newPIN)
		var err error
		if body, err = cardcrypto.EncryptECB(cardcrypto.AlgSM4, a[:], n[:]); err != nil {
			c.t.Fatal(err)
		}
	}
	chal := c.challenge(16)
	h := append([]byte{0x84, pki.INSResetRetryCount, p1, pki.PINUser, byte(len(body) + 4)}, body...)
	mac, err := cardcrypto.MAC(cardcrypto.AlgSM4, a[:], chal, h)
	if err != nil {
		c.t.Fatal(err)
	}
	return iso7816.Command{CLA: 0x84, INS: pki.INSResetRetryCount, P1: p1, P2: pki.PINUser, Data: append(body, mac...)}
}

var (
	userStatus  = iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINUser}
	adminStatus = iso7816.Command{INS: pki.INSVerify, P1: pki.P1Verify, P2: pki.PINAdmin}
)

// block blocks the user PIN with wrong VERIFYs.
func (c *card) block() {
	c.t.Helper()
	for n := 2; n >= 0; n-- {
		c.verify(pki.PINUser, "000000", 0x63C0|iso7816.Status(n))
	}
	c.verify(pki.PINUser, c.userPIN(), iso7816.SWAuthBlocked)
}

func TestResetRetryCounter(t *testing.T) {
	t.Run("new PIN", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		c.sw(c.resetCmd(c.adminPIN(), "13572468"), iso7816.SWOK)
		c.sw(userStatus, 0x63C3)
		c.sw(adminStatus, 0x63C3)
		c.verify(pki.PINUser, c.userPIN(), 0x63C2) // the old PIN is gone
		c.verify(pki.PINUser, "13572468", iso7816.SWOK)
		c.sw(userStatus, iso7816.SWOK)
		c.sw(signCmd(make([]byte, 32)), iso7816.SWOK)
		// The reset proves the admin PIN for itself only.
		c.sw(genSign, iso7816.SWSecurityNotSatisfied)
	})
	t.Run("tries only", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWOK)
		c.sw(userStatus, 0x63C3)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK) // the old PIN stays
		// A tries-only reset leaves a verified user PIN verified; a new PIN
		// ends the verification of the old one.
		c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWOK)
		c.sw(userStatus, iso7816.SWOK)
		c.sw(c.resetCmd(c.adminPIN(), "24682468"), iso7816.SWOK)
		c.sw(userStatus, 0x63C3)
		c.sw(signCmd(make([]byte, 32)), iso7816.SWSecurityNotSatisfied)
	})
	t.Run("wrong MAC costs an admin try", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		bad := c.resetCmd(c.adminPIN(), "13572468")
		bad.Data[len(bad.Data)-1] ^= 1
		c.sw(bad, 0x63C2)
		c.sw(adminStatus, 0x63C2)
		c.sw(userStatus, iso7816.SWAuthBlocked)
		// A wrong admin PIN is a wrong MAC.
		c.sw(c.resetCmd("99999999", ""), 0x63C1)
		// So is a new PIN tampered with under the MAC.
		tampered := c.resetCmd(c.adminPIN(), "13572468")
		tampered.Data[0] ^= 1
		c.sw(tampered, 0x63C0)
		c.sw(userStatus, iso7816.SWAuthBlocked)
		// The admin PIN is blocked: even the right MAC answers 6983.
		c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWAuthBlocked)
		c.sw(adminStatus, iso7816.SWAuthBlocked)
		c.sw(userStatus, iso7816.SWAuthBlocked)
		c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWAuthBlocked)
	})
	t.Run("right MAC restores the admin tries", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		c.sw(c.resetCmd("99999999", ""), 0x63C2)
		c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWOK)
		c.sw(adminStatus, 0x63C3)
		c.sw(userStatus, 0x63C3)
	})
	t.Run("a wrong MAC ends the admin verification", func(t *testing.T) {
		c := newCard(t, nil)
		c.verify(pki.PINAdmin, c.adminPIN(), iso7816.SWOK)
		c.sw(c.resetCmd("99999999", ""), 0x63C2)
		c.sw(adminStatus, 0x63C2)
		c.sw(genSign, iso7816.SWSecurityNotSatisfied)
	})
	t.Run("replay", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		cmd := c.resetCmd(c.adminPIN(), "13572468")
		c.sw(cmd, iso7816.SWOK)
		c.sw(cmd, iso7816.SWSMDataIncorrect) // the challenge served once
		c.challenge(16)
		c.sw(cmd, 0x63C2) // another challenge: another MAC
		c.verify(pki.PINUser, "13572468", iso7816.SWOK)
	})
	t.Run("the MAC covers the header", func(t *testing.T) {
		c := newCard(t, nil)
		c.block()
		// A tries-only MAC sent with P1 02 and 16 more bytes is wrong.
		cmd := c.resetCmd(c.adminPIN(), "")
		cmd.P1 = pki.P1ResetNewPIN
		cmd.Data = append(make([]byte, 16), cmd.Data...)
		c.sw(cmd, 0x63C2)
		c.sw(userStatus, iso7816.SWAuthBlocked)
	})
}

// TestResetRetryCounterRefused: the status words of RESET RETRY COUNTER
// for malformed commands, none of which costs a try or changes a PIN.
func TestResetRetryCounterRefused(t *testing.T) {
	c := newCard(t, nil)
	c.block()
	before := c.keyFiles()
	const newPIN, triesOnly = "13572468", ""
	for _, tc := range []struct {
		name   string
		pin    string // the new PIN; "" for a tries-only reset
		change func(*iso7816.Command)
		want   iso7816.Status
	}{
		{"CLA 80", newPIN, func(x *iso7816.Command) { x.CLA = 0x80 }, iso7816.SWSecurityNotSatisfied},
		{"CLA 00", newPIN, func(x *iso7816.Command) { x.CLA = 0x00 }, iso7816.SWSecurityNotSatisfied},
		{"CLA 04", newPIN, func(x *iso7816.Command) { x.CLA = 0x04 }, iso7816.SWSecurityNotSatisfied},
		{"CLA 00 tries only", triesOnly, func(x *iso7816.Command) { x.CLA = 0x00 }, iso7816.SWSecurityNotSatisfied},
		{"P1 00", newPIN, func(x *iso7816.Command) { x.P1 = 0x00 }, iso7816.SWWrongP1P2},
		{"P1 01", newPIN, func(x *iso7816.Command) { x.P1 = 0x01 }, iso7816.SWWrongP1P2},
		{"P1 04", triesOnly, func(x *iso7816.Command) { x.P1 = 0x04 }, iso7816.SWWrongP1P2},
		{"P1 FF", triesOnly, func(x *iso7816.Command) { x.P1 = 0xFF }, iso7816.SWWrongP1P2},
		{"P2 00: the admin PIN", newPIN, func(x *iso7816.Command) { x.P2 = pki.PINAdmin }, iso7816.SWWrongP1P2},
		{"P2 00 tries only", triesOnly, func(x *iso7816.Command) { x.P2 = pki.PINAdmin }, iso7816.SWWrongP1P2},
		{"P2 82", triesOnly, func(x *iso7816.Command) { x.P2 = 0x82 }, iso7816.SWWrongP1P2},
		{"P2 01", triesOnly, func(x *iso7816.Command) { x.P2 = 0x01 }, iso7816.SWWrongP1P2},
		{"P1 02, 19 bytes", newPIN, func(x *iso7816.Command) { x.Data = x.Data[:19] }, iso7816.SWWrongLength},
		{"P1 02, 21 bytes", newPIN, func(x *iso7816.Command) { x.Data = append(x.Data, 0) }, iso7816.SWWrongLength},
		{"P1 02, MAC only", newPIN, func(x *iso7816.Command) { x.Data = x.Data[16:] }, iso7816.SWWrongLength},
		{"P1 02, no data", newPIN, func(x *iso7816.Command) { x.Data = nil }, iso7816.SWWrongLength},
		{"P1 03, 3 bytes", triesOnly, func(x *iso7816.Command) { x.Data = x.Data[:3] }, iso7816.SWWrongLength},
		{"P1 03, 5 bytes", triesOnly, func(x *iso7816.Command) { x.Data = append(x.Data, 0) }, iso7816.SWWrongLength},
		{"P1 03, 20 bytes", triesOnly, func(x *iso7816.Command) { x.Data = append(make([]byte, 16), x.Data...) }, iso7816.SWWrongLength},
		{"P1 03, no data", triesOnly, func(x *iso7816.Command) { x.Data = nil }, iso7816.SWWrongLength},
		{"Le", newPIN, func(x *iso7816.Command) { x.Ne = 256 }, iso7816.SWWrongLength},
		{"Le tries only", triesOnly, func(x *iso7816.Command) { x.Ne = 4 }, iso7816.SWWrongLength},
		{"extended", newPIN, func(x *iso7816.Command) { x.Extended = true }, iso7816.SWWrongLength},
		{"no challenge", newPIN, func(*iso7816.Command) {
			c.Reset() // forgets the challenge
			c.selectADF()
		}, iso7816.SWSMDataIncorrect},
		{"no challenge tries only", triesOnly, func(*iso7816.Command) {
			c.Reset()
			c.selectADF()
		}, iso7816.SWSMDataIncorrect},
	} {
		cmd := c.resetCmd(c.adminPIN(), tc.pin)
		tc.change(&cmd)
		if r := c.do(cmd); r.SW != tc.want || len(r.Data) != 0 {
			t.Errorf("%s: %04X %X, want %04X", tc.name, uint16(r.SW), r.Data, uint16(tc.want))
		}
		c.sw(adminStatus, 0x63C3) // no try spent
		c.sw(userStatus, iso7816.SWAuthBlocked)
	}
	if !equalCells(before, c.keyFiles()) {
		t.Error("a refused reset changed the card")
	}

	t.Run("admin blocked", func(t *testing.T) {
		c := newCard(t, nil)
		for n := 2; n >= 0; n-- {
			c.verify(pki.PINAdmin, "00000000", 0x63C0|iso7816.Status(n))
		}
		c.sw(c.resetCmd(c.adminPIN(), ""), iso7816.SWAuthBlocked)
		c.sw(c.resetCmd(c.adminPIN(), "13572468"), iso7816.SWAuthBlocked)
		c.verify(pki.PINUser, c.userPIN(), iso7816.SWOK)
	})
	t.Run("extended card", func(t *testing.T) {
		c := newCardOf(t, func(m map[string]any) { m["extendedLength"] = true })
		c.block()
		cmd := c.resetCmd(c.adminPIN(), "")
		cmd.Extended = true
		c.sw(cmd, iso7816.SWWrongLength)
		c.sw(adminStatus, 0x63C3)
		c.sw(userStatus, iso7816.SWAuthBlocked)
	})
}
