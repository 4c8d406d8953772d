package psam_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/profile"
)

const (
	selectDF01 = "00A4040C06D15600000590"
	factor     = "01160185D3A5C7E9" // the activated persona's card serial
)

// step is a command and its whole expected response; "*" accepts any
// data with 9000.
type step struct{ apdu, want string }

func run(t *testing.T, c *emulator.Card, steps []step) {
	t.Helper()
	for _, s := range steps {
		if s.want != "*" {
			cardtest.Expect(t, c, s.apdu, s.want)
		} else if got := cardtest.Send(t, c, s.apdu); !strings.HasSuffix(got, "9000") {
			t.Errorf("%s: got %s, want 9000", s.apdu, got)
		}
	}
}

// psamCard opens the built-in PSAM with DF01 selected.
func psamCard(t *testing.T) *emulator.Card {
	t.Helper()
	c := cardtest.Card(t, "psam")
	cardtest.Expect(t, c, selectDF01, "9000")
	return c
}

// TestDeliverKey covers DELIVER KEY 80 1A <key> <alg> <factors>.
func TestDeliverKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []step
	}{
		{"delivered", []step{
			{"801A0A0308" + factor, "9000"},
			{"801A0A0108" + factor, "9000"},
			{"801A010308" + factor, "9000"},
		}},
		{"unknown key", []step{
			{"801A990308" + factor, "6A88"},
			{"801A000308" + factor, "6A88"},
			{"801A0C0308" + factor, "6A88"},
		}},
		{"factor length", []step{
			{"801A0A0307" + factor[:14], "6700"},
			{"801A0A0309" + factor + "00", "6700"},
			{"801A0A0310" + factor + factor, "6700"}, // one level only
			{"801A0A03", "6700"},
			{"801A0A0308" + factor + "00", "6700"}, // Le present
		}},
		{"bad algorithm", []step{
			{"801A0A0008" + factor, "6A86"},
			{"801A0A0208" + factor, "6A86"},
			{"801A0A0408" + factor, "6A86"},
			{"801A0AFF08" + factor, "6A86"},
		}},
		{"class", []step{
			{"001A0A0308" + factor, "6D00"},
			{"841A0A0308" + factor, "6D00"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, psamCard(t), tc.steps)
		})
	}
	t.Run("outside DF01", func(t *testing.T) {
		t.Parallel()
		c := cardtest.Card(t, "psam")
		run(t, c, []step{
			{"801A0A0308" + factor, "6D00"},
			{"80FA000010" + strings.Repeat("00", 16) + "00", "6D00"},
		})
	})
}

// TestCipherWithoutKey checks that CIPHER DATA needs a delivered key, lost
// on reset and on leaving DF01.
func TestCipherWithoutKey(t *testing.T) {
	t.Parallel()
	block := strings.Repeat("00", 16)
	c := psamCard(t)
	run(t, c, []step{
		{"80FA000010" + block + "00", "6985"},
		{"80FA050014" + block + "01020304" + "00", "6985"},
		{"801A0A0308" + factor, "9000"},
		{"80FA000010" + block + "00", "*"},
	})
	c.Reset()
	run(t, c, []step{
		{selectDF01, "9000"},
		{"80FA000010" + block + "00", "6985"},
		{"801A0A0308" + factor, "9000"},
		{"00A4000C023F00", "9000"},
		{selectDF01, "9000"},
		{"80FA000010" + block + "00", "6985"},
	})
}

// TestCipherMatchesCardcrypto checks CIPHER DATA against cardcrypto with
// the key diversified directly (cardcrypto.DiversifyLevels), for every key
// of the PSAM and both algorithms.
func TestCipherMatchesCardcrypto(t *testing.T) {
	t.Parallel()
	p, err := profile.Load("psam")
	if err != nil {
		t.Fatal(err)
	}
	f := cardtest.Hex(factor)
	data := cardtest.Hex("00112233445566778899AABBCCDDEEFF0123456789ABCDEF0123456789ABCDEF")
	msg := cardtest.Hex("84DC07280F0709413135393231363232")
	for _, alg := range []cardcrypto.Alg{cardcrypto.AlgSM4, cardcrypto.Alg3DES} {
		for _, k := range p.PSAM.Keys {
			t.Run(fmt.Sprintf("%s key %s", alg, k.ID), func(t *testing.T) {
				t.Parallel()
				key, err := cardcrypto.DiversifyLevels(alg, cardtest.Hex(k.Value), f)
				if err != nil {
					t.Fatal(err)
				}
				ecb, err := cardcrypto.EncryptECB(alg, key, data)
				if err != nil {
					t.Fatal(err)
				}
				iv := data[:alg.BlockSize()]
				mac, err := cardcrypto.MAC(alg, key, iv, msg)
				if err != nil {
					t.Fatal(err)
				}
				one, err := cardcrypto.EncryptECB(alg, key, data[:alg.BlockSize()])
				if err != nil {
					t.Fatal(err)
				}
				c := psamCard(t)
				a := fmt.Sprintf("%02X", byte(alg))
				run(t, c, []step{
					{"801A" + k.ID + a + "08" + factor, "9000"},
					{fmt.Sprintf("80FA0000%02X%X00", len(data), data), fmt.Sprintf("%X9000", ecb)},
					{fmt.Sprintf("80FA0500%02X%X%X00", len(iv)+len(msg), iv, msg), fmt.Sprintf("%X9000", mac)},
					// Without Le, T=0 style.
					{fmt.Sprintf("80FA0000%02X%X", alg.BlockSize(), data[:alg.BlockSize()]), fmt.Sprintf("61%02X", alg.BlockSize())},
					{fmt.Sprintf("00C00000%02X", alg.BlockSize()), fmt.Sprintf("%X9000", one)},
				})
			})
		}
	}
}

