package conformance

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// GET CHALLENGE, EXTERNAL and INTERNAL AUTHENTICATE, and the life of the
// security state they make (CARD.md §3; ISO/IEC 7816-4 §11.5).

// auKey returns the key the profile declares with identifier id, or nil.
func auKey(p *profile.Profile, id byte) *profile.Key {
	for i := range p.SSSE.Keys {
		k := &p.SSSE.Keys[i]
		if b, err := hex.DecodeString(k.ID); err == nil && len(b) == 1 && b[0] == id {
			return k
		}
	}
	return nil
}

// auNeedKey: the SSSE is active and the profile declares key id with the
// usage (extauth, intauth, maint, reload, unblock).
func auNeedKey(id byte, usage string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needActive(p); why != "" {
			return why
		}
		if k := auKey(p, id); k == nil || !slices.Contains(k.Usage, usage) {
			return fmt.Sprintf("the profile declares no %s key %02X", usage, id)
		}
		return ""
	}
}

// auNeedKeyTries: key id allows at least n failed EXTERNAL AUTHENTICATEs
// before it blocks.
func auNeedKeyTries(id byte, n int) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := auNeedKey(id, "extauth")(p); why != "" {
			return why
		}
		if auKey(p, id).Tries < n {
			return fmt.Sprintf("key %02X allows fewer than %d tries", id, n)
		}
		return ""
	}
}

func auTries(s *S, id byte) int {
	k := auKey(s.Profile(), id)
	if k == nil {
		s.Fatalf("the profile has no key %02X", id)
	}
	return k.Tries
}

// auChallenge sends GET CHALLENGE for n bytes and ends the case unless the
// card answers n bytes and 9000.
func auChallenge(s *S, n int) []byte {
	s.Step("get challenge (%d bytes)", n)
	return s.Must(apduLe(0, 0x84, 0, 0, byte(n)), OK(), DataLen(n)).Data
}

// auCryptogram asks the PSAM for the EXTERNAL AUTHENTICATE cryptogram of
// key id over chal (padded to one block, as terminal.SSC does).
func auCryptogram(s *S, id byte, chal []byte) []byte {
	ssc := s.Session()
	s.OK(ssc.PSAM.Deliver(id, ssc.Alg, ssc.Factor()), "PSAM key")
	block := make([]byte, ssc.Alg.BlockSize())
	copy(block, chal)
	c, err := ssc.PSAM.Encrypt(block)
	s.OK(err, "PSAM cryptogram")
	return c
}

// auExtAuth is EXTERNAL AUTHENTICATE 00 82 00 <id> Lc <cryptogram>.
func auExtAuth(id byte, crypt []byte) []byte { return apdu(0, 0x82, 0, id, crypt) }

// auFlip returns b with its last byte changed.
func auFlip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)-1] ^= 0x5A
	return c
}

// auAuthOK authenticates with key id step by step (GET CHALLENGE 8, the
// PSAM's cryptogram, EXTERNAL AUTHENTICATE) and expects 9000.
func auAuthOK(s *S, id byte) {
	chal := auChallenge(s, 8)
	crypt := auCryptogram(s, id, chal)
	s.Step("right cryptogram, key %02X", id)
	s.Expect(auExtAuth(id, crypt), OK(), NoData())
}

// auAuthWrong sends a wrong cryptogram for key id over a fresh challenge
// and expects sw.
func auAuthWrong(s *S, id byte, sw iso7816.Status) {
	chal := auChallenge(s, 8)
	crypt := auCryptogram(s, id, chal)
	s.Step("wrong cryptogram, key %02X", id)
	s.Expect(auExtAuth(id, auFlip(crypt)), SW(sw))
}

// auIntAuthWant is what the PSAM computes for INTERNAL AUTHENTICATE data
// (3DES takes the last 8 bytes, SM4 the block; cardcrypto.InternalAuthResponse).
func auIntAuthWant(s *S, data []byte) []byte {
	ssc := s.Session()
	s.OK(ssc.PSAM.Deliver(terminal.KeyIntAuth, ssc.Alg, ssc.Factor()), "PSAM key")
	in := data
	if ssc.Alg.BlockSize() == 8 {
		in = data[len(data)-8:]
	}
	want, err := ssc.PSAM.Encrypt(in)
	s.OK(err, "PSAM internal authentication value")
	return want
}

// auEF06 reads EF06 record 08 expecting sw.
func auEF06(s *S, sw iso7816.Status) {
	s.Step("read EF06 record 08")
	if sw == iso7816.SWOK {
		s.Expect(apduLe(0, 0xB2, 0x08, 6<<3, 0), OK(), Data(record(s, "EF06", 0x08)))
		return
	}
	s.Expect(apduLe(0, 0xB2, 0x08, 6<<3, 0), SW(sw), NoData())
}

