package cos_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

var zeroCrypt = strings.Repeat("00", 16)

// TestCmdGetChallenge covers GET CHALLENGE (ISO/IEC 7816-4 §11.5.3): 4, 8
// or 16 bytes, fresh each time, the same stream for the same seed.
func TestCmdGetChallenge(t *testing.T) {
	t.Parallel()
	a := cardtest.Card(t, "activated")
	b := cardtest.Card(t, "activated")
	seen := map[string]bool{}
	for _, le := range []string{"04", "08", "10", "08", "04", "10"} {
		ra := cardtest.Send(t, a, "00840000"+le)
		rb := cardtest.Send(t, b, "00840000"+le)
		n := int(cardtest.Hex(le)[0])
		if len(ra) != 2*n+4 || !strings.HasSuffix(ra, "9000") {
			t.Fatalf("GET CHALLENGE Le=%s: %s", le, ra)
		}
		if ra != rb {
			t.Errorf("GET CHALLENGE Le=%s: %s on one card, %s on another with the same seed", le, ra, rb)
		}
		if seen[ra] {
			t.Errorf("GET CHALLENGE Le=%s: %s twice", le, ra)
		}
		seen[ra] = true
	}
	c := cardtest.Card(t, "activated")
	cmdRun(t, c, []cmdStep{
		{"0084000000", "6700"}, // 256
		{"0084000001", "6700"},
		{"0084000005", "6700"},
		{"0084000007", "6700"},
		{"0084000009", "6700"},
		{"008400000F", "6700"},
		{"0084000011", "6700"},
		{"0084000020", "6700"},
		{"00840000", "6700"},
		{"00840000010108", "6700"},
		{"0084010008", "6A86"},
		{"0084000108", "6A86"},
		{"8084000008", "6E00"},
		{"0484000008", "6882"},
	})
}

// TestCmdExternalAuthenticate covers EXTERNAL AUTHENTICATE (ISO/IEC 7816-4
// §11.5.4; CARD.md §3): the try counter, blocking, the single-use challenge.
func TestCmdExternalAuthenticate(t *testing.T) {
	t.Parallel()
	cmdRunCases(t, []cmdCase{
		{"success", "activated", []cmdStep{
			{"EXTAUTH 0A", "9000"},
			{"EXTAUTH 04", "9000"},
			{"EXTAUTH 06", "9000"},
			{"EXTAUTH 0B", "9000"},
			{"EXTAUTH 0D", "9000"},
		}},
		{"success with 3DES", "gen2", []cmdStep{
			{"EXTAUTH 0A", "9000"},
			{"EXTAUTH 0D", "9000"},
		}},
		{"wrong cryptograms block the key", "activated", []cmdStep{
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "63C2"},
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "63C1"},
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "63C0"},
			{"EXTAUTH 0A", "6983"}, // even the right cryptogram
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "6983"},
			{"RESET", ""},
			{cmdSelectSSSE, "9000"},
			{"EXTAUTH 0A", "6983"}, // for good
			{"EXTAUTH 0D", "9000"}, // the other keys are not blocked
		}},
		{"success restores the tries", "activated", []cmdStep{
			{"0084000008", "*"},
			{"0082000D10" + zeroCrypt, "63C2"},
			{"0084000008", "*"},
			{"0082000D10" + zeroCrypt, "63C1"},
			{"EXTAUTH 0D", "9000"},
			{"0084000008", "*"},
			{"0082000D10" + zeroCrypt, "63C2"},
			// A failure also drops the key's earlier authentication.
			{"00DC0A3003 0A0132", "6982"},
		}},
		{"errors", "activated", []cmdStep{
			{"0082000A10" + zeroCrypt, "6984"}, // no challenge
			{"0084000008", "*"},
			{"0082009910" + zeroCrypt, "6A88"}, // no key 99
			{"0084000008", "*"},
			{"0082000010" + zeroCrypt, "6A88"}, // no key 00
			{"0084000008", "*"},
			{"0082000110" + zeroCrypt, "6A88"}, // key 01 is for internal authentication
			{"0084000008", "*"},
			{"0082000710" + zeroCrypt, "6A88"}, // key 07 is for PIN unblock
			{"0084000008", "*"},
			{"0082010A10" + zeroCrypt, "6A86"},
			{"0084000008", "*"},
			{"0082000A08" + zeroCrypt[:16], "6700"}, // SM4 wants 16 bytes
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt + "00", "6700"},
			{"0084000008", "*"},
			{"0082000A", "6700"},
			{"8082000A10" + zeroCrypt, "6E00"},
			// None of these cost a try.
			{"EXTAUTH 0A", "9000"},
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "63C2"},
		}},
		{"3DES wants 8 bytes", "gen2", []cmdStep{
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "6700"},
			{"0084000008", "*"},
			{"0082000A08" + zeroCrypt[:16], "63C2"},
		}},
	})
}

