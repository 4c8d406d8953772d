package conformance

import (
	"bytes"
	"strings"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// UPDATE RECORD, UPDATE BINARY and APPEND RECORD on the SSSE files and its
// sub-applications (CARD.md §2; ISO/IEC 7816-4 §11.2–§11.3). Cases that
// write put the original data back.

// wrAlt returns a TLV record with the same tag and length and another value.
func wrAlt(rec []byte) []byte {
	out := bytes.Clone(rec)
	copy(out[2:], wrAltBytes(rec[2:]))
	return out
}

// wrAltBytes returns bytes of the same length that differ from b.
func wrAltBytes(b []byte) []byte {
	fill := byte('7')
	if bytes.Count(b, []byte{fill}) == len(b) {
		fill = '8'
	}
	return bytes.Repeat([]byte{fill}, len(b))
}

// wrUpdate is UPDATE RECORD by identifier, 00 DC <tag> <SFI<<3> Lc <TLV>.
func wrUpdate(sfi byte, rec []byte) []byte { return apdu(0, 0xDC, rec[0], sfi<<3, rec) }

// wrRead is READ RECORD by identifier with SFI, all of it.
func wrRead(sfi, tag byte) []byte { return apduLe(0, 0xB2, tag, sfi<<3, 0) }

// wrSubAppFile returns the first file of the given type in the sub-
// application with this AID.
func wrSubAppFile(p *profile.Profile, aid, typ string) (*profile.SubApp, *profile.File) {
	if p.SSSE == nil {
		return nil, nil
	}
	for i := range p.SSSE.SubApps {
		sa := &p.SSSE.SubApps[i]
		if !strings.EqualFold(sa.AID, aid) {
			continue
		}
		for j := range sa.Files {
			if sa.Files[j].Type == typ && sa.Files[j].SFI != 0 {
				return sa, &sa.Files[j]
			}
		}
	}
	return nil, nil
}

// wrNeedSubAppFile: the sub-application aid has an SFI-addressed file of
// type typ.
func wrNeedSubAppFile(aid, typ string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		if _, f := wrSubAppFile(p, aid, typ); f == nil {
			return "the profile has no " + typ + " file in sub-application " + aid
		}
		return ""
	}
}

// wrSubApp selects the sub-application and returns its file of type typ.
func wrSubApp(s *S, aid, typ string) *profile.File {
	_, f := wrSubAppFile(s.Profile(), aid, typ)
	if f == nil {
		s.Fatalf("the profile has no %s file in %s", typ, aid)
	}
	s.Step("select sub-application %s", aid)
	s.Must(apdu(0, 0xA4, 0x04, 0x0C, mustHexBytes(aid)), OK())
	return f
}

// wrRecordFor returns a record for file f: n bytes of pattern p.
func wrRecordFor(f *profile.File, n int, p byte) []byte {
	if f.Type != "linear-variable" {
		n = f.RecordSize
	}
	return bytes.Repeat([]byte{p}, n)
}

// wrNeedEF05Write: EF05 record 07 is written after external authentication
// with key 04.
var wrNeedEF05Write = RequireAll(auNeedKey(0x04, "extauth"), genNeedRule("EF05", "update", "key:04"))

