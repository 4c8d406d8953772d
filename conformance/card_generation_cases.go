package conformance

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/ssse"
)

// The SSSE data model per generation (CARD.md §2): which records each
// generation has, where, in which format, and who may read them.

// genAccess returns the access rules of an SSSE file (EF05, EF06, EF07,
// EF08, EF0D) the profile declares: the generation's rules with the
// profile's overrides.
func genAccess(p *profile.Profile, file string) profile.Access {
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

// genNeedRule: the profile gives file's op ("read" or "update") the rule want.
func genNeedRule(file, op, want string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		a := genAccess(p, file)
		got := a.Read
		if op == "update" {
			got = a.Update
		}
		if !strings.EqualFold(got, want) {
			return fmt.Sprintf("the profile's %s %s rule is %q, the case needs %q", file, op, got, want)
		}
		return ""
	}
}

// genNeed3DES: the card's algorithm is 3DES.
func genNeed3DES(p *profile.Profile) string {
	if p.Algorithm != "3des" {
		return "needs a 3DES card"
	}
	return ""
}

// genNeedNoFCIAlg: the profile declares an FCI without 9F0C.
func genNeedNoFCIAlg(p *profile.Profile) string {
	if why := needSSC(p); why != "" {
		return why
	}
	if *p.SSSE.FCIAlgorithm {
		return "the profile's FCI announces its algorithm (9F0C)"
	}
	return ""
}

// genBCD packs digits into n bytes, right-padded with F (cn format,
// CARD.md §2).
func genBCD(digits string, n int) []byte {
	for len(digits) < 2*n {
		digits += "F"
	}
	b, err := hex.DecodeString(digits[:2*n])
	if err != nil {
		panic("conformance: not digits: " + digits)
	}
	return b
}

// genTLV is the SIMPLE-TLV data item tag || len || v.
func genTLV(tag byte, v []byte) []byte { return append([]byte{tag, byte(len(v))}, v...) }

// genRandom is the terminal's random of INTERNAL AUTHENTICATE.
var genRandom = mustHexBytes("A1B2C3D4E5F60718")

// genInternalAuth checks the card with INTERNAL AUTHENTICATE against the
// PSAM (CARD.md §2: internal, then external authentication).
func genInternalAuth(s *S) {
	s.Step("internal authentication")
	s.OK(s.Session().InternalAuthenticate(terminal.KeyIntAuth, genRandom), "internal authentication")
}

// genUnlock selects the SSSE and meets the read rule of file the profile
// declares: nothing when free; the PIN; or internal authentication (when
// the card has an internal authentication key) then external
// authentication with the rule's key (CARD.md §2: RKSSSE before EF06 on
// 3.00 cards).
func genUnlock(s *S, file string) {
	selectSSSE(s)
	genMeetRule(s, genAccess(s.Profile(), file).Read)
}

// genMeetRule satisfies an access rule in the current DF.
func genMeetRule(s *S, rule string) {
	r := strings.ToLower(rule)
	switch {
	case r == "free" || r == "":
	case r == "pin" || strings.HasPrefix(r, "pin|"):
		verifyPIN(s)
	case strings.HasPrefix(r, "key:") || strings.HasPrefix(r, "pin+key:"):
		if strings.HasPrefix(r, "pin+") {
			verifyPIN(s)
		}
		id, err := hex.DecodeString(r[len(r)-2:])
		if err != nil || len(id) != 1 {
			s.Fatalf("access rule %q", rule)
		}
		if k := auKey(s.Profile(), terminal.KeyIntAuth); k != nil && slices.Contains(k.Usage, "intauth") {
			genInternalAuth(s)
		}
		auth(s, id[0])
	default:
		s.Skip("access rule %q cannot be met", rule)
	}
}