// TestCmdExternalAuthenticateChallenge checks that a challenge serves one
// EXTERNAL AUTHENTICATE only, and is lost on errors and on leaving the DF.
func TestCmdExternalAuthenticateChallenge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		persona string
		n       int
	}{{"SM4, 8-byte challenge", "activated", 8}, {"SM4, 16-byte challenge", "activated", 16}, {"SM4, 4-byte challenge", "activated", 4}, {"3DES", "gen2", 8}, {"3DES, 4-byte challenge", "gen2", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, tc.persona)
			ea := cmdExtAuthAPDU(t, s, terminal.KeyRKSSSE, tc.n)
			if got := cmdSend(t, c, ea); got != "9000" {
				t.Fatalf("EXTERNAL AUTHENTICATE: %s", got)
			}
			if got := cmdSend(t, c, ea); got != "6984" {
				t.Errorf("replayed at once: %s, want 6984", got)
			}
			cmdExpect(t, c, "0084000008", "*")
			if got := cmdSend(t, c, ea); got != "63C2" {
				t.Errorf("replayed over a new challenge: %s, want 63C2", got)
			}
			// An error spends the challenge.
			ea = cmdExtAuthAPDU(t, s, terminal.KeyRKSSSE, tc.n)
			cardtest.Expect(t, c, "0082010A00", "6A86")
			if got := cmdSend(t, c, ea); got != "6984" {
				t.Errorf("after an error: %s, want 6984", got)
			}
			// So does leaving the DF.
			ea = cmdExtAuthAPDU(t, s, terminal.KeyRKSSSE, tc.n)
			cardtest.Expect(t, c, "00A4000C02DF01", "9000")
			cardtest.Expect(t, c, "00A4030C", "9000")
			if got := cmdSend(t, c, ea); got != "6984" {
				t.Errorf("after leaving the DF: %s, want 6984", got)
			}
			// But not selecting an EF in it.
			ea = cmdExtAuthAPDU(t, s, terminal.KeyRKSSSE, tc.n)
			cardtest.Expect(t, c, "00A4020C02EF05", "9000")
			if got := cmdSend(t, c, ea); got != "9000" {
				t.Errorf("after selecting an EF: %s, want 9000", got)
			}
		})
	}
}

