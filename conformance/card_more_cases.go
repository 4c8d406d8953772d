package conformance

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// Addressing beyond the basic forms of CARD.md §2: SELECT by path, child
// and parent DF, next occurrence of a DF name, the FCP of the SSSE, the
// sub-applications DF01..DF04 and their access rules, the record pointer
// modes of READ RECORD and GET RESPONSE in pieces.

// --- helpers shared by the channel, life cycle, error and addressing groups ---

// moHex decodes hex the profile has validated; a bad value ends the case.
func moHex(s *S, what, h string) []byte {
	b, err := hex.DecodeString(strings.TrimSpace(h))
	if err != nil {
		s.Fatalf("profile %s %q: %v", what, h, err)
	}
	return b
}

// moSSSEAID is the SSSE's DF name as the profile declares it.
func moSSSEAID(s *S) []byte { return moHex(s, "ssse.aid", s.Profile().SSSE.AID) }

// moSSSEFID is the SSSE's file identifier under the MF.
func moSSSEFID(s *S) []byte { return moHex(s, "ssse.fid", s.Profile().SSSE.FID) }

// moFCI is the FCI the profile declares for the SSSE (CARD.md §2):
// 6F { 84 <AID>, A5 { 88 01 0B [9F0C 03 86 01 <alg>] } }.
func moFCI(s *S) []byte {
	prop := []byte{0x88, 0x01, ssse.DirectorySFI}
	if fa := s.Profile().SSSE.FCIAlgorithm; fa != nil && *fa {
		prop = append(prop, 0x9F, 0x0C, 0x03, 0x86, 0x01, byte(alg(s)))
	}
	aid := moSSSEAID(s)
	var in []byte
	in = append(in, 0x84, byte(len(aid)))
	in = append(in, aid...)
	in = append(in, 0xA5, byte(len(prop)))
	in = append(in, prop...)
	return append([]byte{0x6F, byte(len(in))}, in...)
}

// moSelectFCP selects the SSSE by name asking for its FCP (P2=04), with a
// T=0 terminal's handling.
func moSelectFCP(s *S) iso7816.Response {
	s.Step("select SSSE, FCP")
	return s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, P2: 0x04, Data: terminal.SSSEAID, Ne: 256})
}

// lcExpect checks the life cycle status byte (FCP tag 8A) of the SSSE.
func lcExpect(s *S, lcs byte) {
	r := moSelectFCP(s)
	s.Check(r, OK(), TLVValue([]byte{lcs}, 0x62, 0x8A))
}

// moPINQuery is the status an empty VERIFY gives on the SSSE when the PIN is
// not verified, from the profile: 63Cx with the tries left, 6983 blocked.
func moPINQuery(s *S) iso7816.Status {
	left := *s.Profile().SSSE.PIN.TriesLeft
	if left == 0 {
		return iso7816.SWAuthBlocked
	}
	return tries(left)
}

// moAsFound checks, after a refused command, that it changed nothing:
// the SSSE is still the current DF of the basic channel (EF05 record 01
// reads by SFI) and the PIN tries are as the profile declares.
func moAsFound(s *S) {
	s.Step("the SSSE is still current")
	s.Expect(readByID(ssse.SFIEF05, 0x01, 0x00), OK(), Data(record(s, "EF05", 0x01)))
	s.Step("the PIN tries are unchanged")
	s.Expect("00200000", SW(moPINQuery(s)))
}

// moRule is the access rule of an SSSE file (or "admin") for the card's
// generation with the profile's overrides (emulator/ssse.DefaultAccess).
func moRule(p *profile.Profile, file string) profile.Access {
	a := ssse.DefaultAccess(p.Generation)[file]
	if o, ok := p.SSSE.Access[file]; ok {
		if o.Read != "" {
			a.Read = o.Read
		}
		if o.Update != "" {
			a.Update = o.Update
		}
	}
	return a
}

// moSubAppFile finds, in the sub-application with DF name aid, the first
// record file with an SFI, records and the read rule read.
func moSubAppFile(p *profile.Profile, aid, read string) (*profile.SubApp, *profile.File) {
	if p.SSSE == nil {
		return nil, nil
	}
	for i := range p.SSSE.SubApps {
		sa := &p.SSSE.SubApps[i]
		if !strings.EqualFold(sa.AID, aid) {
			continue
		}
		for j := range sa.Files {
			f := &sa.Files[j]
			if f.Read == read && f.SFI != 0 && len(f.Records) > 0 && f.Type != "transparent" {
				return sa, f
			}
		}
	}
	return nil, nil
}

