package cos_test

import (
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// TestCmdManageChannel covers MANAGE CHANNEL (ISO/IEC 7816-4 §11.1.2):
// open, open a given channel, close, the limit of 4 channels, and closed
// or unsupported channels (6881).
func TestCmdManageChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []cmdStep
	}{
		{"open until none is left", []cmdStep{
			{"0070000001", "01 9000"},
			{"0070000001", "02 9000"},
			{"0070000000", "03 9000"}, // Le=00 as T=0 sends it
			{"0070000001", "6A81"},    // channels 0..3 all open
			{"03A4000C023F00", "9000"},
		}},
		{"open a given channel", []cmdStep{
			{"00700002", "9000"},
			{"02A4000C023F00", "9000"},
			{"01A4000C023F00", "6881"},
			{"0070000001", "01 9000"}, // the lowest free one
			{"0070000001", "03 9000"},
			{"00700002", "6A86"}, // already open
			{"00700004", "6881"},
			{"0070001F", "6881"},
		}},
		{"close", []cmdStep{
			{"0070000001", "01 9000"},
			{"0070000001", "02 9000"},
			{"01A4000C023F00", "9000"},
			{"00708001", "9000"},
			{"01A4000C023F00", "6881"},
			{"00708001", "6881"}, // already closed
			{"02708000", "9000"}, // P2=00: the channel of the class byte
			{"02A4000C023F00", "6881"},
			{"00708000", "6A86"}, // the basic channel stays open
			{"00708004", "6881"},
			{"0070000001", "01 9000"},
		}},
		{"bad parameters", []cmdStep{
			{"00700000", "6700"}, // no Le to return the number in
			{"0070000002", "6700"},
			{"007000000101", "6700"},
			{"0070400001", "6A86"},
			{"0070810001", "6A86"},
			{"8070000001", "6E00"},
			{"0470000001", "6882"},
			{"01A4000C023F00", "6881"}, // nothing was opened
		}},
		{"unopened and unsupported channels", []cmdStep{
			{"01B2012800", "6881"},
			{"0384000008", "6881"},
			{"8184000008", "6881"},
			{"40A4000C023F00", "6881"}, // further interindustry classes: channels 4..19
			{"4FA4000C023F00", "6881"},
			{"60A4000C023F00", "6881"},
			{"0070000001", "01 9000"},
			{"8184000008", "6E00"}, // open now, but GET CHALLENGE is not a CLA 8x command
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmdRun(t, cardtest.Card(t, "activated"), tc.steps)
		})
	}
}

// TestCmdChannelState checks that each logical channel has its own current
// DF, current EF, pending response, challenge and security state.
func TestCmdChannelState(t *testing.T) {
	t.Parallel()
	t.Run("current DF and EF", func(t *testing.T) {
		t.Parallel()
		c := cardtest.Card(t, "gen2")
		cmdRun(t, c, []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"0070000001", "01 9000"},
			{"01B2012800", "6A82"}, // channel 1 starts on the MF
			{"00B2012800", g2EF05[0] + "9000"},
			{"01A4080C06DDF1DF04EF05", "9000"},
			// Channel 0 keeps EF05 of the SSSE and its current record.
			{"00B2000400", g2EF05[0] + "9000"},
			{"00B2020400", g2EF05[1] + "9000"},
			{"01B2010400", "6982"},    // channel 1: DF04 EF05 needs the PIN
			{"0170000001", "02 9000"}, // opened from channel 1: its DF
			{"02A4030400", fcpSSSE + "9000"},
			{"01A4030C", "9000"},
			{"01A4030C", "9000"},
			{"01A4030C", "6A82"},
			{"00B2012800", g2EF05[0] + "9000"},
		})
	})
	t.Run("pending response", func(t *testing.T) {
		t.Parallel()
		c := cardtest.Card(t, "activated")
		cmdRun(t, c, []cmdStep{
			{"0070000001", "01 9000"},
			{"01A404000F" + cmdAID, "611E"},
			{"00C000001E", "6985"},
			{"01C000001E", fciSSSE3 + "9000"},
		})
	})
	t.Run("security state", func(t *testing.T) {
		t.Parallel()
		s0, c := cardtest.Session(t, "activated")
		cmdRun(t, c, []cmdStep{{"0070000001", "01 9000"}, {"0070000001", "02 9000"}})
		s1 := &terminal.SSC{T: cmdOnChannel{c, 1}, PSAM: s0.PSAM}
		cmdOK(t, "open on channel 1", s1.Open())
		cmdOK(t, "extauth 0A on channel 1", s1.ExternalAuthenticate(terminal.KeyRKSSSE))
		ssn := g2EF06[0] + "9000"
		cmdRun(t, c, []cmdStep{
			{"01B2013400", ssn},
			{"00B2013400", "6982"},
			{"02A4040C0F" + cmdAID, "9000"},
			{"02B2013400", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00200000", "9000"},
			{"01200000", "63C3"},
			{"01B2012C00", recCardID3 + "9000"},
			// Channel 0's PIN reads DF03 there only.
			{"00A4000C02DF03", "9000"},
			{"00B2012C00", "5006202401150001 9000"},
			{"01A4000C02DF03", "9000"},
			{"01B2012C00", "6982"},
			{"01A4030C", "9000"},
			{"01B2013400", ssn}, // key 0A held across DF03 and back
			// Closing the channel ends its state.
			{"00708001", "9000"},
			{"0070000001", "01 9000"},
			{"01A4040C0F" + cmdAID, "9000"},
			{"01B2013400", "6982"},
		})
		// A reset closes every channel but the basic one.
		c.Reset()
		cmdRun(t, c, []cmdStep{
			{"01A4000C023F00", "6881"},
			{"02A4000C023F00", "6881"},
			{"0070000001", "01 9000"},
		})
	})
	t.Run("external authentication per channel", func(t *testing.T) {
		t.Parallel()
		s0, c := cardtest.Session(t, "activated")
		cardtest.Expect(t, c, "0070000001", "01 9000")
		s1 := &terminal.SSC{T: cmdOnChannel{c, 1}, PSAM: s0.PSAM}
		cmdOK(t, "open on channel 1", s1.Open())
		// The challenge is the channel's: a cryptogram over channel 0's
		// challenge finds none on channel 1.
		ea := cmdExtAuthAPDU(t, s0, terminal.KeyRKSSSE, 8)
		ea1 := append([]byte{0x01}, ea[1:]...)
		if got := cmdSend(t, c, ea1); got != "6984" {
			t.Errorf("channel 0's challenge used on channel 1: %s, want 6984", got)
		}
		if got := cmdSend(t, c, ea); got != "9000" {
			t.Errorf("on channel 0: %s, want 9000", got)
		}
		cmdRun(t, c, []cmdStep{
			{"00B2013400", g2EF06[0] + "9000"},
			{"01B2013400", "6982"},
		})
		// A failed authentication on channel 1 still costs a try of the
		// card's key.
		cmdRun(t, c, []cmdStep{
			{"0184000008", "*"},
			{"0182000A10" + zeroCrypt, "63C2"},
			{"0084000008", "*"},
			{"0082000A10" + zeroCrypt, "63C1"},
		})
	})
}
