package conformance

import (
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// Malformed and refused commands (ISO/IEC 7816-4 §5.1 command APDUs, §5.4.1
// class byte, §5.6 status words): each answers its status word and changes
// nothing; after it the SSSE is still current and the PIN tries are as
// before (moAsFound).

// errClause is the clause of the status word cases.
const errClause = iso4 + " §5.6"

// errRefused selects the SSSE, sends each command expecting want, and checks
// that nothing changed.
func errRefused(s *S, want iso7816.Status, cmds ...any) {
	selectSSSE(s)
	for _, c := range cmds {
		s.Step("%s", spaced(s.bytes(c)))
		s.Expect(c, SW(want), NoData())
	}
	moAsFound(s)
}

// errNeedShortOnly: an active SSSE on a card without extended-length APDUs.
func errNeedShortOnly(p *profile.Profile) string {
	if why := needActive(p); why != "" {
		return why
	}
	if p.ExtendedLength {
		return "the card accepts extended-length APDUs"
	}
	return ""
}

var errorCases = []*Case{
	{
		ID: "SSSE-ERR-001", Title: "An unknown instruction answers 6D00, at the MF and in the SSSE",
		Clause: errClause + ", §5.4.2", Requires: needActive,
		Run: func(s *S) {
			s.Step("unknown INS at the MF")
			s.Expect("003A0000", SW(iso7816.SWINSNotSupported), NoData())
			errRefused(s, iso7816.SWINSNotSupported, "003A0000", "0052000000", "00320102020000")
		},
	},
	{
		ID: "SSSE-ERR-002", Title: "CLA FF (reserved for PPS and the reader) answers 6E00",
		Clause: iso4 + " §5.4.1; PC/SC Part 3", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWCLANotSupported, "FFB2012C00", "FFA4000C023F00")
		},
	},
	{
		ID: "SSSE-ERR-003", Title: "The RFU classes 20..3F answer 6E00",
		Clause: iso4 + " §5.4.1", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWCLANotSupported, "20B2012C00", "3FB2012C00", "20A4000C023F00")
		},
	},
	{
		ID: "SSSE-ERR-004", Title: "Classes A0 and E0 (not 00/80 families) answer 6E00",
		Clause: iso4 + " §5.4.1 [model: CLA 00, 80 and their channel and SM variants only]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWCLANotSupported, "A0A4000C023F00", "A0B2012C00", "E0B2012C00")
		},
	},
	{
		ID: "SSSE-ERR-005", Title: "Command chaining (CLA 10) answers 6884",
		Clause: iso4 + " §5.4.1 [model: no chaining]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWChainingNotSupported, "10B2012C00", "10A4000C023F00")
		},
	},
	{
		ID: "SSSE-ERR-006", Title: "ISO secure messaging classes (CLA 08, 0C) answer 6882",
		Clause: iso4 + " §5.4.1, §10 [model: SM is CLA 84/04 with a MAC]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWSMNotSupported, "0CB2012C00", "08B2012C00", "0CA4000C023F00")
		},
	},
	{
		ID: "SSSE-ERR-007", Title: "ISO commands in the proprietary class 80 answer 6E00",
		Clause: iso4 + " §5.4.1 [model: emulator/cos class rules]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWCLANotSupported, "80B2012C00", "80A4000C023F00", "8020000003123456")
		},
	},
	{
		ID: "SSSE-ERR-008", Title: "READ RECORD and SELECT with the SM class 04 answer 6882",
		Clause: iso4 + " §5.4.1 [model: emulator/cos class rules]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWSMNotSupported, "04B2012C00", "04A4000C023F00")
		},
	},
	{
		ID: "SSSE-ERR-009", Title: "CHANGE PIN in CLA 00 answers 6E00 and spends no try",
		Clause: cardSec + " [model: CHANGE PIN is CLA 80 only]", Model: true, Requires: needTries(1),
		Run: func(s *S) {
			p := bcdPIN(s, wrongPIN(s))
			errRefused(s, iso7816.SWCLANotSupported, apdu(0x00, 0x5E, 0x01, 0x00, append(append(p, 0xFF), p...)))
		},
	},
	{
		ID: "SSSE-ERR-010", Title: "Lc longer than the data field answers 6700",
		Clause: iso4 + " §5.1", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00A4040C0F7378312E", "00A4000C053F00", "0020000006123456")
		},
	},
	{
		ID: "SSSE-ERR-011", Title: "Lc shorter than the data field (bytes after Le) answers 6700",
		Clause: iso4 + " §5.1", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00A4000C023F000000", "00200000021234560000")
		},
	},
	{
		ID: "SSSE-ERR-012", Title: "An APDU shorter than its 4-byte header answers 6700",
		Clause: iso4 + " §5.1", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00A404", "00B2")
		},
	},
	{
		ID: "SSSE-ERR-013", Title: "READ RECORD with SFI 31 or an RFU addressing mode (P2 b3-b1 = 101..111) answers 6A86",
		Clause: iso4 + " §11.3.3", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongP1P2, "00B201FC00", "00B2012D00", "00B2012E00", "00B2012F00")
		},
	},
	{
		ID: "SSSE-ERR-014", Title: "GET RESPONSE with nothing waiting answers 6985",
		Clause: iso4 + " §11.5.1", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWConditionsNotSatisfied, "00C0000010", "00C0000000")
		},
	},
	{
		ID: "SSSE-ERR-015", Title: "GET RESPONSE with P1-P2 other than 0000 answers 6A86",
		Clause: iso4 + " §11.5.1", Requires: needActive,
		Run: func(s *S) {
			fci := moFCI(s)
			s.Step("select SSSE, data waiting")
			s.Must(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SW(iso7816.SWBytesAvailable|iso7816.Status(len(fci))))
			s.Step("GET RESPONSE with P1=01")
			s.Expect(apduLe(0, 0xC0, 0x01, 0x00, byte(len(fci))), SW(iso7816.SWWrongP1P2), NoData())
			s.Step("GET RESPONSE with P2=01")
			s.Expect(apduLe(0, 0xC0, 0x00, 0x01, byte(len(fci))), SW(iso7816.SWWrongP1P2), NoData())
			moAsFound(s)
		},
	},
	{
		ID: "SSSE-ERR-016", Title: "Extended-length APDUs on a short-length card answer 6700",
		Clause: iso4 + " §5.1; " + cardT0 + " [model: short APDUs only]", Model: true, Requires: errNeedShortOnly,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00B2012C000000", "00B2012C000100", "00A4000C0000023F00", "00200000000003123456")
		},
	},
	{
		ID: "SSSE-ERR-017", Title: "VERIFY with an Le field answers 6700 and spends no try",
		Clause: iso4 + " §11.5.6; " + cardSec, Requires: needTries(1),
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength,
				append(apdu(0, 0x20, 0, 0, bcdPIN(s, wrongPIN(s))), 0x00),
				append(apdu(0, 0x20, 0, 0, bcdPIN(s, pin(s))), 0x00))
		},
	},
	{
		ID: "SSSE-ERR-018", Title: "VERIFY with P1 other than 00 answers 6A86 and spends no try",
		Clause: iso4 + " §11.5.6", Requires: needTries(1),
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongP1P2, apdu(0, 0x20, 0x01, 0, bcdPIN(s, wrongPIN(s))), apdu(0, 0x20, 0xFF, 0, bcdPIN(s, pin(s))))
		},
	},
	{
		ID: "SSSE-ERR-019", Title: "VERIFY with more PIN data than any PIN answers 6700 and spends no try",
		Clause: iso4 + " §11.5.6; " + cardSec + " [model: at most 12 digits]", Model: true, Requires: needTries(1),
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00200000071234561234561F")
		},
	},
	{
		ID: "SSSE-ERR-020", Title: "SELECT with a data field of the wrong length for P1 answers 6700",
		Clause: iso4 + " §11.2.2", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength,
				"00A4020C03EF0501", // EF by FID: 2 bytes
				"00A4000C013F",     // FID: 2 bytes
				"00A4010C01DF",     // child DF: 2 bytes
				"00A4030C023F00",   // parent: no data
				"00A4080C03DDF1EF", // path: pairs of bytes
				apdu(0, 0xA4, 0x04, 0x0C, make([]byte, 17)), // name: 1..16 bytes
			)
		},
	},
	{
		ID: "SSSE-ERR-021", Title: "SELECT with an unknown P2 answers 6A86",
		Clause: iso4 + " §11.2.2", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongP1P2,
				"00A4020802EF05", // P2=08: RFU answer form
				"00A4021002EF05", // P2 b8-b5 not zero
				"00A4020202EF05", // next occurrence is for DF names only
			)
		},
	},
	{
		ID: "SSSE-ERR-022", Title: "GET CHALLENGE with Le other than 4, 8 or 16 answers 6700; with P1-P2 not 0000, 6A86",
		Clause: iso4 + " §11.5.3 [model: challenge lengths]", Model: true, Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("0084000005", SW(iso7816.SWWrongLength), NoData())
			s.Expect("0084000000", SW(iso7816.SWWrongLength), NoData())
			s.Expect("0084010008", SW(iso7816.SWWrongP1P2), NoData())
			moAsFound(s)
		},
	},
	{
		ID: "SSSE-ERR-023", Title: "READ RECORD with a command data field answers 6700",
		Clause: iso4 + " §11.3.3", Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWWrongLength, "00B2012C010000", "00B2012C0101")
		},
	},
	{
		ID: "SSSE-ERR-024", Title: "EXTERNAL AUTHENTICATE without a challenge answers 6984",
		Clause: iso4 + " §11.5.4; " + cardSec + " [model]", Model: true, Requires: needActive,
		Run: func(s *S) {
			errRefused(s, iso7816.SWRefDataNotUsable, apdu(0, 0x82, 0x00, terminal.KeyRKSSSE, make([]byte, alg(s).BlockSize())))
		},
	},
	{
		ID: "SSSE-ERR-025", Title: "A run of malformed commands leaves the card as it was: the SSSE current, the PIN tries unchanged",
		Clause: errClause + "; " + iso4 + " §5.1", Requires: needActive,
		Run: func(s *S) {
			refusedAll := []struct {
				apdu string
				sw   iso7816.Status
			}{
				{"003A0000", iso7816.SWINSNotSupported},
				{"FFB2012C00", iso7816.SWCLANotSupported},
				{"10B2012C00", iso7816.SWChainingNotSupported},
				{"0CB2012C00", iso7816.SWSMNotSupported},
				{"00A4040C0F7378", iso7816.SWWrongLength},
				{"00A404", iso7816.SWWrongLength},
				{"00B201FC00", iso7816.SWWrongP1P2},
				{"00C0000008", iso7816.SWConditionsNotSatisfied},
				{"03B2012C00", iso7816.SWLogicalChannelNotSupported},
				{"00200100", iso7816.SWWrongP1P2},
				{"00A4020C03EF0501", iso7816.SWWrongLength},
			}
			selectSSSE(s)
			for _, c := range refusedAll {
				s.Step("%s", c.apdu)
				s.Expect(c.apdu, SW(c.sw), NoData())
			}
			moAsFound(s)
		},
	},
}
