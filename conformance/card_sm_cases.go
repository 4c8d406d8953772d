package conformance

import (
	"bytes"
	"fmt"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Secure messaging of CLA 04/84 commands (CARD.md §3): a 4-byte MAC over
// CLA INS P1 P2 Lc data with the card's fresh challenge as IV. Most cases
// write EF05 record 07 with its own value, so that a card that wrongly
// accepts a command is still left as it was.

// smKey delivers the card's key id to the PSAM for the MACs that follow.
func smKey(s *S, id byte) *terminal.SSC {
	ssc := s.Session()
	s.OK(ssc.PSAM.Deliver(id, ssc.Alg, ssc.Factor()), fmt.Sprintf("PSAM key %02X", id))
	return ssc
}

// smChallenge asks for one block of challenge: the IV of the next MAC.
func smChallenge(s *S) []byte { return auChallenge(s, s.Session().Alg.BlockSize()) }

// smMACed returns cla ins p1 p2 Lc body MAC, the MAC computed by the PSAM
// with the delivered key over iv.
func smMACed(s *S, iv []byte, cla, ins, p1, p2 byte, body []byte) []byte {
	msg := append([]byte{cla, ins, p1, p2, byte(len(body) + cardcrypto.MACSize)}, body...)
	mac, err := s.Session().PSAM.MAC(iv, msg)
	s.OK(err, "PSAM MAC")
	return append(bytes.Clone(msg), mac...)
}

// smUpdate07 is a MACed UPDATE RECORD of EF05 record 07 with rec, over a
// fresh challenge, with the key already delivered.
func smUpdate07(s *S, cla byte, rec []byte) []byte {
	iv := smChallenge(s)
	return smMACed(s, iv, cla, 0xDC, 0x07, 5<<3, rec)
}

// smRead07 expects EF05 record 07 to read as want.
func smRead07(s *S, want []byte) {
	s.Step("read EF05 record 07")
	s.Expect(apduLe(0, 0xB2, 0x07, 5<<3, 0), OK(), Data(want))
}

// smRestore07 puts EF05 record 07 back to orig if a faulty card changed it.
func smRestore07(s *S, orig []byte) {
	r := s.Send(apduLe(0, 0xB2, 0x07, 5<<3, 0))
	if r.SW == iso7816.SWOK && bytes.Equal(r.Data, orig) {
		return
	}
	auth(s, terminal.KeyEF05)
	s.Step("restore EF05 record 07")
	s.Expect(apdu(0, 0xDC, 0x07, 5<<3, orig), OK())
}

// smNeedWrite05: EF05 updates with key 04, so that CLA 84 writes are MACed
// with it.
var smNeedWrite05 = RequireAll(auNeedKey(0x04, "extauth"), genNeedRule("EF05", "update", "key:04"))

var smCases = []*Case{
	{
		ID: "SSSE-SM-001", Title: "Commands that exist only under SM, sent with CLA 00 or 80, answer 6982 and change nothing",
		Clause: cardSec + " [model: 6982 for a missing MAC]", Model: true, Requires: needTries(1),
		Run: func(s *S) {
			selectSSSE(s)
			for _, c := range []string{"00240000", "00240001", "80240000", "00180000", "00440000"} {
				s.Step("%s", c)
				s.Expect(c, SW(iso7816.SWSecurityNotSatisfied), NoData())
			}
			s.Step("the PIN tries are unchanged")
			s.Expect("00200000", SW(tries(*s.Profile().SSSE.PIN.TriesLeft)))
			smRead07(s, record(s, "EF05", 0x07))
		},
	},
	{
		ID: "SSSE-SM-002", Title: "UPDATE RECORD (CLA 84) with a wrong MAC answers 6988 and leaves the record as it was",
		Clause: cardSec, PSAM: true, Restores: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, wrAlt(orig))
			s.Step("wrong MAC")
			s.Expect(auFlip(cmd), SW(iso7816.SWSMDataIncorrect), NoData())
			smRead07(s, orig)
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-003", Title: "PIN UNBLOCK with a wrong MAC answers 6988; the PIN stays blocked",
		Clause: cardSec + " [model: 84 24 00 00 unblock]", Model: true, PSAM: true, Persona: "pin-blocked",
		Requires: RequireAll(needBlockedPIN, auNeedKey(terminal.KeyUnblock, "unblock")),
		Run: func(s *S) {
			smKey(s, terminal.KeyUnblock)
			iv := smChallenge(s)
			cmd := smMACed(s, iv, 0x84, 0x24, 0x00, 0x00, nil)
			s.Step("wrong MAC")
			s.Expect(auFlip(cmd), SW(iso7816.SWSMDataIncorrect))
			s.Step("the PIN is still blocked")
			s.Expect("00200000", SW(iso7816.SWAuthBlocked))
		},
	},
	{
		ID: "SSSE-SM-004", Title: "PIN RELOAD with a wrong MAC answers 6988: the tries stay where they were",
		Clause: cardSec, PSAM: true, Restores: true,
		Requires: RequireAll(needTries(2), auNeedKey(terminal.KeyReload, "reload")),
		Run: func(s *S) {
			ssc := s.Session()
			left := *s.Profile().SSSE.PIN.TriesLeft
			s.Step("wrong PIN")
			s.Expect(apdu(0, 0x20, 0, 0, bcdPIN(s, wrongPIN(s))), SW(tries(left-1)))
			auth(s, terminal.KeyReload)
			// The new PIN is the old one: a card that takes the command
			// anyway keeps its PIN.
			block := cardcrypto.Pad80(append([]byte{byte(len(bcdPIN(s, pin(s))))}, bcdPIN(s, pin(s))...), ssc.Alg.BlockSize())
			enc, err := ssc.PSAM.Encrypt(block)
			s.OK(err, "PSAM PIN encipherment")
			iv := smChallenge(s)
			cmd := smMACed(s, iv, 0x84, 0x24, 0x00, 0x01, enc)
			s.Step("wrong MAC")
			s.Expect(auFlip(cmd), SW(iso7816.SWSMDataIncorrect))
			s.Step("the tries are not restored")
			s.Expect("00200000", SW(tries(left-1)))
			verifyPIN(s)
		},
	},
	{
		ID: "SSSE-SM-005", Title: "A MAC made over a challenge that a newer GET CHALLENGE replaced answers 6988",
		Clause: cardSec, PSAM: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, orig)
			smChallenge(s)
			s.Step("MAC over the older challenge")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-006", Title: "An accepted MACed command cannot be replayed (6988), with or without a new challenge",
		Clause: cardSec, PSAM: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, orig)
			s.Step("accepted")
			s.Expect(cmd, OK(), NoData())
			s.Step("replayed at once")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smChallenge(s)
			s.Step("replayed over a new challenge")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-007", Title: "A MACed command with no challenge issued answers 6988 (a zero IV is not assumed)",
		Clause: cardSec, PSAM: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			ssc := smKey(s, terminal.KeyEF05)
			cmd := smMACed(s, make([]byte, ssc.Alg.BlockSize()), 0x84, 0xDC, 0x07, 5<<3, orig)
			s.Step("no challenge")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-008", Title: "A truncated MAC (Lc one short) or no MAC at all answers 6700 or 6988",
		Clause: cardSec + "; " + iso4 + " §5.6", PSAM: true, Restores: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, wrAlt(orig))
			cut := bytes.Clone(cmd[:len(cmd)-1])
			cut[4]--
			s.Step("three-byte MAC")
			s.Expect(cut, SWOneOf(iso7816.SWWrongLength, iso7816.SWSMDataIncorrect))
			smChallenge(s)
			s.Step("no MAC")
			s.Expect(apdu(0x84, 0xDC, 0x07, 5<<3, wrAlt(orig)), SWOneOf(iso7816.SWWrongLength, iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-009", Title: "A MAC made with another key than the file's update key answers 6988",
		Clause: cardSec, PSAM: true, Requires: RequireAll(smNeedWrite05, auNeedKey(terminal.KeyEF06Wr, "extauth")),
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF06Wr)
			cmd := smUpdate07(s, 0x84, orig)
			s.Step("MAC with key 0D")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-010", Title: "UPDATE RECORD with CLA 04 and the right MAC writes EF05 without external authentication",
		Clause: cardSec + "; " + iso4 + " §5.4.1 [model: the MAC key is the update rule's key]", Model: true,
		PSAM: true, Restores: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			alt := wrAlt(orig)
			smKey(s, terminal.KeyEF05)
			s.Step("write")
			s.Expect(smUpdate07(s, 0x04, alt), OK(), NoData())
			smRead07(s, alt)
			s.Step("write back")
			s.Expect(smUpdate07(s, 0x04, orig), OK(), NoData())
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-011", Title: "UPDATE RECORD with CLA 84 and the right MAC writes EF05 without external authentication",
		Clause: cardSec + " [model: the MAC key is the update rule's key]", Model: true,
		PSAM: true, Restores: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			alt := wrAlt(orig)
			smKey(s, terminal.KeyEF05)
			s.Step("write")
			s.Expect(smUpdate07(s, 0x84, alt), OK(), NoData())
			smRead07(s, alt)
			s.Step("a plain write is still refused")
			s.Expect(apdu(0, 0xDC, 0x07, 5<<3, orig), SW(iso7816.SWSecurityNotSatisfied))
			s.Step("write back")
			s.Expect(smUpdate07(s, 0x84, orig), OK(), NoData())
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-012", Title: "ISO secure messaging (CLA 08, 0C) answers 6882",
		Clause: iso4 + " §5.4.1, §10", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("0CB2012C00", SW(iso7816.SWSMNotSupported), NoData())
			s.Expect("08B2012C00", SW(iso7816.SWSMNotSupported), NoData())
			s.Expect("0CDC072806870401020304", SW(iso7816.SWSMNotSupported), NoData())
		},
	},
	{
		ID: "SSSE-SM-013", Title: "READ RECORD with CLA 04 answers 6882: the card reads in plain only",
		Clause: iso4 + " §5.4.1 [model: no SM on reads]", Model: true, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("04B2012C00", SW(iso7816.SWSMNotSupported), NoData())
		},
	},
	{
		ID: "SSSE-SM-014", Title: "A failed MAC spends the challenge: the right MAC over it then answers 6988",
		Clause: cardSec, PSAM: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, orig)
			s.Step("wrong MAC")
			s.Expect(auFlip(cmd), SW(iso7816.SWSMDataIncorrect))
			s.Step("right MAC over the spent challenge")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			s.Step("right MAC over a fresh challenge")
			s.Expect(smUpdate07(s, 0x84, orig), OK())
		},
	},
	{
		ID: "SSSE-SM-015", Title: "The MAC covers the header: changing CLA (84→04) or P2 (identifier→number) after MACing answers 6988",
		Clause: cardSec, PSAM: true, Requires: smNeedWrite05,
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			cmd := smUpdate07(s, 0x84, orig)
			cmd[0] = 0x04
			s.Step("CLA changed")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			cmd = smUpdate07(s, 0x84, orig)
			cmd[2], cmd[3] = recordNumber(s, "EF05", 0x07), 5<<3|4
			s.Step("P1-P2 changed")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-016", Title: "3DES card: MACs are retail MACs over an 8-byte challenge; a wrong one answers 6988",
		Clause: cardSec + " [model: 3DES MAC]", Model: true, Persona: "gen2", PSAM: true, Restores: true,
		Requires: RequireAll(needGen("1.00", "2.00"), genNeed3DES, smNeedWrite05),
		Run: func(s *S) {
			orig := record(s, "EF05", 0x07)
			smKey(s, terminal.KeyEF05)
			iv := auChallenge(s, 8)
			s.Step("right MAC")
			s.Expect(smMACed(s, iv, 0x84, 0xDC, 0x07, 5<<3, orig), OK())
			s.Step("wrong MAC")
			s.Expect(auFlip(smUpdate07(s, 0x84, wrAlt(orig))), SW(iso7816.SWSMDataIncorrect))
			smRead07(s, orig)
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-SM-017", Title: "APPLICATION BLOCK with a wrong MAC answers 6988: the SSSE still selects with 9000 and reads",
		Clause: emvScript + "; " + cardSec, PSAM: true, Restores: true, Requires: auNeedKey(terminal.KeyMaint, "maint"),
		Run: func(s *S) {
			smKey(s, terminal.KeyMaint)
			iv := smChallenge(s)
			cmd := smMACed(s, iv, 0x84, 0x1E, 0, 0, nil)
			s.Step("wrong MAC")
			s.Expect(auFlip(cmd), SW(iso7816.SWSMDataIncorrect))
			s.Step("select SSSE")
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: terminal.SSSEAID})
			s.Check(r, OK())
			if r.SW == iso7816.SWWarnDeactivated {
				s.Step("unblock the application again")
				sw, err := s.Session().LifeCycle(0x18)
				s.OK(err, "application unblock")
				s.Check(iso7816.Response{SW: sw}, OK())
				return
			}
			smRead07(s, record(s, "EF05", 0x07))
		},
	},
	{
		ID: "SSSE-SM-018", Title: "3.00 card: UPDATE BINARY with CLA 84 and the update key's MAC writes EF07; it reads back after RKSSSE",
		Clause: cardSec + " [model: the MAC key is the update rule's key]", Model: true, PSAM: true, Restores: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF07", "read", "key:0A"), genNeedRule("EF07", "update", "key:0D")),
		Run: func(s *S) {
			genUnlock(s, "EF07")
			s.Step("read EF07 at 0010")
			orig := s.Must(apduLe(0, 0xB0, 0x87, 0x10, 8), OK(), DataLen(8)).Data
			alt := wrAltBytes(orig)
			smKey(s, terminal.KeyEF06Wr)
			iv := smChallenge(s)
			s.Step("write")
			s.Expect(smMACed(s, iv, 0x84, 0xD6, 0x87, 0x10, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x87, 0x10, 8), OK(), Data(alt))
			iv = smChallenge(s)
			s.Step("write back")
			s.Expect(smMACed(s, iv, 0x84, 0xD6, 0x87, 0x10, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x87, 0x10, 8), OK(), Data(orig))
		},
	},
}
