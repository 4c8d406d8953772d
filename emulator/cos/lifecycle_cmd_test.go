package cos_test

import (
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Life cycle and issuer-script instructions (CARD.md §6; EMV Book 3 §6.5).
const (
	insDeactivate = 0x04
	insActivate   = 0x44
	insTerminate  = 0xE6
	insAppBlock   = 0x1E
	insAppUnblock = 0x18
	insCardBlock  = 0x16
)

// cmdLifeCycle runs a life cycle command through the session and checks
// its status word.
func cmdLifeCycle(t *testing.T, s *terminal.SSC, ins byte, want iso7816.Status) {
	t.Helper()
	sw, err := s.LifeCycle(ins)
	cmdSW(t, "life cycle "+cmdHexOf([]byte{ins}), sw, err, want)
}

// TestCmdDeactivate covers DEACTIVATE FILE and ACTIVATE FILE on the SSSE:
// a deactivated application is read but refuses VERIFY, CHANGE PIN and
// writes with 6985 [model, CARD.md §6].
func TestCmdDeactivate(t *testing.T) {
	t.Parallel()
	for _, persona := range []string{"activated", "gen2"} {
		t.Run(persona, func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, persona)
			cmdOK(t, "extauth 0D", s.ExternalAuthenticate(terminal.KeyEF06Wr))
			cmdLifeCycle(t, s, insDeactivate, iso7816.SWOK)
			cmdRun(t, c, []cmdStep{
				{"00A4000C02DDF1", "9000"},
				{"00A4000402DDF100", fcpSealed + "9000"},
				{"00B2012C00", "*"}, // reading is still allowed
				{"00B2072800", "0709 423132333435363738 9000"},
				{cmdVerifyPIN, "6985"},
				{"00200000", "6985"},
				{"805E010007 123456 FF 654321", "6985"},
				{"00DC0A3003 0A0132", "6985"},
				{"00D6870001 01", "6985"},
				{"00A4000C02DF02", "9000"},
				{"00E2002803 3C0131", "6985"},
				{cmdVerifyPIN, "6985"}, // the DFs under it too
				{"00A4000C02DDF1", "9000"},
			})
			before := c.Cells()
			sw, err := s.ReloadPIN("2468")
			cmdSW(t, "reload", sw, err, iso7816.SWConditionsNotSatisfied)
			sw, err = s.UnblockPIN()
			cmdSW(t, "unblock", sw, err, iso7816.SWConditionsNotSatisfied)
			cmdSameCells(t, c, before, "refused commands")
			c.Reset()
			cmdRun(t, c, []cmdStep{
				{"00A4000402DDF100", fcpSealed + "9000"},
				{cmdVerifyPIN, "6985"},
			})
			cmdLifeCycle(t, s, insActivate, iso7816.SWOK)
			cmdRun(t, c, []cmdStep{
				{"00A4000402DDF100", fcpSSSE + "9000"},
				{cmdVerifyPIN, "9000"},
			})
		})
	}
}

// TestCmdActivateSealed activates the sealed card of the default persona.
func TestCmdActivateSealed(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "default")
	cmdRun(t, c, []cmdStep{
		{"00A404040F" + cmdAID + "00", fcpSealed + "9000"},
		{"00B2012800", recCardID3 + "9000"},
		{cmdVerifyPIN, "6985"},
	})
	cmdLifeCycle(t, s, insActivate, iso7816.SWOK)
	cmdRun(t, c, []cmdStep{
		{"00A404040F" + cmdAID + "00", fcpSSSE + "9000"},
		{cmdVerifyPIN, "9000"},
	})
	c.Reset()
	cmdRun(t, c, []cmdStep{
		{"00A404040F" + cmdAID + "00", fcpSSSE + "9000"},
		{"00200000", "63C3"},
	})
}

// TestCmdTerminate covers TERMINATE DF: the SSSE answers 9303 for good,
// to SELECT too.
func TestCmdTerminate(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	cmdLifeCycle(t, s, insTerminate, iso7816.SWOK)
	// Not even external authentication is possible any more.
	cmdLifeCycle(t, s, insActivate, iso7816.SWAppPermanentlyLocked)
	steps := []cmdStep{
		{"00B2012800", "9303"},
		{cmdVerifyPIN, "9303"},
		{"0084000008", "9303"},
		{"00CA000000", "9303"},
		{"00A4000402DDF100", "9303"},
		{cmdSelectMF, "9000"},
		{"0084000008", "*"}, // the MF still works
		{cmdSelectSSSE, "9303"},
		{"00A4000C02DDF1", "9303"},
		{"00A4080C04DDF1EF05", "9303"},
		{"00A4040C06D15600000500", "9303"}, // the DFs under it too
		{"00B2012800", "6A82"},             // the MF is still current
	}
	cmdRun(t, c, steps)
	c.Reset()
	cmdRun(t, c, steps[5:])
}

