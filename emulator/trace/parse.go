package trace

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Limits of a trace read by Read.
const (
	MaxLine   = 1 << 20  // bytes in one text line
	MaxEvents = 10000000 // events in one trace
)

// ReadFile reads a trace file as "sscard emulate --trace" writes it (text
// lines) or as the control API serves it with ?format=json (a JSON array
// of events).
func ReadFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading trace: %w", err)
	}
	defer f.Close()
	ev, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("reading trace %s: %w", path, err)
	}
	return ev, nil
}

// Read reads trace events in either form (see ReadFile): text lines
// (blank lines and lines starting with # are skipped) or a JSON array.
func Read(r io.Reader) ([]Event, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case '[':
			return readJSON(br)
		}
		return readText(br)
	}
}

func readJSON(r io.Reader) ([]Event, error) {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("trace JSON: %w", err)
	}
	var out []Event
	for dec.More() {
		if len(out) >= MaxEvents {
			return nil, fmt.Errorf("trace JSON: more than %d events", MaxEvents)
		}
		var e Event
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("trace JSON: event %d: %w", len(out)+1, err)
		}
		out = append(out, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("trace JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trace JSON: data after the array")
	}
	return out, nil
}

func readText(r *bufio.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	var out []Event
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) >= MaxEvents {
			return nil, fmt.Errorf("line %d: more than %d events", n, MaxEvents)
		}
		e, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, MaxLine)
		}
		return nil, err
	}
	return out, nil
}

// ParseLine reads one text line written by Event.AppendText:
//
//	TIME slot N DIR KIND [hex bytes] [| ] [text]
//
// The bytes are the two-digit hex tokens right after the kind; the text is
// the rest of the line, after a "|" token when the writer put one (it
// does when the event has bytes, or when the text would read as bytes).
// Lines of older traces without the "|" read as before.
func ParseLine(line string) (Event, error) {
	var e Event
	f, at := fields(line)
	if len(f) < 5 {
		return e, fmt.Errorf("trace line %q: want TIME slot N DIR KIND", clip(line))
	}
	t, err := time.Parse(time.RFC3339Nano, f[0])
	if err != nil {
		return e, fmt.Errorf("trace line %q: time: %v", clip(line), err)
	}
	if f[1] != "slot" {
		return e, fmt.Errorf("trace line %q: want \"slot\" after the time", clip(line))
	}
	slot, err := strconv.Atoi(f[2])
	if err != nil || slot < 0 || slot > MaxSlot {
		return e, fmt.Errorf("trace line %q: slot %q", clip(line), f[2])
	}
	if len(f[3]) != 1 || !Dir(f[3][0]).valid() {
		return e, fmt.Errorf("trace line %q: direction %q is not >, < or *", clip(line), f[3])
	}
	k, err := ParseKind(f[4])
	if err != nil {
		return e, fmt.Errorf("trace line %q: %w", clip(line), err)
	}
	e = Event{Time: t, Slot: slot, Dir: Dir(f[3][0]), Kind: k}
	i := 5
	for ; i < len(f) && isHexByte(f[i]); i++ {
		v, _ := strconv.ParseUint(f[i], 16, 8)
		e.Data = append(e.Data, byte(v))
	}
	if i < len(f) {
		from := at[i]
		if f[i] == textMark {
			from += len(textMark)
		}
		// The text as written, its inner spacing kept.
		e.Text = strings.TrimSpace(line[from:])
	}
	switch k {
	case APDU, Response:
		if e.Text != "" {
			return e, fmt.Errorf("trace line %q: %s takes hex bytes only", clip(line), k)
		}
	}
	return e, nil
}

// fields splits s at spaces and tabs (what AppendText writes between
// fields) and returns the fields and their offsets in s.
func fields(s string) (f []string, at []int) {
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || s[i] == ' ' || s[i] == '\t'
		switch {
		case sep && start >= 0:
			f, at = append(f, s[start:i]), append(at, start)
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return f, at
}

// textMark separates an event's text from its bytes in a text line.
const textMark = "|"

// needsMark reports whether the text of an event must follow a "|" so
// that ParseLine reads it back as text: the event has bytes, or the text's
// first word would read as a byte or as the mark.
func needsMark(data []byte, text string) bool {
	if len(data) > 0 {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimLeft(text, " \t"), " ")
	first, _, _ = strings.Cut(first, "\t")
	return isHexByte(first) || first == textMark
}

func isHexByte(s string) bool {
	return len(s) == 2 && isHexDigit(s[0]) && isHexDigit(s[1])
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
