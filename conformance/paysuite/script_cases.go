package paysuite

import (
	"bytes"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Issuer script commands (CARD.md §5).
var (
	appBlock   = emv.ScriptCommand{CLA: 0x84, INS: 0x1E}
	appUnblock = emv.ScriptCommand{CLA: 0x84, INS: 0x18}
	cardBlock  = emv.ScriptCommand{CLA: 0x84, INS: 0x16}
)

func putData(t emv.Tag, v []byte) emv.ScriptCommand {
	return emv.ScriptCommand{CLA: 0x04, INS: 0xDA, P1: byte(t >> 8), P2: byte(t), Data: v}
}

func algOf(sm bool) emv.Alg {
	if sm {
		return emv.AlgSM4
	}
	return emv.AlgDES
}

// withAC selects the first application, runs a contact GPO on a path and
// a first GENERATE AC asking p1, and returns the CID, ATC and cryptogram
// the scripts of this transaction are keyed with.
func withAC(s *conformance.S, sm bool, p1 byte) (cid byte, atcV, ac []byte) {
	c := readCard(s, sm)
	s.Step("GENERATE AC asking %02X", p1)
	r := s.Must(genAC(p1, cdolData(s, c, emv.TagCDOL1, 100)), conformance.OK())
	cid, atcV, ac, _ = acOf(s, r)
	return cid, append([]byte(nil), atcV...), append([]byte(nil), ac...)
}

// script sends one issuer script command with the issuer host's MAC.
func script(s *conformance.S, sm bool, atcV, ac []byte, c emv.ScriptCommand, checks ...conformance.Check) {
	apdu, err := issuer(s).ScriptAPDU(algOf(sm), panDigits(s), psn(s), atcV, ac, c)
	s.OK(err, "script MAC")
	s.Step("issuer script %02X %02X", c.CLA, c.INS)
	s.Expect(apdu, checks...)
}

// blockOnline blocks the application through the kernel's online step: the
// issuer host sends APPLICATION BLOCK in template 72.
func blockOnline(s *conformance.S, sm bool, cmd emv.ScriptCommand) *emv.Result {
	k, is := kernel(s, sm)
	is.Scripts = func(*emv.AuthRequest) []emv.Script {
		return []emv.Script{{Template: emv.TagScript72, ID: []byte{0, 0, 0, 1}, Commands: []emv.ScriptCommand{cmd}}}
	}
	r, err := transact(s, k, emv.Transaction{Amount: 100, ForceOnline: true})
	if r.Online == nil || len(r.Online.Scripts) != 1 || r.Online.Scripts[0].Failed {
		s.Fatalf("the issuer script did not run (outcome %s, %v)", r.Outcome, err)
	}
	if !r.TSI.Has(emv.TSIScriptProcess) {
		s.Errorf("TSI %s lacks 'script processing was performed'", r.TSI)
	}
	if cmd.CLA == appBlock.CLA && cmd.INS == appBlock.INS {
		blockedApps.Store(s, true)
	}
	return r
}

// unblock puts a blocked application back: a transaction whose first
// GENERATE AC (an AAC) keys APPLICATION UNBLOCK.
func unblock(s *conformance.S, sm bool) {
	_, atcV, ac := withAC(s, sm, 0x00)
	script(s, sm, atcV, ac, appUnblock, conformance.OK())
	blockedApps.Delete(s)
}

// restoreBalance puts the electronic cash balance back to what the
// profile declares, with PUT DATA 9F79 keyed by an AAC (a declined
// transaction leaves no online transaction pending), so that a case that
// spends electronic cash leaves a real card as it found it.
func restoreBalance(s *conformance.S) {
	sm := pay(s).HasSM()
	s.Step("restore the electronic cash balance")
	_, atcV, ac := withAC(s, sm, 0x00)
	script(s, sm, atcV, ac, putData(emv.TagECBalance, amountBytes(uint64(pay(s).ECash.Balance))), conformance.OK())
}

var scriptCases = []*conformance.Case{
	{
		ID: "PAY-SCR-001", Title: "After APPLICATION BLOCK the application is selected with 6283 and answers AAC to GPO and GENERATE AC; UNBLOCK restores it",
		Clause: book3 + " §6.5, Book 1 §12.3.3, " + cardPay, Requires: needPay, Restores: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			blockOnline(s, sm, appBlock)
			defer blockedApps.Delete(s)
			// SELECT answers 6283 (selectApp checks it while the
			// application is blocked) with the application's FCI.
			fci := selectApp(s, app(s))
			tmpl, _ := iso7816.Find(fci.Data, emv.TagFCI)
			if name, ok := iso7816.Find(tmpl, emv.TagDFName); !ok || !bytes.Equal(name, app(s)) {
				s.Errorf("the blocked application's SELECT answered %X: want its FCI with 6283", fci.Data)
			}
			if isContactless(s) {
				cid, _ := quicsGPO(s, gpoOpts{amount: 1, sm: sm})
				if cid&0xC0 != byte(emv.AAC) {
					s.Errorf("blocked application: qUICS CID %02X, want AAC", cid)
				}
			}
			for _, p1 := range []byte{0x40, 0x80} {
				if cid, _, _ := withAC(s, sm, p1); cid&0xC0 != byte(emv.AAC) {
					s.Errorf("blocked application: GENERATE AC asking %02X answered CID %02X, want AAC", p1, cid)
				}
			}
			unblock(s, sm)
			if cid, _, _ := withAC(s, sm, 0x80); cid&0xC0 != byte(emv.ARQC) {
				s.Errorf("after APPLICATION UNBLOCK: GENERATE AC asking ARQC answered CID %02X", cid)
			}
		},
	},
	{
		ID: "PAY-SCR-002", Title: "A script command with a wrong MAC answers 6988 and changes nothing",
		Clause: book3 + " §6.5, " + book2 + " §9.2", Requires: needPay,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			_, atcV, ac := withAC(s, sm, 0x80)
			apdu, err := issuer(s).ScriptAPDU(algOf(sm), panDigits(s), psn(s), atcV, ac, appBlock)
			s.OK(err, "script MAC")
			apdu[len(apdu)-1] ^= 0x01
			s.Step("APPLICATION BLOCK with a wrong MAC")
			s.Expect(apdu, conformance.SW(iso7816.SWSMDataIncorrect))
			if cid, _, _ := withAC(s, sm, 0x80); cid&0xC0 != byte(emv.ARQC) {
				s.Errorf("after a refused APPLICATION BLOCK: CID %02X, want ARQC", cid)
			}
		},
	},
	{
		ID: "PAY-SCR-003", Title: "A script command before any GENERATE AC answers 6985; with CLA 80, 6982",
		Clause: cardPay, Requires: needPay,
		Run: func(s *conformance.S) {
			contactGPOQuiet(s, pay(s).HasSM())
			s.Step("APPLICATION BLOCK before GENERATE AC")
			s.Expect("841E00000401020304", conformance.SW(iso7816.SWConditionsNotSatisfied))
			s.Step("APPLICATION BLOCK with CLA 80")
			s.Expect("801E00000401020304", conformance.SW(iso7816.SWSecurityNotSatisfied))
		},
	},
	{
		ID: "PAY-SCR-004", Title: "PUT DATA 9F79 under MAC sets the electronic cash balance; above the limit, 6A80",
		Clause: ecash + ", " + cardPay, Requires: needECash, Restores: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			e := pay(s).ECash
			_, atcV, ac := withAC(s, sm, 0x00)
			newBal := uint64(e.BalanceLimit) / 2
			script(s, sm, atcV, ac, putData(emv.TagECBalance, amountBytes(newBal)), conformance.OK())
			if got := balance(s); got != newBal {
				s.Errorf("balance %d after PUT DATA %d", got, newBal)
			}
			_, atcV, ac = withAC(s, sm, 0x00)
			script(s, sm, atcV, ac, putData(emv.TagECBalance, amountBytes(uint64(e.BalanceLimit)+1)), conformance.SW(iso7816.SWWrongData))
			_, atcV, ac = withAC(s, sm, 0x00)
			script(s, sm, atcV, ac, putData(emv.TagECBalance, amountBytes(uint64(e.Balance))), conformance.OK())
			if got := balance(s); got != uint64(e.Balance) {
				s.Errorf("balance %d after putting %d back", got, e.Balance)
			}
		},
	},
	{
		ID: "PAY-SCR-005", Title: "After CARD BLOCK the application refuses every command and every payment SELECT answers 6A81; the SSSE goes on",
		Clause: book3 + " §6.5.1, " + cardPay, Requires: needPay, Destructive: true,
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			_, atcV, ac := withAC(s, sm, 0x00)
			script(s, sm, atcV, ac, cardBlock, conformance.OK())
			// The application that ran the script is still selected.
			s.Step("GPO on a blocked card")
			s.Expect(gpoCommand(gpoData(s, gpoOpts{amount: 1, sm: sm})), conformance.SW(iso7816.SWFuncNotSupported))
			s.Step("GET DATA on a blocked card")
			s.Expect("80CA9F3600", conformance.SW(iso7816.SWFuncNotSupported))
			names := [][]byte{[]byte("1PAY.SYS.DDF01")}
			if isContactless(s) {
				names = append(names, []byte("2PAY.SYS.DDF01"))
			}
			for _, a := range pay(s).Applications {
				names = append(names, mustHex(s, a.AID))
			}
			for _, name := range names {
				s.Step("SELECT %X on a blocked card", name)
				s.Check(s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: name, Ne: 256}), conformance.SW(iso7816.SWFuncNotSupported), conformance.NoData())
			}
			if s.Profile().SSSE != nil {
				s.Step("SELECT SSSE")
				s.Check(s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: terminal.SSSEAID, Ne: 256}), conformance.OK())
			}
		},
	},
}

func isContactless(s *conformance.S) bool { return needContactless(s.Profile()) == "" }
