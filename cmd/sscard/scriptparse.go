package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The script format is the one of scriptor (pcsc-tools), one item a line:
//
//	# a comment                    comments and blank lines are skipped
//	00 A4 04 00 0F 73 78 31 ...    a command APDU in hex, spaced or not:
//	00A404000F7378312E...          every token an even number of digits
//	00 B2 01 28 12  # card id      a comment may end a line
//	00 A4 04 00 0F 73 78 31 \      a line ending in \ continues the APDU
//	2E 73 68 ...                     on the next line
//	reset                          warm reset: the card answers its ATR
//	exit                           end of the script: nothing after it is read
//
// Keywords are case-insensitive. Line endings may be LF or CRLF and the file
// may start with a UTF-8 byte order mark; comments may hold any text.

// Limits of a script.
const (
	maxScriptLine = 64 << 10 // bytes on one line
	maxScriptSize = 16 << 20 // bytes in the whole script
	minAPDU       = 4        // CLA INS P1 P2
	maxAPDU       = 65544    // extended case 4: header, Lc (3), 65535 bytes, Le (2)
)

// step is one action of a script: send a command APDU, or reset the card.
type step struct {
	line  int    // the line of the script it starts on, from 1
	reset bool   // a warm reset instead of an APDU
	apdu  []byte // the command APDU, minAPDU to maxAPDU bytes; nil for a reset
}

// scriptError is a script that cannot be run, located by file and line.
type scriptError struct {
	name string
	line int
	msg  string
}

func (e *scriptError) Error() string { return fmt.Sprintf("%s:%d: %s", e.name, e.line, e.msg) }

// parseScript reads a whole script from r and returns its steps. name is the
// script's name in error messages ("read-identity.apdu:7: ..."). Nothing in
// the script is trusted: any line that is not an APDU, a keyword, a comment
// or blank is an error, and so is an APDU shorter than 4 bytes.
func parseScript(r io.Reader, name string) ([]step, error) {
	p := scriptParser{name: name}
	sc := bufio.NewScanner(r)
	// Room for the longest line allowed, its CR LF, and one byte more so
	// that a longer line is seen as such.
	sc.Buffer(make([]byte, 0, 4096), maxScriptLine+3)
	for sc.Scan() {
		p.lineNo++
		p.size += len(sc.Bytes()) + 1
		if p.size > maxScriptSize {
			return nil, p.errorf("script longer than %d bytes", maxScriptSize)
		}
		stop, err := p.line(sc.Bytes())
		if err != nil {
			return nil, err
		}
		if stop {
			break
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			p.lineNo++
			return nil, p.errorf("line longer than %d bytes", maxScriptLine)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if p.cont != nil {
		return nil, &scriptError{name, p.cont.line, `APDU continued with "\" but the script ends`}
	}
	return p.steps, nil
}

// scriptParser is the state of parseScript between lines.
type scriptParser struct {
	name   string
	lineNo int
	size   int
	steps  []step
	cont   *step // an APDU whose last line ended in "\"
}

func (p *scriptParser) errorf(format string, args ...any) error {
	return &scriptError{p.name, p.lineNo, fmt.Sprintf(format, args...)}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// line parses one line (without its line ending). stop is true after "exit".
func (p *scriptParser) line(line []byte) (stop bool, err error) {
	if len(line) > maxScriptLine {
		return false, p.errorf("line longer than %d bytes", maxScriptLine)
	}
	if p.lineNo == 1 {
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	for i, c := range line {
		if (c < 0x20 && c != '\t') || c == 0x7F {
			return false, p.errorf("control character 0x%02X in column %d (not a text file?)", c, i+1)
		}
	}
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	code := strings.TrimSpace(string(line))
	if code == "" {
		return false, nil // blank or comment; a continued APDU goes on
	}
	continued := strings.HasSuffix(code, `\`)
	code = strings.TrimSuffix(code, `\`)
	fields := strings.Fields(code)

	if len(fields) > 0 {
		switch kw := strings.ToLower(fields[0]); kw {
		case "reset", "exit":
			if p.cont != nil {
				return false, p.errorf("%s inside the APDU continued from line %d", kw, p.cont.line)
			}
			if len(fields) > 1 || continued {
				return false, p.errorf("%s takes nothing after it", kw)
			}
			if kw == "exit" {
				return true, nil
			}
			p.steps = append(p.steps, step{line: p.lineNo, reset: true})
			return false, nil
		}
	}

	if p.cont == nil {
		p.cont = &step{line: p.lineNo, apdu: []byte{}}
	}
	for i, f := range fields {
		b, err := decodeHexField(f)
		if err != nil {
			if i == 0 && p.cont.line == p.lineNo && isWord(f) {
				return false, p.errorf("unknown keyword %s (a line holds hex bytes, reset, exit or a # comment)", quoteShort(f))
			}
			return false, p.errorf("%v", err)
		}
		if len(p.cont.apdu)+len(b) > maxAPDU {
			return false, p.errorf("APDU longer than %d bytes", maxAPDU)
		}
		p.cont.apdu = append(p.cont.apdu, b...)
	}
	if continued {
		return false, nil
	}
	s := *p.cont
	p.cont = nil
	if len(s.apdu) < minAPDU {
		return false, &scriptError{p.name, s.line, fmt.Sprintf("APDU of %d bytes is too short: a command has at least CLA INS P1 P2", len(s.apdu))}
	}
	p.steps = append(p.steps, s)
	return false, nil
}

// decodeHexField decodes one whitespace-separated token of hex digits.
func decodeHexField(f string) ([]byte, error) {
	for i := 0; i < len(f); i++ {
		if !isHexDigit(f[i]) {
			return nil, fmt.Errorf("%s is not hex", quoteShort(f))
		}
	}
	if len(f)%2 != 0 {
		return nil, fmt.Errorf("odd number of hex digits in %s", quoteShort(f))
	}
	return hex.DecodeString(f)
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isWord reports whether s looks like a keyword: ASCII letters only.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 24
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
