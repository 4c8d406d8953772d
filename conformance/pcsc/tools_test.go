//go:build pcsc

package pcsc_test

// Third-party PC/SC programs see the emulated cards: pcsc_scan (pcsc-tools)
// lists the readers, opensc-tool prints the card's ATR, scriptor
// (pcsc-tools) runs an APDU script.

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/pcsc/pcsctest"
)

// tool runs a third-party program and returns its standard output and
// error together. A program not installed is a skip, or a failure with
// SSCARD_REQUIRE_PCSC=1.
func tool(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		pcsctest.Unavailable(t, "%s is not installed (Debian: pcsc-tools, opensc)", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPCSCScanListsReaders(t *testing.T) {
	pcsctest.Emulate(t, openEmulator(t, "activated", 1), openEmulator(t, "psam", 2))
	out := tool(t, "", "pcsc_scan", "-r")
	t.Logf("pcsc_scan -r:\n%s", out)
	for _, r := range []string{pcsctest.CardReader, pcsctest.PSAMReader} {
		if !strings.Contains(out, r) {
			t.Errorf("pcsc_scan -r does not list %q:\n%s", r, out)
		}
	}
}

func TestOpenSCToolPrintsATR(t *testing.T) {
	card := openEmulator(t, "activated", 1)
	pcsctest.Emulate(t, card, nil)
	out := tool(t, "", "opensc-tool", "-r", "0", "-a")
	t.Logf("opensc-tool -r 0 -a:\n%s", out)
	var want []string
	for _, b := range card.ATR() {
		want = append(want, fmt.Sprintf("%02x", b))
	}
	if !strings.Contains(out, strings.Join(want, ":")) {
		t.Errorf("opensc-tool -r 0 -a does not print the ATR %s:\n%s", strings.Join(want, ":"), out)
	}
}

// scriptor runs examples/read-identity.apdu against the card in the
// reader and prints what the model answers to the same commands: the EF05
// records among them.
func TestScriptorRunsReadIdentity(t *testing.T) {
	const script = "../../examples/read-identity.apdu"
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Emulate(t, openEmulator(t, "activated", 1), nil)
	out := tool(t, "", "scriptor", "-r", pcsctest.CardReader, script)
	t.Logf("scriptor:\n%s", out)
	flat := strings.Join(strings.Fields(out), "") // scriptor wraps long responses

	model := openEmulator(t, "activated", 1)
	n := 0
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		capdu, err := hex.DecodeString(strings.Join(strings.Fields(line), ""))
		if err != nil {
			t.Fatalf("%s: %q: %v", script, line, err)
		}
		rapdu, err := model.Transmit(capdu)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("<%X", rapdu)
		if !strings.Contains(flat, want) {
			t.Errorf("scriptor's output lacks the answer to %X: %X", capdu, rapdu)
		}
		if capdu[1] == 0xB2 && capdu[3] == 0x28 {
			n++ // an EF05 record
			if !bytes.HasSuffix(rapdu, []byte{0x90, 0x00}) {
				t.Errorf("the model does not read EF05 with %X: %X", capdu, rapdu)
			}
		}
	}
	if n == 0 {
		t.Errorf("%s reads no EF05 record", script)
	}
}