// TestCmdInternalAuthenticate covers INTERNAL AUTHENTICATE (ISO/IEC 7816-4
// §11.5.2; CARD.md §3): the card's answer is what the PSAM computes and
// what cardcrypto computes with the card's diversified key.
func TestCmdInternalAuthenticate(t *testing.T) {
	t.Parallel()
	random := cardtest.Hex("0102030405060708")
	for _, persona := range []string{"activated", "gen2", "trace-1.00"} {
		t.Run(persona, func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, persona)
			if err := s.InternalAuthenticate(terminal.KeyIntAuth, random); err != nil {
				t.Fatalf("INTERNAL AUTHENTICATE against the PSAM: %v", err)
			}
			p, err := profile.Load(persona)
			cmdOK(t, "profile", err)
			factors, err := ssse.Factors(p.SSSE)
			cmdOK(t, "factors", err)
			alg, err := cardcrypto.ParseAlg(p.Algorithm)
			cmdOK(t, "alg", err)
			key, err := cardcrypto.DiversifyLevels(alg, cardtest.Hex(p.SSSE.Keys[0].Master), factors...)
			cmdOK(t, "key", err)
			data := append(append([]byte(nil), s.Factor()...), random...)
			want, err := cardcrypto.InternalAuthResponse(alg, key, data)
			cmdOK(t, "response", err)
			cmdRun(t, c, []cmdStep{
				{"0088000110" + cmdHexOf(data) + "00", cmdHexOf(want) + "9000"},
				{"0088000010" + cmdHexOf(data) + "00", cmdHexOf(want) + "9000"}, // P2=00: the card's key
				{"0088000110" + cmdHexOf(data), "61" + cmdHexOf([]byte{byte(len(want))})},
				{"0088000A10" + cmdHexOf(data) + "00", "6A88"}, // an external authentication key
				{"0088009910" + cmdHexOf(data) + "00", "6A88"},
				{"0088010110" + cmdHexOf(data) + "00", "6A86"},
				{"008800010C" + cmdHexOf(data[:12]) + "00", "6700"},
				{"0088000111" + cmdHexOf(data) + "0000", "6700"},
				{"0088000100", "6700"},
			})
			if alg == cardcrypto.AlgSM4 {
				cardtest.Expect(t, c, "0088000108"+cmdHexOf(random)+"00", "6700")
			} else {
				// 3DES takes the random alone too.
				want8, err := cardcrypto.InternalAuthResponse(alg, key, random)
				cmdOK(t, "response", err)
				if !bytes.Equal(want8, want) {
					t.Errorf("3DES: the answer over 8 bytes %X differs from the one over 16 %X", want8, want)
				}
				cardtest.Expect(t, c, "0088000108"+cmdHexOf(random)+"00", cmdHexOf(want)+"9000")
			}
		})
	}
}

// TestCmdVerify covers VERIFY (ISO/IEC 7816-4 §11.5.6; CARD.md §3).
func TestCmdVerify(t *testing.T) {
	t.Parallel()
	cmdRunCases(t, []cmdCase{
		{"right PIN", "activated", []cmdStep{
			{"00200000", "63C3"},
			{cmdVerifyPIN, "9000"},
			{"00200000", "9000"},
			{"0020000000", "9000"}, // as T=0 sends the empty VERIFY
		}},
		{"wrong PIN until blocked", "activated", []cmdStep{
			{cmdVerifyWrong, "63C2"},
			{"00200000", "63C2"},
			{cmdVerifyWrong, "63C1"},
			{cmdVerifyWrong, "63C0"},
			{cmdVerifyPIN, "6983"},
			{cmdVerifyWrong, "6983"},
			{"00200000", "6983"},
		}},
		{"a wrong PIN drops the verified state", "activated", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{cmdVerifyWrong, "63C2"},
			{"00200000", "63C2"},
			{cmdVerifyPIN, "9000"},
			{"00200000", "9000"},
			{cmdVerifyWrong, "63C2"}, // a right PIN restored the tries
		}},
		{"malformed BCD costs no try", "activated", []cmdStep{
			{"002000000312345A", "6A80"},
			{"0020000003A23456", "6A80"},
			{"00200000031234F6", "6A80"}, // F only as the very last nibble
			{"0020000003FFFFFF", "6A80"},
			{"00200000", "63C3"},
			{"002000000312345F", "63C2"}, // well formed, wrong
		}},
		{"P1-P2 and lengths", "activated", []cmdStep{
			{"0020000103123456", "6A88"},
			{"0020008103123456", "6A88"},
			{"0020010003123456", "6A86"},
			{"00200000071234567890123456", "6700"},
			{"002000000312345600", "6700"},
			{"8020000003123456", "6E00"},
			{"0420000003123456", "6882"},
			{"00200000", "63C3"},
		}},
		{"tries survive a reset, the verified state does not", "activated", []cmdStep{
			{cmdVerifyWrong, "63C2"},
			{"RESET", ""},
			{cmdSelectSSSE, "9000"},
			{"00200000", "63C2"},
			{cmdVerifyPIN, "9000"},
			{"RESET", ""},
			{cmdSelectSSSE, "9000"},
			{"00200000", "63C3"},
		}},
		{"the verified state is the SSSE's", "activated", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"00A4000C02DF04", "9000"}, // a DF under the SSSE keeps it
			{"00200000", "9000"},
			{"00B2012C00", "6006202401150001 9000"},
			{cmdSelectMF, "9000"}, // the MF has no PIN
			{cmdVerifyPIN, "6A88"},
			{"00200000", "6A88"},
			{cmdSelectSSSE, "9000"},
			{"00200000", "63C3"},
		}},
		{"blocked PIN", "pin-blocked", []cmdStep{
			{"00200000", "6983"},
			{cmdVerifyPIN, "6983"},
		}},
	})
}

