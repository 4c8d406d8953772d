package conformance

import (
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// The life cycle of the SSSE (CARD.md §6 [model]): the on-chip status of
// FCP tag 8A (05 activated, 04 deactivated, 0C terminated) changed by
// ACTIVATE FILE 84 44, DEACTIVATE FILE 84 04 and TERMINATE DF 84 E6, and the
// issuer-script commands APPLICATION BLOCK 84 1E, APPLICATION UNBLOCK 84 18
// and CARD BLOCK 84 16 (EMV Book 3 §6.5). Each carries a MAC with the
// maintenance key (0B) over a fresh challenge; the life cycle commands also
// need external authentication with it first (the "admin" rule), which
// terminals do before every one of these commands.
//
// What activation changes on a real chip is not public: a sealed card
// (封存) carries life cycle 04 and a terminal of an activation route (bank,
// hospital, pharmacy, bureau, CARD.md §6) sends ACTIVATE FILE; a cancelled
// or formally lost card seen by a terminal has its applications blocked.

// Life cycle status bytes of FCP tag 8A (ISO/IEC 7816-4 §7.4.10).
const (
	lcStatusActivated   = 0x05
	lcStatusDeactivated = 0x04
)

// Instructions of the life cycle and issuer-script commands.
const (
	lcActivate   = 0x44
	lcDeactivate = 0x04
	lcTerminate  = 0xE6
	lcAppBlock   = 0x1E
	lcAppUnblock = 0x18
	lcCardBlock  = 0x16
)

var lcNames = map[byte]string{
	lcActivate: "ACTIVATE FILE", lcDeactivate: "DEACTIVATE FILE", lcTerminate: "TERMINATE DF",
	lcAppBlock: "APPLICATION BLOCK", lcAppUnblock: "APPLICATION UNBLOCK", lcCardBlock: "CARD BLOCK",
}

const lcClause = cardLife + " [model]; " + iso4 + " §11.6"

// lcSend sends a life cycle or issuer-script command the way a terminal
// does (terminal.SSC.LifeCycle: external authentication with the
// maintenance key, then the MACed command) and ends the case unless the
// card answers want.
func lcSend(s *S, ins byte, want iso7816.Status) {
	s.Step("%s", lcNames[ins])
	sw, err := s.Session().LifeCycle(ins)
	s.OK(err, lcNames[ins])
	if sw != want {
		s.Fatalf("%s answered %04X, want %04X", lcNames[ins], uint16(sw), uint16(want))
	}
}

// lcAPDU builds a MACed life cycle command with the maintenance key
// (spending a GET CHALLENGE), without external authentication first.
func lcAPDU(s *S, ins, p1, p2 byte) []byte {
	s.Step("%s with a MAC", lcNames[ins])
	ssc := s.Session()
	s.OK(ssc.PSAM.Deliver(terminal.KeyMaint, ssc.Alg, ssc.Factor()), "PSAM maintenance key")
	cmd, err := ssc.SecureCommand(ins, p1, p2, nil)
	s.OK(err, "building the command")
	raw, err := cmd.Bytes()
	s.OK(err, "encoding the command")
	return raw
}

// lcNeedAdmin: an active SSSE whose life cycle commands need external
// authentication with the maintenance key 0B (what terminals send).
func lcNeedAdmin(p *profile.Profile) string {
	if why := needActive(p); why != "" {
		return why
	}
	return lcAdmin0B(p)
}

func lcAdmin0B(p *profile.Profile) string {
	if r := moRule(p, "admin").Read; r != "key:0B" {
		return "life cycle commands need " + r + ", not key 0B"
	}
	return ""
}

// lcNeedSealed: an SSSE deactivated (a sealed card) with key 0B as admin rule.
func lcNeedSealed(p *profile.Profile) string {
	if why := needLifeCycle("deactivated")(p); why != "" {
		return why
	}
	return lcAdmin0B(p)
}

// lcNeedRegister: the card's register state is state.
func lcNeedRegister(state string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if p.Register == nil || p.Register.State != state {
			return "the register does not say " + state
		}
		return ""
	}
}

