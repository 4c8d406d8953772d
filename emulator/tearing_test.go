package emulator_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
)

// tearSeed is the seed of every card and PSAM of the tearing sweep: the
// same seed gives the same challenges, so every fresh setup builds the very
// same command bytes.
const tearSeed = 42

// pinCounter names the PIN try counter in tearCase.counter; key try
// counters are named by their key identifier.
const pinCounter = 0

// tearCase is one state-changing command of the sweep.
type tearCase struct {
	name    string
	persona string
	// prepare runs the terminal side up to the command under test (external
	// authentication, key delivery, GET CHALLENGE for the MAC...) and
	// returns the command, encoded, without sending it.
	prepare func(t testing.TB, s *terminal.SSC, c *emulator.Card) []byte
	// counter is the try counter the command decrements before it checks a
	// secret (pinCounter or a key id); hasCounter says there is one.
	counter    byte
	hasCounter bool
	// wrong says the secret presented is wrong: the command must end with
	// the counter decremented once the decrement has been committed.
	wrong bool
	// sw is the status word of the untorn command.
	sw string
}

// encode encodes a command; it fails the test on a bad command.
func encode(t testing.TB, cmd iso7816.Command) []byte {
	t.Helper()
	raw, err := cmd.Bytes()
	if err != nil {
		t.Fatalf("encoding %v: %v", cmd, err)
	}
	return raw
}

// raw returns a prepare function for a fixed command sent after steps.
func raw(capdu string, steps ...func(t testing.TB, s *terminal.SSC, c *emulator.Card)) func(testing.TB, *terminal.SSC, *emulator.Card) []byte {
	return func(t testing.TB, s *terminal.SSC, c *emulator.Card) []byte {
		t.Helper()
		for _, st := range steps {
			st(t, s, c)
		}
		return cardtest.Hex(capdu)
	}
}

// extAuth is a preparation step: external authentication with key id.
func extAuth(id byte) func(testing.TB, *terminal.SSC, *emulator.Card) {
	return func(t testing.TB, s *terminal.SSC, _ *emulator.Card) {
		t.Helper()
		if err := s.ExternalAuthenticate(id); err != nil {
			t.Fatalf("external authentication with key %02X: %v", id, err)
		}
	}
}

// send is a preparation step: a command that must answer sw.
func send(capdu, sw string) func(testing.TB, *terminal.SSC, *emulator.Card) {
	return func(t testing.TB, _ *terminal.SSC, c *emulator.Card) {
		t.Helper()
		r := cardtest.Send(t, c, capdu)
		if len(r) < 4 || r[len(r)-4:] != sw {
			t.Fatalf("preparing: %s answered %s, want SW %s", capdu, r, sw)
		}
	}
}

// deliver is a preparation step: the PSAM diversifies key id for the card.
func deliver(id byte) func(testing.TB, *terminal.SSC, *emulator.Card) {
	return func(t testing.TB, s *terminal.SSC, _ *emulator.Card) {
		t.Helper()
		if err := s.PSAM.Deliver(id, s.Alg, s.Factor()); err != nil {
			t.Fatal(err)
		}
	}
}

// secured returns a prepare function for a MACed CLA 84 command built by
// the PSAM with key keyID after steps; the key is delivered first unless a
// step did (external authentication delivers its key).
func secured(keyID, ins, p1, p2 byte, body func(t testing.TB, s *terminal.SSC) []byte, steps ...func(testing.TB, *terminal.SSC, *emulator.Card)) func(testing.TB, *terminal.SSC, *emulator.Card) []byte {
	return func(t testing.TB, s *terminal.SSC, c *emulator.Card) []byte {
		t.Helper()
		for _, st := range steps {
			st(t, s, c)
		}
		if err := s.PSAM.Deliver(keyID, s.Alg, s.Factor()); err != nil {
			t.Fatal(err)
		}
		var data []byte
		if body != nil {
			data = body(t, s)
		}
		cmd, err := s.SecureCommand(ins, p1, p2, data)
		if err != nil {
			t.Fatalf("building the secured command: %v", err)
		}
		return encode(t, cmd)
	}
}

// fixed is a body function for constant data.
func fixed(h string) func(testing.TB, *terminal.SSC) []byte {
	return func(testing.TB, *terminal.SSC) []byte { return cardtest.Hex(h) }
}

