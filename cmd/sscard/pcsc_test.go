//go:build pcsc

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/pcsc/pcsctest"
	"github.com/sscard/sscard/emulator"
)

// The command line through pcscd: the emulated card in vpcd's slot 0 and
// the PSAM in slot 1. Without pcscd and vpcd these skip, or fail with
// SSCARD_REQUIRE_PCSC=1.

func emulateInReaders(t *testing.T, persona string) {
	t.Helper()
	card, err := emulator.Open(persona, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	psam, err := emulator.Open("psam", emulator.WithSeed(2))
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Emulate(t, card, psam)
}

// A script gives the same output through the reader as on the in-process
// card.
func TestScriptThroughReader(t *testing.T) {
	emulateInReaders(t, "activated")
	dir := t.TempDir()
	script := filepath.Join(dir, "s.apdu")
	body, err := os.ReadFile("../../examples/read-identity.apdu")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, append(body, "reset\n00B2032806\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, got, errs := runCLI(t, "script", "--reader", pcsctest.CardReader, script)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, want, errs := runCLI(t, "script", "--card", "activated", "--seed", "1", script)
	if code != exitOK {
		t.Fatalf("in-process: exit %d: %s", code, errs)
	}
	if got != want {
		t.Errorf("through the reader:\n%s\nin-process:\n%s", got, want)
	}
	if !strings.Contains(got, "< 07 09 42 31 32 33 34 35 36 37 38 90 00 : normal processing") || !strings.Contains(got, "> RESET\n< OK: 3B ") {
		t.Errorf("output:\n%s", got)
	}
}

func TestScriptReaderErrors(t *testing.T) {
	pcsctest.Need(t)
	code, _, errs := runCLI(t, "script", "--reader", "No Such Reader", "../../examples/read-identity.apdu")
	if code != exitFail || !strings.Contains(errs, `no reader "No Such Reader"`) || !strings.Contains(errs, pcsctest.CardReader) {
		t.Errorf("unknown reader: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "script", "--reader", pcsctest.CardReader, "../../examples/read-identity.apdu")
	if code != exitFail || !strings.Contains(errs, "no card in the reader") || !strings.Contains(errs, "sscard emulate") {
		t.Errorf("empty reader: exit %d, %q", code, errs)
	}
}

func TestConformThroughReader(t *testing.T) {
	for _, persona := range []string{"default", "activated"} {
		t.Run(persona, func(t *testing.T) {
			emulateInReaders(t, persona)
			out := filepath.Join(t.TempDir(), "r.json")
			code, stdout, errs := runCLI(t, "conform", "--reader", pcsctest.CardReader, "--card", persona, "--report", "json", "--out", out)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s\n%s", code, stdout, errs, readFile(t, out))
			}
			var rep struct {
				Target  string `json:"target"`
				Results []struct {
					Outcome string `json:"outcome"`
				} `json:"results"`
			}
			if err := json.Unmarshal([]byte(readFile(t, out)), &rep); err != nil {
				t.Fatal(err)
			}
			passed := 0
			for _, r := range rep.Results {
				if r.Outcome == "pass" {
					passed++
				}
			}
			if passed == 0 || !strings.Contains(rep.Target, pcsctest.CardReader) {
				t.Errorf("target %q, %d passed", rep.Target, passed)
			}

		})
	}
}

// A differential run of the card in the reader against the model finds no
// divergence.
func TestConformDiffThroughReader(t *testing.T) {
	emulateInReaders(t, "default")
	code, stdout, errs := runCLI(t, "conform", "--reader", pcsctest.CardReader, "--card", "default", "--diff")
	if code != exitOK || !strings.Contains(stdout, "compared with") || strings.Contains(stdout, "DIVERGES") {
		t.Errorf("--diff: exit %d\n%s%s", code, stdout, errs)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return string(b)
}

// A contactless card in vpcd's slot 0, as "sscard emulate --contactless"
// puts it: through pcscd the script gets the pseudo-ATR of the card's
// activation, the UID and historical bytes from the reader's GET DATA,
// and the card's answers over ISO/IEC 14443-4.
func TestScriptContactlessThroughReader(t *testing.T) {
	seed := uint64(5)
	vr := &virtualReader{contactless: true, seed: &seed, stderr: &lockedWriter{w: os.Stderr}}
	card, err := vr.openCard(0, "activated", "")
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Emulate(t, card, nil)
	script := filepath.Join(t.TempDir(), "s.apdu")
	if err := os.WriteFile(script, []byte("FF CA 00 00 00\nFF CA 01 00 00\n00A404000F7378312E73682EC9E7BBE1B1A3D5CF\n00C0000000\n00B2012C00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, got, errs := runCLI(t, "script", "--reader", pcsctest.CardReader, script)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, got)
	}
	for _, want := range []string{"> FF CA 00 00 00\n< ", "> FF CA 01 00 00\n< ", "< 61 1E", "< 01 10 "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	lines := strings.Split(got, "\n")
	if len(lines) < 4 || !strings.Contains(lines[1], " 90 00 : ") || !strings.Contains(lines[3], " 90 00 : ") || len(strings.Fields(lines[1])) < 1+4+2 {
		t.Errorf("GET DATA answers:\n%s", got)
	}
	if strings.Contains(got, "6D 00") || strings.Contains(got, "6E 00") {
		t.Errorf("the reader's GET DATA reached the card:\n%s", got)
	}
}