// TestCmdTerminateMF checks that the MF cannot be terminated.
func TestCmdTerminateMF(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	cardtest.Expect(t, c, cmdSelectMF, "9000")
	if r := cmdSecure(t, s, terminal.KeyMaint, insTerminate, 0, 0, nil); r.SW != iso7816.SWCommandIncompatible {
		t.Errorf("TERMINATE DF on the MF: %s, want 6981", r)
	}
	cardtest.Expect(t, c, "00A4000402DDF100", fcpSSSE+"9000")
}

// TestCmdApplicationBlock covers APPLICATION BLOCK and UNBLOCK: SELECT
// answers 6283, the application's commands 6A81.
func TestCmdApplicationBlock(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	cmdLifeCycle(t, s, insAppBlock, iso7816.SWOK)
	blocked := []cmdStep{
		{cmdSelectSSSE, "6283"},
		{"00A404000F" + cmdAID + "00", fciSSSE3 + "6283"},
		{"00A404000F" + cmdAID, "6283"}, // over T=0 the FCI is lost
		{"00A4000402DDF100", fcpSSSE + "6283"},
		{"00B2012800", "6A81"},
		{"00B0870001", "6A81"},
		{cmdVerifyPIN, "6A81"},
		{"00200000", "6A81"},
		{"805E010007 123456 FF 654321", "6A81"},
		{"00DC022803 020139", "6A81"},
		{"00CA000000", "6A81"},
		{"00A4000C02DF01", "6283"},
		{"00B2012C00", "6A81"},
		{"0084000008", "*"},
		{cmdSelectMF, "9000"},
		{"0084000008", "*"},
	}
	cmdRun(t, c, blocked)
	c.Reset()
	cmdRun(t, c, blocked)
	cardtest.Expect(t, c, cmdSelectFCI+"00", fciSSSE3+"6283")
	cmdLifeCycle(t, s, insAppUnblock, iso7816.SWOK)
	cmdRun(t, c, []cmdStep{
		{cmdSelectSSSE, "9000"},
		{"00B2012800", recCardID3 + "9000"},
		{cmdVerifyPIN, "9000"},
	})
}

// TestCmdCardBlock covers CARD BLOCK: every command answers 6A81, also
// after a reset.
func TestCmdCardBlock(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	cmdLifeCycle(t, s, insCardBlock, iso7816.SWOK)
	steps := []cmdStep{
		{"00B2012800", "6A81"},
		{cmdSelectSSSE, "6A81"},
		{cmdSelectMF, "6A81"},
		{"0084000008", "6A81"},
		{"00C0000000", "6A81"},
		{"0070000001", "6A81"},
		{cmdVerifyPIN, "6A81"},
		{"00CA000000", "6A81"},
	}
	cmdRun(t, c, steps)
	before := c.Cells()
	c.Reset()
	cmdRun(t, c, steps)
	cmdSameCells(t, c, before, "commands to a blocked card")
	if got := c.Reset(); cmdHexOf(got) != cmdHexOf(c.ATR()) {
		t.Errorf("ATR of a blocked card: %X", got)
	}
}