// TestCipherErrors covers the parameter and length errors of CIPHER DATA.
func TestCipherErrors(t *testing.T) {
	t.Parallel()
	block := strings.Repeat("00", 16)
	c := psamCard(t)
	run(t, c, []step{
		{"801A0A0308" + factor, "9000"},
		{"80FA00000F" + block[:30] + "00", "6700"}, // not whole blocks
		{"80FA000011" + block + "00" + "00", "6700"},
		{"80FA0000", "6700"},
		{"80FA05000F" + block[:30] + "00", "6700"}, // shorter than the IV
		{"80FA010010" + block + "00", "6A86"},
		{"80FA000110" + block + "00", "6A86"},
		{"80FA060010" + block + "00", "6A86"},
		{"801A0A0108" + factor, "9000"}, // 3DES: 8-byte blocks
		{"80FA000008" + block[:16] + "00", "*"},
		{"80FA00000C" + block[:24] + "00", "6700"},
	})
}

// TestDiversificationLevels builds a PSAM whose keys have 0, 1 and 2 levels
// (usage byte b8-b6) and one restricted to SM4.
func TestDiversificationLevels(t *testing.T) {
	t.Parallel()
	const master = "000102030405060708090A0B0C0D0E0F"
	path := filepath.Join(t.TempDir(), "psam.json")
	prof := `{"schema": 1, "name": "psam levels", "extends": "psam", "psam": {"keys": [
		{"id": "20", "usage": "07", "value": "` + master + `"},
		{"id": "21", "usage": "27", "value": "` + master + `"},
		{"id": "22", "usage": "47", "value": "` + master + `"},
		{"id": "23", "usage": "27", "algorithm": "sm4", "value": "` + master + `"}]}}`
	if err := os.WriteFile(path, []byte(prof), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := emulator.Open(path, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	region := "1101007378000000"
	data := cardtest.Hex("000102030405060708090A0B0C0D0E0F")
	for _, tc := range []struct {
		id      string
		factors string
		levels  []string
	}{{"20", "", nil}, {"21", factor, []string{factor}}, {"22", region + factor, []string{region, factor}}} {
		var fs [][]byte
		for _, f := range tc.levels {
			fs = append(fs, cardtest.Hex(f))
		}
		key, err := cardcrypto.DiversifyLevels(cardcrypto.AlgSM4, cardtest.Hex(master), fs...)
		if err != nil {
			t.Fatal(err)
		}
		want, err := cardcrypto.EncryptECB(cardcrypto.AlgSM4, key, data)
		if err != nil {
			t.Fatal(err)
		}
		deliver := "801A" + tc.id + "03"
		if tc.factors != "" {
			deliver += fmt.Sprintf("%02X%s", len(tc.factors)/2, tc.factors)
		}
		run(t, c, []step{
			{selectDF01, "9000"},
			{deliver, "9000"},
			{fmt.Sprintf("80FA000010%X00", data), fmt.Sprintf("%X9000", want)},
		})
	}
	run(t, c, []step{
		{"801A200308" + factor, "6700"},  // no level: no factor
		{"801A2203 08" + factor, "6700"}, // two levels: two factors
		{"801A230108" + factor, "6A88"},  // SM4 only
		{"801A230308" + factor, "9000"},
		{"801A2103 10" + region + factor, "6700"},
	})
}

// TestTerminalNumber reads EF16 (终端机编号) and EF15 (serial) by SFI.
func TestTerminalNumber(t *testing.T) {
	t.Parallel()
	c := psamCard(t)
	run(t, c, []step{
		{"00B0960006", "110100000001 9000"},
		{"00B0960000", "110100000001 6282"},
		{"00B095000A", "11010000000000000001 9000"},
		{"00B0960303", "000001 9000"},
		{"00B0960600", "6B00"},
		{"00D6960001 00", "6982"}, // never writable
		{"00A4020C020016", "9000"},
		{"00B0000006", "110100000001 9000"},
	})
	p := &terminal.PSAM{T: c}
	n, err := p.TerminalNumber()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%X", n); got != "110100000001" {
		t.Errorf("terminal number %s, want 110100000001", got)
	}
	// Outside DF01 the SFI names nothing.
	cardtest.Expect(t, c, "00A4000C023F00", "9000")
	cardtest.Expect(t, c, "00B0960006", "6A82")
}