// TestCmdChangePIN covers CHANGE PIN 80 5E 01 00 <old> FF <new> (CARD.md §3).
func TestCmdChangePIN(t *testing.T) {
	t.Parallel()
	cmdRunCases(t, []cmdCase{
		{"change", "activated", []cmdStep{
			{"805E010007 123456 FF 654321", "9000"},
			{"00200000", "9000"}, // the old PIN counted as a VERIFY
			{cmdVerifyPIN, "63C2"},
			{cmdVerifyWrong, "9000"},
			{"805E010007 654321 FF 13579F", "9000"}, // odd length
			{"002000000313579F", "9000"},
			{"805E010005 13579F FF 24", "9000"}, // two digits
			{"002000000124", "9000"},
		}},
		{"wrong old PIN counts", "activated", []cmdStep{
			{"805E010007 111111 FF 654321", "63C2"},
			{"805E010007 111111 FF 654321", "63C1"},
			{cmdVerifyPIN, "9000"},
			{cmdVerifyWrong, "63C2"},
			{"805E010007 111111 FF 654321", "63C1"},
			{"805E010007 111111 FF 654321", "63C0"},
			{"805E010007 123456 FF 654321", "6983"},
		}},
		{"malformed data costs no try", "activated", []cmdStep{
			{"805E010006 123456 654321", "6A80"},      // no separator
			{"805E010004 FF 123456", "6A80"},          // no old PIN
			{"805E010004 123456 FF", "6A80"},          // no new PIN
			{"805E010007 12345A FF 654321", "6A80"},   // old not BCD
			{"805E010007 123456 FF 65432A", "6A80"},   // new not BCD
			{"805E010008 123456 FF 1234567F", "6A80"}, // new: 7 digits
			{"805E010005 123456 FF 1F", "6A80"},       // new: 1 digit
			{"805E010008 123456 FF 12345678", "6A80"}, // new: 8 digits
			{"00200000", "63C3"},
			{cmdVerifyPIN, "9000"},
		}},
		{"P1-P2, lengths, class", "activated", []cmdStep{
			{"805E000007 123456 FF 654321", "6A86"},
			{"805E010107 123456 FF 654321", "6A86"},
			{"805E010002 12FF", "6700"},
			{"805E01000E 123456123456 FF 12345612345612", "6700"},
			{"805E010007 123456 FF 654321 00", "6700"},
			{"005E010007 123456 FF 654321", "6E00"},
			{"845E010007 123456 FF 654321", "6882"},
			{"00200000", "63C3"},
			{cmdVerifyPIN, "9000"},
		}},
		{"blocked PIN", "pin-blocked", []cmdStep{
			{"805E010007 123456 FF 654321", "6983"},
		}},
	})
}

