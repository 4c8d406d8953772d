package pkisuite

import (
	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

func pinStatus(ref byte) []byte { return []byte{0x00, 0x20, 0x01, ref} }

var pinCases = []*conformance.Case{
	{
		ID: "PKI-PIN-001", Title: "VERIFY of the user PIN (00 20 01 81 10, SM4 of the challenge under SM3(PIN)) answers 9000",
		Clause: cardPKI, Requires: needUserTries(1),
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyUser(s)
			s.Step("the state")
			s.Expect(pinStatus(idauth.UserPIN), conformance.OK())
		},
	},
	{
		ID: "PKI-PIN-002", Title: "A wrong user PIN answers 63Cx with one try fewer; the right PIN restores the tries",
		Clause: cardPKI, Requires: needUserTries(2), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			left := *s.Profile().PKI.UserPIN.TriesLeft
			s.Step("wrong PIN")
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, wrongPIN(userPIN(s))), tries(left-1), "wrong PIN")
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(left-1)))
			verifyUser(s)
			s.Step("tries restored")
			s.Expect(cmd(0x00, 0xA4, 0x03, 0x0C, nil, -1), conformance.OK())
			selectPKI(s)
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(s.Profile().PKI.UserPIN.MaxTries)))
		},
	},
	{
		ID: "PKI-PIN-003", Title: "Wrong user PINs count down to 63C0, then VERIFY answers 6983 even with the right PIN",
		Clause: cardPKI, Requires: needUserTries(1), Destructive: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			for n := *s.Profile().PKI.UserPIN.TriesLeft - 1; n >= 0; n-- {
				s.Step("wrong PIN, %d left", n)
				checkSW(s, client(s).VerifyPIN(idauth.UserPIN, wrongPIN(userPIN(s))), tries(n), "wrong PIN")
			}
			s.Step("right PIN on a blocked PIN")
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, userPIN(s)), iso7816.SWAuthBlocked, "right PIN")
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(iso7816.SWAuthBlocked))
			s.Step("no signature")
			s.Expect(cmd(0x00, 0x2A, 0x9E, 0x9A, make([]byte, 32), 0), conformance.SW(iso7816.SWSecurityNotSatisfied))
		},
	},
	{
		ID: "PKI-PIN-004", Title: "A VERIFY cryptogram serves one challenge: sent again it answers 6984 and costs no try",
		Clause: modelPKI, Model: true, Requires: needUserTries(1),
		Run: func(s *conformance.S) {
			selectPKI(s)
			s.Step("challenge")
			r := s.Must(cmd(0x00, 0x84, 0x00, 0x00, nil, 16), conformance.OK(), conformance.DataLen(16))
			k := cardcrypto.PKIPINKey(userPIN(s))
			cr, err := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, k[:], r.Data)
			s.OK(err, "cryptogram")
			v := cmd(0x00, 0x20, 0x01, idauth.UserPIN, cr, -1)
			s.Step("verify")
			s.Expect(v, conformance.OK())
			s.Step("the same cryptogram again")
			s.Expect(v, conformance.SW(iso7816.SWRefDataNotUsable))
			s.Expect(pinStatus(idauth.UserPIN), conformance.OK())
		},
	},
	{
		ID: "PKI-PIN-005", Title: "VERIFY of the admin PIN (00 20 01 00 10) answers 9000; a wrong one 63Cx; the right one restores",
		Clause: cardPKI, Requires: needAdminTries(2), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			left := *s.Profile().PKI.AdminPIN.TriesLeft
			s.Step("wrong admin PIN")
			checkSW(s, client(s).VerifyPIN(idauth.AdminPIN, wrongPIN(adminPIN(s))), tries(left-1), "wrong admin PIN")
			verifyAdmin(s)
			s.Expect(pinStatus(idauth.AdminPIN), conformance.OK())
		},
	},
	{
		ID: "PKI-PIN-006", Title: "CHANGE PIN 84 5E 01 00 14 under MAC sets a new admin PIN; the old one is refused",
		Clause: cardPKI + " [model: data and MAC]", Model: true, Requires: needAdminTries(2), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			old, nw := adminPIN(s), "24681357"
			s.Step("change")
			checkSW(s, client(s).ChangePIN(idauth.AdminPIN, old, nw), iso7816.SWOK, "change")
			s.Step("old PIN refused")
			checkSW(s, client(s).VerifyPIN(idauth.AdminPIN, old), tries(s.Profile().PKI.AdminPIN.MaxTries-1), "old PIN")
			s.Step("new PIN accepted")
			checkSW(s, client(s).VerifyPIN(idauth.AdminPIN, nw), iso7816.SWOK, "new PIN")
			s.Step("change back")
			checkSW(s, client(s).ChangePIN(idauth.AdminPIN, nw, old), iso7816.SWOK, "change back")
		},
	},
	{
		ID: "PKI-PIN-007", Title: "CHANGE PIN with a wrong MAC costs a try and changes nothing; without MAC (CLA 80) it answers 6982",
		Clause: modelPKI, Model: true, Requires: needAdminTries(3), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			left := *s.Profile().PKI.AdminPIN.TriesLeft
			s.Step("wrong old PIN, so a wrong MAC")
			checkSW(s, client(s).ChangePIN(idauth.AdminPIN, wrongPIN(adminPIN(s)), "11112222"), tries(left-1), "wrong MAC")
			s.Step("MAC corrupted")
			r := s.Must(cmd(0x00, 0x84, 0x00, 0x00, nil, 16), conformance.OK())
			o, n := cardcrypto.PKIPINKey(adminPIN(s)), cardcrypto.PKIPINKey("11112222")
			body, _ := cardcrypto.EncryptECB(cardcrypto.AlgSM4, o[:], n[:])
			mac, _ := cardcrypto.MAC(cardcrypto.AlgSM4, o[:], r.Data, append([]byte{0x84, 0x5E, 0x01, 0x00, 0x14}, body...))
			mac[0] ^= 0x01
			s.Expect(cmd(0x84, 0x5E, 0x01, 0x00, append(body, mac...), -1), conformance.SW(tries(left-2)))
			s.Step("plain class")
			s.Expect(cmd(0x80, 0x5E, 0x01, 0x00, append(body, mac...), -1), conformance.SW(iso7816.SWSecurityNotSatisfied))
			s.Volatile() // the MAC depends on the challenge; the class does not say so
			s.Step("the admin PIN is unchanged")
			verifyAdmin(s)
		},
	},
}
