package link

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// TraceFormat names the JSON document a saved trace is: the first member of
// the object, so a reader can tell a trace from other JSON at a glance.
const TraceFormat = "sscard-link-trace"

// TraceVersion is the version of the trace file layout this package writes
// and reads.
const TraceVersion = 1

// MaxTraceFileSize bounds what ReadTrace and LoadTrace read.
const MaxTraceFileSize = 256 << 20

// maxTraceRead is MaxTraceFileSize, smaller in tests.
var maxTraceRead = MaxTraceFileSize

// ErrTraceFile is wrapped by every error about the content of a trace file.
var ErrTraceFile = errors.New("not a valid link trace")

// The saved trace is a JSON object:
//
//	{"format": "sscard-link-trace", "version": 1, "frames": [
//	  {"interface": "contact", "dir": "to-card", "data": "00A40400", "startNs": 0, "durationNs": 4166, "note": "..."},
//	  {"interface": "contact", "dir": "from-card", "startNs": 5000, "durationNs": 1000000, "note": "no answer ..."}
//	]}
//
// data is upper-case hex (absent for an event), bits the length of a short
// frame, startNs and durationNs the model time in nanoseconds, note and
// fault as in Frame.
type traceFile struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Frames  []frameJSON `json:"frames"`
}

type frameJSON struct {
	Interface  string `json:"interface"`
	Dir        string `json:"dir"`
	Data       string `json:"data,omitempty"`
	Bits       int    `json:"bits,omitempty"`
	StartNs    int64  `json:"startNs"`
	DurationNs int64  `json:"durationNs"`
	Note       string `json:"note,omitempty"`
	Fault      string `json:"fault,omitempty"`
}

func dirName(d Direction) string {
	if d == FromCard {
		return "from-card"
	}
	return "to-card"
}

// WriteJSON writes the trace as a JSON document (see LoadTrace), one frame
// per line.
func (t *Trace) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\"format\": %q, \"version\": %d, \"frames\": [", TraceFormat, TraceVersion)
	for i, f := range t.Frames {
		j := frameJSON{
			Interface: f.Interface.String(), Dir: dirName(f.Dir), Bits: f.Bits,
			StartNs: int64(f.Start), DurationNs: int64(f.Duration), Note: f.Note, Fault: f.Fault,
		}
		if len(f.Data) > 0 {
			j.Data = fmt.Sprintf("%X", f.Data)
		}
		line, err := json.Marshal(j)
		if err != nil {
			return fmt.Errorf("writing trace: %w", err)
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n  ")
		bw.Write(line)
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing trace: %w", err)
	}
	return nil
}

// ReadTrace reads a trace written by WriteJSON. Unknown members are an
// error, as are a wrong format or version, bad hex, unknown interfaces or
// directions, and negative times.
func ReadTrace(r io.Reader) (*Trace, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxTraceRead)+1))
	if err != nil {
		return nil, fmt.Errorf("reading trace: %w", err)
	}
	if len(data) > maxTraceRead {
		return nil, fmt.Errorf("reading trace: %w: more than %d bytes", ErrTraceFile, maxTraceRead)
	}
	return DecodeTrace(data)
}

// DecodeTrace decodes the bytes of a trace file (see ReadTrace).
func DecodeTrace(data []byte) (*Trace, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var tf traceFile
	if err := dec.Decode(&tf); err != nil {
		return nil, fmt.Errorf("reading trace: %w: %v", ErrTraceFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading trace: %w: data after the trace object", ErrTraceFile)
	}
	if tf.Format != TraceFormat {
		return nil, fmt.Errorf("reading trace: %w: format %q, want %q", ErrTraceFile, tf.Format, TraceFormat)
	}
	if tf.Version != TraceVersion {
		return nil, fmt.Errorf("reading trace: %w: version %d, this program reads %d", ErrTraceFile, tf.Version, TraceVersion)
	}
	t := &Trace{Frames: make([]Frame, 0, len(tf.Frames))}
	for i, j := range tf.Frames {
		f, err := j.frame()
		if err != nil {
			return nil, fmt.Errorf("reading trace: %w: frame %d: %v", ErrTraceFile, i, err)
		}
		t.Frames = append(t.Frames, f)
	}
	return t, nil
}

func (j frameJSON) frame() (Frame, error) {
	f := Frame{Bits: j.Bits, Start: time.Duration(j.StartNs), Duration: time.Duration(j.DurationNs), Note: j.Note, Fault: j.Fault}
	switch j.Interface {
	case "contact":
		f.Interface = Contact
	case "contactless":
		f.Interface = Contactless
	case "any":
		f.Interface = Any
	default:
		return f, fmt.Errorf("interface %q", j.Interface)
	}
	switch j.Dir {
	case "to-card":
		f.Dir = ToCard
	case "from-card":
		f.Dir = FromCard
	default:
		return f, fmt.Errorf("dir %q is neither to-card nor from-card", j.Dir)
	}
	if j.StartNs < 0 || j.DurationNs < 0 {
		return f, errors.New("negative time")
	}
	if j.Bits < 0 || j.Bits > 7 {
		return f, fmt.Errorf("bits %d outside 0..7", j.Bits)
	}
	if j.Data != "" {
		d, err := hex.DecodeString(j.Data)
		if err != nil {
			return f, fmt.Errorf("data: %v", err)
		}
		f.Data = d
	}
	return f, nil
}

// Save writes the trace to path as JSON, atomically: a temporary file in the
// same directory, synced, then renamed over path.
func (t *Trace) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("saving trace: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := t.WriteJSON(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("saving trace %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving trace %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving trace %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving trace: %w", err)
	}
	return nil
}

// LoadTrace reads a trace file written by Save.
func LoadTrace(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading trace: %w", err)
	}
	defer f.Close()
	t, err := ReadTrace(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