// TestCmdPINReload covers PIN RELOAD 84 24 00 01 (CARD.md §3): external
// authentication with key 06, then the enciphered PIN block with a MAC.
func TestCmdPINReload(t *testing.T) {
	t.Parallel()
	for _, persona := range []string{"activated", "gen2"} {
		t.Run(persona+" reload", func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, persona)
			cmdRun(t, c, []cmdStep{{cmdVerifyWrong, "63C2"}, {cmdVerifyWrong, "63C1"}, {cmdVerifyPIN, "9000"}})
			sw, err := s.ReloadPIN("2468")
			cmdSW(t, "reload", sw, err, iso7816.SWOK)
			cmdRun(t, c, []cmdStep{
				{"00200000", "63C3"}, // tries restored, verified state dropped
				{cmdVerifyPIN, "63C2"},
				{"00200000022468", "9000"},
			})
		})
	}
	t.Run("needs external authentication with key 06", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "activated")
		before := c.Cells()
		r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, cmdPINBlock(t, s, "2468"))
		if r.SW != iso7816.SWSecurityNotSatisfied {
			t.Errorf("reload without external authentication: %s, want 6982", r)
		}
		cmdOK(t, "extauth 0D", s.ExternalAuthenticate(terminal.KeyEF06Wr))
		r = cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, cmdPINBlock(t, s, "2468"))
		if r.SW != iso7816.SWSecurityNotSatisfied {
			t.Errorf("reload after key 0D: %s, want 6982", r)
		}
		cmdSameCells(t, c, before, "refused reloads")
		cardtest.Expect(t, c, cmdVerifyPIN, "9000")
	})
	t.Run("wrong MAC, bad blocks, lengths", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "activated")
		cmdOK(t, "extauth 06", s.ExternalAuthenticate(terminal.KeyReload))
		before := c.Cells()
		raw := cmdSecureAPDU(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, cmdPINBlock(t, s, "2468"))
		raw[len(raw)-2] ^= 0x80
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("wrong MAC: %s, want 6988", got)
		}
		// A block that does not decipher to a PIN.
		junk, err := s.PSAM.Encrypt(make([]byte, 16))
		cmdOK(t, "encrypt", err)
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, junk); r.SW != iso7816.SWWrongData {
			t.Errorf("junk PIN block: %s, want 6A80", r)
		}
		// A PIN longer than the card's 6 digits.
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, cmdPINBlock(t, s, "1234567")); r.SW != iso7816.SWWrongData {
			t.Errorf("7-digit PIN: %s, want 6A80", r)
		}
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x01, cmdPINBlock(t, s, "2468")[:8]); r.SW != iso7816.SWWrongLength {
			t.Errorf("half a block: %s, want 6700", r)
		}
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x02, cmdPINBlock(t, s, "2468")); r.SW != iso7816.SWWrongP1P2 {
			t.Errorf("P2=02: %s, want 6A86", r)
		}
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x01, 0x01, cmdPINBlock(t, s, "2468")); r.SW != iso7816.SWWrongP1P2 {
			t.Errorf("P1=01: %s, want 6A86", r)
		}
		cmdSameCells(t, c, before, "refused reloads")
		cmdRun(t, c, []cmdStep{
			{"0024000114" + strings.Repeat("00", 20), "6982"},
			{"8024000114" + strings.Repeat("00", 20), "6982"},
			{"00200000", "63C3"},
			{cmdVerifyPIN, "9000"},
		})
	})
	t.Run("unblocks a blocked PIN", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "pin-blocked")
		cardtest.Expect(t, c, cmdVerifyPIN, "6983")
		sw, err := s.ReloadPIN("97531")
		cmdSW(t, "reload", sw, err, iso7816.SWOK)
		cmdRun(t, c, []cmdStep{
			{"00200000", "63C3"},
			{cmdVerifyPIN, "63C2"},
			{"002000000397531F", "9000"},
		})
	})
}

