package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator"
)

const (
	readIdentity = "../../examples/read-identity.apdu"
	selectSSSE   = "00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n"
)

// writeScript writes a script into a fresh directory and returns its path.
func writeScript(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.apdu")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// responses returns the "<" lines of a script's output.
func responses(out string) []string {
	var r []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "< ") {
			r = append(r, l)
		}
	}
	return r
}

// TestScriptReadIdentityTrace runs the example against the persona of the
// real 1.00 card: the answers are the bytes of the trace (CARD.md §2).
func TestScriptReadIdentityTrace(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "script", "--card", "trace-1.00", readIdentity)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := []string{
		"< 61 18 : 24 response bytes still available",
		"< 6F 16 84 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF A5 03 88 01 0B 90 00 : normal processing",
		"< 01 10 33 01 00 D1 56 00 00 05 01 14 F1 99 D2 86 DF 7E 90 00 : normal processing",
		"< 03 04 31 2E 30 30 90 00 : normal processing",                // "1.00"
		"< 07 09 41 31 35 39 32 31 36 32 32 90 00 : normal processing", // "A15921622"
		"< 08 12 ",
		"< 09 1E ",
		"< 0A 01 31 90 00 : normal processing",
	}
	got := responses(stdout)
	if len(got) != len(want) {
		t.Fatalf("%d responses, want %d:\n%s", len(got), len(want), stdout)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("response %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
	for _, l := range []string{
		"> 00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n",
		"> 00 B2 01 28 12\n< 01 10",
	} {
		if !strings.Contains(stdout, l) {
			t.Errorf("output lacks %q:\n%s", l, stdout)
		}
	}
	for _, l := range got[5:7] {
		if !strings.HasSuffix(l, " 90 00 : normal processing") {
			t.Errorf("EF06 read failed on a 1.00 card: %s", l)
		}
	}
}

// On 3.00 cards EF06 needs RKSSSE authentication: the example says so.
func TestScriptReadIdentity300(t *testing.T) {
	t.Parallel()
	for _, persona := range []string{"default", "activated"} {
		code, stdout, stderr := runCLI(t, "script", "--card", persona, readIdentity)
		if code != exitOK || stderr != "" {
			t.Fatalf("%s: exit %d, stderr:\n%s", persona, code, stderr)
		}
		got := responses(stdout)
		if len(got) != 8 {
			t.Fatalf("%s: %d responses:\n%s", persona, len(got), stdout)
		}
		if !strings.HasPrefix(got[3], "< 03 04 33 2E 30 30 90 00") {
			t.Errorf("%s: version: %s", persona, got[3])
		}
		for _, l := range got[5:] {
			if l != "< 69 82 : security status not satisfied" {
				t.Errorf("%s: EF06 read answered %s, want 69 82", persona, l)
			}
		}
	}
}

func TestScriptDefaultCardAndFlagsAfterFile(t *testing.T) {
	t.Parallel()
	path := writeScript(t, selectSSSE+"00 B2 03 28 06\n")
	code, stdout, stderr := runCLI(t, "script", path)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// The default card is a 3.00 card.
	if want := "> 00 B2 03 28 06\n< 03 04 33 2E 30 30 90 00 : normal processing\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("output:\n%s", stdout)
	}
	code, stdout2, stderr := runCLI(t, "script", path, "--card", "default")
	if code != exitOK || stderr != "" || stdout2 != stdout {
		t.Errorf("flags after the file: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout2, stderr)
	}
}

func TestScriptReset(t *testing.T) {
	t.Parallel()
	path := writeScript(t, "reset\n")
	code, stdout, stderr := runCLI(t, "script", "--card", "trace-1.00", path)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if want := "> RESET\n< OK: 3B 6D 00 00 00 81 00 88 43 86 65 33 01 01 14 F1 99\n"; stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
	}
}

// A bad line stops the script before anything is sent.
func TestScriptMalformed(t *testing.T) {
	t.Parallel()
	path := writeScript(t, "# select\n00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n00 B2 0\n")
	code, stdout, stderr := runCLI(t, "script", path)
	if code != exitFail {
		t.Errorf("exit %d, want %d", code, exitFail)
	}
	if want := "sscard script: " + path + `:3: odd number of hex digits in "0"` + "\n"; stderr != want {
		t.Errorf("stderr:\n got %q\nwant %q", stderr, want)
	}
	if stdout != "" {
		t.Errorf("something was sent:\n%s", stdout)
	}
}

func TestScriptErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := writeScript(t, "00200000\n")
	damaged := filepath.Join(dir, "damaged.img")
	if err := os.WriteFile(damaged, []byte("not a card image"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown persona", []string{"--card", "no-such-persona", script}, []string{`"no-such-persona"`, "no such persona"}},
		{"missing profile file", []string{"--card", filepath.Join(dir, "mine.json"), script}, []string{"mine.json", "no such file"}},
		{"missing script", []string{filepath.Join(dir, "nope.apdu")}, []string{"reading script", "nope.apdu"}},
		{"damaged image", []string{"--image", damaged, script}, []string{"damaged.img", "loading card image"}},
		{"image in a missing directory", []string{"--image", filepath.Join(dir, "no", "card.img"), script}, []string{"saving card image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"script"}, tt.args...)...)
			if code != exitFail {
				t.Errorf("exit %d, want %d", code, exitFail)
			}
			for _, s := range tt.want {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
	if b, err := os.ReadFile(damaged); err != nil || string(b) != "not a card image" {
		t.Errorf("damaged image changed: %q, %v", b, err)
	}
}

// The card's state lives in the image from one run to the next.
func TestScriptImageRoundTrip(t *testing.T) {
	t.Parallel()
	img := filepath.Join(t.TempDir(), "card.img")

	wrongPIN := writeScript(t, selectSSSE+"00 20 00 00 03 11 11 11\n")
	code, stdout, stderr := runCLI(t, "script", "--card", "activated", "--image", img, wrongPIN)
	if code != exitOK || stderr != "" {
		t.Fatalf("run 1: exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "> 00 20 00 00 03 11 11 11\n< 63 C2 : verification failed, 2 tries left\n") {
		t.Fatalf("run 1 output:\n%s", stdout)
	}
	if _, err := os.Stat(img); err != nil {
		t.Fatalf("no image after run 1: %v", err)
	}

	triesLeft := writeScript(t, selectSSSE+"00 20 00 00\n")
	for _, args := range [][]string{
		{"--image", img, triesLeft},
		{"--card", "activated", "--image", img, triesLeft},
	} {
		code, stdout, stderr = runCLI(t, append([]string{"script"}, args...)...)
		if code != exitOK || stderr != "" {
			t.Fatalf("%v: exit %d, stderr:\n%s", args, code, stderr)
		}
		if !strings.HasSuffix(stdout, "> 00 20 00 00\n< 63 C2 : verification failed, 2 tries left\n") {
			t.Errorf("%v: the PIN counter did not persist:\n%s", args, stdout)
		}
	}

	// A fresh card of the same persona has all its tries.
	code, stdout, _ = runCLI(t, "script", "--card", "activated", triesLeft)
	if code != exitOK || !strings.HasSuffix(stdout, "< 63 C3 : verification failed, 3 tries left\n") {
		t.Errorf("fresh card: exit %d\n%s", code, stdout)
	}

	// The image holds "activated": asking for another card is an error,
	// and the image is left as it was.
	before, _ := os.ReadFile(img)
	code, stdout, stderr = runCLI(t, "script", "--card", "default", "--image", img, triesLeft)
	if code != exitFail || stdout != "" || !strings.Contains(stderr, `holds card "activated", not "default"`) {
		t.Errorf("conflicting --card: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if after, _ := os.ReadFile(img); !bytes.Equal(before, after) {
		t.Error("image changed by a refused run")
	}
}

func TestScriptSeed(t *testing.T) {
	t.Parallel()
	path := writeScript(t, "00 84 00 00 08\n00 84 00 00 08\n")
	_, a, _ := runCLI(t, "script", "--seed", "7", path)
	code, b, stderr := runCLI(t, "script", "--seed", "7", path)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if a != b {
		t.Errorf("same seed, different challenges:\n%s\n%s", a, b)
	}
	if r := responses(a); len(r) != 2 || r[0] == r[1] || !strings.HasSuffix(r[0], " 90 00 : normal processing") {
		t.Errorf("challenges:\n%s", a)
	}
}

// Standard input is read when the file is "-" or absent. Not parallel: it
// replaces stdin.
func TestScriptStdin(t *testing.T) {
	saved := stdin
	t.Cleanup(func() { stdin = saved })
	for _, args := range [][]string{{"script", "-"}, {"script"}, {"script", "--card", "trace-1.00"}} {
		stdin = strings.NewReader(selectSSSE + "00B2032806\n")
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "> 00 B2 03 28 06\n< 03 04 ") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
	stdin = strings.NewReader("00 B2\n")
	code, _, stderr := runCLI(t, "script")
	if code != exitFail || !strings.Contains(stderr, "<stdin>:1: APDU of 2 bytes is too short") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// A power loss during a command stops the script with a clear message.
func TestRunStepsPowerLoss(t *testing.T) {
	t.Parallel()
	c, err := emulator.Open("activated", emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := parseScript(strings.NewReader(selectSSSE+
		"00 20 00 00 03 11 11 11\n"+
		"00 20 00 00\n"), "p.apdu")
	if err != nil {
		t.Fatal(err)
	}
	c.TearAfter(1)
	var out bytes.Buffer
	err = runSteps(c, steps, "p.apdu", &out, false)
	if err == nil || !strings.Contains(err.Error(), "p.apdu:2: no answer from the card, it lost power") {
		t.Fatalf("runSteps = %v", err)
	}
	if want := "> 00 20 00 00 03 11 11 11\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("output:\n%s", out.String())
	}
}

// --explain says after each command what it asks; without it the output
// is scriptor's.
func TestScriptExplain(t *testing.T) {
	script := writeScript(t, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF\n0084000008\n")
	code, out, errs := runCLI(t, "script", "--explain", script)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"> 00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF : SELECT by name 7378312E73682EC9E7BBE1B1A3D5CF (SSSE)\n< 61 1E : ",
		"> 00 84 00 00 08 : GET CHALLENGE, 8 bytes\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "script", "--interface", "contact", "--explain", script)
	if code != exitOK || !strings.Contains(out, ": GET CHALLENGE, 8 bytes") {
		t.Errorf("through the contact link: exit %d\n%s", code, out)
	}
	if _, out, _ := runCLI(t, "script", script); strings.Contains(out, "SELECT by name") {
		t.Errorf("without --explain:\n%s", out)
	}
}