// moNeedSubAppFile: the SSSE is active and the sub-application aid has a
// record file with the read rule read.
func moNeedSubAppFile(aid, read string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		if _, f := moSubAppFile(p, aid, read); f == nil {
			return fmt.Sprintf("no record file read %q in sub-application %s", read, aid)
		}
		return ""
	}
}

// moSubAppRecord returns record n (1-based) of a sub-application file.
func moSubAppRecord(s *S, f *profile.File, n int) []byte {
	return moHex(s, "record", f.Records[n-1])
}

// moSelectAID selects a DF by name without answer data (P2=0C) and ends the
// case unless 9000.
func moSelectAID(s *S, aid []byte) {
	s.Step("select %X", aid)
	s.Must(apdu(0, 0xA4, 0x04, 0x0C, aid), OK())
}

// moSubAppAIDs lists the profile's sub-application DF names starting with
// prefix, in profile (tree) order.
func moSubAppAIDs(p *profile.Profile, prefix string) [][]byte {
	var out [][]byte
	if p.SSSE == nil {
		return nil
	}
	for _, sa := range p.SSSE.SubApps {
		b, err := hex.DecodeString(sa.AID)
		if err == nil && strings.HasPrefix(strings.ToUpper(sa.AID), prefix) {
			out = append(out, b)
		}
	}
	return out
}

// moSubAppPrefix is the DF name prefix of the SSSE sub-applications
// (D15600000500..03, CARD.md §2).
const moSubAppPrefix = "D156000005"

func moNeedSubApps(n int) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		if len(moSubAppAIDs(p, moSubAppPrefix)) < n {
			return fmt.Sprintf("needs %d sub-applications named %s..", n, moSubAppPrefix)
		}
		return ""
	}
}

// moReadCurrent reads in the current EF (P2 b8-b4 = 0) with record
// identifier p1 in mode (0 first, 1 last, 2 next, 3 previous, 4 number).
func moReadCurrent(p1, mode byte) []byte { return apduLe(0, 0xB2, p1, mode, 0x00) }

// moSelectEF05 selects the SSSE, then EF05 by FID, so that EF05 is current
// with no current record.
func moSelectEF05(s *S) {
	selectSSSE(s)
	s.Step("select EF05")
	s.Must("00A4020C02EF05", OK())
}

// moSelectFCPOf selects a DF by name asking for its FCP (P2=04).
func moSelectFCPOf(s *S, aid []byte) iso7816.Response {
	s.Step("select %X, FCP", aid)
	return s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, P2: 0x04, Data: aid, Ne: 256})
}