// encipheredPIN is the body of a PIN reload: the new PIN block enciphered
// by the PSAM with the delivered reload key.
func encipheredPIN(pin string) func(testing.TB, *terminal.SSC) []byte {
	return func(t testing.TB, s *terminal.SSC) []byte {
		t.Helper()
		bcd, err := cardcrypto.EncodePINBCD(pin)
		if err != nil {
			t.Fatal(err)
		}
		block := cardcrypto.Pad80(append([]byte{byte(len(bcd))}, bcd...), s.Alg.BlockSize())
		enc, err := s.PSAM.Encrypt(block)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
}

// extAuthCommand returns a prepare function for EXTERNAL AUTHENTICATE with
// key id over a fresh challenge: the right cryptogram, or a wrong one.
func extAuthCommand(id byte, right bool) func(testing.TB, *terminal.SSC, *emulator.Card) []byte {
	return func(t testing.TB, s *terminal.SSC, c *emulator.Card) []byte {
		t.Helper()
		if err := s.PSAM.Deliver(id, s.Alg, s.Factor()); err != nil {
			t.Fatal(err)
		}
		chal, err := terminal.GetChallenge(c, 8)
		if err != nil {
			t.Fatal(err)
		}
		block := make([]byte, s.Alg.BlockSize())
		copy(block, chal)
		crypt, err := s.PSAM.Encrypt(block)
		if err != nil {
			t.Fatal(err)
		}
		if !right {
			crypt[0] ^= 0x01
		}
		return encode(t, iso7816.Command{CLA: 0x00, INS: 0x82, P2: id, Data: crypt})
	}
}

// lifeCycle returns a prepare function for a life cycle or issuer-script
// command (84 ins 00 00 04 MAC) after external authentication with the
// maintenance key, as terminal.SSC.LifeCycle sends it.
func lifeCycle(ins byte, steps ...func(testing.TB, *terminal.SSC, *emulator.Card)) func(testing.TB, *terminal.SSC, *emulator.Card) []byte {
	return secured(terminal.KeyMaint, ins, 0, 0, nil, append(steps, extAuth(terminal.KeyMaint))...)
}

const (
	selectDF02 = "00A4040006D1560000050100"
	selectDF04 = "00A4040006D1560000050300"
	verifyOK   = "0020000003123456"
	verifyBad  = "0020000003654321"
)

// appendLog fills the cyclic medical log of DF04 (10 records) first.
func appendLog(n int) func(testing.TB, *terminal.SSC, *emulator.Card) {
	return func(t testing.TB, s *terminal.SSC, c *emulator.Card) {
		t.Helper()
		for i := range n {
			send(fmt.Sprintf("00E2003010%032X", i+1), "9000")(t, s, c)
		}
	}
}

var tearCases = []tearCase{
	{name: "update binary EF07 after external auth", persona: "activated", sw: "9000",
		prepare: raw("00D6870008 0102030405060708", extAuth(terminal.KeyEF06Wr))},
	{name: "update binary EF07 with MAC", persona: "activated", sw: "9000",
		prepare: secured(terminal.KeyEF06Wr, 0xD6, 0x87, 0x10, fixed("A1A2A3A4A5A6A7A8A9"))},
	{name: "update record EF05 by identifier", persona: "activated", sw: "9000",
		prepare: raw("00DC07280B 0709 433837363534333231", extAuth(terminal.KeyEF05))},
	{name: "update record EF05 by number with MAC", persona: "activated", sw: "9000",
		prepare: secured(terminal.KeyEF05, 0xDC, 0x07, 0x2C, fixed("0709433837363534333231"))},
	{name: "append record linear", persona: "activated", sw: "9000",
		prepare: raw("00E2002805 3C03414243", send(selectDF02, "9000"), extAuth(terminal.KeyEF06Wr))},
	{name: "append record cyclic empty", persona: "activated", sw: "9000",
		prepare: raw("00E2003010 00112233445566778899AABBCCDDEEFF", send(selectDF04, "9000"), send(verifyOK, "9000"))},
	{name: "append record cyclic partly filled", persona: "activated", sw: "9000",
		prepare: raw("00E2003010 00112233445566778899AABBCCDDEEFF", send(selectDF04, "9000"), send(verifyOK, "9000"), appendLog(3))},
	{name: "append record cyclic full", persona: "activated", sw: "9000",
		prepare: raw("00E2003010 00112233445566778899AABBCCDDEEFF", send(selectDF04, "9000"), send(verifyOK, "9000"), appendLog(10))},
	{name: "verify right PIN", persona: "activated", sw: "9000", hasCounter: true,
		prepare: raw(verifyOK)},
	{name: "verify right PIN after a wrong one", persona: "activated", sw: "9000", hasCounter: true,
		prepare: raw(verifyOK, send(verifyBad, "63C2"))},
	{name: "verify wrong PIN", persona: "activated", sw: "63C2", hasCounter: true, wrong: true,
		prepare: raw(verifyBad)},
	{name: "verify wrong PIN last try", persona: "activated", sw: "63C0", hasCounter: true, wrong: true,
		prepare: raw(verifyBad, send(verifyBad, "63C2"), send(verifyBad, "63C1"))},
	{name: "change PIN right old PIN", persona: "activated", sw: "9000", hasCounter: true,
		prepare: raw("805E010007 123456 FF 246810")},
	{name: "change PIN wrong old PIN", persona: "activated", sw: "63C2", hasCounter: true, wrong: true,
		prepare: raw("805E010007 111111 FF 246810")},
	{name: "PIN reload", persona: "pin-blocked", sw: "9000",
		prepare: secured(terminal.KeyReload, 0x24, 0x00, 0x01, encipheredPIN("2468"), extAuth(terminal.KeyReload))},
	{name: "PIN unblock", persona: "pin-blocked", sw: "9000",
		prepare: secured(terminal.KeyUnblock, 0x24, 0x00, 0x00, nil)},
	{name: "external authenticate right", persona: "activated", sw: "9000", hasCounter: true, counter: terminal.KeyRKSSSE,
		prepare: extAuthCommand(terminal.KeyRKSSSE, true)},
	{name: "external authenticate wrong", persona: "activated", sw: "63C2", hasCounter: true, counter: terminal.KeyRKSSSE, wrong: true,
		prepare: extAuthCommand(terminal.KeyRKSSSE, false)},
	{name: "external authenticate wrong on a sealed card", persona: "default", sw: "63C2", hasCounter: true, counter: terminal.KeyMaint, wrong: true,
		prepare: extAuthCommand(terminal.KeyMaint, false)},
	{name: "activate", persona: "default", sw: "9000", prepare: lifeCycle(0x44)},
	{name: "deactivate", persona: "activated", sw: "9000", prepare: lifeCycle(0x04)},
	{name: "terminate", persona: "activated", sw: "9000", prepare: lifeCycle(0xE6)},
	{name: "application block", persona: "activated", sw: "9000", prepare: lifeCycle(0x1E)},
	{name: "application unblock", persona: "activated", sw: "9000",
		prepare: lifeCycle(0x18, func(t testing.TB, s *terminal.SSC, _ *emulator.Card) {
			t.Helper()
			if sw, err := s.LifeCycle(0x1E); err != nil || sw != iso7816.SWOK {
				t.Fatalf("blocking the application: %v %v", sw, err)
			}
		})},
	{name: "card block", persona: "activated", sw: "9000", prepare: lifeCycle(0x16)},
}

// counterCells finds the NVM cells of the try counters of a 3.00 card by
// experiment: a wrong PIN, or a wrong cryptogram for one key, changes
// exactly one cell.
func counterCells(t testing.TB) map[byte]int {
	t.Helper()
	cells := map[byte]int{}
	find := func(name string, prepare func(testing.TB, *terminal.SSC, *emulator.Card) []byte, ref byte) {
		s, c := newSession(t, "activated", tearSeed)
		cmd := prepare(t, s, c)
		before := c.Cells()
		transmit(t, c, cmd)
		d := diffCells(before, c.Cells())
		if len(d) != 1 {
			t.Fatalf("%s changed cells %v, want exactly one", name, d)
		}
		cells[ref] = d[0]
	}
	find("a wrong PIN", raw(verifyBad), pinCounter)
	for _, id := range []byte{terminal.KeyEF05, terminal.KeyReload, terminal.KeyRKSSSE, terminal.KeyMaint, terminal.KeyEF06Wr} {
		find(fmt.Sprintf("a wrong cryptogram for key %02X", id), extAuthCommand(id, false), id)
	}
	return cells
}

// diffCells lists the indices of the cells that differ.
func diffCells(a, b [][]byte) []int {
	var d []int
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || !bytes.Equal(a[i], b[i]) {
			d = append(d, i)
		}
	}
	return d
}

