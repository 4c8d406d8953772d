package cos_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Command literals the command tests share. The SSSE AID is "sx1.sh." +
// GBK 社会保障 (CARD.md §1).
const (
	cmdAID         = "7378312E73682EC9E7BBE1B1A3D5CF"
	cmdSelectSSSE  = "00A4040C0F" + cmdAID // no answer data
	cmdSelectFCI   = "00A404000F" + cmdAID // FCI, T=0 style (61xx)
	cmdSelectMF    = "00A4000C023F00"
	cmdVerifyPIN   = "0020000003123456" // the personas' PIN 123456
	cmdVerifyWrong = "0020000003654321"
)

// cmdStep is one command and the whole response expected (hex; spaces
// are ignored). A want of "*" accepts any data with 9000, for commands
// whose answer is random (GET CHALLENGE).
type cmdStep struct {
	apdu, want string
}

// cmdRun sends the steps in order and checks every response exactly.
func cmdRun(t *testing.T, tr terminal.Transport, steps []cmdStep) {
	t.Helper()
	for _, s := range steps {
		cmdExpect(t, tr, s.apdu, s.want)
	}
}

// cmdExpect is cardtest.Expect, with "*" for any data and 9000.
func cmdExpect(t *testing.T, tr terminal.Transport, apdu, want string) {
	t.Helper()
	if want != "*" {
		cardtest.Expect(t, tr, apdu, want)
		return
	}
	if got := cardtest.Send(t, tr, apdu); !strings.HasSuffix(got, "9000") {
		t.Errorf("%s: got %s, want 9000", apdu, got)
	}
}

// cmdCase is a table entry: a persona, opened with its PSAM and the SSSE
// selected (cardtest.Session), and the steps to run on it.
type cmdCase struct {
	name    string
	persona string
	steps   []cmdStep
}

// cmdRunCases runs each case on a card of its own, in parallel.
func cmdRunCases(t *testing.T, cases []cmdCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := cardtest.Session(t, tc.persona)
			cmdRunSession(t, s, c, tc.steps)
		})
	}
}

// cmdRunSession runs steps on a session's card. Besides hex commands a step
// may be a flow of the reference terminal, checked against the status word
// in want:
//
//	"EXTAUTH XX"  EXTERNAL AUTHENTICATE with key XX through the PSAM
//	"RESET"       a warm reset (want is ignored)
func cmdRunSession(t *testing.T, s *terminal.SSC, c *emulator.Card, steps []cmdStep) {
	t.Helper()
	for _, st := range steps {
		switch {
		case strings.HasPrefix(st.apdu, "EXTAUTH "):
			id := cardtest.Hex(strings.TrimPrefix(st.apdu, "EXTAUTH "))
			err := s.ExternalAuthenticate(id[0])
			cmdErrSW(t, st.apdu, err, iso7816.Status(cardtest.Hex(st.want)[0])<<8|iso7816.Status(cardtest.Hex(st.want)[1]))
		case st.apdu == "RESET":
			c.Reset()
		default:
			cmdExpect(t, c, st.apdu, st.want)
		}
	}
}

// cmdOK fails the test at once on an error or a status word other than
// 9000 from a terminal flow.
func cmdOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// cmdSW checks the status word a terminal flow returned.
func cmdSW(t *testing.T, what string, got iso7816.Status, err error, want iso7816.Status) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got != want {
		t.Errorf("%s: SW %04X, want %04X", what, uint16(got), uint16(want))
	}
}

// cmdErrSW checks that a terminal flow failed with the card's status word
// want (nil for want = 9000).
func cmdErrSW(t *testing.T, what string, err error, want iso7816.Status) {
	t.Helper()
	if want == iso7816.SWOK {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	sw, ok := iso7816.StatusOf(err)
	if !ok || sw != want {
		t.Errorf("%s: %v, want SW %04X", what, err, uint16(want))
	}
}

// cmdSecure sends a MACed command built by the session, for checking the
// exact response.
func cmdSecure(t *testing.T, s *terminal.SSC, key, ins, p1, p2 byte, body []byte) iso7816.Response {
	t.Helper()
	r, err := s.Secure(key, ins, p1, p2, body)
	if err != nil {
		t.Fatalf("secure %02X: %v", ins, err)
	}
	return r
}

// cmdSecureAPDU builds a MACed command (spending a GET CHALLENGE) and
// returns its encoding, to be altered or replayed by the test.
func cmdSecureAPDU(t *testing.T, s *terminal.SSC, key, ins, p1, p2 byte, body []byte) []byte {
	t.Helper()
	if err := s.PSAM.Deliver(key, s.Alg, s.Factor()); err != nil {
		t.Fatal(err)
	}
	cmd, err := s.SecureCommand(ins, p1, p2, body)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cmd.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// cmdSend sends raw bytes and returns the response as upper-case hex.
func cmdSend(t *testing.T, tr terminal.Transport, capdu []byte) string {
	t.Helper()
	return cardtest.Send(t, tr, cmdHexOf(capdu))
}

// cmdHexOf is the upper-case hex of b.
func cmdHexOf(b []byte) string { return fmt.Sprintf("%X", b) }

// cmdSameCells checks that the card's NVM is what it was.
func cmdSameCells(t *testing.T, c *emulator.Card, before [][]byte, what string) {
	t.Helper()
	after := c.Cells()
	if len(after) != len(before) {
		t.Fatalf("%s: %d cells, were %d", what, len(after), len(before))
	}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Errorf("%s changed NVM cell %d: %X -> %X", what, i, before[i], after[i])
		}
	}
}

// cmdOnChannel sends every command on logical channel n (CLA b2-b1), so
// that a terminal session runs there.
type cmdOnChannel struct {
	t terminal.Transport
	n byte
}

func (c cmdOnChannel) Transmit(b []byte) ([]byte, error) {
	cp := append([]byte(nil), b...)
	if len(cp) > 0 {
		cp[0] = cp[0]&^0x03 | c.n
	}
	return c.t.Transmit(cp)
}

// cmdProfile writes a profile file extending a persona and returns its
// path, for the few cases no persona covers.
func cmdProfile(t *testing.T, json string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// cmdPINBlock enciphers a new PIN for 84 24 00 01 with the card's reload
// key as the PSAM holds it.
func cmdPINBlock(t *testing.T, s *terminal.SSC, pin string) []byte {
	t.Helper()
	if err := s.PSAM.Deliver(terminal.KeyReload, s.Alg, s.Factor()); err != nil {
		t.Fatal(err)
	}
	bcd, err := cardcrypto.EncodePINBCD(pin)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s.PSAM.Encrypt(cardcrypto.Pad80(append([]byte{byte(len(bcd))}, bcd...), s.Alg.BlockSize()))
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// cmdExtAuthAPDU spends a GET CHALLENGE of n bytes and returns the
// EXTERNAL AUTHENTICATE command with the right cryptogram for key, as the
// PSAM computes it.
func cmdExtAuthAPDU(t *testing.T, s *terminal.SSC, key byte, n int) []byte {
	t.Helper()
	if err := s.PSAM.Deliver(key, s.Alg, s.Factor()); err != nil {
		t.Fatal(err)
	}
	chal, err := terminal.GetChallenge(s.T, n)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, s.Alg.BlockSize())
	copy(block, chal)
	crypt, err := s.PSAM.Encrypt(block)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{0x00, 0x82, 0x00, key, byte(len(crypt))}, crypt...)
}
