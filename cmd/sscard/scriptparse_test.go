package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseScript(t *testing.T) {
	t.Parallel()
	const selectSSSE = "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
	tests := []struct {
		name, in string
		want     []step
	}{
		{"empty", "", nil},
		{"only comments and blanks", "# hello\n\n   \t\n  # indented\n", nil},
		{"spaced", "00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n",
			[]step{{line: 1, apdu: mustHex(t, selectSSSE)}}},
		{"unspaced", selectSSSE + "\n", []step{{line: 1, apdu: mustHex(t, selectSSSE)}}},
		{"mixed tokens and case", "00a4 0400 0f\t7378312e73682ec9e7bbe1b1a3d5cf\n",
			[]step{{line: 1, apdu: mustHex(t, selectSSSE)}}},
		{"no final newline", "00B2012812", []step{{line: 1, apdu: mustHex(t, "00B2012812")}}},
		{"trailing comment", "00B2012812  # EF05 card identifier (卡识别码)\n00 B2 03 28 06# version\n",
			[]step{{line: 1, apdu: mustHex(t, "00B2012812")}, {line: 2, apdu: mustHex(t, "00B2032806")}}},
		{"CRLF", "# comment\r\n00 20 00 00\r\n\r\nreset\r\n00B2012812\r\n",
			[]step{{line: 2, apdu: mustHex(t, "00200000")}, {line: 4, reset: true}, {line: 5, apdu: mustHex(t, "00B2012812")}}},
		{"keywords any case", "RESET\nReset\nreset # again\n",
			[]step{{line: 1, reset: true}, {line: 2, reset: true}, {line: 3, reset: true}}},
		{"exit ends the script", "00200000\nexit\nthis is not read\n",
			[]step{{line: 1, apdu: mustHex(t, "00200000")}}},
		{"continuation", "00 A4 04 00 0F 73 78 31 2E \\\n# a comment between\n\n73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n00B2012812\n",
			[]step{{line: 1, apdu: mustHex(t, selectSSSE)}, {line: 5, apdu: mustHex(t, "00B2012812")}}},
		{"continuation without space", "00A40400\\\n0F7378312E73682EC9E7BBE1B1A3D5CF\n",
			[]step{{line: 1, apdu: mustHex(t, selectSSSE)}}},
		{"byte order mark", "\uFEFF00 84 00 00 08\n", []step{{line: 1, apdu: mustHex(t, "0084000008")}}},
		{"hex that spells a word", "ABBA CAFE\n", []step{{line: 1, apdu: mustHex(t, "ABBACAFE")}}},
		{"malformed APDU bodies are sent as they are", "00 B2 01 28 12 34 56\n",
			[]step{{line: 1, apdu: mustHex(t, "00B2012812 3456")}}},
		{"line of exactly the limit", strings.Repeat("00", maxScriptLine/2) + "\r\n",
			[]step{{line: 1, apdu: make([]byte, maxScriptLine/2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseScript(strings.NewReader(tt.in), "t.apdu")
			if err != nil {
				t.Fatalf("parseScript: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(step{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseScriptHostile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string // the whole error message
	}{
		{"bad hex", "00 A4 04 00\n00 B2 0G 28\n", `t.apdu:2: "0G" is not hex`},
		{"odd digits spaced", "00 B2 1 28 12\n", `t.apdu:1: odd number of hex digits in "1"`},
		{"odd digits unspaced", "# x\n00B201281\n", `t.apdu:2: odd number of hex digits in "00B201281"`},
		{"three-byte APDU", "00 A4 04\n", "t.apdu:1: APDU of 3 bytes is too short: a command has at least CLA INS P1 P2"},
		{"one byte", "\n\n00\n", "t.apdu:3: APDU of 1 bytes is too short: a command has at least CLA INS P1 P2"},
		{"continued short APDU", "00 \\\nA4\n", "t.apdu:1: APDU of 2 bytes is too short: a command has at least CLA INS P1 P2"},
		{"lone backslash", "\\\n00200000\n", ""},
		{"overlong line", strings.Repeat("00", maxScriptLine/2+1) + "\n", fmt.Sprintf("t.apdu:1: line longer than %d bytes", maxScriptLine)},
		{"overlong line far past the buffer", "00200000\n" + strings.Repeat("A", 3*maxScriptLine), fmt.Sprintf("t.apdu:2: line longer than %d bytes", maxScriptLine)},
		{"overlong comment", "# " + strings.Repeat("x", maxScriptLine) + "\n", fmt.Sprintf("t.apdu:1: line longer than %d bytes", maxScriptLine)},
		{"NUL byte", "00 20 00 00\n00 20\x0000 00\n", "t.apdu:2: control character 0x00 in column 6 (not a text file?)"},
		{"NUL in a comment", "# a\x00b\n", "t.apdu:1: control character 0x00 in column 4 (not a text file?)"},
		{"bare CR line endings", "00200000\r00200000\r", "t.apdu:1: control character 0x0D in column 9 (not a text file?)"},
		{"unknown keyword", "00200000\nselect 3F00\n", `t.apdu:2: unknown keyword "select" (a line holds hex bytes, reset, exit or a # comment)`},
		{"misspelt reset", "rest\n", `t.apdu:1: unknown keyword "rest" (a line holds hex bytes, reset, exit or a # comment)`},
		{"reset with arguments", "reset 3B\n", "t.apdu:1: reset takes nothing after it"},
		{"continued reset", "reset \\\n", "t.apdu:1: reset takes nothing after it"},
		{"reset inside a continued APDU", "00 A4 \\\nreset\n", "t.apdu:2: reset inside the APDU continued from line 1"},
		{"exit inside a continued APDU", "00 A4 \\\n\nEXIT\n", "t.apdu:3: exit inside the APDU continued from line 1"},
		{"exit with arguments", "exit now\n", "t.apdu:1: exit takes nothing after it"},
		{"0x prefix", "0x00 0xA4 0x04 0x00\n", `t.apdu:1: "0x00" is not hex`},
		{"scriptor output pasted", "> 00 A4 04 00\n", `t.apdu:1: ">" is not hex`},
		{"long bad token is cut", strings.Repeat("Z", 100) + "\n", `t.apdu:1: unknown keyword "ZZZZZZZZZZZZZZZZZZZZZZZZ"... (a line holds hex bytes, reset, exit or a # comment)`},
		{"script ends inside a continuation", "00200000\n00 A4 04 00 \\\n# only a comment\n", `t.apdu:2: APDU continued with "\" but the script ends`},
		{"APDU over the longest extended APDU", strings.Repeat(strings.Repeat("00", 16000)+" \\\n", 5) + "00\n", fmt.Sprintf("t.apdu:5: APDU longer than %d bytes", maxAPDU)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			steps, err := parseScript(strings.NewReader(tt.in), "t.apdu")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("parseScript: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseScript = %d steps, want error %q", len(steps), tt.want)
			}
			var se *scriptError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *scriptError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %q\nwant %q", err, tt.want)
			}
			if steps != nil {
				t.Errorf("steps = %v alongside an error", steps)
			}
		})
	}
}

func TestParseScriptTooBig(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("00", 1<<14) + "\n"
	in := strings.Repeat(line, maxScriptSize/len(line)+1)
	_, err := parseScript(strings.NewReader(in), "big")
	want := fmt.Sprintf("big:%d: script longer than %d bytes", maxScriptSize/len(line)+1, maxScriptSize)
	if err == nil || err.Error() != want {
		t.Fatalf("parseScript = %v, want %q", err, want)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseScriptReadError(t *testing.T) {
	t.Parallel()
	_, err := parseScript(failingReader{}, "f.apdu")
	if err == nil || err.Error() != "reading f.apdu: disk on fire" {
		t.Fatalf("parseScript = %v", err)
	}
}

// formatScript writes steps back in the script format, unspaced, long
// APDUs over several lines.
func formatScript(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		if s.reset {
			b.WriteString("reset\n")
			continue
		}
		// Continuation lines keep each line well under maxScriptLine.
		a := s.apdu
		for len(a) > 1024 {
			fmt.Fprintf(&b, "%X \\\n", a[:1024])
			a = a[1024:]
		}
		fmt.Fprintf(&b, "%X\n", a)
	}
	return b.String()
}

func FuzzParseScript(f *testing.F) {
	for _, s := range []string{
		"",
		"00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF\n00 C0 00 00 00\n",
		"# comment\r\n00B2012812  # trailing\r\nreset\r\nexit\r\n",
		"00 A4 \\\n04 00\n",
		"00 A4 04\n",
		"00 B2 1 28\n",
		"select\n",
		"\uFEFF00200000",
		"00\x0020",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		steps, err := parseScript(bytes.NewReader(in), "fuzz")
		if err != nil {
			if steps != nil {
				t.Fatalf("steps alongside error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error %q does not name the script", err)
			}
			return
		}
		last := 0
		for _, s := range steps {
			if s.line <= last {
				t.Fatalf("step on line %d after line %d", s.line, last)
			}
			last = s.line
			if s.reset {
				if s.apdu != nil {
					t.Fatalf("reset with an APDU: %X", s.apdu)
				}
				continue
			}
			if len(s.apdu) < minAPDU || len(s.apdu) > maxAPDU {
				t.Fatalf("line %d: APDU of %d bytes", s.line, len(s.apdu))
			}
		}
		// What was parsed reads back the same, line numbers aside.
		again, err := parseScript(strings.NewReader(formatScript(steps)), "again")
		if err != nil {
			t.Fatalf("formatted script does not parse: %v", err)
		}
		if len(again) != len(steps) {
			t.Fatalf("formatted script has %d steps, want %d", len(again), len(steps))
		}
		for i := range steps {
			if again[i].reset != steps[i].reset || !bytes.Equal(again[i].apdu, steps[i].apdu) {
				t.Fatalf("step %d: %+v became %+v", i, steps[i], again[i])
			}
		}
	})
}