func equalCells(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// probe is what a terminal sees of a card's state: the SSSE selected, a
// READ RECORD and the PIN state.
func probe(t testing.TB, c *emulator.Card) string {
	t.Helper()
	var out []string
	for _, h := range []string{
		"00A404000F7378312E73682EC9E7BBE1B1A3D5CF00",
		"00A404040F7378312E73682EC9E7BBE1B1A3D5CF00",
		"00B2012C00", "00B2072C00", "0020000000",
		"00A4040006D1560000050300", "00B2012C00",
	} {
		out = append(out, cardtest.Send(t, c, h))
	}
	return fmt.Sprint(out)
}

// cardWithCells builds a card of the same profile as c holding cells, as
// a card image would.
func cardWithCells(t testing.TB, c *emulator.Card, cells [][]byte) *emulator.Card {
	t.Helper()
	d, err := emulator.FromImage(nvm.EncodeImage(c.Profile().JSON(), cells), emulator.WithSeed(tearSeed))
	if err != nil {
		t.Fatalf("building a card from a boundary state: %v", err)
	}
	return d
}

// TestTearingSweep cuts the power after every NVM write of every
// state-changing command and checks that the card recovers to the state at
// one of the command's transaction boundaries, never a mix; that no try
// counter ever gains a try; that a wrong secret is paid for as soon as the
// comparison could have been made; and that the card works on afterwards.
func TestTearingSweep(t *testing.T) {
	counters := counterCells(t)
	for _, tc := range tearCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runTearCase(t, tc, counters)
		})
	}
}

