package cos_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// cmdAccessFile is one SSSE file with the access rules CARD.md §2 and the
// personas give it, a read and an update command, and the answer to the
// read when it is allowed.
type cmdAccessFile struct {
	name         string
	df           string // FID of the sub-application, "" for the SSSE itself
	read, readOK string
	update       string
	readRule     string // free, pin, key:XX, pin|key:XX
	updateRule   string
}

// cmdCred is what the terminal did before reading or writing.
type cmdCred struct {
	name string
	pin  bool
	key  string // "" or the key authenticated
}

func (c cmdCred) allows(rule string) bool {
	switch {
	case rule == "free":
		return true
	case rule == "pin":
		return c.pin
	case strings.HasPrefix(rule, "key:"):
		return c.key == rule[4:]
	case strings.HasPrefix(rule, "pin|key:"):
		return c.pin || c.key == rule[8:]
	}
	panic("unknown rule " + rule)
}

// Sub-application files of every persona (base-3.00).
var cmdSubAppFiles = []cmdAccessFile{
	{"DF01 EF05", "DF01", "00B2012C00", "2A06313130313035 9000", "00DC012C08 2A06313130313036", "free", "key:0D"},
	{"DF01 EF07", "DF01", "00B2013C00", "310101 9000", "00DC013C03 330101", "pin|key:0A", "key:0D"},
	{"DF02 EF05", "DF02", "00B2012C00", "3C0A31313031303030303031 9000", "00DC012C03 3C0131", "pin|key:0A", "key:0D"},
	{"DF03 EF05", "DF03", "00B2012C00", "5006202401150001 9000", "00DC012C08 5006202401150002", "pin", "key:0D"},
	{"DF04 EF05", "DF04", "00B2012C00", "6006202401150001 9000", "00DC012C08 6006202401150002", "pin", "key:0D"},
	{"DF04 EF06", "DF04", "00B2013400", "6A83", "00E2003010" + strings.Repeat("77", 16), "pin", "pin"},
}

// TestCmdAccess reads and writes every SSSE file after each kind of
// authentication, per generation, and checks the access rules.
func TestCmdAccess(t *testing.T) {
	t.Parallel()
	creds := []cmdCred{
		{"nothing", false, ""},
		{"PIN", true, ""},
		{"key 04", false, "04"},
		{"key 0A", false, "0A"},
		{"key 0D", false, "0D"},
		{"key 0B", false, "0B"},
	}
	binary := func(sfi string) (string, string) { return "00B0" + sfi + "0004", "00000000 9000" }
	ef07r, ef07ok := binary("87")
	ef08r, ef08ok := binary("88")
	gens := []struct {
		persona string
		files   []cmdAccessFile
	}{
		{"activated", append([]cmdAccessFile{
			{"EF05", "", "00B2012800", recCardID3 + "9000", "00DC022803 020139", "free", "key:04"},
			{"EF06", "", "00B2013400", g2EF06[0] + "9000", "00DC0A3003 0A0132", "key:0A", "key:0D"},
			{"EF07", "", ef07r, ef07ok, "00D6870001 01", "key:0A", "key:0D"},
			{"EF08", "", ef08r, ef08ok, "00D6880001 01", "key:0A", "key:0D"},
			{"EF0D", "", "00B2016C00", "EA0C 313130313030303030303031 9000", "00DCEB6805 EB03330106", "key:0A", "key:0D"},
		}, cmdSubAppFiles...)},
		{"gen2", append([]cmdAccessFile{
			{"EF05", "", "00B2012800", g2EF05[0] + "9000", "00DC022803 020139", "free", "key:04"},
			{"EF06", "", "00B2013400", g2EF06[0] + "9000", "00DC0A3003 0A0132", "free", "key:0D"},
			{"EF07", "", ef07r, ef07ok, "00D6870001 01", "pin", "key:0D"},
			{"EF08", "", ef08r, ef08ok, "00D6880001 01", "pin", "key:0D"},
		}, cmdSubAppFiles...)},
		{"trace-1.00", []cmdAccessFile{
			{"EF05", "", "00B2012800", "0110330100D1560000050114F199D286DF7E 9000", "00DC022803 020139", "free", "key:04"},
			{"EF06", "", "00B2013400", "0812 333330313036313938303031303130303138 9000", "00DC0A3003 0A0132", "free", "key:0D"},
			{"EF07", "", ef07r, ef07ok, "00D6870001 01", "pin", "key:0D"},
			{"EF08", "", ef08r, ef08ok, "00D6880001 01", "pin", "key:0D"},
		}},
	}
	for _, g := range gens {
		for _, f := range g.files {
			for _, cr := range creds {
				t.Run(g.persona+"/"+f.name+"/"+cr.name, func(t *testing.T) {
					t.Parallel()
					s, c := cardtest.Session(t, g.persona)
					var steps []cmdStep
					if cr.pin {
						steps = append(steps, cmdStep{cmdVerifyPIN, "9000"})
					}
					if cr.key != "" {
						steps = append(steps, cmdStep{"EXTAUTH " + cr.key, "9000"})
					}
					if f.df != "" {
						steps = append(steps, cmdStep{"00A4000C02" + f.df, "9000"})
					}
					read, update := "6982", "6982"
					if cr.allows(f.readRule) {
						read = f.readOK
					}
					if cr.allows(f.updateRule) {
						update = "9000"
					}
					steps = append(steps, cmdStep{f.read, read}, cmdStep{f.update, update})
					cmdRunSession(t, s, c, steps)
				})
			}
		}
	}
}

