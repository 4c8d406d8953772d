package cos_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// TestCmdGenerations checks what differs between 1.00, 2.00 and 3.00 cards
// (CARD.md §2): the FCI, the version, the place of the sex record and of
// the name extension, EF0D, and the access to EF06.
func TestCmdGenerations(t *testing.T) {
	t.Parallel()
	nameExt := "4E14" + strings.Repeat("FF", 20)
	fci2 := "6F16840F" + cmdAID + "A50388010B"
	tests := []struct {
		persona string
		alg     cardcrypto.Alg
		steps   []cmdStep
	}{
		{"trace-1.00", cardcrypto.Alg3DES, []cmdStep{
			{"00A404000F" + cmdAID + "00", fci2 + "9000"}, // no 9F0C
			{"00B2032800", "0304312E3030 9000"},
			{"00B2013400", "0812 333330313036313938303031303130303138 9000"}, // EF06 is free
			{"00B2033400", "0A0131 9000"},                                    // sex is record 3
			{"00B2043400", "0B0101 9000"},
			{"00B2063400", "0D0419800101 9000"},
			{"00B2073400", "6A83"}, // six records
			{"00B24E3000", "6A83"}, // no name extension
			{"00B20C3000", "0C03330106 9000"},
			{"00B2016C00", "6A82"}, // no EF0D
			{"00B2EA6800", "6A82"},
			{"00A4020C02EF0D", "6A82"},
		}},
		{"gen2", cardcrypto.Alg3DES, []cmdStep{
			{"00A404000F" + cmdAID + "00", fci2 + "9000"},
			{"00B2032800", "0304322E3030 9000"},
			{"00B2013400", g2EF06[0] + "9000"}, // EF06 is free
			{"00B2033400", nameExt + "9000"},   // the name extension is record 3
			{"00B2043400", "0A0131 9000"},      // sex is record 4
			{"00B2073400", "0D0419491231 9000"},
			{"00B2083400", "6A83"},
			{"00B24E3000", nameExt + "9000"},
			{"00B2016C00", "6A82"},
			{"00A4020C02EF0D", "6A82"},
		}},
		{"activated", cardcrypto.AlgSM4, []cmdStep{
			{"00A404000F" + cmdAID + "00", fciSSSE3 + "9000"}, // 9F0C 03 86 01 03: SM4
			{"00B2032800", "0304332E3030 9000"},
			{"00B2013400", "6982"},
			{"00B2033400", "6982"},
			{"00B2016C00", "6982"},
			{"EXTAUTH 0A", "9000"},
			{"00B2013400", g2EF06[0] + "9000"},
			{"00B2033400", nameExt + "9000"},
			{"00B2043400", "0A0131 9000"},
			{"00B2073400", "0D0419491231 9000"},
			{"00B2083400", "6A83"},
			{"00B24E3000", nameExt + "9000"},
			{"00B2016C00", "EA0C 313130313030303030303031 9000"},
			{"00B2026C00", "EB03 110105 9000"},
			{"00B2036C00", "6A83"},
			{"00A4020C02EF0D", "9000"},
			{"00B2EB0000", "EB03 110105 9000"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, tc.persona)
			if s.Alg != tc.alg {
				t.Errorf("algorithm from the FCI: %s, want %s", s.Alg, tc.alg)
			}
			cmdRunSession(t, s, c, tc.steps)
		})
	}
}

// TestCmdPadding checks the padding rules of CARD.md §2 on the card: the
// name 00-padded (or 20 on one real card), the name extension FF-padded,
// the birthplace F-padded BCD.
func TestCmdPadding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, profile string
		steps         []cmdStep
	}{
		{"2.00", `{"schema": 1, "name": "padding", "extends": "gen2",
			"ssse": {"identity": {"name": "李", "nameExt": "伟", "birthplace": "3301"}}}`, []cmdStep{
			{"00B2093000", "091E C0EE" + strings.Repeat("00", 28) + "9000"},
			{"00B24E3000", "4E14 CEB0" + strings.Repeat("FF", 18) + "9000"},
			{"00B20C3000", "0C03 3301FF 9000"},
		}},
		{"name padded with 20", `{"schema": 1, "name": "padding 20", "extends": "gen2",
			"ssse": {"identity": {"name": "龘", "namePad": "20", "birthplace": "5"}}}`, []cmdStep{
			{"00B2093000", "091E FD93" + strings.Repeat("20", 28) + "9000"},
			{"00B24E3000", "4E14" + strings.Repeat("FF", 20) + "9000"},
			{"00B20C3000", "0C03 5FFFFF 9000"},
		}},
		{"1.00", `{"schema": 1, "name": "padding 1.00", "extends": "trace-1.00",
			"ssse": {"identity": {"name": "李伟", "birthplace": "33010"}}}`, []cmdStep{
			{"00B2093000", "091E C0EECEB0" + strings.Repeat("00", 26) + "9000"},
			{"00B20C3000", "0C03 33010F 9000"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := cardtest.Card(t, cmdProfile(t, tc.profile))
			cardtest.Expect(t, c, cmdSelectSSSE, "9000")
			cmdRun(t, c, tc.steps)
		})
	}
}