// genNameExtLayout checks EF06 records 3 (name extension, FF-padded) and 4
// (sex) of a 2.00/3.00 card, by number.
func genNameExtLayout(s *S) {
	id := &s.Profile().SSSE.Identity
	ext, err := profile.GBK(id.NameExt)
	s.OK(err, "name extension in GBK")
	s.Step("EF06 record number 3 is the name extension 4E")
	s.Expect(apduLe(0, 0xB2, 3, 6<<3|4, 0), OK(), DataWhere("4E 14 + GBK name extension, FF-padded", func(d []byte) error {
		if len(d) != 22 || d[0] != 0x4E || d[1] != 0x14 {
			return errors.New("not 4E 14 + 20 bytes")
		}
		if !bytes.HasPrefix(d[2:], ext) {
			return fmt.Errorf("does not start with the name extension %X", ext)
		}
		if strings.Trim(string(d[2+len(ext):]), "\xFF") != "" {
			return errors.New("not padded with FF")
		}
		return nil
	}), Data(record(s, "EF06", 0x4E)))
	s.Step("EF06 record number 4 is the sex 0A")
	s.Expect(apduLe(0, 0xB2, 4, 6<<3|4, 0), OK(), Data(genTLV(0x0A, []byte(id.Sex))))
	s.Step("record identifier 4E by SFI")
	s.Expect(apduLe(0, 0xB2, 0x4E, 6<<3, 0), OK(), Data(record(s, "EF06", 0x4E)))
}

// genDate checks a 4-byte BCD YYYYMMDD date and returns it.
func genDate(d []byte) (time.Time, error) {
	if len(d) != 4 {
		return time.Time{}, fmt.Errorf("%d bytes, want 4", len(d))
	}
	return time.Parse("20060102", hex.EncodeToString(d))
}

