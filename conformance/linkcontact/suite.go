package linkcontact

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/profile"
)

// SuiteName is the name the suite registers under.
const SuiteName = "link-contact"

func init() {
	conformance.Register(&conformance.Suite{
		ModelOnly: true,
		Name:      SuiteName,
		Title:     "Reader link layer, contact (ISO/IEC 7816-3): a reader (the reference IFD by default) against the card side with injected faults",
		Cases:     ConformanceCases(readerUnderTest),
	})
}

// Reader builds the readers the registered suite plays against, one per
// case. Nil: the reader the environment variable SSCARD_IFD names
// ("exec:PROGRAM [ARGS]", "tcp:HOST:PORT" or "unix:PATH", see
// ifd.OpenFactory), or the reference IFD. `sscard conform --ifd` sets it.
var Reader ifd.Factory

// readerUnderTest is the registered suite's factory: Reader, SSCARD_IFD
// or the reference IFD, looked up for each case.
func readerUnderTest(line contact.Line) (ifd.Reader, error) {
	if Reader != nil {
		return Reader(line)
	}
	if spec := os.Getenv("SSCARD_IFD"); spec != "" {
		f, err := ifd.OpenFactory(spec, os.Stderr)
		if err != nil {
			return nil, err
		}
		return f(line)
	}
	return ifd.Reference(line)
}

// Cases returns the cases in order.
func Cases() []Case { return slices.Clone(allCases) }

// ConformanceCases returns the cases as conformance cases testing the
// readers f builds. Each case runs on a card of the case's persona (or the
// card the target declares), its ATR changed as the case needs.
func ConformanceCases(f ifd.Factory) []*conformance.Case {
	var out []*conformance.Case
	for _, c := range allCases {
		out = append(out, &conformance.Case{
			ID: c.ID, Title: c.Title, Clause: c.Clause,
			Requires: func(p *profile.Profile) string {
				if !p.Interfaces.Contact {
					return "the card has no contact interface"
				}
				return ""
			},
			Run: func(s *conformance.S) {
				e := newEnv(sReporter{s}, f, s.Profile())
				defer e.Close()
				c.Run(e)
			},
		})
	}
	return out
}

// sReporter adapts a conformance case to Reporter.
type sReporter struct{ s *conformance.S }

func (r sReporter) Errorf(format string, args ...any) { r.s.Errorf(format, args...) }
func (r sReporter) Fatalf(format string, args ...any) { r.s.Fatalf(format, args...) }
func (r sReporter) Skipf(format string, args ...any)  { r.s.Skip(format, args...) }

// Run runs every case against the readers f builds, as parallel subtests
// of t, on the persona "activated":
//
//	func TestMyReader(t *testing.T) { linkcontact.Run(t, ifd.Command(os.Stderr, "./my-reader")) }
func Run(t *testing.T, f ifd.Factory) {
	t.Helper()
	base, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range allCases {
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, f, base)
			defer e.Close()
			c.Run(e)
		})
	}
}

// String describes a case.
func (c Case) String() string { return fmt.Sprintf("%s %s (%s)", c.ID, c.Title, c.Clause) }
