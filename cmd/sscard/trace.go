package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sscard/sscard/emulator/link"
)

func init() {
	register(&command{
		name:    "trace",
		summary: "print a saved link trace (sscard script --trace-out) as readable text",
		run:     runTrace,
	})
}

// traceDecoders read trace files of other formats; each reports whether
// the bytes are its format. Other files add theirs in init (a pcapng
// reader, say); the JSON of link.Trace.Save is always read.
var traceDecoders []func(data []byte) (t *link.Trace, ok bool, err error)

func runTrace(args []string, stdout, stderr io.Writer) int {
	f := newFlags("trace", "sscard trace [--interface contact|contactless] FILE|-", `
Print a link trace saved by "sscard script --interface NAME --trace-out
FILE": one line per frame or event, in model time, with the interface,
the direction (> to the card, < from the card), the bytes, what they are
and the injected fault that changed them, if any:

      2.800179 ms  +21.250000 ms  contact      <  3B 6D 00 ...  ATR

Events (resets, deactivations, a reader's time-outs) have no bytes. The
last line sums up the frames per interface and the model time.`)
	iface := f.String("interface", "", "print only the frames of interface `NAME` (contact or contactless)")
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
	t, err := readTraceFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "sscard trace: %v\n", err)
		return exitFail
	}
	w := bufio.NewWriter(stdout)
	writeTrace(w, t, only)
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "sscard trace: %v\n", err)
		return exitFail
	}
	return exitOK
}

// readTraceFile reads a trace file in any format this program knows.
func readTraceFile(path string) (*link.Trace, error) {
	var r io.Reader = stdin
	name := stdinName
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading trace: %w", err)
		}
		defer fh.Close()
		r, name = fh, path
	}
	data, err := io.ReadAll(io.LimitReader(r, link.MaxTraceFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading trace %s: %w", name, err)
	}
	if len(data) > link.MaxTraceFileSize {
		return nil, fmt.Errorf("reading trace %s: more than %d bytes", name, link.MaxTraceFileSize)
	}
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
			return nil, fmt.Errorf("%s: not a trace file this program reads (sscard script --trace-out writes them)", name)
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