var lifeCycleCases = []*Case{
	{
		ID: "SSSE-LIFE-001", Title: "DEACTIVATE FILE sets FCP 8A=04, ACTIVATE FILE sets it back to 05",
		Clause: lcClause + ".4, §11.6.5", Model: true, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			lcExpect(s, lcStatusActivated)
			lcSend(s, lcDeactivate, iso7816.SWOK)
			lcExpect(s, lcStatusDeactivated)
			lcSend(s, lcActivate, iso7816.SWOK)
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-002", Title: "A deactivated SSSE still answers SELECT and READ RECORD",
		Clause: lcClause, Model: true, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			lcSend(s, lcDeactivate, iso7816.SWOK)
			s.Step("select SSSE")
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), OK(), NoData())
			for _, rec := range records(s)["EF05"] {
				s.Step("read EF05 record %02X", rec[0])
				s.Expect(readByID(ssse.SFIEF05, rec[0], 0), OK(), Data(rec))
			}
			lcSend(s, lcActivate, iso7816.SWOK)
		},
	},
	{
		ID: "SSSE-LIFE-003", Title: "A deactivated SSSE refuses VERIFY and CHANGE PIN with 6985 and spends no try",
		Clause: lcClause, Model: true, PSAM: true, Requires: RequireAll(lcNeedAdmin, needTries(1)), Restores: true,
		Run: func(s *S) {
			lcSend(s, lcDeactivate, iso7816.SWOK)
			s.Step("VERIFY with the right PIN")
			s.Expect(apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s))), SW(iso7816.SWConditionsNotSatisfied))
			s.Step("VERIFY with a wrong PIN")
			s.Expect(apdu(0, 0x20, 0, 0, bcdPIN(s, wrongPIN(s))), SW(iso7816.SWConditionsNotSatisfied))
			s.Step("CHANGE PIN")
			old := bcdPIN(s, pin(s))
			s.Expect(apdu(0x80, 0x5E, 0x01, 0x00, append(append(old, 0xFF), old...)), SW(iso7816.SWConditionsNotSatisfied))
			lcSend(s, lcActivate, iso7816.SWOK)
			s.Step("the tries are unchanged and nothing is verified")
			s.Expect("00200000", SW(moPINQuery(s)))
		},
	},
	{
		ID: "SSSE-LIFE-004", Title: "A deactivated SSSE refuses UPDATE RECORD with 6985 even with the write key authenticated",
		Clause: lcClause, Model: true, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			rec := record(s, "EF05", 0x07)
			lcSend(s, lcDeactivate, iso7816.SWOK)
			auth(s, terminal.KeyEF05)
			s.Step("UPDATE RECORD with the same content")
			s.Expect(apdu(0, 0xDC, rec[0], ssse.SFIEF05<<3, rec), SW(iso7816.SWConditionsNotSatisfied))
			lcSend(s, lcActivate, iso7816.SWOK)
			s.Step("the record is unchanged")
			s.Expect(readByID(ssse.SFIEF05, rec[0], 0), OK(), Data(rec))
		},
	},
	{
		ID: "SSSE-LIFE-005", Title: "A sealed card (8A=04) is activated with ACTIVATE FILE, then VERIFY works",
		Clause: lcClause + ".5", Model: true, PSAM: true, Persona: "default", Requires: lcNeedSealed, Restores: true,
		Run: func(s *S) {
			lcExpect(s, lcStatusDeactivated)
			s.Step("VERIFY before activation")
			s.Expect(apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s))), SW(iso7816.SWConditionsNotSatisfied))
			lcSend(s, lcActivate, iso7816.SWOK)
			lcExpect(s, lcStatusActivated)
			verifyPIN(s)
			lcSend(s, lcDeactivate, iso7816.SWOK)
			lcExpect(s, lcStatusDeactivated)
		},
	},
	{
		ID: "SSSE-LIFE-006", Title: "A sealed card reads its public data; PIN and write commands answer 6985",
		Clause: lcClause, Model: true, Persona: "default", Requires: needLifeCycle("deactivated"),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("read EF05 record 01")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
			s.Step("empty VERIFY")
			s.Expect("00200000", SW(iso7816.SWConditionsNotSatisfied))
			s.Step("CHANGE PIN")
			old := bcdPIN(s, pin(s))
			s.Expect(apdu(0x80, 0x5E, 0x01, 0x00, append(append(old, 0xFF), old...)), SW(iso7816.SWConditionsNotSatisfied))
			s.Step("UPDATE RECORD")
			rec := record(s, "EF05", 0x07)
			s.Expect(apdu(0, 0xDC, rec[0], ssse.SFIEF05<<3, rec), SW(iso7816.SWConditionsNotSatisfied))
		},
	},
	{
		ID: "SSSE-LIFE-007", Title: "A life cycle command without external authentication with key 0B answers 6982 and changes nothing",
		Clause: lcClause + "; " + cardSec, Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			s.Step("open the SSSE session")
			s.Session()
			s.Expect(lcAPDU(s, lcDeactivate, 0, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-008", Title: "External authentication with another key (RKSSSE) does not open the life cycle commands: 6982",
		Clause: lcClause + "; " + cardSec, Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			auth(s, terminal.KeyRKSSSE)
			s.Expect(lcAPDU(s, lcDeactivate, 0, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-009", Title: "A life cycle command with a wrong MAC answers 6988 and changes nothing",
		Clause: lcClause + "; " + cardSec, Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			auth(s, terminal.KeyMaint)
			cmd := lcAPDU(s, lcDeactivate, 0, 0)
			cmd[len(cmd)-1] ^= 0x01
			s.Step("DEACTIVATE FILE with the MAC altered")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect), NoData())
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-010", Title: "A life cycle command is not replayable: the same command again answers 6988",
		Clause: lcClause + "; " + cardSec, Model: true, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			auth(s, terminal.KeyMaint)
			cmd := lcAPDU(s, lcDeactivate, 0, 0)
			s.Must(cmd, OK())
			s.Step("the same command again")
			s.Expect(cmd, SW(iso7816.SWSMDataIncorrect))
			lcExpect(s, lcStatusDeactivated)
			lcSend(s, lcActivate, iso7816.SWOK)
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-011", Title: "Life cycle and block commands in plain CLA 00 (00 44, 00 04, 00 1E, 00 18) answer 6982",
		Clause: lcClause + "; " + emvScript, Model: true, Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			for _, ins := range []byte{lcActivate, lcDeactivate, lcAppBlock, lcAppUnblock} {
				s.Step("%s in CLA 00", lcNames[ins])
				s.Expect([]byte{0x00, ins, 0x00, 0x00}, SW(iso7816.SWSecurityNotSatisfied), NoData())
			}
			s.Step("the SSSE is unchanged")
			s.Expect(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SWClass(0x61))
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-012", Title: "External authentication with key 0B is lost on leaving the SSSE: the life cycle command answers 6982",
		Clause: lcClause + "; " + iso4 + " §5.4.3", Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			auth(s, terminal.KeyMaint)
			s.Step("select MF, then the SSSE")
			s.Must("00A4000C023F00", OK())
			s.Must(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), OK())
			s.Expect(lcAPDU(s, lcDeactivate, 0, 0), SW(iso7816.SWSecurityNotSatisfied))
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-013", Title: "A life cycle command with P1-P2 other than 0000 answers 6A86 and changes nothing",
		Clause: lcClause, Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			auth(s, terminal.KeyMaint)
			s.Expect(lcAPDU(s, lcDeactivate, 0x01, 0x00), SW(iso7816.SWWrongP1P2))
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-014", Title: "A life cycle command with an Le field answers 6700 and changes nothing",
		Clause: lcClause + "; " + iso4 + " §5.1", Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			auth(s, terminal.KeyMaint)
			cmd := append(lcAPDU(s, lcDeactivate, 0, 0), 0x00)
			s.Expect(cmd, SW(iso7816.SWWrongLength))
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-015", Title: "The deactivated state is kept in the card: it survives leaving and reselecting the SSSE",
		Clause: lcClause, Model: true, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			lcSend(s, lcDeactivate, iso7816.SWOK)
			s.Step("select MF")
			s.Must("00A4000C023F00", OK())
			lcExpect(s, lcStatusDeactivated)
			lcSend(s, lcActivate, iso7816.SWOK)
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-016", Title: "TERMINATE DF: every later command in the SSSE answers 9303, ACTIVATE FILE included",
		Clause: lcClause + ".6; " + cardSec, Model: true, PSAM: true, Requires: lcNeedAdmin, Destructive: true,
		Run: func(s *S) {
			lcSend(s, lcTerminate, iso7816.SWOK)
			for _, c := range []struct {
				what string
				apdu []byte
			}{
				{"READ RECORD", readByID(ssse.SFIEF05, 0x01, 0)},
				{"VERIFY", []byte{0x00, 0x20, 0x00, 0x00}},
				{"GET CHALLENGE", apduLe(0, 0x84, 0, 0, 8)},
				{"EXTERNAL AUTHENTICATE", apdu(0, 0x82, 0, terminal.KeyMaint, make([]byte, alg(s).BlockSize()))},
				{"ACTIVATE FILE", apdu(0x84, lcActivate, 0, 0, make([]byte, 4))},
			} {
				s.Step("%s", c.what)
				s.Expect(c.apdu, SW(iso7816.SWAppPermanentlyLocked), NoData())
			}
		},
	},
	{
		ID: "SSSE-LIFE-017", Title: "A terminated SSSE answers SELECT with 9303; the MF still selects",
		Clause: lcClause + ".6", Model: true, PSAM: true, Requires: lcNeedAdmin, Destructive: true,
		Run: func(s *S) {
			lcSend(s, lcTerminate, iso7816.SWOK)
			s.Step("select SSSE by name")
			s.Expect(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SW(iso7816.SWAppPermanentlyLocked), NoData())
			s.Step("select MF")
			s.Expect("00A4000C023F00", OK())
			s.Step("select SSSE by name from the MF")
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), SW(iso7816.SWAppPermanentlyLocked), NoData())
			s.Step("select SSSE by FID from the MF")
			s.Expect(apdu(0, 0xA4, 0x00, 0x0C, moSSSEFID(s)), SW(iso7816.SWAppPermanentlyLocked), NoData())
		},
	},
	{
		ID: "SSSE-LIFE-018", Title: "APPLICATION BLOCK: SELECT answers 6283 with the FCI; APPLICATION UNBLOCK restores 9000",
		Clause: emvScript + ".1, §6.5.2; EMV Book 1 §12.3.3; " + cardLife, PSAM: true, Requires: lcNeedAdmin, Restores: true,
		Run: func(s *S) {
			fci := moFCI(s)
			lcSend(s, lcAppBlock, iso7816.SWOK)
			sel := iso7816.Command{INS: 0xA4, P1: 0x04, Data: terminal.SSSEAID, Ne: 256}
			s.Step("select the blocked SSSE")
			s.Check(s.Exchange(sel), SW(iso7816.SWWarnDeactivated), Data(fci))
			lcSend(s, lcAppUnblock, iso7816.SWOK)
			s.Step("select the unblocked SSSE")
			s.Check(s.Exchange(sel), OK(), Data(fci))
		},
	},
	{
		ID: "SSSE-LIFE-019", Title: "A blocked SSSE refuses READ RECORD and VERIFY with 6A81; the MF still answers",
		Clause: emvScript + ".1; " + cardLife, PSAM: true, Requires: RequireAll(lcNeedAdmin, needTries(1)), Restores: true,
		Run: func(s *S) {
			lcSend(s, lcAppBlock, iso7816.SWOK)
			s.Step("READ RECORD")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), SW(iso7816.SWFuncNotSupported), NoData())
			s.Step("VERIFY")
			s.Expect(apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s))), SW(iso7816.SWFuncNotSupported), NoData())
			s.Step("reselect the SSSE")
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), SW(iso7816.SWWarnDeactivated), NoData())
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), SW(iso7816.SWFuncNotSupported), NoData())
			lcSend(s, lcAppUnblock, iso7816.SWOK)
			s.Step("the PIN tries are unchanged")
			s.Expect("00200000", SW(moPINQuery(s)))
		},
	},
	{
		ID: "SSSE-LIFE-020", Title: "After APPLICATION UNBLOCK the SSSE reads and verifies again",
		Clause: emvScript + ".2; " + cardLife, PSAM: true, Requires: RequireAll(lcNeedAdmin, needTries(1)), Restores: true,
		Run: func(s *S) {
			lcSend(s, lcAppBlock, iso7816.SWOK)
			lcSend(s, lcAppUnblock, iso7816.SWOK)
			s.Step("read EF05 record 01")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
			verifyPIN(s)
			lcExpect(s, lcStatusActivated)
		},
	},
	{
		ID: "SSSE-LIFE-021", Title: "CARD BLOCK: every later command answers 6A81, SELECT MF and MANAGE CHANNEL included",
		Clause: emvScript + ".3; " + cardLife, PSAM: true, Requires: lcNeedAdmin, Destructive: true,
		Run: func(s *S) {
			lcSend(s, lcCardBlock, iso7816.SWOK)
			for _, c := range []struct{ what, apdu string }{
				{"SELECT MF", "00A4000C023F00"},
				{"SELECT SSSE", "00A4040C0F7378312E73682EC9E7BBE1B1A3D5CF"},
				{"READ RECORD", "00B2012800"},
				{"VERIFY", "00200000"},
				{"GET CHALLENGE", "0084000008"},
				{"GET RESPONSE", "00C0000010"},
				{"MANAGE CHANNEL", "0070000001"},
			} {
				s.Step("%s", c.what)
				s.Expect(c.apdu, SW(iso7816.SWFuncNotSupported), NoData())
			}
		},
	},
	{
		ID: "SSSE-LIFE-022", Title: "A cancelled card seen by a terminal gets its SSSE blocked: SELECT then answers 6283",
		Clause: cardLife + " [model]; " + emvScript + ".1", Model: true, PSAM: true, Persona: "cancelled",
		Requires: RequireAll(lcNeedAdmin, lcNeedRegister("cancelled")), Destructive: true,
		Run: func(s *S) {
			lcSend(s, lcAppBlock, iso7816.SWOK)
			s.Step("select SSSE")
			s.Expect(apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID), SW(iso7816.SWWarnDeactivated), NoData())
			s.Step("the holder data no longer reads")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), SW(iso7816.SWFuncNotSupported))
		},
	},
	{
		ID: "SSSE-LIFE-023", Title: "ACTIVATE FILE on an activated SSSE answers 9000 and leaves it activated",
		Clause: lcClause + ".5", Model: true, PSAM: true, Requires: lcNeedAdmin,
		Run: func(s *S) {
			lcSend(s, lcActivate, iso7816.SWOK)
			lcExpect(s, lcStatusActivated)
			s.Step("read EF05 record 01")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
		},
	},
}