var generationCases = []*Case{
	{
		ID: "SSSE-GEN-001", Title: "1.00 card: EF06 record 3 is the sex (0A); there is no name extension 4E",
		Clause: cardSSSE, Persona: "trace-1.00", Requires: RequireAll(needGen("1.00"), genNeedRule("EF06", "read", "free")),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("EF06 record number 3")
			s.Expect(apduLe(0, 0xB2, 3, 6<<3|4, 0), OK(), Data(genTLV(0x0A, []byte(s.Profile().SSSE.Identity.Sex))))
			s.Step("record identifier 4E")
			s.Expect(apduLe(0, 0xB2, 0x4E, 6<<3, 0), SW(iso7816.SWRecordNotFound))
			s.Step("EF06 holds six records")
			s.Expect(apduLe(0, 0xB2, 6, 6<<3|4, 0), OK(), Data(genTLV(0x0D, genBCD(s.Profile().SSSE.Identity.BirthDate, 4))))
			s.Expect(apduLe(0, 0xB2, 7, 6<<3|4, 0), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-GEN-002", Title: "2.00 card: EF06 record 3 is the name extension 4E (FF-padded), record 4 the sex",
		Clause: cardSSSE + " [model: record number of 4E]", Model: true, Persona: "gen2",
		Requires: RequireAll(needGen("2.00"), genNeedRule("EF06", "read", "free")),
		Run: func(s *S) {
			selectSSSE(s)
			genNameExtLayout(s)
		},
	},
	{
		ID: "SSSE-GEN-003", Title: "3.00 card: after RKSSSE, EF06 record 3 is the name extension 4E (FF-padded), record 4 the sex",
		Clause: cardSSSE + " [model: record number of 4E]", Model: true, PSAM: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A")),
		Run: func(s *S) {
			genUnlock(s, "EF06")
			genNameExtLayout(s)
		},
	},
	{
		ID: "SSSE-GEN-004", Title: "EF05 record 03 (spec version) is the card's generation, by identifier and by number",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			want := genTLV(0x03, []byte(s.Profile().Generation))
			s.Step("by identifier")
			s.Expect(apduLe(0, 0xB2, 0x03, 5<<3, 0x06), OK(), Data(want))
			s.Step("by number")
			s.Expect(apduLe(0, 0xB2, 3, 5<<3|4, 0), OK(), Data(want))
		},
	},
	{
		ID: "SSSE-GEN-005", Title: "3.00 card: EF0D after RKSSSE holds EA (person identifier, 12 bytes) and EB (first application place, 3 bytes BCD)",
		Clause: cardSSSE, PSAM: true, Requires: RequireAll(needGen("3.00"), genNeedRule("EF0D", "read", "key:0A")),
		Run: func(s *S) {
			genUnlock(s, "EF0D")
			id := &s.Profile().SSSE.Identity
			ea := genTLV(0xEA, []byte(id.PersonID))
			eb := genTLV(0xEB, genBCD(id.FirstPlace, 3))
			s.Step("by identifier")
			s.Expect(apduLe(0, 0xB2, 0xEA, 13<<3, 0), OK(), Data(ea), DataLen(14))
			s.Expect(apduLe(0, 0xB2, 0xEB, 13<<3, 0), OK(), Data(eb), DataLen(5))
			s.Step("by number")
			s.Expect(apduLe(0, 0xB2, 1, 13<<3|4, 0), OK(), Data(ea))
			s.Expect(apduLe(0, 0xB2, 2, 13<<3|4, 0), OK(), Data(eb))
			s.Expect(apduLe(0, 0xB2, 3, 13<<3|4, 0), SW(iso7816.SWRecordNotFound))
		},
	},
	{
		ID: "SSSE-GEN-006", Title: "3.00 card: EF0D answers 6982 without RKSSSE, even with the PIN verified",
		Clause: cardSSSE, Requires: RequireAll(needGen("3.00"), genNeedRule("EF0D", "read", "key:0A"), needTries(1)),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("no authentication")
			s.Expect(apduLe(0, 0xB2, 0xEA, 13<<3, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			s.Expect(apduLe(0, 0xB2, 1, 13<<3|4, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			verifyPIN(s)
			s.Step("PIN verified")
			s.Expect(apduLe(0, 0xB2, 0xEB, 13<<3, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
		},
	},
	{
		ID: "SSSE-GEN-007", Title: "2.00 card: there is no EF0D (READ RECORD by SFI 13 and SELECT EF0D answer 6A82)",
		Clause: cardSSSE, Persona: "gen2", Requires: needGen("1.00", "2.00"),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("read by SFI 13")
			s.Expect(apduLe(0, 0xB2, 0xEA, 13<<3, 0), SW(iso7816.SWFileNotFound))
			s.Step("select EF0D")
			s.Expect("00A4020002EF0D", SW(iso7816.SWFileNotFound))
		},
	},
	{
		ID: "SSSE-GEN-008", Title: "2.00 card: every EF06 record reads freely, without PIN or authentication",
		Clause: cardSSSE, Persona: "gen2", Requires: RequireAll(needGen("1.00", "2.00"), genNeedRule("EF06", "read", "free")),
		Run: func(s *S) {
			selectSSSE(s)
			for _, rec := range records(s)["EF06"] {
				s.Step("read EF06 record %02X", rec[0])
				s.Expect(apduLe(0, 0xB2, rec[0], 6<<3, byte(len(rec))), OK(), Data(rec))
			}
		},
	},
	{
		ID: "SSSE-GEN-009", Title: "3.00 card: EF06 answers 6982 before RKSSSE, and the record after internal then external authentication (key 0A)",
		Clause: cardSSSE, PSAM: true, Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A")),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("no authentication")
			s.Expect(apduLe(0, 0xB2, 0x08, 6<<3, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			genInternalAuth(s)
			s.Step("internal authentication alone")
			s.Expect(apduLe(0, 0xB2, 0x08, 6<<3, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
			auth(s, terminal.KeyRKSSSE)
			s.Step("after RKSSSE")
			s.Expect(apduLe(0, 0xB2, 0x08, 6<<3, 0), OK(), Data(record(s, "EF06", 0x08)))
		},
	},
	{
		ID: "SSSE-GEN-010", Title: "3.00 card: external authentication with another key (04) does not open EF06",
		Clause: cardSSSE, PSAM: true, Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A"), auNeedKey(0x04, "extauth")),
		Run: func(s *S) {
			selectSSSE(s)
			auth(s, terminal.KeyEF05)
			s.Step("read EF06 record 09")
			s.Expect(apduLe(0, 0xB2, 0x09, 6<<3, 0), SW(iso7816.SWSecurityNotSatisfied), NoData())
		},
	},
	{
		ID: "SSSE-GEN-011", Title: "The card identifier is 3 bytes BCD region + D156000005 + the 8-byte unique part",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			id := &s.Profile().SSSE.Identity
			want := append(append(genBCD(id.Region, 3), mustHexBytes("D156000005")...), mustHexBytes(id.CardSerial)...)
			s.Expect(apduLe(0, 0xB2, 0x01, 5<<3, 0x12), OK(), DataWhere("01 10 <region BCD> D156000005 <8 bytes>", func(d []byte) error {
				if len(d) != 18 || d[0] != 0x01 || d[1] != 0x10 {
					return errors.New("not 01 10 + 16 bytes")
				}
				for _, c := range hex.EncodeToString(d[2:5]) {
					if c < '0' || c > '9' {
						return fmt.Errorf("region %X is not BCD", d[2:5])
					}
				}
				if !bytes.Equal(d[5:10], mustHexBytes("D156000005")) {
					return fmt.Errorf("bytes 4-8 are %X, want D156000005", d[5:10])
				}
				return nil
			}), Data(genTLV(0x01, want)))
		},
	},
	{
		ID: "SSSE-GEN-012", Title: "Issue and expiry dates (EF05 05, 06) are valid BCD dates, expiry after issue, as the profile declares",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			id := &s.Profile().SSSE.Identity
			var issued, expires time.Time
			s.Step("issue date")
			r := s.Expect(apduLe(0, 0xB2, 0x05, 5<<3, 0), OK(), Data(genTLV(0x05, genBCD(id.IssueDate, 4))))
			if len(r.Data) == 6 {
				var err error
				if issued, err = genDate(r.Data[2:]); err != nil {
					s.Errorf("issue date %X: %v", r.Data[2:], err)
				}
			}
			s.Step("expiry date")
			r = s.Expect(apduLe(0, 0xB2, 0x06, 5<<3, 0), OK(), Data(genTLV(0x06, genBCD(id.ExpiryDate, 4))))
			if len(r.Data) == 6 {
				var err error
				if expires, err = genDate(r.Data[2:]); err != nil {
					s.Errorf("expiry date %X: %v", r.Data[2:], err)
				}
			}
			if !s.Failed() && !expires.After(issued) {
				s.Errorf("expiry %s is not after issue %s", expires.Format("2006-01-02"), issued.Format("2006-01-02"))
			}
		},
	},
	{
		ID: "SSSE-GEN-013", Title: "Birth date (0D) is a valid BCD date; birthplace (0C) is BCD padded with F",
		Clause: cardSSSE, Persona: "gen2", Requires: RequireAll(needSSC, genNeedRule("EF06", "read", "free")),
		Run: func(s *S) {
			selectSSSE(s)
			id := &s.Profile().SSSE.Identity
			s.Step("birth date")
			s.Expect(apduLe(0, 0xB2, 0x0D, 6<<3, 0), OK(), Data(genTLV(0x0D, genBCD(id.BirthDate, 4))),
				DataWhere("0D 04 <YYYYMMDD>", func(d []byte) error {
					if len(d) != 6 {
						return errors.New("not 6 bytes")
					}
					_, err := genDate(d[2:])
					return err
				}))
			s.Step("birthplace")
			s.Expect(apduLe(0, 0xB2, 0x0C, 6<<3, 0), OK(), Data(genTLV(0x0C, genBCD(id.Birthplace, 3))),
				DataWhere("0C 03 <digits, then F nibbles>", func(d []byte) error {
					if len(d) != 5 {
						return errors.New("not 5 bytes")
					}
					h := strings.ToUpper(hex.EncodeToString(d[2:]))
					digits := strings.TrimRight(h, "F")
					if digits == "" || strings.Trim(digits, "0123456789") != "" {
						return fmt.Errorf("%s is not digits padded with F", h)
					}
					return nil
				}))
		},
	},
	{
		ID: "SSSE-GEN-014", Title: "The name (09) is GBK padded with 00 (or 20 on some cards) to 30 bytes, and decodes to the holder's name",
		Clause: cardSSSE, Persona: "gen2", Requires: RequireAll(needSSC, genNeedRule("EF06", "read", "free")),
		Run: func(s *S) {
			selectSSSE(s)
			id := &s.Profile().SSSE.Identity
			s.Expect(apduLe(0, 0xB2, 0x09, 6<<3, 0x20), OK(), DataLen(32), Data(record(s, "EF06", 0x09)),
				DataWhere("09 1E <GBK name> <00.. or 20..>", func(d []byte) error {
					if len(d) != 32 || d[0] != 0x09 || d[1] != 0x1E {
						return errors.New("not 09 1E + 30 bytes")
					}
					v := d[2:]
					name := bytes.TrimRight(v, "\x00")
					if len(name) == len(v) {
						name = bytes.TrimRight(v, " ")
					}
					got, err := profile.FromGBK(name)
					if err != nil {
						return fmt.Errorf("not GBK: %v", err)
					}
					if got != id.Name {
						return fmt.Errorf("name %q, want %q", got, id.Name)
					}
					return nil
				}))
		},
	},
	{
		ID: "SSSE-GEN-015", Title: "The FCI of a card without an algorithm identifier: 6F with 84 (the AID) and A5, and no 9F0C",
		Clause: cardSSSE + "; CARD.md §1", Persona: "gen2", Requires: genNeedNoFCIAlg,
		Run: func(s *S) {
			r := selectSSSE(s)
			aid := mustHexBytes(s.Profile().SSSE.AID)
			s.Check(r, TLVValue(aid, 0x6F, 0x84), HasTLV(0x6F, 0xA5),
				DataWhere("no 9F0C in the FCI", func(d []byte) error {
					if _, ok := iso7816.Find(d, 0x6F, 0xA5, 0x9F0C); ok {
						return errors.New("9F0C present")
					}
					return nil
				}))
		},
	},
	{
		ID: "SSSE-GEN-016", Title: "3DES card: EXTERNAL AUTHENTICATE takes an 8-byte cryptogram; 16 bytes answer 6700",
		Clause: cardSec + "; CARD.md §1", Persona: "gen2", PSAM: true,
		Requires: RequireAll(needGen("1.00", "2.00"), genNeed3DES, auNeedKey(0x04, "extauth")),
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("8-byte cryptogram")
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			if len(crypt) != 8 {
				s.Fatalf("the PSAM's 3DES cryptogram is %d bytes", len(crypt))
			}
			s.Expect(auExtAuth(terminal.KeyEF05, crypt), OK(), NoData())
			s.Step("16-byte cryptogram")
			chal = auChallenge(s, 8)
			crypt = auCryptogram(s, terminal.KeyEF05, chal)
			s.Expect(auExtAuth(terminal.KeyEF05, append(crypt, crypt...)), SW(iso7816.SWWrongLength))
		},
	},
	{
		ID: "SSSE-GEN-017", Title: "Every EF06 record reads back as the profile declares, by identifier and by number",
		Clause: cardSSSE, PSAM: true, Requires: needActive,
		Run: func(s *S) {
			genUnlock(s, "EF06")
			for i, rec := range records(s)["EF06"] {
				s.Step("EF06 record %02X", rec[0])
				s.Expect(apduLe(0, 0xB2, rec[0], 6<<3, 0), OK(), Data(rec))
				s.Step("EF06 record number %d", i+1)
				s.Expect(apduLe(0, 0xB2, byte(i+1), 6<<3|4, 0), OK(), Data(rec))
			}
		},
	},
	{
		ID: "SSSE-GEN-018", Title: "EF05 records 1..7 are the data items 01..07 in the order of CARD.md §2",
		Clause: cardSSSE, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			for n := byte(1); n <= 7; n++ {
				s.Step("EF05 record number %d", n)
				s.Expect(apduLe(0, 0xB2, n, 5<<3|4, 0), OK(), Data(record(s, "EF05", n)))
			}
			s.Expect(apduLe(0, 0xB2, 8, 5<<3|4, 0), SW(iso7816.SWRecordNotFound))
		},
	},
}