// TestCmdPINUnblock covers PIN UNBLOCK 84 24 00 00 04 <MAC> with key 07.
func TestCmdPINUnblock(t *testing.T) {
	t.Parallel()
	t.Run("unblock", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "pin-blocked")
		sw, err := s.UnblockPIN()
		cmdSW(t, "unblock", sw, err, iso7816.SWOK)
		cmdRun(t, c, []cmdStep{{"00200000", "63C3"}, {cmdVerifyPIN, "9000"}})
	})
	t.Run("restores the tries of a usable PIN", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "activated")
		cmdRun(t, c, []cmdStep{{cmdVerifyWrong, "63C2"}, {cmdVerifyWrong, "63C1"}})
		sw, err := s.UnblockPIN()
		cmdSW(t, "unblock", sw, err, iso7816.SWOK)
		cardtest.Expect(t, c, "00200000", "63C3")
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		s, c := cardtest.Session(t, "pin-blocked")
		before := c.Cells()
		raw := cmdSecureAPDU(t, s, terminal.KeyUnblock, 0x24, 0x00, 0x00, nil)
		bad := append([]byte(nil), raw...)
		bad[5] ^= 0xFF
		if got := cmdSend(t, c, bad); got != "6988" {
			t.Errorf("wrong MAC: %s, want 6988", got)
		}
		// A MAC with the reload key instead of the unblock key.
		if r := cmdSecure(t, s, terminal.KeyReload, 0x24, 0x00, 0x00, nil); r.SW != iso7816.SWSMDataIncorrect {
			t.Errorf("MAC with key 06: %s, want 6988", r)
		}
		if r := cmdSecure(t, s, terminal.KeyUnblock, 0x24, 0x00, 0x00, []byte{0x00}); r.SW != iso7816.SWWrongLength {
			t.Errorf("data before the MAC: %s, want 6700", r)
		}
		cmdSameCells(t, c, before, "refused unblocks")
		cmdRun(t, c, []cmdStep{
			{"0024000004" + "00000000", "6982"},
			{"00200000", "6983"},
		})
		// The MAC went with a challenge that a second GET CHALLENGE replaced.
		raw = cmdSecureAPDU(t, s, terminal.KeyUnblock, 0x24, 0x00, 0x00, nil)
		cmdExpect(t, c, "0084000010", "*")
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("MAC over an older challenge: %s, want 6988", got)
		}
		cmdSameCells(t, c, before, "refused unblocks")
		// The right one, then replayed.
		raw = cmdSecureAPDU(t, s, terminal.KeyUnblock, 0x24, 0x00, 0x00, nil)
		if got := cmdSend(t, c, raw); got != "9000" {
			t.Fatalf("PIN UNBLOCK: %s", got)
		}
		cmdRun(t, c, []cmdStep{{cmdVerifyWrong, "63C2"}, {cmdVerifyWrong, "63C1"}, {cmdVerifyWrong, "63C0"}})
		if got := cmdSend(t, c, raw); got != "6988" {
			t.Errorf("replayed PIN UNBLOCK: %s, want 6988", got)
		}
		cardtest.Expect(t, c, "00200000", "6983")
	})
}

// TestCmdSMOnly checks that the commands that need secure messaging refuse
// their plain class variants with 6982, and change nothing.
func TestCmdSMOnly(t *testing.T) {
	t.Parallel()
	c := cardtest.Card(t, "pin-blocked")
	cardtest.Expect(t, c, cmdSelectSSSE, "9000")
	before := c.Cells()
	mac := "11223344"
	for _, ins := range []string{"24", "44", "04", "E6", "1E", "18", "16"} {
		for _, cla := range []string{"00", "80"} {
			cardtest.Expect(t, c, cla+ins+"000004"+mac, "6982")
		}
	}
	cardtest.Expect(t, c, "0024000114"+strings.Repeat("00", 16)+mac, "6982")
	// With CLA 84 and no challenge, the MAC cannot be right; the life
	// cycle commands first want external authentication with key 0B.
	for ins, sw := range map[string]string{"24": "6988", "44": "6982", "04": "6982", "E6": "6982", "1E": "6988", "18": "6988", "16": "6988"} {
		cardtest.Expect(t, c, "84"+ins+"000004"+mac, sw)
	}
	cmdSameCells(t, c, before, "SM-only commands without a MAC")
	cmdRun(t, c, []cmdStep{
		{"00200000", "6983"},
		{"00A4040C0F" + cmdAID, "9000"},
		{"00A4000402DDF100", fcpSSSE + "9000"},
		{"00B2012800", recCardID3 + "9000"},
	})
}

// TestCmdSMChallenge checks the challenge rules of secured commands: it
// is lost when the DF changes, and a MAC over it is no use afterwards.
func TestCmdSMChallenge(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "activated")
	body := cardtest.Hex("020139")
	raw := cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x02, 0x28, body)
	cardtest.Expect(t, c, cmdSelectMF, "9000")
	cardtest.Expect(t, c, cmdSelectSSSE, "9000")
	if got := cmdSend(t, c, raw); got != "6988" {
		t.Errorf("MAC over a challenge of before the SELECT: %s, want 6988", got)
	}
	// A challenge from another channel does not count either.
	cardtest.Expect(t, c, "0070000001", "019000")
	cardtest.Expect(t, c, "01A4040C0F"+cmdAID, "9000")
	raw = cmdSecureAPDU(t, s, terminal.KeyEF05, 0xDC, 0x02, 0x28, body)
	cmdExpect(t, c, "0184000010", "*")
	if got := cmdSend(t, c, raw); got != "9000" {
		t.Errorf("MAC over the basic channel's challenge: %s, want 9000", got)
	}
	cardtest.Expect(t, c, "00B2022800", "020139 9000")
}