var writeCases = []*Case{
	{
		ID: "SSSE-WRITE-001", Title: "UPDATE RECORD by identifier after external authentication with key 04 writes EF05; it reads back",
		Clause: cardSSSE + "; " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			alt := wrAlt(orig)
			auth(s, terminal.KeyEF05)
			s.Step("write")
			s.Expect(wrUpdate(5, alt), OK(), NoData())
			s.Expect(wrRead(5, 0x07), OK(), Data(alt))
			s.Step("write back")
			s.Expect(wrUpdate(5, orig), OK(), NoData())
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-002", Title: "UPDATE RECORD on EF05 without external authentication answers 6982 and writes nothing",
		Clause: cardSSSE + "; " + cardSec, Requires: genNeedRule("EF05", "update", "key:04"),
		Run: func(s *S) {
			selectSSSE(s)
			orig := record(s, "EF05", 0x07)
			s.Step("write")
			s.Expect(wrUpdate(5, wrAlt(orig)), SW(iso7816.SWSecurityNotSatisfied), NoData())
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-003", Title: "Neither the PIN nor another key (0D) opens the EF05 update: 6982",
		Clause: cardSSSE + "; " + cardSec, PSAM: true, Restores: true,
		Requires: RequireAll(wrNeedEF05Write, auNeedKey(0x0D, "extauth"), needTries(1)),
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			verifyPIN(s)
			s.Step("write with the PIN verified")
			s.Expect(wrUpdate(5, wrAlt(orig)), SW(iso7816.SWSecurityNotSatisfied))
			auth(s, terminal.KeyEF06Wr)
			s.Step("write after key 0D")
			s.Expect(wrUpdate(5, wrAlt(orig)), SW(iso7816.SWSecurityNotSatisfied))
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-WRITE-004", Title: "EF06 is written after external authentication with key 0D, not with key 04",
		Clause: cardSSSE + "; " + cardSec, PSAM: true, Restores: true,
		Requires: RequireAll(auNeedKey(0x04, "extauth"), auNeedKey(0x0D, "extauth"), genNeedRule("EF06", "update", "key:0D")),
		Run: func(s *S) {
			genUnlock(s, "EF06")
			orig := record(s, "EF06", 0x0B)
			alt := wrAlt(orig)
			auth(s, terminal.KeyEF05)
			s.Step("write after key 04")
			s.Expect(wrUpdate(6, alt), SW(iso7816.SWSecurityNotSatisfied))
			auth(s, terminal.KeyEF06Wr)
			s.Step("write after key 0D")
			s.Expect(wrUpdate(6, alt), OK(), NoData())
			s.Expect(wrRead(6, 0x0B), OK(), Data(alt))
			s.Step("write back")
			s.Expect(wrUpdate(6, orig), OK(), NoData())
			s.Expect(wrRead(6, 0x0B), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-005", Title: "UPDATE RECORD with a record of another length answers 6700 and writes nothing",
		Clause: cardSSSE + " (fixed item lengths); " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			auth(s, terminal.KeyEF05)
			short := genTLV(0x07, []byte("12345678"))
			long := genTLV(0x07, []byte("1234567890"))
			s.Step("one byte short")
			s.Expect(wrUpdate(5, short), SW(iso7816.SWWrongLength))
			s.Step("one byte long")
			s.Expect(wrUpdate(5, long), SW(iso7816.SWWrongLength))
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-WRITE-006", Title: "UPDATE RECORD whose TLV length byte disagrees with its value answers 6A80",
		Clause: cardSSSE + "; " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			auth(s, terminal.KeyEF05)
			bad := wrAlt(orig)
			bad[1]--
			s.Step("inner length one short")
			s.Expect(wrUpdate(5, bad), SW(iso7816.SWWrongData))
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-WRITE-007", Title: "UPDATE RECORD by identifier 07 with a TLV of another tag answers 6A80",
		Clause: cardSSSE + "; " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			auth(s, terminal.KeyEF05)
			bad := wrAlt(orig)
			bad[0] = 0x02
			s.Step("tag 02 for record 07")
			s.Expect(apdu(0, 0xDC, 0x07, 5<<3, bad), SW(iso7816.SWWrongData))
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
			s.Expect(wrRead(5, 0x02), OK(), Data(record(s, "EF05", 0x02)))
			smRestore07(s, orig)
		},
	},
	{
		ID: "SSSE-WRITE-008", Title: "UPDATE RECORD by number with SFI (P2=SFI<<3|4) writes the record",
		Clause: cardSSSE + "; " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			n := recordNumber(s, "EF05", 0x07)
			alt := wrAlt(orig)
			auth(s, terminal.KeyEF05)
			s.Step("write record number %d", n)
			s.Expect(apdu(0, 0xDC, n, 5<<3|4, alt), OK(), NoData())
			s.Expect(wrRead(5, 0x07), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xDC, n, 5<<3|4, orig), OK(), NoData())
			s.Expect(wrRead(5, 0x07), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-009", Title: "UPDATE RECORD by number in the current EF (P2=04) after SELECT EF05",
		Clause: cardSSSE + "; " + iso4 + " §11.3.5", PSAM: true, Restores: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			orig := record(s, "EF05", 0x07)
			n := recordNumber(s, "EF05", 0x07)
			alt := wrAlt(orig)
			auth(s, terminal.KeyEF05)
			s.Step("select EF05")
			s.Must("00A4020002EF05", OK())
			s.Step("write record %d", n)
			s.Expect(apdu(0, 0xDC, n, 0x04, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB2, n, 0x04, 0), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xDC, n, 0x04, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB2, n, 0x04, 0), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-010", Title: "UPDATE RECORD of an absent record (identifier or number) answers 6A83",
		Clause: iso4 + " §11.3.5", PSAM: true, Requires: wrNeedEF05Write,
		Run: func(s *S) {
			s.Session()
			auth(s, terminal.KeyEF05)
			s.Step("identifier 7E")
			s.Expect(wrUpdate(5, genTLV(0x7E, []byte{0x01})), SW(iso7816.SWRecordNotFound))
			n := byte(len(records(s)["EF05"]) + 1)
			s.Step("record number %d", n)
			s.Expect(apdu(0, 0xDC, n, 5<<3|4, genTLV(0x7E, []byte{0x01})), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-WRITE-011", Title: "3.00 card: EF07 needs RKSSSE to read and key 0D to write (UPDATE BINARY by SFI), and reads back",
		Clause: cardSSSE + " [model: EF07 rules]", Model: true, PSAM: true, Restores: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF07", "read", "key:0A"), genNeedRule("EF07", "update", "key:0D")),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("read without authentication")
			s.Expect(apduLe(0, 0xB0, 0x87, 0x20, 16), SW(iso7816.SWSecurityNotSatisfied), NoData())
			s.Step("write without authentication")
			s.Expect(apdu(0, 0xD6, 0x87, 0x20, make([]byte, 16)), SW(iso7816.SWSecurityNotSatisfied))
			genMeetRule(s, "key:0A")
			s.Step("read EF07 at 0020")
			orig := s.Must(apduLe(0, 0xB0, 0x87, 0x20, 16), OK(), DataLen(16)).Data
			alt := wrAltBytes(orig)
			s.Step("write with RKSSSE only")
			s.Expect(apdu(0, 0xD6, 0x87, 0x20, alt), SW(iso7816.SWSecurityNotSatisfied))
			auth(s, terminal.KeyEF06Wr)
			s.Step("write")
			s.Expect(apdu(0, 0xD6, 0x87, 0x20, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x87, 0x20, 16), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xD6, 0x87, 0x20, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x87, 0x20, 16), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-012", Title: "3.00 card: UPDATE BINARY of EF08 in the current EF with a 15-bit offset (its last 16 bytes)",
		Clause: iso4 + " §11.2.5; " + cardSSSE, PSAM: true, Restores: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF08", "read", "key:0A"), genNeedRule("EF08", "update", "key:0D")),
		Run: func(s *S) {
			genUnlock(s, "EF08")
			auth(s, terminal.KeyEF06Wr)
			s.Step("select EF08")
			s.Must("00A4020C02EF08", OK())
			off := s.Profile().SSSE.PhotoSize - 16
			p1, p2 := byte(off>>8), byte(off)
			s.Step("read the last 16 bytes")
			orig := s.Must(apduLe(0, 0xB0, p1, p2, 16), OK(), DataLen(16)).Data
			alt := wrAltBytes(orig)
			s.Step("write")
			s.Expect(apdu(0, 0xD6, p1, p2, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, p1, p2, 16), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xD6, p1, p2, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, p1, p2, 16), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-013", Title: "2.00 card: EF08 reads after the PIN and writes after key 0D, and reads back",
		Clause: cardSSSE + " [model: EF08 rules]", Model: true, Persona: "gen2", PSAM: true, Restores: true,
		Requires: RequireAll(needGen("1.00", "2.00"), needTries(1), genNeedRule("EF08", "read", "pin"), genNeedRule("EF08", "update", "key:0D")),
		Run: func(s *S) {
			s.Session()
			s.Step("read without the PIN")
			s.Expect(apduLe(0, 0xB0, 0x88, 0x00, 16), SW(iso7816.SWSecurityNotSatisfied), NoData())
			verifyPIN(s)
			s.Step("read")
			orig := s.Must(apduLe(0, 0xB0, 0x88, 0x00, 16), OK(), DataLen(16)).Data
			alt := wrAltBytes(orig)
			s.Step("write with the PIN only")
			s.Expect(apdu(0, 0xD6, 0x88, 0x00, alt), SW(iso7816.SWSecurityNotSatisfied))
			auth(s, terminal.KeyEF06Wr)
			s.Step("write")
			s.Expect(apdu(0, 0xD6, 0x88, 0x00, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x88, 0x00, 16), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xD6, 0x88, 0x00, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB0, 0x88, 0x00, 16), OK(), Data(orig))
		},
	},
	{
		ID: "SSSE-WRITE-014", Title: "READ BINARY at an offset at or past the end of the file answers 6B00",
		Clause: iso4 + " §11.2.3", Persona: "gen2", Requires: RequireAll(needTries(1), genNeedRule("EF08", "read", "pin")),
		Run: func(s *S) {
			selectSSSE(s)
			verifyPIN(s)
			s.Step("select EF08")
			s.Must("00A4020C02EF08", OK())
			size := s.Profile().SSSE.PhotoSize
			for _, off := range []int{size, size + 0x100} {
				s.Step("offset %04X", off)
				s.Expect(apduLe(0, 0xB0, byte(off>>8), byte(off), 1), SW(iso7816.SWWrongP1P2NoInfo), NoData())
			}
		},
	},
	{
		ID: "SSSE-WRITE-015", Title: "READ BINARY across the end of the file returns the bytes there are with 6282",
		Clause: iso4 + " §11.2.3", Persona: "gen2", Requires: RequireAll(needTries(1), genNeedRule("EF08", "read", "pin")),
		Run: func(s *S) {
			selectSSSE(s)
			verifyPIN(s)
			s.Step("select EF08")
			s.Must("00A4020C02EF08", OK())
			off := s.Profile().SSSE.PhotoSize - 4
			s.Step("the last 4 bytes")
			last := s.Must(apduLe(0, 0xB0, byte(off>>8), byte(off), 4), OK(), DataLen(4)).Data
			s.Step("8 bytes from 4 before the end")
			s.Expect(apduLe(0, 0xB0, byte(off>>8), byte(off), 8), SW(iso7816.SWWarnEOF), Data(last))
		},
	},
	{
		ID: "SSSE-WRITE-016", Title: "UPDATE BINARY past the end answers 6B00 (offset outside) or an error (data across the end) and writes nothing",
		Clause: iso4 + " §11.2.5", Persona: "gen2", PSAM: true, Restores: true,
		Requires: RequireAll(needTries(1), genNeedRule("EF08", "read", "pin"), genNeedRule("EF08", "update", "key:0D")),
		Run: func(s *S) {
			s.Session()
			verifyPIN(s)
			auth(s, terminal.KeyEF06Wr)
			s.Step("select EF08")
			s.Must("00A4020C02EF08", OK())
			size := s.Profile().SSSE.PhotoSize
			off := size - 2
			last := s.Must(apduLe(0, 0xB0, byte(off>>8), byte(off), 2), OK(), DataLen(2)).Data
			s.Step("offset past the end")
			s.Expect(apdu(0, 0xD6, byte((size+1)>>8), byte(size+1), []byte{0x55}), SW(iso7816.SWWrongP1P2NoInfo))
			s.Step("4 bytes from 2 before the end")
			r := s.Expect(apdu(0, 0xD6, byte(off>>8), byte(off), wrAltBytes(make([]byte, 4))),
				SWOneOf(iso7816.SWWrongLength, iso7816.SWNotEnoughMemory, iso7816.SWWrongP1P2NoInfo))
			s.Expect(apduLe(0, 0xB0, byte(off>>8), byte(off), 2), OK(), Data(last))
			if r.SW == iso7816.SWOK {
				s.Step("write back")
				s.Expect(apdu(0, 0xD6, byte(off>>8), byte(off), last), OK())
			}
		},
	},
	{
		ID: "SSSE-WRITE-017", Title: "APPEND RECORD fills DF02's linear-variable file, then answers 6A84; the records read back",
		Clause: iso4 + " §11.3.6; " + cardSSSE + " [model: DF02 layout is profile data]", Model: true,
		PSAM: true, Destructive: true, Requires: RequireAll(needTries(1), wrNeedSubAppFile("D15600000501", "linear-variable")),
		Run: func(s *S) {
			s.Session()
			verifyPIN(s)
			f := wrSubApp(s, "D15600000501", "linear-variable")
			genMeetRule(s, f.Update)
			sfi := byte(f.SFI)
			var last []byte
			for n := len(f.Records) + 1; n <= f.MaxRecords; n++ {
				last = wrRecordFor(f, 5+n, byte(0x30+n))
				s.Step("append record %d", n)
				s.Expect(apdu(0, 0xE2, 0, sfi<<3, last), OK(), NoData())
			}
			s.Step("file full")
			s.Expect(apdu(0, 0xE2, 0, sfi<<3, wrRecordFor(f, 3, 0x39)), SW(iso7816.SWNotEnoughMemory))
			if last != nil {
				s.Step("read the last record")
				s.Expect(apduLe(0, 0xB2, byte(f.MaxRecords), sfi<<3|4, 0), OK(), Data(last))
			}
			s.Expect(apduLe(0, 0xB2, byte(f.MaxRecords+1), sfi<<3|4, 0), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-WRITE-018", Title: "APPEND RECORD to DF04's cyclic file needs the PIN; the newest record is record 1",
		Clause: iso4 + " §11.3.6; " + cardSSSE + " [model: DF04 layout is profile data]", Model: true,
		Destructive: true, Requires: RequireAll(needTries(1), wrNeedSubAppFile("D15600000503", "cyclic")),
		Run: func(s *S) {
			selectSSSE(s)
			f := wrSubApp(s, "D15600000503", "cyclic")
			sfi := byte(f.SFI)
			a, b := wrRecordFor(f, 0, 0xA1), wrRecordFor(f, 0, 0xB2)
			if strings.EqualFold(f.Update, "pin") {
				s.Step("append without the PIN")
				s.Expect(apdu(0, 0xE2, 0, sfi<<3, a), SW(iso7816.SWSecurityNotSatisfied))
			}
			verifyPIN(s)
			if !strings.EqualFold(f.Update, "pin") {
				genMeetRule(s, f.Update)
			}
			s.Step("append A")
			s.Expect(apdu(0, 0xE2, 0, sfi<<3, a), OK(), NoData())
			s.Step("append B")
			s.Expect(apdu(0, 0xE2, 0, sfi<<3, b), OK(), NoData())
			genMeetRule(s, f.Read)
			s.Step("record 1 is B, record 2 is A")
			s.Expect(apduLe(0, 0xB2, 1, sfi<<3|4, 0), OK(), Data(b))
			s.Expect(apduLe(0, 0xB2, 2, sfi<<3|4, 0), OK(), Data(a))
			s.Step("a record of another size")
			s.Expect(apdu(0, 0xE2, 0, sfi<<3, a[:len(a)-1]), SW(iso7816.SWWrongLength))
			s.Expect(apduLe(0, 0xB2, 1, sfi<<3|4, 0), OK(), Data(b))
		},
	},
	{
		ID: "SSSE-WRITE-019", Title: "APPEND RECORD with P1 other than 00 answers 6A86",
		Clause: iso4 + " §11.3.6", Destructive: true, Requires: RequireAll(needTries(1), wrNeedSubAppFile("D15600000503", "cyclic")),
		Run: func(s *S) {
			selectSSSE(s)
			f := wrSubApp(s, "D15600000503", "cyclic")
			verifyPIN(s)
			s.Step("P1=01")
			s.Expect(apdu(0, 0xE2, 0x01, byte(f.SFI)<<3, wrRecordFor(f, 0, 0xC3)), SW(iso7816.SWWrongP1P2))
		},
	},
	{
		ID: "SSSE-WRITE-020", Title: "UPDATE RECORD by number in DF01's linear-fixed file after its update key; it reads back",
		Clause: iso4 + " §11.3.5; " + cardSSSE + " [model: DF01 layout is profile data]", Model: true,
		PSAM: true, Restores: true, Requires: wrNeedSubAppFile("D15600000500", "linear-fixed"),
		Run: func(s *S) {
			s.Session()
			_, f := wrSubAppFile(s.Profile(), "D15600000500", "linear-fixed")
			if len(f.Records) == 0 {
				s.Skip("the file has no record")
			}
			if strings.EqualFold(f.Update, "pin") || strings.EqualFold(f.Update, "free") {
				s.Skip("the file's update rule %q is not a key", f.Update)
			}
			genMeetRule(s, f.Update)
			wrSubApp(s, "D15600000500", "linear-fixed")
			genMeetRule(s, f.Read)
			sfi := byte(f.SFI)
			orig := mustHexBytes(f.Records[0])
			alt := wrAltBytes(orig)
			s.Step("read record 1")
			s.Expect(apduLe(0, 0xB2, 1, sfi<<3|4, 0), OK(), Data(orig))
			s.Step("write")
			s.Expect(apdu(0, 0xDC, 1, sfi<<3|4, alt), OK(), NoData())
			s.Expect(apduLe(0, 0xB2, 1, sfi<<3|4, 0), OK(), Data(alt))
			s.Step("write back")
			s.Expect(apdu(0, 0xDC, 1, sfi<<3|4, orig), OK(), NoData())
			s.Expect(apduLe(0, 0xB2, 1, sfi<<3|4, 0), OK(), Data(orig))
		},
	},
}