func runTearCase(t *testing.T, tc tearCase, counters map[byte]int) {
	// The untorn run: the command's cost in NVM writes and its boundary
	// states.
	s, c := newSession(t, tc.persona, tearSeed)
	cmd := tc.prepare(t, s, c)
	before := c.Cells()
	w0 := c.NVMWrites()
	resp := transmit(t, c, cmd)
	if got := fmt.Sprintf("%X", resp); got[len(got)-4:] != tc.sw {
		t.Fatalf("untorn %X answered %s, want SW %s", cmd, got, tc.sw)
	}
	writes := int(c.NVMWrites() - w0)
	after := c.Cells()
	if writes == 0 || equalCells(before, after) && !tc.hasCounter {
		t.Fatalf("the command wrote %d times and changed cells %v: not state-changing", writes, diffCells(before, after))
	}
	boundaries := [][][]byte{before}
	names := []string{"before"}
	var ctr int
	if tc.hasCounter {
		var ok bool
		if ctr, ok = counters[tc.counter]; !ok {
			t.Fatalf("no counter cell for %02X", tc.counter)
		}
		if len(before[ctr]) != 1 || before[ctr][0] == 0 {
			t.Fatalf("counter cell %d is %X before the command", ctr, before[ctr])
		}
		dec := slices.Clone(before)
		dec[ctr] = []byte{before[ctr][0] - 1}
		boundaries = append(boundaries, dec)
		names = append(names, "counter decremented")
		if tc.wrong && !equalCells(after, dec) {
			t.Fatalf("a wrong secret changed cells %v, want only the counter decremented", diffCells(before, after))
		}
	}
	boundaries = append(boundaries, after)
	names = append(names, "after")
	probes := make([]string, len(boundaries))
	for i, b := range boundaries {
		probes[i] = probe(t, cardWithCells(t, c, b))
	}

	recovered := make([]string, writes+1)
	defer func() { t.Logf("%d NVM writes; recovered to %v", writes, recovered[1:]) }()
	for n := 1; n <= writes; n++ {
		s, c := newSession(t, tc.persona, tearSeed)
		if got := tc.prepare(t, s, c); !bytes.Equal(got, cmd) {
			t.Fatalf("n=%d: the setup built %X, the untorn run %X", n, got, cmd)
		}
		if !equalCells(c.Cells(), before) {
			t.Fatalf("n=%d: the setup is not the untorn run's", n)
		}
		c.TearAfter(n)
		if n%2 == 0 {
			// The buffer-reusing path loses its answer the same way.
			dst := []byte{0xAA}
			out, err := c.TransmitAppend(dst, cmd)
			if !errors.Is(err, emulator.ErrPowerLost) || !bytes.Equal(out, dst) {
				t.Fatalf("n=%d: TransmitAppend gave %X, %v; want dst unchanged and ErrPowerLost", n, out, err)
			}
		} else if resp, err := c.Transmit(cmd); !errors.Is(err, emulator.ErrPowerLost) || resp != nil {
			t.Fatalf("n=%d: Transmit gave %X, %v; want no response and ErrPowerLost", n, resp, err)
		}
		if c.Powered() {
			t.Fatalf("n=%d: the card is powered after the power loss", n)
		}
		if _, err := c.Transmit(readEF05Rec1); !errors.Is(err, emulator.ErrNoPower) {
			t.Fatalf("n=%d: a command after the power loss: %v, want ErrNoPower", n, err)
		}
		// Until the next power-up the state is the one it will recover
		// to, whoever looks.
		torn := c.Cells()
		c.PowerOn()
		got := c.Cells()
		if !equalCells(torn, got) {
			t.Errorf("n=%d: Cells() of the torn card differ from the recovered cells in %v", n, diffCells(torn, got))
		}
		// A state may sit at several boundaries (a right PIN leaves the
		// cells as they were): it is named by all of them.
		var at []string
		k := -1
		for i, b := range boundaries {
			if equalCells(b, got) {
				at = append(at, names[i])
				k = i
			}
		}
		recovered[n] = strings.Join(at, "=")
		if k < 0 {
			t.Fatalf("n=%d: recovered to a state that is no transaction boundary: cells %v differ from before, %v from after",
				n, diffCells(before, got), diffCells(after, got))
		}
		// No try counter gains a try, unless the command completed (a
		// right PIN restores the tries, a reload or unblock sets them).
		if !equalCells(got, after) {
			for ref, i := range counters {
				if got[i][0] > before[i][0] {
					t.Errorf("n=%d: counter %02X has %d tries, %d before the command", n, ref, got[i][0], before[i][0])
				}
			}
		}
		if tc.hasCounter {
			switch {
			case n == 1 && !slices.Contains(at, "before"):
				t.Errorf("n=%d: recovered to %v, want before: the decrement's journal alone commits nothing", n, at)
			case n > 1 && slices.Equal(at, []string{"before"}):
				// From its commit marker on, the decrement is durable:
				// tearing later never wins the try back.
				t.Errorf("n=%d: the counter is back at %d after its decrement was committed", n, before[ctr][0])
			}
			if tc.wrong && n > 1 && got[ctr][0] != before[ctr][0]-1 {
				t.Errorf("n=%d: a torn wrong secret left the counter at %d, want %d", n, got[ctr][0], before[ctr][0]-1)
			}
		}
		// The card works on, as a card holding that state does.
		if p := probe(t, c); p != probes[k] {
			t.Errorf("n=%d: recovered to %v, but answers\n %s\nwhere a card holding that state answers\n %s", n, at, p, probes[k])
		}
		if tc.counter == pinCounter && tc.hasCounter {
			cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
			want := fmt.Sprintf("63C%X", got[ctr][0])
			if got[ctr][0] == 0 {
				want = "6983"
			}
			cardtest.ExpectSW(t, c, "0020000000", want)
		}
		path := filepath.Join(t.TempDir(), "card.img")
		if err := c.Save(path); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		l, err := emulator.Load(path)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !equalCells(l.Cells(), c.Cells()) {
			t.Errorf("n=%d: Save and Load changed cells %v", n, diffCells(l.Cells(), c.Cells()))
		}
	}

	// One write more than the command needs: the command completes, and
	// the tear still armed fires in the next state-changing command.
	s, c = newSession(t, tc.persona, tearSeed)
	tc.prepare(t, s, c)
	c.TearAfter(writes + 1)
	if r := transmit(t, c, cmd); !bytes.Equal(r, resp) {
		t.Errorf("with the tear after %d writes: %X, want %X", writes+1, r, resp)
	}
	if !equalCells(c.Cells(), after) {
		t.Errorf("with the tear after %d writes: cells %v differ from the untorn run", writes+1, diffCells(c.Cells(), after))
	}
}

