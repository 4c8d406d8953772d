package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/trace"
)

func init() {
	register(&command{
		name:    "trace",
		summary: "print a saved trace as readable text: link frames (sscard script --trace-out) or APDUs (sscard emulate --trace)",
		run:     runTrace,
	})
}

// traceDecoders read trace files of other formats; each reports whether
// the bytes are its format. Other files add theirs in init (a pcapng
// reader, say); the JSON of link.Trace.Save is always read.
var traceDecoders []func(data []byte) (t *link.Trace, ok bool, err error)

func runTrace(args []string, stdout, stderr io.Writer) int {
	f := newFlags("trace", "sscard trace [--interface contact|contactless] [--slot N] FILE|-", `
Print a saved trace as readable text.

A link trace saved by "sscard script --interface NAME --trace-out FILE"
(or a pcapng it wrote): one line per frame or event, in model time, with
the interface, the direction (> to the card, < from the card), the bytes,
what they are and the injected fault that changed them, if any:

      2.800179 ms  +21.250000 ms  contact      <  3B 6D 00 ...  ATR

Events (resets, deactivations, a reader's time-outs) have no bytes. The
last line sums up the frames per interface and the model time.

An APDU trace of "sscard emulate --trace FILE" (or "sscard ctl trace",
text or --json): one line per event with its time, slot and direction,
each command with what it asks and each response with what its status
word means:

  13:42:34.329001 slot 0 >  SELECT by name 7378...CF (SSSE)
                            00 A4 04 00 0F 73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF 00
  13:42:34.329050 slot 0 <  61 1E  30 response bytes still available

The last line counts the commands per slot.`)
	iface := f.String("interface", "", "print only the frames of interface `NAME` (contact or contactless)")
	slot := f.Int("slot", -1, "APDU traces: print only the events of slot `N`")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		return f.usageError(stderr, "want one trace FILE (or - for standard input)")
	}
	var only link.Interface
	switch *iface {
	case "":
		only = link.Any
	case "contact":
		only = link.Contact
	case "contactless":
		only = link.Contactless
	default:
		return f.usageError(stderr, fmt.Sprintf("--interface %q: want contact or contactless", *iface))
	}
	t, events, err := readAnyTrace(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "sscard trace: %v\n", err)
		return exitFail
	}
	w := bufio.NewWriter(stdout)
	if t != nil {
		writeTrace(w, t, only)
	} else {
		writeAPDUTrace(w, events, *slot)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "sscard trace: %v\n", err)
		return exitFail
	}
	return exitOK
}

// readAnyTrace reads a link trace (any format this program knows) or,
// failing that, an APDU trace (emulator/trace, text or JSON).
func readAnyTrace(path string) (*link.Trace, []trace.Event, error) {
	data, name, err := readTraceBytes(path)
	if err != nil {
		return nil, nil, err
	}
	t, lerr := decodeLinkTrace(data, name)
	if lerr == nil {
		return t, nil, nil
	}
	if events, err := trace.Read(bytes.NewReader(data)); err == nil && len(events) > 0 {
		return nil, events, nil
	}
	return nil, nil, lerr
}

// readTraceBytes reads a trace file, or standard input for "-", within
// link.MaxTraceFileSize.
func readTraceBytes(path string) ([]byte, string, error) {
	var r io.Reader = stdin
	name := stdinName
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("reading trace: %w", err)
		}
		defer fh.Close()
		r, name = fh, path
	}
	data, err := io.ReadAll(io.LimitReader(r, link.MaxTraceFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading trace %s: %w", name, err)
	}
	if len(data) > link.MaxTraceFileSize {
		return nil, "", fmt.Errorf("reading trace %s: more than %d bytes", name, link.MaxTraceFileSize)
	}
	return data, name, nil
}

// decodeLinkTrace decodes a link trace in any format this program knows.
func decodeLinkTrace(data []byte, name string) (*link.Trace, error) {
	for _, dec := range traceDecoders {
		if t, ok, err := dec(data); ok {
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return t, nil
		}
	}
	t, err := link.DecodeTrace(data)
	if err != nil {
		if errors.Is(err, link.ErrTraceFile) && len(data) > 0 && data[0] != '{' {
			return nil, fmt.Errorf("%s: not a trace file this program reads (sscard script --trace-out and sscard emulate --trace write them)", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// writeTrace prints the frames of interface only (link.Any: all).
func writeTrace(w io.Writer, t *link.Trace, only link.Interface) {
	counts := map[link.Interface]int{}
	var end time.Duration
	for _, f := range t.Frames {
		if only != link.Any && f.Interface != only {
			continue
		}
		end = max(end, f.End())
		arrow := ">"
		if f.Dir == link.FromCard {
			arrow = "<"
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%14s %14s  %-11s  %s  ", fmtModel(f.Start), "+"+fmtModel(f.Duration), f.Interface, arrow)
		switch {
		case f.IsEvent():
			sb.WriteString("-- " + f.Note)
		default:
			counts[f.Interface]++
			sb.WriteString(spacedHex(f.Data))
			if f.Bits != 0 {
				fmt.Fprintf(&sb, " (%d bits)", f.Bits)
			}
			if f.Note != "" {
				sb.WriteString("  " + f.Note)
			}
		}
		if f.Fault != "" {
			sb.WriteString("  [fault: " + f.Fault + "]")
		}
		fmt.Fprintln(w, sb.String())
	}
	var parts []string
	for _, i := range []link.Interface{link.Contact, link.Contactless} {
		if counts[i] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[i], i))
		}
	}
	if len(parts) == 0 {
		parts = []string{"no"}
	}
	fmt.Fprintf(w, "-- %s frames, %s of model time\n", strings.Join(parts, " and "), fmtModel(end))
}

// fmtModel prints model time in milliseconds, to the nanosecond.
func fmtModel(d time.Duration) string {
	return fmt.Sprintf("%d.%06d ms", d/time.Millisecond, d%time.Millisecond)
}

// writeAPDUTrace prints an APDU trace with what each command asks and
// each status word means; slot >= 0 keeps that slot only.
func writeAPDUTrace(w io.Writer, events []trace.Event, slot int) {
	commands := map[int]int{}
	var slots []int
	for _, e := range events {
		if slot >= 0 && e.Slot != slot {
			continue
		}
		head := fmt.Sprintf("%s slot %d %c ", e.Time.Format("15:04:05.000000"), e.Slot, e.Dir)
		switch e.Kind {
		case trace.APDU:
			if commands[e.Slot] == 0 {
				slots = append(slots, e.Slot)
			}
			commands[e.Slot]++
			fmt.Fprintf(w, "%s %s\n%s %s\n", head, trace.DescribeCommand(e.Data), strings.Repeat(" ", len(head)), spacedHex(e.Data))
		case trace.Response:
			fmt.Fprintf(w, "%s %s  %s\n", head, spacedHex(e.Data), trace.DescribeResponse(e.Data))
		default:
			line := head + " " + e.Kind.String()
			if len(e.Data) > 0 {
				line += " " + spacedHex(e.Data)
			}
			if e.Text != "" {
				line += "  " + e.Text
			}
			fmt.Fprintln(w, line)
		}
	}
	var parts []string
	for _, s := range slots {
		parts = append(parts, fmt.Sprintf("slot %d: %d", s, commands[s]))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(w, "-- commands: %s\n", strings.Join(parts, ", "))
}
