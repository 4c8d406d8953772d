package cos_test

import (
	"testing"

	"github.com/sscard/sscard/emulator/internal/cardtest"
)

// FCI and FCP templates of the activated 3.00 card (persona "activated").
const (
	fciSSSE3  = "6F1C840F" + cmdAID + "A50988010B9F0C038601 03"
	fciMF     = "6F0483023F00"
	fciDF01   = "6F088406D15600000500"
	fciDF02   = "6F088406D15600000501"
	fciDF03   = "6F088406D15600000502"
	fciDF04   = "6F088406D15600000503"
	fcpMF     = "620A 820138 83023F00 8A0105"
	fcpSSSE   = "621B 820138 8302DDF1 840F" + cmdAID + " 8A0105"
	fcpSealed = "621B 820138 8302DDF1 840F" + cmdAID + " 8A0104"
	fcpEF05   = "6211 82050421001207 8302EF05 880128 8A0105"
	fcpEF06   = "6211 82050421002007 8302EF06 880130 8A0105"
	fcpEF07   = "6212 80020400 82020121 8302EF07 880138 8A0105"
	fcpEF08   = "6212 80021000 82020121 8302EF08 880140 8A0105"
	fcpEF0D   = "6211 8205042100 0E02 8302EF0D 880168 8A0105"
	fcpDF01   = "6212 820138 8302DF01 8406D15600000500 8A0105"
	// DF01 EF07: linear fixed, 2 records of 3 bytes.
	fcpDF01EF07 = "6211 82050221000302 8302EF07 880138 8A0105"
	// DF02 EF05: linear variable, up to 4 records of 64 bytes.
	fcpDF02EF05 = "6211 82050421004004 8302EF05 880128 8A0105"
	// DF04 EF06: cyclic, 10 records of 16 bytes.
	fcpDF04EF06 = "6211 8205062100100A 8302EF06 880130 8A0105"
	// The card identifier record of the activated persona.
	recCardID3 = "0110 110100D156000005 01160185D3A5C7E9"
)