// TestCmdSecurityStateScope checks where the security state holds: in the
// SSSE and the DFs under it, across failed SELECTs; it is lost when the
// SSSE is left and on reset.
func TestCmdSecurityStateScope(t *testing.T) {
	t.Parallel()
	ssn := g2EF06[0] + "9000"
	cmdRunCases(t, []cmdCase{
		{"key 0A on 3.00", "activated", []cmdStep{
			{"EXTAUTH 0A", "9000"},
			{"00B2013400", ssn},
			{cmdSelectSSSE, "9000"}, // the same DF again
			{"00B2013400", ssn},
			{"00A4020C02EF06", "9000"},
			{"00B2010400", ssn},
			{"00A4040C06D15600000599", "6A82"}, // failed SELECT
			{"00A4000C02ABCD", "6A82"},
			{"00B2013400", ssn},
			{"00A4000C02DF02", "9000"}, // a DF under the SSSE
			{"00B2012C00", "3C0A31313031303030303031 9000"},
			{"00A4040C05D156000005", "9000"}, // DF01
			{"00B2013C00", "310101 9000"},
			{"00A4030C", "9000"},
			{"00B2013400", ssn},
			{cmdSelectMF, "9000"}, // leaving the SSSE
			{cmdSelectSSSE, "9000"},
			{"00B2013400", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B2013400", ssn},
			{"RESET", ""},
			{cmdSelectSSSE, "9000"},
			{"00B2013400", "6982"},
		}},
		{"PIN on gen2", "gen2", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"00B0870002", "0000 9000"},
			{"00A4000C02DF03", "9000"},
			{"00B2012C00", "5006202401150001 9000"},
			{"00A4080C02DDF1", "9000"}, // by path: the SSSE again
			{"00B0870002", "0000 9000"},
		}},
		{"PIN lost on leaving the SSSE", "gen2", []cmdStep{
			{cmdVerifyPIN, "9000"},
			{"00A4030C", "9000"},
			{"00A4000C02DDF1", "9000"},
			{"00B0870002", "6982"},
			{"00200000", "63C3"},
			{cmdVerifyPIN, "9000"},
			{"00A4080C04DDF1DF03", "9000"},
			{"00B2012C00", "5006202401150001 9000"},
			{"RESET", ""},
			{"00A4080C04DDF1DF03", "9000"},
			{"00B2012C00", "6982"},
		}},
		{"writing keys", "activated", []cmdStep{
			{"EXTAUTH 0D", "9000"},
			{"00A4000C02DF01", "9000"},
			{"00DC012C08 2A06313130313036", "9000"},
			{cmdSelectMF, "9000"},
			{"00A4080C04DDF1DF01", "9000"},
			{"00DC012C08 2A06313130313037", "6982"},
			{"00B2012C00", "2A06313130313036 9000"},
		}},
	})
}