// auNeedSubApp: the profile declares a sub-application with this AID.
func auNeedSubApp(aid string) func(*profile.Profile) string {
	return func(p *profile.Profile) string {
		if why := needSSC(p); why != "" {
			return why
		}
		for _, sa := range p.SSSE.SubApps {
			if strings.EqualFold(sa.AID, aid) {
				return ""
			}
		}
		return "the profile has no sub-application " + aid
	}
}

var authCases = []*Case{
	{
		ID: "SSSE-AUTH-001", Title: "GET CHALLENGE answers 4, 8 and 16 random bytes",
		Clause: iso4 + " §11.5.3; " + cardSec, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			for _, n := range []byte{4, 8, 16} {
				s.Step("Le=%02X", n)
				s.Expect(apduLe(0, 0x84, 0, 0, n), OK(), DataLen(int(n)))
			}
		},
	},
	{
		ID: "SSSE-AUTH-002", Title: "GET CHALLENGE with another length (none, 01, 05, 0C) answers 6700; Le=00 answers 6700 or 6Cxx",
		Clause: iso4 + " §11.5.3; " + cardSec, Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Step("no Le")
			s.Expect("00840000", SW(iso7816.SWWrongLength), NoData())
			for _, n := range []byte{0x01, 0x05, 0x0C} {
				s.Step("Le=%02X", n)
				s.Expect(apduLe(0, 0x84, 0, 0, n), SW(iso7816.SWWrongLength), NoData())
			}
			// Le=00 asks for up to 256 bytes: a card may refuse it or
			// announce the length it gives.
			s.Step("Le=00")
			s.Expect(apduLe(0, 0x84, 0, 0, 0), NoData(), SWOneOf(iso7816.SWWrongLength,
				iso7816.SWWrongLe|4, iso7816.SWWrongLe|8, iso7816.SWWrongLe|16))
		},
	},
	{
		ID: "SSSE-AUTH-003", Title: "GET CHALLENGE with P1-P2 other than 0000 answers 6A86",
		Clause: iso4 + " §11.5.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect(apduLe(0, 0x84, 0x01, 0, 8), SW(iso7816.SWWrongP1P2), NoData())
			s.Expect(apduLe(0, 0x84, 0, 0x01, 8), SW(iso7816.SWWrongP1P2), NoData())
		},
	},
	{
		ID: "SSSE-AUTH-004", Title: "Two challenges differ, and are not all zeros",
		Clause: iso4 + " §11.5.3", Requires: needSSC,
		Run: func(s *S) {
			selectSSSE(s)
			a := auChallenge(s, 8)
			b := auChallenge(s, 8)
			if bytes.Equal(a, b) {
				s.Errorf("two challenges are both %X", a)
			}
			if bytes.Equal(a, make([]byte, 8)) {
				s.Errorf("the challenge is all zeros")
			}
		},
	},
	{
		ID: "SSSE-AUTH-005", Title: "EXTERNAL AUTHENTICATE with the PSAM's cryptogram answers 9000 and opens the EF05 update",
		Clause: cardSec + "; " + iso4 + " §11.5.4", PSAM: true,
		Requires: RequireAll(auNeedKey(0x04, "extauth"), genNeedRule("EF05", "update", "key:04")),
		Run: func(s *S) {
			s.Session()
			rec := record(s, "EF05", 0x07)
			s.Step("update before authentication")
			s.Expect(apdu(0, 0xDC, 0x07, 5<<3, rec), SW(iso7816.SWSecurityNotSatisfied))
			auAuthOK(s, terminal.KeyEF05)
			s.Step("update after authentication (same value)")
			s.Expect(apdu(0, 0xDC, 0x07, 5<<3, rec), OK(), NoData())
		},
	},
	{
		ID: "SSSE-AUTH-006", Title: "A wrong cryptogram answers 63Cx with one try fewer; the right one answers 9000 and restores the tries",
		Clause: cardSec, PSAM: true, Restores: true, Requires: auNeedKeyTries(0x04, 2),
		Run: func(s *S) {
			s.Session()
			left := auTries(s, terminal.KeyEF05)
			auAuthWrong(s, terminal.KeyEF05, tries(left-1))
			auAuthOK(s, terminal.KeyEF05)
			s.Step("the tries are back: a wrong cryptogram counts from the top again")
			auAuthWrong(s, terminal.KeyEF05, tries(left-1))
			auAuthOK(s, terminal.KeyEF05)
		},
	},
	{
		ID: "SSSE-AUTH-007", Title: "EXTERNAL AUTHENTICATE with an absent key identifier answers 6A88",
		Clause: iso4 + " §11.5.4", PSAM: true, Requires: auNeedKey(0x04, "extauth"),
		Run: func(s *S) {
			s.Session()
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("key 3E")
			s.Expect(auExtAuth(0x3E, crypt), SW(iso7816.SWRefDataNotFound), NoData())
		},
	},
	{
		ID: "SSSE-AUTH-008", Title: "EXTERNAL AUTHENTICATE without a challenge answers 6984 and costs no try",
		Clause: cardSec + "; " + iso4 + " §11.5.4", PSAM: true, Restores: true, Requires: auNeedKeyTries(0x04, 2),
		Run: func(s *S) {
			ssc := s.Session()
			left := auTries(s, terminal.KeyEF05)
			s.Step("no challenge")
			s.Expect(auExtAuth(terminal.KeyEF05, make([]byte, ssc.Alg.BlockSize())), SW(iso7816.SWRefDataNotUsable), NoData())
			s.Step("the tries are whole")
			auAuthWrong(s, terminal.KeyEF05, tries(left-1))
			auAuthOK(s, terminal.KeyEF05)
		},
	},
	{
		ID: "SSSE-AUTH-009", Title: "EXTERNAL AUTHENTICATE with a cryptogram of the wrong length answers 6700 and costs no try",
		Clause: iso4 + " §11.5.4", PSAM: true, Restores: true, Requires: auNeedKeyTries(0x04, 2),
		Run: func(s *S) {
			s.Session()
			left := auTries(s, terminal.KeyEF05)
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("half a cryptogram")
			s.Expect(auExtAuth(terminal.KeyEF05, crypt[:len(crypt)/2]), SW(iso7816.SWWrongLength))
			chal = auChallenge(s, 8)
			crypt = auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("one byte too many")
			s.Expect(auExtAuth(terminal.KeyEF05, append(crypt, 0x00)), SW(iso7816.SWWrongLength))
			s.Step("the tries are whole")
			auAuthWrong(s, terminal.KeyEF05, tries(left-1))
			auAuthOK(s, terminal.KeyEF05)
		},
	},
	{
		ID: "SSSE-AUTH-010", Title: "An accepted cryptogram cannot be replayed: the challenge serves one EXTERNAL AUTHENTICATE",
		Clause: cardSec + "; " + iso4 + " §11.5.3", PSAM: true, Restores: true, Requires: auNeedKeyTries(0x04, 2),
		Run: func(s *S) {
			s.Session()
			left := auTries(s, terminal.KeyEF05)
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("accepted")
			s.Expect(auExtAuth(terminal.KeyEF05, crypt), OK())
			s.Step("replayed at once")
			s.Expect(auExtAuth(terminal.KeyEF05, crypt), SW(iso7816.SWRefDataNotUsable))
			auChallenge(s, 8)
			s.Step("replayed over a new challenge")
			s.Expect(auExtAuth(terminal.KeyEF05, crypt), SW(tries(left-1)))
			auAuthOK(s, terminal.KeyEF05)
		},
	},
	{
		ID: "SSSE-AUTH-011", Title: "Wrong cryptograms count down; the blocked key answers 6983 even to the right one, other keys still work",
		Clause: cardSec, PSAM: true, Destructive: true,
		Requires: RequireAll(auNeedKey(0x04, "extauth"), auNeedKey(0x0A, "extauth"), genNeedRule("EF05", "update", "key:04")),
		Run: func(s *S) {
			s.Session()
			left := auTries(s, terminal.KeyEF05)
			for n := left - 1; n > 0; n-- {
				auAuthWrong(s, terminal.KeyEF05, tries(n))
			}
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("last wrong cryptogram (CARD.md §3: 63C0 or 6983)")
			s.Expect(auExtAuth(terminal.KeyEF05, auFlip(crypt)), SWOneOf(tries(0), iso7816.SWAuthBlocked))
			chal = auChallenge(s, 8)
			crypt = auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("right cryptogram on the blocked key")
			s.Expect(auExtAuth(terminal.KeyEF05, crypt), SW(iso7816.SWAuthBlocked))
			s.Step("EF05 stays closed")
			s.Expect(apdu(0, 0xDC, 0x07, 5<<3, record(s, "EF05", 0x07)), SW(iso7816.SWSecurityNotSatisfied))
			auAuthOK(s, terminal.KeyRKSSSE)
		},
	},
	{
		ID: "SSSE-AUTH-012", Title: "INTERNAL AUTHENTICATE (key 01) answers what the PSAM computes, and depends on the terminal's random",
		Clause: cardSec + " [model: construction ENC(key, data)]", Model: true, PSAM: true, Requires: auNeedKey(terminal.KeyIntAuth, "intauth"),
		Run: func(s *S) {
			ssc := s.Session()
			s.Step("through the reference terminal")
			s.OK(ssc.InternalAuthenticate(terminal.KeyIntAuth, genRandom), "internal authentication")
			var answers [][]byte
			for _, rnd := range []string{"0102030405060708", "0807060504030201"} {
				data := append(bytes.Clone(ssc.Factor()), mustHexBytes(rnd)...)
				want := auIntAuthWant(s, data)
				s.Step("random %s", rnd)
				r := s.Exchange(iso7816.Command{INS: 0x88, P2: terminal.KeyIntAuth, Data: data, Ne: 256})
				s.Check(r, OK(), Data(want))
				answers = append(answers, r.Data)
			}
			if bytes.Equal(answers[0], answers[1]) {
				s.Errorf("two randoms give the same answer %X", answers[0])
			}
		},
	},
	{
		ID: "SSSE-AUTH-013", Title: "INTERNAL AUTHENTICATE 00 88 00 00 10 <factor><random> (P2=00: the card's internal authentication key)",
		Clause: cardSec + " [model: P2=00 selects key 01]", Model: true, PSAM: true, Requires: auNeedKey(terminal.KeyIntAuth, "intauth"),
		Run: func(s *S) {
			ssc := s.Session()
			data := append(bytes.Clone(ssc.Factor()), genRandom...)
			want := auIntAuthWant(s, data)
			s.Step("internal authenticate")
			r := s.Exchange(iso7816.Command{INS: 0x88, Data: data, Ne: 256})
			s.Check(r, OK(), Data(want))
		},
	},
	{
		ID: "SSSE-AUTH-014", Title: "INTERNAL AUTHENTICATE with data of the wrong length answers 6700",
		Clause: iso4 + " §11.5.2", Requires: auNeedKey(terminal.KeyIntAuth, "intauth"),
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("0088000105010203040500", SW(iso7816.SWWrongLength), NoData())
			s.Expect("0088000111010203040506070809101112131415161700", SW(iso7816.SWWrongLength), NoData())
		},
	},
	{
		ID: "SSSE-AUTH-015", Title: "INTERNAL AUTHENTICATE with an absent key answers 6A88",
		Clause: iso4 + " §11.5.2", Requires: needActive,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("0088003E10000102030405060708090A0B0C0D0E0F00", SW(iso7816.SWRefDataNotFound), NoData())
		},
	},
	{
		ID: "SSSE-AUTH-016", Title: "Selecting the MF and the SSSE again clears RKSSSE: EF06 answers 6982",
		Clause: iso4 + " §5.4.3; " + cardSSSE, PSAM: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A")),
		Run: func(s *S) {
			genUnlock(s, "EF06")
			auEF06(s, iso7816.SWOK)
			s.Step("select the MF")
			s.Expect("00A4000C023F00", OK())
			selectSSSE(s)
			auEF06(s, iso7816.SWSecurityNotSatisfied)
		},
	},
	{
		ID: "SSSE-AUTH-017", Title: "SELECT 00 A4 00 0C (the MF, as after reset) clears the key and PIN states of the SSSE",
		Clause: iso4 + " §5.4.3, §11.2.2", PSAM: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A"), needTries(1)),
		Run: func(s *S) {
			genUnlock(s, "EF06")
			verifyPIN(s)
			auEF06(s, iso7816.SWOK)
			s.Step("select the MF without data")
			s.Expect("00A4000C", OK(), NoData())
			selectSSSE(s)
			auEF06(s, iso7816.SWSecurityNotSatisfied)
			s.Step("PIN state")
			s.Expect("00200000", SW(tries(s.Profile().SSSE.PIN.MaxTries)))
		},
	},
	{
		ID: "SSSE-AUTH-018", Title: "RKSSSE holds while a sub-application under the SSSE is selected, and after coming back",
		Clause: cardSSSE + " [model: the SSSE's security state covers its sub-applications]", Model: true, PSAM: true,
		Requires: RequireAll(needGen("3.00"), genNeedRule("EF06", "read", "key:0A"), auNeedSubApp("D15600000500")),
		Run: func(s *S) {
			genUnlock(s, "EF06")
			s.Step("select DF01")
			s.Expect("00A4040C06D15600000500", OK())
			selectSSSE(s)
			auEF06(s, iso7816.SWOK)
		},
	},
	{
		ID: "SSSE-AUTH-019", Title: "EXTERNAL AUTHENTICATE with P1 other than 00 answers 6A86",
		Clause: iso4 + " §11.5.4", PSAM: true, Requires: auNeedKey(0x04, "extauth"),
		Run: func(s *S) {
			s.Session()
			chal := auChallenge(s, 8)
			crypt := auCryptogram(s, terminal.KeyEF05, chal)
			s.Step("P1=01")
			s.Expect(apdu(0, 0x82, 0x01, terminal.KeyEF05, crypt), SW(iso7816.SWWrongP1P2), NoData())
		},
	},
}
