package cos_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// TestCmdTrace100 replays the trace of the real 1.00 card of CARD.md §2
// against the trace-1.00 persona, byte for byte.
func TestCmdTrace100(t *testing.T) {
	t.Parallel()
	c := cardtest.Card(t, "trace-1.00")
	atr := cardtest.Hex("3B6D00000081008843866533010114F199")
	if !bytes.Equal(c.ATR(), atr) {
		t.Errorf("ATR %X, want %X", c.ATR(), atr)
	}
	// The persona's social security number and name stand in for the
	// trace's, which are not public; their shapes are the trace's.
	ssn := "0812" + cmdHexOf([]byte("330106198001010018"))
	name := "091E" + "CDF5CEE5" + strings.Repeat("00", 26)
	cmdRun(t, c, []cmdStep{
		{"00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "6118"},
		{"00C0000018", "6F16840F7378312E73682EC9E7BBE1B1A3D5CFA50388010B 9000"},
		{"00B2012812", "0110330100D1560000050114F199D286DF7E 9000"},
		{"00B2032806", "0304312E3030 9000"},
		{"00B207280E", "0709413135393231363232 9000"},
		{"00B2083014", ssn + "9000"},
		{"00B2093020", name + "9000"},
		{"00B20A3003", "0A0131 9000"},
	})
	// The shapes: 08 12 + 18 ASCII digits; 09 1E + 30 bytes.
	r := cardtest.Hex(cardtest.Send(t, c, "00B2083014"))
	if len(r) != 2+18+2 || r[0] != 0x08 || r[1] != 0x12 || strings.Trim(string(r[2:20]), "0123456789X") != "" {
		t.Errorf("00B2083014: %X is not 08 12 + 18 ASCII digits", r)
	}
	r = cardtest.Hex(cardtest.Send(t, c, "00B2093020"))
	if len(r) != 2+30+2 || r[0] != 0x09 || r[1] != 0x1E {
		t.Errorf("00B2093020: %X is not 09 1E + 30 bytes", r)
	}
	// The ATR's historical bytes end with bytes 9-12 of the card identifier.
	id := cardtest.Hex("330100D1560000050114F199D286DF7E")
	if !bytes.HasSuffix(atr, id[8:12]) {
		t.Errorf("ATR %X does not end with %X", atr, id[8:12])
	}
}

// TestCmdTrace100Session opens the traced card as a reader library does:
// 3DES assumed without 9F0C, the card identifier read by tag.
func TestCmdTrace100Session(t *testing.T) {
	t.Parallel()
	s, c := cardtest.Session(t, "trace-1.00")
	if s.Alg != cardcrypto.Alg3DES {
		t.Errorf("algorithm %s, want 3DES", s.Alg)
	}
	if got, want := cmdHexOf(s.CardID), "330100D1560000050114F199D286DF7E"; got != want {
		t.Errorf("card identifier %s, want %s", got, want)
	}
	if got, want := cmdHexOf(s.Factor()), "0114F199D286DF7E"; got != want {
		t.Errorf("diversification factor %s, want %s", got, want)
	}
	cmdRunSession(t, s, c, []cmdStep{
		{"EXTAUTH 0D", "9000"},
		{"00DC0A3003 0A0132", "9000"},
		{"00B20A3003", "0A0132 9000"},
		{"00B2033400", "0A0132 9000"}, // sex is record 3 on a 1.00 card
	})
}
