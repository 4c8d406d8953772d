package conformance

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

func verifyAPDU(s *S, p string) []byte { return apdu(0, 0x20, 0, 0, bcdPIN(s, p)) }

var pinCases = []*Case{
	{
		ID: "SSSE-PIN-001", Title: "VERIFY with the right PIN answers 9000",
		Clause: cardSec + "; " + iso4 + " §11.5.6", Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(verifyAPDU(s, pin(s)), OK(), NoData())
		},
	},
	{
		ID: "SSSE-PIN-002", Title: "VERIFY with a wrong PIN answers 63Cx with one try fewer; the right PIN restores the tries",
		Clause: cardSec, Requires: needTries(2), Restores: true,
		Run: func(s *S) {
			selectSSSE(s)
			left := *s.Profile().SSSE.PIN.TriesLeft
			s.Step("wrong PIN")
			s.Expect(verifyAPDU(s, wrongPIN(s)), SW(tries(left-1)))
			s.Step("empty VERIFY reports the tries")
			s.Expect("00200000", SW(tries(left-1)))
			s.Step("right PIN")
			s.Expect(verifyAPDU(s, pin(s)), OK())
			s.Step("tries restored")
			s.Send("00A4000C023F00")
			selectSSSE(s)
			s.Expect("00200000", SW(tries(s.Profile().SSSE.PIN.MaxTries)))
		},
	},
	{
		ID: "SSSE-PIN-003", Title: "An empty VERIFY answers 63Cx with the tries left, and 9000 once verified",
		Clause: iso4 + " §11.5.6", Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("00200000", SW(tries(*s.Profile().SSSE.PIN.TriesLeft)))
			verifyPIN(s)
			s.Expect("00200000", OK())
		},
	},
	{
		ID: "SSSE-PIN-004", Title: "Wrong PINs count down to 63C0, then VERIFY answers 6983 even with the right PIN",
		Clause: cardSec, Requires: needTries(1), Destructive: true,
		Run: func(s *S) {
			selectSSSE(s)
			left := *s.Profile().SSSE.PIN.TriesLeft
			for n := left - 1; n >= 0; n-- {
				s.Step("wrong PIN, %d left", n)
				s.Expect(verifyAPDU(s, wrongPIN(s)), SW(tries(n)))
			}
			s.Step("right PIN on a blocked PIN")
			s.Expect(verifyAPDU(s, pin(s)), SW(iso7816.SWAuthBlocked))
			s.Expect("00200000", SW(iso7816.SWAuthBlocked))
		},
	},
	{
		ID: "SSSE-PIN-005", Title: "A blocked PIN answers 6983",
		Clause: cardSec, Persona: "pin-blocked", Requires: needBlockedPIN,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(verifyAPDU(s, pin(s)), SW(iso7816.SWAuthBlocked))
		},
	},
	{
		ID: "SSSE-PIN-006", Title: "The verified state does not survive a reset; the try counter does",
		Clause: iso4 + " §5.4.3", Requires: needTries(2), Restores: true,
		Run: func(s *S) {
			selectSSSE(s)
			verifyPIN(s)
			s.Step("wrong PIN")
			left := s.Profile().SSSE.PIN.MaxTries
			s.Expect(verifyAPDU(s, wrongPIN(s)), SW(tries(left-1)))
			s.Step("reselect the SSSE")
			s.Send("00A4000C023F00")
			selectSSSE(s)
			s.Expect("00200000", SW(tries(left-1)))
			verifyPIN(s)
		},
	},
	{
		ID: "SSSE-PIN-007", Title: "VERIFY with malformed BCD answers 6A80 and costs no try",
		Clause: iso4 + " §11.5.6", Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("002000000312A456", SW(iso7816.SWWrongData))
			s.Expect("00200000", SW(tries(*s.Profile().SSSE.PIN.TriesLeft)))
		},
	},
	{
		ID: "SSSE-PIN-008", Title: "VERIFY of an unknown PIN reference answers 6A88",
		Clause: iso4 + " §11.5.6", Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(apdu(0, 0x20, 0, 0x05, bcdPIN(s, pin(s))), SW(iso7816.SWRefDataNotFound))
		},
	},
	{
		ID: "SSSE-PIN-009", Title: "CHANGE PIN (80 5E 01 00 old FF new) sets the new PIN",
		Clause: cardSec, Requires: needTries(1), Restores: true,
		Run: func(s *S) {
			selectSSSE(s)
			old := pin(s)
			newPIN := "135790"[:len(old)]
			s.Step("change")
			s.Expect(apdu(0x80, 0x5E, 0x01, 0x00, append(append(bcdPIN(s, old), 0xFF), bcdPIN(s, newPIN)...)), OK())
			s.Step("old PIN refused")
			s.Expect(verifyAPDU(s, old), SW(tries(s.Profile().SSSE.PIN.MaxTries-1)))
			s.Step("new PIN accepted")
			s.Expect(verifyAPDU(s, newPIN), OK())
			s.Step("change back")
			s.Expect(apdu(0x80, 0x5E, 0x01, 0x00, append(append(bcdPIN(s, newPIN), 0xFF), bcdPIN(s, old)...)), OK())
		},
	},
	{
		ID: "SSSE-PIN-010", Title: "CHANGE PIN with a wrong old PIN counts a try and changes nothing",
		Clause: cardSec, Requires: needTries(2), Restores: true,
		Run: func(s *S) {
			selectSSSE(s)
			left := *s.Profile().SSSE.PIN.TriesLeft
			s.Expect(apdu(0x80, 0x5E, 0x01, 0x00, append(append(bcdPIN(s, wrongPIN(s)), 0xFF), bcdPIN(s, "1357")...)), SW(tries(left-1)))
			s.Step("the PIN is unchanged")
			s.Expect(verifyAPDU(s, pin(s)), OK())
		},
	},
	{
		ID: "SSSE-PIN-011", Title: "PIN RELOAD through the PSAM sets a new PIN and restores the tries",
		Clause: cardSec, PSAM: true, Requires: needTries(1), Destructive: true,
		Run: func(s *S) {
			selectSSSE(s)
			ssc := s.Session()
			s.Step("reload")
			sw, err := ssc.ReloadPIN("246810")
			s.OK(err, "reload")
			s.Check(iso7816.Response{SW: sw}, OK())
			s.Step("new PIN accepted")
			s.Expect(verifyAPDU(s, "246810"), OK())
		},
	},
	{
		ID: "SSSE-PIN-012", Title: "PIN RELOAD unblocks a blocked PIN",
		Clause: cardSec, PSAM: true, Persona: "pin-blocked", Requires: needBlockedPIN, Destructive: true,
		Run: func(s *S) {
			selectSSSE(s)
			sw, err := s.Session().ReloadPIN("112233")
			s.OK(err, "reload")
			s.Check(iso7816.Response{SW: sw}, OK())
			s.Expect(verifyAPDU(s, "112233"), OK())
		},
	},
	{
		ID: "SSSE-PIN-013", Title: "PIN RELOAD without external authentication with the reload key answers 6982",
		Clause: cardSec, PSAM: true, Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			ssc := s.Session()
			s.OK(ssc.PSAM.Deliver(0x06, ssc.Alg, ssc.Factor()), "PSAM key")
			block := make([]byte, ssc.Alg.BlockSize())
			cmd, err := ssc.SecureCommand(0x24, 0x00, 0x01, block)
			s.OK(err, "building the command")
			r := s.Exchange(cmd)
			s.Check(r, SW(iso7816.SWSecurityNotSatisfied))
			s.Expect(verifyAPDU(s, pin(s)), OK())
		},
	},
	{
		ID: "SSSE-PIN-014", Title: "PIN UNBLOCK (84 24 00 00 with MAC) restores the tries of a blocked PIN",
		Clause: cardSec + " [model]", Model: true, PSAM: true, Persona: "pin-blocked", Requires: needBlockedPIN, Destructive: true,
		Run: func(s *S) {
			selectSSSE(s)
			sw, err := s.Session().UnblockPIN()
			s.OK(err, "unblock")
			s.Check(iso7816.Response{SW: sw}, OK())
			s.Expect(verifyAPDU(s, pin(s)), OK())
		},
	},
	{
		ID: "SSSE-PIN-015", Title: "VERIFY on a sealed (deactivated) SSSE answers 6985 and costs no try",
		Clause: cardLife + " [model]", Model: true, Persona: "default", Requires: needLifeCycle("deactivated"),
		Run: func(s *S) {
			s.Step("select SSSE")
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: []byte("sx1.sh.\xC9\xE7\xBB\xE1\xB1\xA3\xD5\xCF")})
			s.Check(r, OK())
			s.Expect(verifyAPDU(s, pin(s)), SW(iso7816.SWConditionsNotSatisfied))
		},
	},
}
