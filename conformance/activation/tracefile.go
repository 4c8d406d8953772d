package activation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

// Limits of a trace file.
const (
	maxTraceLine   = 1 << 20  // bytes in one text line
	maxTraceEvents = 10000000 // events in one file
)

// ReadTraceFile reads a trace file as "sscard emulate --trace" writes it
// (text lines, emulator/trace) or as the control API serves it with
// ?format=json (a JSON array of events).
func ReadTraceFile(path string) ([]trace.Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading trace: %w", err)
	}
	defer f.Close()
	ev, err := ParseTrace(f)
	if err != nil {
		return nil, fmt.Errorf("reading trace %s: %w", path, err)
	}
	return ev, nil
}

// ParseTrace reads trace events in either form (see ReadTraceFile).
func ParseTrace(r io.Reader) ([]trace.Event, error) {
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
			return parseTraceJSON(br)
		}
		return parseTraceText(br)
	}
}

func parseTraceJSON(r io.Reader) ([]trace.Event, error) {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("trace JSON: %w", err)
	}
	var out []trace.Event
	for dec.More() {
		if len(out) >= maxTraceEvents {
			return nil, fmt.Errorf("trace JSON: more than %d events", maxTraceEvents)
		}
		var e trace.Event
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

func parseTraceText(r *bufio.Reader) ([]trace.Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxTraceLine)
	var out []trace.Event
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) >= maxTraceEvents {
			return nil, fmt.Errorf("line %d: more than %d events", n, maxTraceEvents)
		}
		e, err := ParseTraceLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxTraceLine)
		}
		return nil, err
	}
	return out, nil
}

// ParseTraceLine reads one text line written by trace.Event.AppendText:
//
//	TIME slot N DIR KIND [hex bytes] [text]
//
// The bytes are the two-digit hex tokens right after the kind; the text,
// if any, is the rest of the line.
func ParseTraceLine(line string) (trace.Event, error) {
	var e trace.Event
	f := strings.Fields(line)
	if len(f) < 5 {
		return e, fmt.Errorf("trace line %q: want TIME slot N DIR KIND", clipText(line))
	}
	t, err := time.Parse(time.RFC3339Nano, f[0])
	if err != nil {
		return e, fmt.Errorf("trace line %q: time: %v", clipText(line), err)
	}
	if f[1] != "slot" {
		return e, fmt.Errorf("trace line %q: want \"slot\" after the time", clipText(line))
	}
	slot, err := strconv.Atoi(f[2])
	if err != nil || slot < 0 || slot > 255 {
		return e, fmt.Errorf("trace line %q: slot %q", clipText(line), f[2])
	}
	if len(f[3]) != 1 || !strings.Contains("><*", f[3]) {
		return e, fmt.Errorf("trace line %q: direction %q is not >, < or *", clipText(line), f[3])
	}
	k, err := trace.ParseKind(f[4])
	if err != nil {
		return e, fmt.Errorf("trace line %q: %w", clipText(line), err)
	}
	e = trace.Event{Time: t, Slot: slot, Dir: trace.Dir(f[3][0]), Kind: k}
	rest := f[5:]
	var data []byte
	for len(rest) > 0 && len(rest[0]) == 2 && isHexByte(rest[0]) {
		v, _ := strconv.ParseUint(rest[0], 16, 8)
		data = append(data, byte(v))
		rest = rest[1:]
	}
	e.Data = data
	if len(rest) > 0 {
		// The text as written, its inner spacing kept. (A text starting
		// with a two-digit hex word reads as data: trace lines cannot tell
		// them apart.)
		e.Text = strings.TrimSpace(line[fieldOffset(line, len(f)-len(rest)):])
	}
	switch k {
	case trace.APDU, trace.Response:
		if len(rest) > 0 {
			return e, fmt.Errorf("trace line %q: %s takes hex bytes only", clipText(line), k)
		}
	}
	return e, nil
}

// fieldOffset returns the offset in s of field n (0-based, fields
// separated by spaces and tabs).
func fieldOffset(s string, n int) int {
	i, field := 0, -1
	in := false
	for i < len(s) {
		sp := s[i] == ' ' || s[i] == '\t'
		if !sp && !in {
			field++
			if field == n {
				return i
			}
		}
		in = !sp
		i++
	}
	return len(s)
}

func isHexByte(s string) bool {
	return isHexDigit(s[0]) && isHexDigit(s[1])
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func clipText(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// WriteTrace writes events as text lines (what ReadTraceFile reads).
func WriteTrace(w io.Writer, events []trace.Event) error {
	var b bytes.Buffer
	for _, e := range events {
		b.Write(e.AppendText(nil))
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}