// TestTearingVerifyWrongEveryPoint is the classic attack spelled out: a
// wrong PIN torn at every point. Either no answer came and the counter is
// as before (the decrement never reached its commit marker), or the
// counter is one less; never an answer without the decrement.
func TestTearingVerifyWrongEveryPoint(t *testing.T) {
	_, c := newSession(t, "activated", tearSeed)
	w0 := c.NVMWrites()
	cardtest.ExpectSW(t, c, verifyBad, "63C2")
	writes := int(c.NVMWrites() - w0)
	for n := 1; n <= writes+2; n++ {
		_, c := newSession(t, "activated", tearSeed)
		c.TearAfter(n)
		resp, err := c.Transmit(cardtest.Hex(verifyBad))
		c.TearAfter(0)
		answered := err == nil
		if !answered && !errors.Is(err, emulator.ErrPowerLost) {
			t.Fatalf("n=%d: %v", n, err)
		}
		c.PowerOn()
		cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
		left := cardtest.Send(t, c, "0020000000")
		switch {
		case answered && fmt.Sprintf("%X", resp) != "63C2":
			t.Errorf("n=%d: answered %X", n, resp)
		case answered && left != "63C2":
			t.Errorf("n=%d: answered 63C2 but the card has %s", n, left)
		case !answered && left != "63C3" && left != "63C2":
			t.Errorf("n=%d: no answer and the card has %s", n, left)
		case !answered && n > 1 && left != "63C2":
			t.Errorf("n=%d: the decrement was committed, yet the card has %s", n, left)
		}
	}
}
