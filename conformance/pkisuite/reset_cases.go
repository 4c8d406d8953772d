package pkisuite

import (
	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

const resetClause = iso4 + " (RESET RETRY COUNTER); " + modelPKI + ": data and MAC"

// resetCommand is RESET RETRY COUNTER of the user PIN over a fresh
// challenge, under the MAC of admin's key computed as for class 84: with
// newPIN's key enciphered under admin's (84 2C 02 81 14), or of the tries
// only (84 2C 03 81 04) when newPIN is "". cla is the class sent.
func resetCommand(s *conformance.S, cla byte, admin, newPIN string) []byte {
	a := cardcrypto.PKIPINKey(admin)
	p1 := byte(0x03)
	var body []byte
	if newPIN != "" {
		p1 = 0x02
		n := cardcrypto.PKIPINKey(newPIN)
		var err error
		body, err = cardcrypto.EncryptECB(cardcrypto.AlgSM4, a[:], n[:])
		s.OK(err, "enciphering the new PIN's key")
	}
	r := s.Must(cmd(0x00, 0x84, 0x00, 0x00, nil, 16), conformance.OK(), conformance.DataLen(16))
	h := append([]byte{0x84, 0x2C, p1, idauth.UserPIN, byte(len(body) + cardcrypto.MACSize)}, body...)
	mac, err := cardcrypto.MAC(cardcrypto.AlgSM4, a[:], r.Data, h)
	s.OK(err, "MAC")
	return cmd(cla, 0x2C, p1, idauth.UserPIN, append(body, mac...), -1)
}

// blockUser presents wrong user PINs until the PIN is blocked.
func blockUser(s *conformance.S) {
	for n := *s.Profile().PKI.UserPIN.TriesLeft - 1; n >= 0; n-- {
		s.Step("wrong user PIN, %d left", n)
		checkSW(s, client(s).VerifyPIN(idauth.UserPIN, wrongPIN(userPIN(s))), tries(n), "wrong PIN")
	}
	s.Step("the user PIN is blocked")
	s.Expect(pinStatus(idauth.UserPIN), conformance.SW(iso7816.SWAuthBlocked))
}

func userMax(s *conformance.S) int  { return s.Profile().PKI.UserPIN.MaxTries }
func adminMax(s *conformance.S) int { return s.Profile().PKI.AdminPIN.MaxTries }

var resetCases = []*conformance.Case{
	{
		ID: "PKI-PIN-008", Title: "RESET RETRY COUNTER 84 2C 02 81 under the admin PIN's MAC unblocks a blocked user PIN with a new PIN; the old PIN is refused",
		Clause: resetClause, Model: true, Requires: conformance.RequireAll(needUserTries(1), needAdminTries(1)), Destructive: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			blockUser(s)
			old, nw := userPIN(s), "13572468"
			s.Step("reset with a new PIN")
			s.Expect(resetCommand(s, 0x84, adminPIN(s), nw), conformance.OK(), conformance.NoData())
			s.Step("the tries are restored")
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(userMax(s))))
			s.Expect(pinStatus(idauth.AdminPIN), conformance.SW(tries(adminMax(s))))
			s.Step("the old PIN is refused")
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, old), tries(userMax(s)-1), "old PIN")
			s.Step("the new PIN is accepted")
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, nw), iso7816.SWOK, "new PIN")
			s.Step("the declared PIN back")
			s.Expect(resetCommand(s, 0x84, adminPIN(s), old), conformance.OK())
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, old), iso7816.SWOK, "declared PIN")
		},
	},
	{
		ID: "PKI-PIN-009", Title: "RESET RETRY COUNTER 84 2C 03 81 (tries only) under the admin PIN's MAC unblocks a blocked user PIN, which stays the same",
		Clause: resetClause, Model: true, Requires: conformance.RequireAll(needUserTries(1), needAdminTries(1)), Destructive: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			blockUser(s)
			s.Step("reset the tries")
			s.Expect(resetCommand(s, 0x84, adminPIN(s), ""), conformance.OK(), conformance.NoData())
			s.Step("the tries are restored")
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(userMax(s))))
			verifyUser(s)
		},
	},
	{
		ID: "PKI-PIN-010", Title: "RESET RETRY COUNTER with a wrong MAC costs an admin PIN try (63Cx) and changes nothing; the right MAC restores both PINs' tries",
		Clause: resetClause, Model: true, Requires: conformance.RequireAll(needUserTries(2), needAdminTries(3)), Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			left, uleft := *s.Profile().PKI.AdminPIN.TriesLeft, *s.Profile().PKI.UserPIN.TriesLeft
			s.Step("one wrong user PIN")
			checkSW(s, client(s).VerifyPIN(idauth.UserPIN, wrongPIN(userPIN(s))), tries(uleft-1), "wrong PIN")
			s.Step("wrong admin PIN, so a wrong MAC")
			s.Expect(resetCommand(s, 0x84, wrongPIN(adminPIN(s)), ""), conformance.SW(tries(left-1)), conformance.NoData())
			s.Step("MAC corrupted")
			c := resetCommand(s, 0x84, adminPIN(s), "13572468")
			c[len(c)-1] ^= 0x01
			s.Expect(c, conformance.SW(tries(left-2)), conformance.NoData())
			s.Step("nothing else changed")
			s.Expect(pinStatus(idauth.AdminPIN), conformance.SW(tries(left-2)))
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(uleft-1)))
			s.Step("the right MAC")
			s.Expect(resetCommand(s, 0x84, adminPIN(s), ""), conformance.OK(), conformance.NoData())
			s.Expect(pinStatus(idauth.AdminPIN), conformance.SW(tries(adminMax(s))))
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(userMax(s))))
			verifyUser(s) // the PIN of the corrupted command did not go in
		},
	},
	{
		ID: "PKI-PIN-011", Title: "RESET RETRY COUNTER answers 6982 in class 80 or 00, 6A86 for the admin PIN (P2 00), 6988 without a challenge, at no cost",
		Clause: resetClause, Model: true, Requires: conformance.RequireAll(needUserTries(1), needAdminTries(1)),
		Run: func(s *conformance.S) {
			selectPKI(s)
			left, uleft := *s.Profile().PKI.AdminPIN.TriesLeft, *s.Profile().PKI.UserPIN.TriesLeft
			for _, cla := range []byte{0x80, 0x00} {
				s.Step("class %02X", cla)
				s.Expect(resetCommand(s, cla, adminPIN(s), ""), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
				s.Volatile() // the MAC depends on the challenge; the class does not say so
			}
			s.Step("P2 00, the admin PIN")
			c := resetCommand(s, 0x84, adminPIN(s), "13572468")
			c[3] = idauth.AdminPIN
			s.Expect(c, conformance.SW(iso7816.SWWrongP1P2), conformance.NoData())
			s.Step("no challenge")
			c[3] = idauth.UserPIN
			s.Expect(c, conformance.SW(iso7816.SWSMDataIncorrect), conformance.NoData())
			s.Step("no try spent, no PIN changed")
			s.Expect(pinStatus(idauth.AdminPIN), conformance.SW(tries(left)))
			s.Expect(pinStatus(idauth.UserPIN), conformance.SW(tries(uleft)))
		},
	},
}