var moreCases = []*Case{
	{
		ID: "SSSE-MORE-001", Title: "SELECT by path from the MF (P1=08: SSSE FID, EF05) makes EF05 current",
		Clause: iso4 + " §11.2.2; " + cardSSSE, Requires: needActive,
		Run: func(s *S) {
			s.Step("select by path")
			s.Expect(apdu(0, 0xA4, 0x08, 0x0C, append(moSSSEFID(s), 0xEF, 0x05)), OK(), NoData())
			s.Step("read record 1 of the current EF")
			s.Expect(moReadCurrent(1, 0x04), OK(), Data(records(s)["EF05"][0]))
		},
	},
	{
		ID: "SSSE-MORE-002", Title: "SELECT by path from the MF to a DF (P1=08: SSSE FID, DF01) makes the sub-application current",
		Clause: iso4 + " §11.2.2", Requires: moNeedSubAppFile("D15600000500", "free"),
		Run: func(s *S) {
			sa, f := moSubAppFile(s.Profile(), "D15600000500", "free")
			s.Step("select by path")
			s.Expect(apdu(0, 0xA4, 0x08, 0x0C, append(moSSSEFID(s), moHex(s, "fid", sa.FID)...)), OK(), NoData())
			s.Step("read the sub-application's file by SFI")
			s.Expect(apduLe(0, 0xB2, 1, byte(f.SFI)<<3|4, 0), OK(), Data(moSubAppRecord(s, f, 1)))
		},
	},
	{
		ID: "SSSE-MORE-003", Title: "SELECT by path from the current DF (P1=09: DF01, EF) selects the sub-application's EF",
		Clause: iso4 + " §11.2.2", Requires: moNeedSubAppFile("D15600000500", "free"),
		Run: func(s *S) {
			sa, f := moSubAppFile(s.Profile(), "D15600000500", "free")
			selectSSSE(s)
			s.Step("select by path from the SSSE")
			path := append(moHex(s, "fid", sa.FID), moHex(s, "fid", f.FID)...)
			s.Expect(apdu(0, 0xA4, 0x09, 0x0C, path), OK(), NoData())
			s.Step("read record 1 of the current EF")
			s.Expect(moReadCurrent(1, 0x04), OK(), Data(moSubAppRecord(s, f, 1)))
		},
	},
	{
		ID: "SSSE-MORE-004", Title: "SELECT by path of an absent file answers 6A82 and leaves the SSSE current",
		Clause: iso4 + " §11.2.2", Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("select an absent path")
			s.Expect(apdu(0, 0xA4, 0x08, 0x0C, append(moSSSEFID(s), 0xEF, 0x7F)), SW(iso7816.SWFileNotFound))
			moAsFound(s)
		},
	},
	{
		ID: "SSSE-MORE-005", Title: "SELECT child DF (P1=01) with the SSSE FID from the MF selects the SSSE",
		Clause: iso4 + " §11.2.2; " + cardSSSE + " [model: FID]", Model: true, Requires: needActive,
		Run: func(s *S) {
			s.Step("select MF")
			s.Must("00A4000C023F00", OK())
			s.Step("select the SSSE as a child DF")
			s.Expect(apdu(0, 0xA4, 0x01, 0x0C, moSSSEFID(s)), OK(), NoData())
			s.Step("read EF05 record 01 by SFI")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
		},
	},
	{
		ID: "SSSE-MORE-006", Title: "SELECT P1=01 takes DFs only and P1=02 EFs only: the wrong kind answers 6A82",
		Clause: iso4 + " §11.2.2", Requires: moNeedSubApps(1),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("EF05 as a child DF")
			s.Expect("00A4010C02EF05", SW(iso7816.SWFileNotFound))
			s.Step("a sub-application DF as an EF")
			s.Expect(apdu(0, 0xA4, 0x02, 0x0C, moHex(s, "fid", s.Profile().SSSE.SubApps[0].FID)), SW(iso7816.SWFileNotFound))
			moAsFound(s)
		},
	},
	{
		ID: "SSSE-MORE-007", Title: "SELECT parent DF (P1=03) from a sub-application returns to the SSSE",
		Clause: iso4 + " §11.2.2", Requires: moNeedSubAppFile("D15600000500", "free"),
		Run: func(s *S) {
			selectSSSE(s)
			moSelectAID(s, mustHexBytes("D15600000500"))
			s.Step("select parent")
			s.Expect("00A4030C", OK(), NoData())
			s.Step("SFI 5 is the SSSE's EF05 again")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
		},
	},
	{
		ID: "SSSE-MORE-008", Title: "SELECT parent DF (P1=03) of the MF answers 6A82",
		Clause: iso4 + " §11.2.2", Requires: needSSC,
		Run: func(s *S) {
			s.Step("select MF")
			s.Must("00A4000C023F00", OK())
			s.Step("select parent")
			s.Expect("00A4030C", SW(iso7816.SWFileNotFound))
		},
	},
	{
		ID: "SSSE-MORE-009", Title: "SELECT next occurrence (P2=02) of the name D156000005 walks DF01, DF02, ... then 6A82",
		Clause: iso4 + " §11.2.2; " + cardSSSE, Requires: moNeedSubApps(2),
		Run: func(s *S) {
			want := moSubAppAIDs(s.Profile(), moSubAppPrefix)
			prefix := mustHexBytes(moSubAppPrefix)
			selectSSSE(s)
			for i, aid := range want {
				p2 := byte(0x02)
				if i == 0 {
					p2 = 0x00
				}
				s.Step("occurrence %d", i+1)
				r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, P2: p2, Data: prefix, Ne: 256})
				s.Check(r, OK(), TLVValue(aid, 0x6F, 0x84))
			}
			s.Step("no further occurrence")
			s.Expect(apdu(0, 0xA4, 0x04, 0x0E, prefix), SW(iso7816.SWFileNotFound))
		},
	},
	{
		ID: "SSSE-MORE-010", Title: "The FCP of the SSSE (P2=04) gives a DF descriptor, its FID, its name and life cycle 05",
		Clause: iso4 + " §7.4; " + cardLife + " [model]", Model: true, Requires: needActive,
		Run: func(s *S) {
			r := moSelectFCP(s)
			s.Check(r, OK(), TLVValue([]byte{0x38}, 0x62, 0x82), TLVValue(moSSSEFID(s), 0x62, 0x83),
				TLVValue(moSSSEAID(s), 0x62, 0x84), TLVValue([]byte{0x05}, 0x62, 0x8A))
		},
	},
	{
		ID: "SSSE-MORE-011", Title: "Each sub-application DF01..DF04 selects by its AID with its name in the FCI",
		Clause: cardSSSE + " [model: FCI content]", Model: true, Requires: moNeedSubApps(1),
		Run: func(s *S) {
			selectSSSE(s)
			for _, aid := range moSubAppAIDs(s.Profile(), moSubAppPrefix) {
				s.Step("select %X", aid)
				r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: aid, Ne: 256})
				s.Check(r, OK(), TLVValue(aid, 0x6F, 0x84))
			}
		},
	},
	{
		ID: "SSSE-MORE-012", Title: "DF03 records need the PIN: 6982, then the record after VERIFY",
		Clause: cardSSSE + "; " + cardSec + " [model: sub-application rules]", Model: true,
		Requires: RequireAll(needTries(1), moNeedSubAppFile("D15600000502", "pin")),
		Run: func(s *S) {
			_, f := moSubAppFile(s.Profile(), "D15600000502", "pin")
			selectSSSE(s)
			moSelectAID(s, mustHexBytes("D15600000502"))
			rd := apduLe(0, 0xB2, 1, byte(f.SFI)<<3|4, 0)
			s.Step("read without the PIN")
			s.Expect(rd, SW(iso7816.SWSecurityNotSatisfied), NoData())
			verifyPIN(s)
			s.Step("read with the PIN")
			s.Expect(rd, OK(), Data(moSubAppRecord(s, f, 1)))
		},
	},
	{
		ID: "SSSE-MORE-013", Title: "DF04 records need the PIN: 6982, then the record after VERIFY",
		Clause: cardSSSE + "; " + cardSec + " [model: sub-application rules]", Model: true,
		Requires: RequireAll(needTries(1), moNeedSubAppFile("D15600000503", "pin")),
		Run: func(s *S) {
			_, f := moSubAppFile(s.Profile(), "D15600000503", "pin")
			selectSSSE(s)
			moSelectAID(s, mustHexBytes("D15600000503"))
			rd := apduLe(0, 0xB2, 1, byte(f.SFI)<<3|4, 0)
			s.Step("read without the PIN")
			s.Expect(rd, SW(iso7816.SWSecurityNotSatisfied), NoData())
			verifyPIN(s)
			s.Step("read with the PIN")
			s.Expect(rd, OK(), Data(moSubAppRecord(s, f, 1)))
		},
	},
	{
		ID: "SSSE-MORE-014", Title: "The PIN verified in the SSSE holds in its sub-applications",
		Clause: iso4 + " §5.4.3; " + cardSec, Requires: RequireAll(needTries(1), moNeedSubAppFile("D15600000503", "pin")),
		Run: func(s *S) {
			_, f := moSubAppFile(s.Profile(), "D15600000503", "pin")
			selectSSSE(s)
			verifyPIN(s)
			moSelectAID(s, mustHexBytes("D15600000503"))
			s.Step("read the PIN-protected record")
			s.Expect(apduLe(0, 0xB2, 1, byte(f.SFI)<<3|4, 0), OK(), Data(moSubAppRecord(s, f, 1)))
		},
	},
	{
		ID: "SSSE-MORE-015", Title: "The PIN verified in the SSSE is lost by leaving it for the MF",
		Clause: iso4 + " §5.4.3; " + cardSec, Requires: RequireAll(needTries(1), moNeedSubAppFile("D15600000502", "pin")),
		Run: func(s *S) {
			_, f := moSubAppFile(s.Profile(), "D15600000502", "pin")
			selectSSSE(s)
			verifyPIN(s)
			s.Step("select MF")
			s.Must("00A4000C023F00", OK())
			moSelectAID(s, mustHexBytes("D15600000502"))
			s.Step("read the PIN-protected record")
			s.Expect(apduLe(0, 0xB2, 1, byte(f.SFI)<<3|4, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
		},
	},
	{
		ID: "SSSE-MORE-016", Title: "DF01: the free file reads without the PIN, the PIN|KEY file after VERIFY only",
		Clause: cardSSSE + " [model: sub-application rules]", Model: true,
		Requires: RequireAll(needTries(1), moNeedSubAppFile("D15600000500", "free"), moNeedSubAppFile("D15600000500", "pin|key:0A")),
		Run: func(s *S) {
			_, free := moSubAppFile(s.Profile(), "D15600000500", "free")
			_, prot := moSubAppFile(s.Profile(), "D15600000500", "pin|key:0A")
			selectSSSE(s)
			moSelectAID(s, mustHexBytes("D15600000500"))
			s.Step("free file")
			s.Expect(apduLe(0, 0xB2, 1, byte(free.SFI)<<3|4, 0), OK(), Data(moSubAppRecord(s, free, 1)))
			rd := apduLe(0, 0xB2, byte(len(prot.Records)), byte(prot.SFI)<<3|4, 0)
			s.Step("PIN|KEY file without either")
			s.Expect(rd, SW(iso7816.SWSecurityNotSatisfied))
			verifyPIN(s)
			s.Step("PIN|KEY file with the PIN")
			s.Expect(rd, OK(), Data(moSubAppRecord(s, prot, len(prot.Records))))
		},
	},
	{
		ID: "SSSE-MORE-017", Title: "READ RECORD first/last occurrence with P1=00 gives the first and the last record",
		Clause: iso4 + " §11.3.3, Annex C (record pointer)", Requires: needActive,
		Run: func(s *S) {
			recs := records(s)["EF05"]
			moSelectEF05(s)
			s.Step("last occurrence")
			s.Expect(moReadCurrent(0, 0x01), OK(), Data(recs[len(recs)-1]))
			s.Step("first occurrence")
			s.Expect(moReadCurrent(0, 0x00), OK(), Data(recs[0]))
			s.Step("last occurrence of identifier 01")
			s.Expect(moReadCurrent(0x01, 0x01), OK(), Data(recs[0]))
		},
	},
	{
		ID: "SSSE-MORE-018", Title: "READ RECORD next occurrence with no current record gives the first, then the following ones",
		Clause: iso4 + " §11.3.3, Annex C (record pointer)", Requires: needActive,
		Run: func(s *S) {
			recs := records(s)["EF05"]
			moSelectEF05(s)
			for i := 0; i < 3 && i < len(recs); i++ {
				s.Step("next occurrence %d", i+1)
				s.Expect(moReadCurrent(0, 0x02), OK(), Data(recs[i]))
			}
			s.Step("previous occurrence")
			s.Expect(moReadCurrent(0, 0x03), OK(), Data(recs[1]))
		},
	},
	{
		ID: "SSSE-MORE-019", Title: "READ RECORD previous occurrence with no current record gives the last, then the ones before",
		Clause: iso4 + " §11.3.3, Annex C (record pointer)", Requires: needActive,
		Run: func(s *S) {
			recs := records(s)["EF05"]
			moSelectEF05(s)
			n := len(recs)
			for i := 0; i < 3 && i < n; i++ {
				s.Step("previous occurrence %d", i+1)
				s.Expect(moReadCurrent(0, 0x03), OK(), Data(recs[n-1-i]))
			}
		},
	},
	{
		ID: "SSSE-MORE-020", Title: "READ RECORD next after the last record and previous before the first answer 6A83",
		Clause: iso4 + " §11.3.3, Annex C (record pointer)", Requires: needActive,
		Run: func(s *S) {
			recs := records(s)["EF05"]
			moSelectEF05(s)
			s.Step("last")
			s.Must(moReadCurrent(0, 0x01), OK(), Data(recs[len(recs)-1]))
			s.Step("next after the last")
			s.Expect(moReadCurrent(0, 0x02), SW(iso7816.SWRecordNotFound))
			s.Step("first")
			s.Must(moReadCurrent(0, 0x00), OK(), Data(recs[0]))
			s.Step("previous before the first")
			s.Expect(moReadCurrent(0, 0x03), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-MORE-021", Title: "READ RECORD next occurrence of an identifier skips the other records",
		Clause: iso4 + " §11.3.3, Annex C (record pointer)", Requires: needActive,
		Run: func(s *S) {
			recs := records(s)["EF05"]
			last := recs[len(recs)-1]
			moSelectEF05(s)
			s.Step("next occurrence of identifier %02X", last[0])
			s.Expect(moReadCurrent(last[0], 0x02), OK(), Data(last))
			s.Step("no further occurrence")
			s.Expect(moReadCurrent(last[0], 0x02), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-MORE-022", Title: "GET RESPONSE in pieces: Le short of what waits gives Le bytes and 61xx for the rest",
		Clause: iso4 + " §11.5.1; " + cardT0, Requires: needSSC,
		Run: func(s *S) {
			fci := moFCI(s)
			s.Step("select SSSE")
			s.Must(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SW(iso7816.SWBytesAvailable|iso7816.Status(len(fci))), NoData())
			s.Step("first 5 bytes")
			s.Expect(apduLe(0, 0xC0, 0, 0, 5), SW(iso7816.SWBytesAvailable|iso7816.Status(len(fci)-5)), Data(fci[:5]))
			s.Step("the next 3")
			s.Expect(apduLe(0, 0xC0, 0, 0, 3), SW(iso7816.SWBytesAvailable|iso7816.Status(len(fci)-8)), Data(fci[5:8]))
			s.Step("the rest")
			s.Expect(apduLe(0, 0xC0, 0, 0, byte(len(fci)-8)), OK(), Data(fci[8:]))
			s.Step("nothing left")
			s.Expect(apduLe(0, 0xC0, 0, 0, 1), SW(iso7816.SWConditionsNotSatisfied), NoData())
		},
	},
	{
		ID: "SSSE-MORE-023", Title: "The SSSE FCI is exactly what the profile declares (84 name, A5 88 01 0B, 9F0C on 3.00)",
		Clause: cardSSSE, Requires: needActive,
		Run: func(s *S) {
			r := selectSSSE(s)
			s.Check(r, Data(moFCI(s)))
		},
	},
	{
		ID: "SSSE-MORE-024", Title: "The FCP of a sub-application's cyclic EF gives its structure, record size, count and SFI",
		Clause: iso4 + " §7.4.5", Requires: needActive,
		Run: func(s *S) {
			var sa *profile.SubApp
			var f *profile.File
			for i := range s.Profile().SSSE.SubApps {
				for j := range s.Profile().SSSE.SubApps[i].Files {
					if x := &s.Profile().SSSE.SubApps[i].Files[j]; x.Type == "cyclic" && x.SFI != 0 {
						sa, f = &s.Profile().SSSE.SubApps[i], x
					}
				}
			}
			if f == nil {
				s.Skip("no cyclic file in the sub-applications")
			}
			selectSSSE(s)
			moSelectAID(s, moHex(s, "aid", sa.AID))
			s.Step("select %s with FCP", f.FID)
			r := s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x04, Data: moHex(s, "fid", f.FID), Ne: 256})
			s.Check(r, OK(), TLVValue([]byte{0x06, 0x21, 0x00, byte(f.RecordSize), byte(f.MaxRecords)}, 0x62, 0x82),
				TLVValue(moHex(s, "fid", f.FID), 0x62, 0x83), TLVValue([]byte{byte(f.SFI) << 3}, 0x62, 0x88))
		},
	},
	{
		ID: "SSSE-MORE-025", Title: "SELECT by FID (P1=00) of the SSSE from the MF, then SELECT MF by FID from the SSSE",
		Clause: iso4 + " §7.2.1, §11.2.2", Requires: needActive,
		Run: func(s *S) {
			s.Step("select the SSSE by FID")
			s.Expect(apdu(0, 0xA4, 0x00, 0x0C, moSSSEFID(s)), OK(), NoData())
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), OK(), Data(record(s, "EF05", 0x01)))
			s.Step("select MF")
			s.Expect("00A4000C023F00", OK(), NoData())
			s.Step("SFI 5 is unknown under the MF")
			s.Expect(readByID(ssse.SFIEF05, 0x01, 0), SW(iso7816.SWFileNotFound))
		},
	}, {
		ID: "SSSE-MORE-026", Title: "DEACTIVATE FILE on a sub-application without external authentication answers 6982 and changes nothing",
		Clause: cardLife + " [model]; " + iso4 + " §11.6.4", Model: true, PSAM: true, Requires: RequireAll(lcNeedAdmin, moNeedSubApps(1)), Restores: true,
		Run: func(s *S) {
			aid := moSubAppAIDs(s.Profile(), moSubAppPrefix)[0]
			s.Step("open the SSSE session")
			ssc := s.Session()
			moSelectAID(s, aid)
			r := s.Expect(lcAPDU(s, lcDeactivate, 0, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			s.Check(moSelectFCPOf(s, aid), OK(), TLVValue([]byte{lcStatusActivated}, 0x62, 0x8A))
			if r.SW == iso7816.SWOK {
				s.Step("put the sub-application back")
				sw, err := ssc.LifeCycle(lcActivate)
				s.OK(err, "ACTIVATE FILE")
				s.Check(iso7816.Response{SW: sw}, OK())
			}
		},
	},
}
