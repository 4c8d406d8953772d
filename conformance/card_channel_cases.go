package conformance

import (
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// Logical channels (ISO/IEC 7816-4 §5.4.1 class byte, §11.1.2 MANAGE
// CHANNEL): each channel has its own current DF and EF, its own security
// state and its own response data waiting for GET RESPONSE; the PIN try
// counters are the card's.

// chanClause is the clause of the channel cases.
const chanClause = iso4 + " §11.1.2"

// chanAPDU returns a copy of command c with logical channel n (0..3) in its
// class byte (b2-b1 of the first interindustry and proprietary classes).
func chanAPDU(n byte, c []byte) []byte {
	out := append([]byte(nil), c...)
	if len(out) > 0 {
		out[0] = out[0]&^0x03 | n&0x03
	}
	return out
}

// chanTransport is the card's transport with every command moved to logical
// channel n, so that terminal flows written for the basic channel run on
// another one, their GET RESPONSE included. Exchanges are recorded.
func chanTransport(s *S, n byte) terminal.Transport {
	return terminal.TransportFunc(func(c []byte) ([]byte, error) {
		return s.Card().Transmit(chanAPDU(n, c))
	})
}

// chanOpen opens the next free logical channel from the basic channel
// (00 70 00 00 01) and returns its number; anything but 9000 with one byte
// ends the case.
func chanOpen(s *S) byte {
	s.Step("open a logical channel")
	r := s.Must("0070000001", OK(), DataLen(1))
	return r.Data[0]
}

// chanSelectSSSE selects the SSSE on channel n without answer data.
func chanSelectSSSE(s *S, n byte) {
	s.Step("select SSSE on channel %d", n)
	s.Must(chanAPDU(n, apdu(0, 0xA4, 0x04, 0x0C, terminal.SSSEAID)), OK())
}

// chanNeedEF06Key: an active SSSE whose EF06 reads after external
// authentication with RKSSSE only (3.00 cards, CARD.md §2).
func chanNeedEF06Key(p *profile.Profile) string {
	if why := needActive(p); why != "" {
		return why
	}
	if moRule(p, "EF06").Read != "key:0A" {
		return "EF06 is not read with RKSSSE (key 0A) on this card"
	}
	return ""
}

var channelCases = []*Case{
	{
		ID: "SSSE-CHAN-001", Title: "MANAGE CHANNEL open (00 70 00 00 01) assigns channel 01 with 9000",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("0070000001", OK(), Data([]byte{0x01}))
			s.Step("the new channel answers")
			s.Expect("01A4000C023F00", OK(), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-002", Title: "Channels 1 to 3 open in order; a fifth channel answers 6A81; a closed number is reused",
		Clause: chanClause + " [model: four channels, 0-3]", Model: true, Requires: needSSC,
		Run: func(s *S) {
			for n := byte(1); n <= 3; n++ {
				s.Step("open channel %d", n)
				s.Expect("0070000001", OK(), Data([]byte{n}))
			}
			s.Step("no channel left")
			s.Expect("0070000001", SW(iso7816.SWFuncNotSupported), NoData())
			s.Step("close channel 2")
			s.Expect("00708002", OK(), NoData())
			s.Step("open again")
			s.Expect("0070000001", OK(), Data([]byte{0x02}))
		},
	},
	{
		ID: "SSSE-CHAN-003", Title: "MANAGE CHANNEL open of a given channel (00 70 00 02) answers 9000 without data",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00700002", OK(), NoData())
			s.Step("channel 2 answers")
			s.Expect("02A4000C023F00", OK(), NoData())
			s.Step("channel 1 is still closed")
			s.Expect("01A4000C023F00", SW(iso7816.SWLogicalChannelNotSupported))
		},
	},
	{
		ID: "SSSE-CHAN-004", Title: "A command on a channel that was never opened answers 6881",
		Clause: iso4 + " §5.4.1; " + chanClause, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("03A4000C023F00", SW(iso7816.SWLogicalChannelNotSupported), NoData())
			s.Expect("03B2012C00", SW(iso7816.SWLogicalChannelNotSupported), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-005", Title: "MANAGE CHANNEL close (00 70 80 01) closes the channel: later commands on it answer 6881",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			n := chanOpen(s)
			s.Step("close channel %d", n)
			s.Expect([]byte{0x00, 0x70, 0x80, n}, OK(), NoData())
			s.Step("command on the closed channel")
			s.Expect(chanAPDU(n, []byte{0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00}), SW(iso7816.SWLogicalChannelNotSupported))
			s.Step("close it again")
			s.Expect([]byte{0x00, 0x70, 0x80, n}, SW(iso7816.SWLogicalChannelNotSupported))
		},
	},
	{
		ID: "SSSE-CHAN-006", Title: "MANAGE CHANNEL close with P2=00 on a channel closes that channel",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			n := chanOpen(s)
			s.Step("close channel %d from itself", n)
			s.Expect(chanAPDU(n, []byte{0x00, 0x70, 0x80, 0x00}), OK(), NoData())
			s.Expect(chanAPDU(n, []byte{0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00}), SW(iso7816.SWLogicalChannelNotSupported))
			s.Step("the basic channel still answers")
			s.Expect("00A4000C023F00", OK())
		},
	},
	{
		ID: "SSSE-CHAN-007", Title: "Closing the basic channel (00 70 80 00) answers 6A86 and the basic channel keeps its state",
		Clause: chanClause, Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("close the basic channel")
			s.Expect("00708000", SW(iso7816.SWWrongP1P2), NoData())
			moAsFound(s)
		},
	},
	{
		ID: "SSSE-CHAN-008", Title: "MANAGE CHANNEL open of channel 4 or above answers 6881",
		Clause: chanClause + " [model: four channels, 0-3]", Model: true, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00700004", SW(iso7816.SWLogicalChannelNotSupported), NoData())
			s.Expect("00700013", SW(iso7816.SWLogicalChannelNotSupported), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-009", Title: "The further interindustry class (CLA 40..4F, channels 4..19) answers 6881",
		Clause: iso4 + " §5.4.1 [model: four channels, 0-3]", Model: true, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("40A4000C023F00", SW(iso7816.SWLogicalChannelNotSupported), NoData())
			s.Expect("4FB2012C00", SW(iso7816.SWLogicalChannelNotSupported), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-010", Title: "Opening a channel that is already open answers 6A86",
		Clause: chanClause + " [model]", Model: true, Requires: needSSC,
		Run: func(s *S) {
			s.Step("open channel 1")
			s.Must("00700001", OK())
			s.Step("open it again")
			s.Expect("00700001", SW(iso7816.SWWrongP1P2), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-011", Title: "Each channel has its own current DF: the SSSE on channel 1, the MF still on channel 0",
		Clause: iso4 + " §5.4.1, §7.2; " + chanClause, Requires: needActive,
		Run: func(s *S) {
			n := chanOpen(s)
			chanSelectSSSE(s, n)
			s.Step("read EF05 by SFI on channel %d", n)
			s.Expect(chanAPDU(n, readByID(ssse.SFIEF05, 0x01, 0)), OK(), Data(record(s, "EF05", 0x01)))
			s.Step("read EF05 by SFI on the basic channel (MF current)")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), SW(iso7816.SWFileNotFound))
		},
	},
	{
		ID: "SSSE-CHAN-012", Title: "A channel opened from another channel starts in that channel's current DF",
		Clause: chanClause, Requires: needActive,
		Run: func(s *S) {
			n := chanOpen(s)
			chanSelectSSSE(s, n)
			s.Step("open a channel from channel %d", n)
			r := s.Must(chanAPDU(n, []byte{0x00, 0x70, 0x00, 0x00, 0x01}), OK(), DataLen(1))
			m := r.Data[0]
			if m == 0 || m == n || m > 3 {
				s.Fatalf("MANAGE CHANNEL opened channel %d", m)
			}
			s.Step("read EF05 by SFI on channel %d", m)
			s.Expect(chanAPDU(m, readByID(ssse.SFIEF05, 0x07, 0)), OK(), Data(record(s, "EF05", 0x07)))
		},
	},
	{
		ID: "SSSE-CHAN-013", Title: "Each channel has its own security state: RKSSSE authenticated on channel 1 opens EF06 there only",
		Clause: iso4 + " §5.4.1; " + cardSec, PSAM: true, Requires: chanNeedEF06Key,
		Run: func(s *S) {
			s.Step("open the SSSE on the basic channel")
			ssc := s.Session()
			n := chanOpen(s)
			s.Step("open the SSSE on channel %d", n)
			ssc1 := &terminal.SSC{T: chanTransport(s, n), PSAM: ssc.PSAM}
			s.OK(ssc1.Open(), "opening the SSSE on the new channel")
			rd := readByID(ssse.SFIEF06, 0x08, 0)
			s.Step("EF06 on channel %d before authentication", n)
			s.Expect(chanAPDU(n, rd), SW(iso7816.SWSecurityNotSatisfied), NoData())
			s.Step("external authentication with RKSSSE on channel %d", n)
			s.OK(ssc1.ExternalAuthenticate(terminal.KeyRKSSSE), "external authentication on the new channel")
			s.Step("EF06 on channel %d", n)
			s.Expect(chanAPDU(n, rd), OK(), Data(record(s, "EF06", 0x08)))
			s.Step("EF06 on the basic channel")
			s.Expect(rd, SW(iso7816.SWSecurityNotSatisfied), NoData())
		},
	},
	{
		ID: "SSSE-CHAN-014", Title: "The PIN's verified state is per channel, its try counter is the card's",
		Clause: iso4 + " §5.4.1; " + cardSec, Requires: needTries(2), Restores: true,
		Run: func(s *S) {
			left := *s.Profile().SSSE.PIN.TriesLeft
			max := s.Profile().SSSE.PIN.MaxTries
			selectSSSE(s)
			n := chanOpen(s)
			chanSelectSSSE(s, n)
			s.Step("wrong PIN on channel %d", n)
			s.Expect(chanAPDU(n, apdu(0, 0x20, 0, 0, bcdPIN(s, wrongPIN(s)))), SW(tries(left-1)))
			s.Step("the basic channel sees the try spent")
			s.Expect("00200000", SW(tries(left-1)))
			s.Step("right PIN on channel %d", n)
			s.Expect(chanAPDU(n, apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s)))), OK())
			s.Step("verified on channel %d", n)
			s.Expect(chanAPDU(n, []byte{0x00, 0x20, 0x00, 0x00}), OK())
			s.Step("not verified on the basic channel, tries restored")
			s.Expect("00200000", SW(tries(max)))
		},
	},
	{
		ID: "SSSE-CHAN-015", Title: "Closing a channel forgets its state: reopened, it starts at the MF with nothing verified",
		Clause: chanClause, Requires: needTries(1),
		Run: func(s *S) {
			max := s.Profile().SSSE.PIN.MaxTries
			n := chanOpen(s)
			chanSelectSSSE(s, n)
			s.Step("verify on channel %d", n)
			s.Must(chanAPDU(n, apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s)))), OK())
			s.Step("close and reopen channel %d", n)
			s.Must([]byte{0x00, 0x70, 0x80, n}, OK())
			s.Must([]byte{0x00, 0x70, 0x00, n}, OK())
			s.Step("the reopened channel is at the MF")
			s.Expect(chanAPDU(n, readByID(ssse.SFIEF05, 0x01, 0)), SW(iso7816.SWFileNotFound))
			chanSelectSSSE(s, n)
			s.Step("the PIN is not verified")
			s.Expect(chanAPDU(n, []byte{0x00, 0x20, 0x00, 0x00}), SW(tries(max)))
		},
	},
	{
		ID: "SSSE-CHAN-016", Title: "Response data waits per channel: GET RESPONSE on channel 1 returns the FCI, on channel 0 6985",
		Clause: iso4 + " §11.5.1; " + chanClause + "; " + cardT0, Requires: needSSC,
		Run: func(s *S) {
			fci := moFCI(s)
			n := chanOpen(s)
			s.Step("select SSSE on channel %d", n)
			s.Expect(chanAPDU(n, apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID)), SW(iso7816.SWBytesAvailable|iso7816.Status(len(fci))), NoData())
			s.Step("GET RESPONSE on the basic channel")
			s.Expect(apduLe(0, 0xC0, 0, 0, byte(len(fci))), SW(iso7816.SWConditionsNotSatisfied), NoData())
			s.Step("GET RESPONSE on channel %d", n)
			s.Expect(chanAPDU(n, apduLe(0, 0xC0, 0, 0, byte(len(fci)))), OK(), Data(fci))
		},
	},
	{
		ID: "SSSE-CHAN-017", Title: "MANAGE CHANNEL with P1 other than 00 or 80 answers 6A86",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("0070400001", SW(iso7816.SWWrongP1P2), NoData())
			s.Step("no channel was opened")
			s.Expect("01A4000C023F00", SW(iso7816.SWLogicalChannelNotSupported))
		},
	},
	{
		ID: "SSSE-CHAN-018", Title: "MANAGE CHANNEL open with P2=00 and no Le answers 6700 and opens nothing",
		Clause: chanClause, Requires: needSSC,
		Run: func(s *S) {
			s.Expect("00700000", SW(iso7816.SWWrongLength), NoData())
			s.Step("no channel was opened")
			s.Expect("01A4000C023F00", SW(iso7816.SWLogicalChannelNotSupported))
		},
	},
}