// TestCmdLifeCycleNeedsKey0B checks that ACTIVATE, DEACTIVATE and
// TERMINATE want external authentication with the maintenance key 0B
// beside their MAC, and that a wrong MAC changes nothing.
func TestCmdLifeCycleNeedsKey0B(t *testing.T) {
	t.Parallel()
	for _, ins := range []byte{insDeactivate, insActivate, insTerminate} {
		t.Run(cmdHexOf([]byte{ins}), func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, "activated")
			before := c.Cells()
			if r := cmdSecure(t, s, terminal.KeyMaint, ins, 0, 0, nil); r.SW != iso7816.SWSecurityNotSatisfied {
				t.Errorf("without external authentication: %s, want 6982", r)
			}
			cmdOK(t, "extauth 0A", s.ExternalAuthenticate(terminal.KeyRKSSSE))
			if r := cmdSecure(t, s, terminal.KeyMaint, ins, 0, 0, nil); r.SW != iso7816.SWSecurityNotSatisfied {
				t.Errorf("after key 0A: %s, want 6982", r)
			}
			cmdOK(t, "extauth 0B", s.ExternalAuthenticate(terminal.KeyMaint))
			raw := cmdSecureAPDU(t, s, terminal.KeyMaint, ins, 0, 0, nil)
			raw[len(raw)-1] ^= 0x10
			if got := cmdSend(t, c, raw); got != "6988" {
				t.Errorf("wrong MAC: %s, want 6988", got)
			}
			if r := cmdSecure(t, s, terminal.KeyEF05, ins, 0, 0, nil); r.SW != iso7816.SWSMDataIncorrect {
				t.Errorf("MAC with key 04: %s, want 6988", r)
			}
			if r := cmdSecure(t, s, terminal.KeyMaint, ins, 0, 0, []byte{0x01}); r.SW != iso7816.SWWrongLength {
				t.Errorf("data before the MAC: %s, want 6700", r)
			}
			if r := cmdSecure(t, s, terminal.KeyMaint, ins, 0, 1, nil); r.SW != iso7816.SWWrongP1P2 {
				t.Errorf("P2=01: %s, want 6A86", r)
			}
			cmdSameCells(t, c, before, "refused life cycle commands")
			cmdRun(t, c, []cmdStep{{"00A4000402DDF100", fcpSSSE + "9000"}})
		})
	}
}

// TestCmdScriptCommandsNeedMAC checks that APPLICATION BLOCK/UNBLOCK and
// CARD BLOCK, issuer-script commands, need their MAC with the maintenance
// key (EMV Book 3 §6.5) and nothing else.
func TestCmdScriptCommandsNeedMAC(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	before := c.Cells()
	for _, ins := range []byte{insAppBlock, insAppUnblock, insCardBlock} {
		raw := cmdSecureAPDU(t, s, terminal.KeyMaint, ins, 0, 0, nil)
		raw[5] ^= 0x01
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("%02X with a wrong MAC: %s, want 6988", ins, got)
		}
		if r := cmdSecure(t, s, terminal.KeyRKSSSE, ins, 0, 0, nil); r.SW != iso7816.SWSMDataIncorrect {
			t.Errorf("%02X with key 0A: %s, want 6988", ins, r)
		}
		if r := cmdSecure(t, s, terminal.KeyMaint, ins, 1, 0, nil); r.SW != iso7816.SWWrongP1P2 {
			t.Errorf("%02X P1=01: %s, want 6A86", ins, r)
		}
		if r := cmdSecure(t, s, terminal.KeyMaint, ins, 0, 0, []byte{1, 2}); r.SW != iso7816.SWWrongLength {
			t.Errorf("%02X with data: %s, want 6700", ins, r)
		}
	}
	cmdSameCells(t, c, before, "refused script commands")
	if r := cmdSecure(t, s, terminal.KeyMaint, insAppBlock, 0, 0, nil); r.SW != iso7816.SWOK {
		t.Fatalf("APPLICATION BLOCK with its MAC: %s", r)
	}
	cardtest.Expect(t, c, "00B2012800", "6A81")
	if r := cmdSecure(t, s, terminal.KeyMaint, insAppUnblock, 0, 0, nil); r.SW != iso7816.SWOK {
		t.Fatalf("APPLICATION UNBLOCK with its MAC: %s", r)
	}
	cardtest.Expect(t, c, "00B2012800", recCardID3+"9000")
}

// TestCmdDeactivateSubApp deactivates DF01 alone: the SSSE stays usable.
func TestCmdDeactivateSubApp(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	cardtest.Expect(t, c, "00A4000C02DF01", "9000")
	cmdLifeCycle(t, s, insDeactivate, iso7816.SWOK)
	cmdRun(t, c, []cmdStep{
		{"00A4000402DF0100", "6212 820138 8302DF01 8406D15600000500 8A0104 9000"},
		{"00B2012C00", "2A06313130313035 9000"},
		{cmdVerifyPIN, "6985"},
		{"00A4030C", "9000"},
		{"00A4000402DDF100", fcpSSSE + "9000"},
		{cmdVerifyPIN, "9000"},
	})
}