// TestCmdSelect covers SELECT (ISO/IEC 7816-4 §11.2.2) in every P1 form the
// card OS supports, its answers (FCI, FCP, none), its errors, and that a
// failed SELECT leaves the current DF as it was.
func TestCmdSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		persona string
		steps   []cmdStep
	}{
		{"P1=00 MF by FID", "activated", []cmdStep{
			{"00A4000C023F00", "9000"},
			{"00A40000023F0000", fciMF + "9000"},
			{"00A40004023F0000", fcpMF + "9000"},
			// No data selects the MF too.
			{"00A4000C", "9000"},
			{"00A4000400", fcpMF + "9000"},
		}},
		{"P1=00 SSSE DF by FID", "activated", []cmdStep{
			{"00A4000002DDF1", "611E"},
			{"00C000001E", fciSSSE3 + "9000"},
			{"00A4000C02DDF1", "9000"},
			{"00B2012800", recCardID3 + "9000"},
		}},
		{"EF05 by FID answers a plain 9000", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4020002EF05", "9000"},
			{"00B2010400", recCardID3 + "9000"},
			{"00A4000002EF05", "9000"},
			{"00B2030400", "0304332E3030 9000"},
			{"00A4020C02EF05", "9000"},
			{"00A4000C02EF05", "9000"},
		}},
		{"EF by FID needs its DF", "activated", []cmdStep{
			{"00A4000C02EF05", "6A82"},
			{"00A4020C02EF05", "6A82"},
		}},
		{"P1=01 child DF", "activated", []cmdStep{
			{"00A4010C02DF01", "6A82"}, // not a child of the MF
			{"00A4010002DDF1", "611E"},
			{"00A4010C02EF05", "6A82"}, // an EF, not a DF
			{"00A4010002DF01", "610A"},
			{"00C000000A", fciDF01 + "9000"},
		}},
		{"P1=02 EF only", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4020C02DF01", "6A82"},
			{"00A4020C02EF06", "9000"},
		}},
		{"P1=03 parent DF", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4000C02DF01", "9000"},
			{"00A40300", "611E"},
			{"00C000001E", fciSSSE3 + "9000"},
			{"00A4030400", fcpMF + "9000"},
			{"00A4030C", "6A82"}, // the MF has no parent
			{"00B2012800", "6A82"},
		}},
		{"P1=04 full DF name", "activated", []cmdStep{
			{"00A404000F" + cmdAID + "00", fciSSSE3 + "9000"},
			{"00A404040F" + cmdAID + "00", fcpSSSE + "9000"},
			{"00A4040C0F" + cmdAID, "9000"},
		}},
		{"P1=04 partial DF name", "activated", []cmdStep{
			{"00A40400077378312E73682E00", fciSSSE3 + "9000"},
			{"00A4040006D1560000050300", fciDF04 + "9000"},
		}},
		{"P1=04 next occurrence", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4040005D15600000500", fciDF01 + "9000"},
			{"00A4040205D15600000500", fciDF02 + "9000"},
			{"00A4040205D15600000500", fciDF03 + "9000"},
			{"00A4040205D15600000500", fciDF04 + "9000"},
			{"00A4040205D15600000500", "6A82"},
			// DF04 is still current: its EF05 needs the PIN.
			{"00B2012C00", "6982"},
			{cmdVerifyPIN, "9000"},
			{"00B2012C00", "6006202401150001 9000"},
			// First occurrence again.
			{"00A4040005D15600000500", fciDF01 + "9000"},
		}},
		{"P1=08 path from the MF", "activated", []cmdStep{
			{"00A4080C04DDF1EF05", "9000"},
			{"00B2070400", "07094231323334353637 38 9000"},
			{"00A4080404DDF1EF0500", fcpEF05 + "9000"},
			{"00A40804063F00DDF1DF0100", fcpDF01 + "9000"},
			{"00A4080406DDF1DF04EF0600", fcpDF04EF06 + "9000"},
			{"00A4080C02EF05", "6A82"},
			{"00A4080C06DDF1EF05EF05", "6A82"}, // an EF mid-path
			{"00A4080C04DDF1ABCD", "6A82"},
		}},
		{"P1=09 path from the current DF", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4090404DF01EF0700", fcpDF01EF07 + "9000"},
			// DF01 is now current: the same path from it does not exist.
			{"00A4090C04DF01EF07", "6A82"},
			{"00A4090402EF0500", "6211 82050221000801 8302EF05 880128 8A0105 9000"},
			{"00A4000C02DDF1", "9000"},
			{"00A4090404DF02EF0500", fcpDF02EF05 + "9000"},
		}},
		{"P2=04 FCP of every SSSE file", "activated", []cmdStep{
			{"00A40004023F0000", fcpMF + "9000"},
			{"00A4000402DDF100", fcpSSSE + "9000"},
			{"00A4020402EF0500", fcpEF05 + "9000"},
			{"00A4020402EF0600", fcpEF06 + "9000"},
			{"00A4020402EF0700", fcpEF07 + "9000"},
			{"00A4020402EF0800", fcpEF08 + "9000"},
			{"00A4020402EF0D00", fcpEF0D + "9000"},
			{"00A4000402DF0100", fcpDF01 + "9000"},
		}},
		{"P2=04 FCP of the sealed card", "default", []cmdStep{
			{"00A404040F" + cmdAID + "00", fcpSealed + "9000"},
			{"00A4020402EF0500", "6211 82050421001207 8302EF05 880128 8A0104 9000"},
		}},
		{"FCP over T=0", "activated", []cmdStep{
			{"00A4000402DDF1", "611D"},
			{"00C000001D", fcpSSSE + "9000"},
		}},
		{"P2=0C answers no data", "activated", []cmdStep{
			{"00A4000C02DDF1", "9000"},
			{"00A4000C02DDF100", "9000"},
			{"00A4040C05D156000005", "9000"},
			{"00A4020C02EF05", "9000"},
		}},
		{"FCI over T=0 with GET RESPONSE", "activated", []cmdStep{
			{cmdSelectFCI, "611E"},
			{"00C0000010", "6F1C840F" + cmdAID[:24] + "610E"},
			{"00C000000E", cmdAID[24:] + "A50988010B9F0C038601 03 9000"},
			{"00C000000E", "6985"}, // nothing left
			{cmdSelectFCI, "611E"},
			{"00C0000000", fciSSSE3 + "9000"}, // Le=00: all
			{cmdSelectFCI, "611E"},
			{"00C0010000", "6A86"},
			{cmdSelectFCI, "611E"},
			{"00B2012800", recCardID3 + "9000"},
			{"00C000001E", "6985"}, // another command dropped the FCI
		}},
		{"not found leaves the current DF", "activated", []cmdStep{
			{cmdSelectSSSE, "9000"},
			{"00A4040C06D15600000599", "6A82"},
			{"00A4000C02ABCD", "6A82"},
			{"00A4020C02EF09", "6A82"},
			{"00A4080C04DDF1EF09", "6A82"},
			{"00A404000F" + "7378312E73682EC9E7BBE1B1A3D5CE", "6A82"},
			{"00B2012800", recCardID3 + "9000"},
			{"00A4030400", fcpMF + "9000"},
		}},
		{"bad P1-P2", "activated", []cmdStep{
			{"00A4041C0F" + cmdAID, "6A86"}, // b8-b5 not zero
			{"00A404080F" + cmdAID, "6A86"}, // FMD not supported
			{"00A404010F" + cmdAID, "6A86"}, // last occurrence
			{"00A404030F" + cmdAID, "6A86"}, // previous occurrence
			{"00A4000202DDF1", "6A86"},      // next occurrence needs P1=04
			{"00A4050C02DDF1", "6A86"},
			{"00A40A0C02DDF1", "6A86"},
			{"00A4800C02DDF1", "6A86"},
			{"00B2012800", "6A82"}, // still on the MF
		}},
		{"bad lengths", "activated", []cmdStep{
			{"00A4000C013F", "6700"},
			{"00A4000C033F0000", "6700"},
			{"00A4010C00", "6700"},
			{"00A4020C03EF0501", "6700"},
			{"00A4030C02DF01", "6700"},
			{"00A4040C", "6700"},
			{"00A4040C11" + cmdAID + "0102", "6700"},
			{"00A4080C03DDF1EF", "6700"},
			{"00A4090C", "6700"},
			{"00B2012800", "6A82"}, // still on the MF
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmdRun(t, cardtest.Card(t, tc.persona), tc.steps)
		})
	}
}
