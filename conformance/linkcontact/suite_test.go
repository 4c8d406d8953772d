package linkcontact

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// TestReferenceIFD runs the suite against the reference IFD.
func TestReferenceIFD(t *testing.T) { Run(t, ifd.Reference) }

// TestSuiteRegistered runs the registered suite through the conformance
// runner, as "sscard conform --suite link-contact" does.
func TestSuiteRegistered(t *testing.T) {
	rep, err := conformance.Execute(conformance.Model(), conformance.Options{Selection: conformance.Selection{Suites: []string{SuiteName}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(allCases) || !rep.OK() {
		for _, r := range rep.Results {
			if r.Outcome != conformance.Pass {
				t.Errorf("%s: %s %s %v", r.ID, r.Outcome, r.Reason, r.Failures)
			}
		}
		t.Fatalf("%d results for %d cases", len(rep.Results), len(allCases))
	}
	// The gen2 card: contact only, T=0; the suite runs on it too.
	m, err := conformance.NewModel("gen2", "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = conformance.Execute(m, conformance.Options{Selection: conformance.Selection{Suites: []string{SuiteName}, Cases: []string{"LINK-C-00*", "LINK-C-03*"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Outcome != conformance.Pass {
			t.Errorf("gen2 %s: %s %s %v", r.ID, r.Outcome, r.Reason, r.Failures)
		}
	}
}

// pipeFactory runs each reader behind the frame stream, in process.
func pipeFactory(inner ifd.Factory) ifd.Factory {
	return func(line contact.Line) (ifd.Reader, error) {
		a, b := net.Pipe()
		go ifd.Serve(b, inner)
		return ifd.NewRemote(a, line, a), nil
	}
}

// TestSuiteOverFrameStream runs the whole suite with the reference IFD on
// the far side of the frame stream.
func TestSuiteOverFrameStream(t *testing.T) { Run(t, pipeFactory(ifd.Reference)) }

// TestHelperReader is the reference IFD as a program speaking the frame
// stream on standard input and output, for TestSuiteOverProcess.
func TestHelperReader(t *testing.T) {
	if os.Getenv("SSCARD_TEST_READER") != "1" {
		t.Skip("helper process")
	}
	rw := struct {
		io.Reader
		io.Writer
	}{os.Stdin, os.Stdout}
	if err := ifd.Serve(rw, ifd.Reference); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestSuiteOverProcess runs a case against a reader that is another
// program (this test binary as the reference IFD).
func TestSuiteOverProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Setenv("SSCARD_TEST_READER", "1")
	f := ifd.Command(os.Stderr, os.Args[0], "-test.run=^TestHelperReader$")
	base, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	// One case: each reader is a process, and starting one costs.
	for _, id := range []string{"LINK-C-031"} {
		c := caseByID(t, id)
		rec := runCase(c, f, base)
		if len(rec.fails) > 0 || rec.skipped {
			t.Errorf("%s: %q (skipped %v)", id, rec.fails, rec.skipped)
		}
	}
}

func caseByID(t *testing.T, id string) Case {
	for _, c := range allCases {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return Case{}
}

// recorder is a Reporter that keeps the failures.
type recorder struct {
	fails   []string
	skipped bool
}

type stop struct{}

func (r *recorder) Errorf(format string, args ...any) {
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(stop{})
}
func (r *recorder) Skipf(format string, args ...any) { r.skipped = true; panic(stop{}) }

func runCase(c Case, f ifd.Factory, base *profile.Profile) (rec *recorder) {
	rec = &recorder{}
	e := newEnv(rec, f, base)
	defer func() {
		e.Close()
		if v := recover(); v != nil {
			if _, ok := v.(stop); !ok {
				panic(v)
			}
		}
	}()
	c.Run(e)
	return rec
}

// Broken readers: the reference IFD with one fault of its own. The suite
// must catch each in the cases named.

// lineMutant wraps the line the reader sees.
type lineMutant struct {
	contact.Line
	send    func(l contact.Line, f []byte) error
	receive func(l contact.Line, wait time.Duration) ([]byte, error)
	reset   func(l contact.Line, cold bool) ([]byte, error)
	wtx     int
}

func (m *lineMutant) Send(f []byte) error {
	if m.send != nil {
		return m.send(m.Line, f)
	}
	return m.Line.Send(f)
}
func (m *lineMutant) Receive(w time.Duration) ([]byte, error) {
	if m.receive != nil {
		return m.receive(m.Line, w)
	}
	return m.Line.Receive(w)
}
func (m *lineMutant) Reset(cold bool) ([]byte, error) {
	if m.reset != nil {
		return m.reset(m.Line, cold)
	}
	return m.Line.Reset(cold)
}

func mutant(wrap func(l contact.Line) contact.Line) ifd.Factory {
	return func(line contact.Line) (ifd.Reader, error) { return ifd.New(wrap(line), ifd.Config{}), nil }
}

// readerMutant wraps the reader.
type readerMutant struct {
	ifd.Reader
	transmit func(r ifd.Reader, c []byte) ([]byte, error)
}

func (m readerMutant) Transmit(c []byte) ([]byte, error) { return m.transmit(m.Reader, c) }

func TestSuiteCatchesBrokenReaders(t *testing.T) {
	base, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		f     ifd.Factory
		cases []string
	}{
		{"waits 60% of the waiting times", mutant(func(l contact.Line) contact.Line {
			return &lineMutant{Line: l, receive: func(l contact.Line, w time.Duration) ([]byte, error) { return l.Receive(w * 6 / 10) }}
		}), []string{"LINK-C-012", "LINK-C-019", "LINK-C-033", "LINK-C-035"}},
		{"ignores the WTX multiplier", mutant(func(l contact.Line) contact.Line {
			m := &lineMutant{Line: l}
			m.send = func(l contact.Line, f []byte) error {
				if b, err := contact.ParseBlock(f, false); err == nil && b.Kind() == contact.KindS && b.SFunc() == contact.SWTX {
					m.wtx = int(b.INF[0])
				}
				return l.Send(f)
			}
			m.receive = func(l contact.Line, w time.Duration) ([]byte, error) {
				if m.wtx > 0 {
					w /= time.Duration(m.wtx)
					m.wtx = 0
				}
				return l.Receive(w)
			}
			return m
		}), []string{"LINK-C-035"}},
		{"R-blocks without error bits", mutant(func(l contact.Line) contact.Line {
			return &lineMutant{Line: l, send: func(l contact.Line, f []byte) error {
				if b, err := contact.ParseBlock(f, false); err == nil && b.Kind() == contact.KindR {
					f = contact.AppendBlock(nil, 0, contact.RPCB(b.NR(), contact.RErrNone), nil, false)
				}
				return l.Send(f)
			}}
		}), []string{"LINK-C-031"}},
		{"believes IFSC is 254", mutant(func(l contact.Line) contact.Line {
			return &lineMutant{Line: l, reset: func(l contact.Line, cold bool) ([]byte, error) {
				atr, err := l.Reset(cold)
				if err != nil {
					return atr, err
				}
				a, perr := iso7816.ParseATR(atr)
				if perr != nil || !containsT1(a) {
					return atr, err
				}
				return iso7816.BuildATR(iso7816.ATRSpec{Protocols: a.Protocols, IFSC: 254, Historical: a.Historical})
			}}
		}), []string{"LINK-C-030"}},
		{"no GET RESPONSE", func(line contact.Line) (ifd.Reader, error) {
			return readerMutant{Reader: ifd.New(line, ifd.Config{}), transmit: func(r ifd.Reader, c []byte) ([]byte, error) {
				if cmd, err := iso7816.ParseCommand(c); err == nil && cmd.Case() == 4 {
					cmd.Ne = 0
					c, _ = cmd.Bytes()
				}
				return r.Transmit(c)
			}}, nil
		}, []string{"LINK-C-010"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, id := range tc.cases {
				rec := runCase(caseByID(t, id), tc.f, base)
				if len(rec.fails) == 0 {
					t.Errorf("%s passed a reader that %s", id, tc.name)
				} else {
					t.Logf("%s: %s", id, strings.SplitN(rec.fails[0], "\n", 2)[0])
				}
			}
		})
	}
}

func containsT1(a *iso7816.ATR) bool {
	for _, p := range a.Protocols {
		if p == 1 {
			return true
		}
	}
	return false
}

// The registered suite plays against the reader SSCARD_IFD names: a
// program (this test binary as the reference IFD) passes; a spec that
// names no reader fails every case with the reason.
func TestSuiteRegisteredReaderFromEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Setenv("SSCARD_TEST_READER", "1")
	sel := conformance.Options{Selection: conformance.Selection{Suites: []string{SuiteName}, Cases: []string{"LINK-C-031"}}}
	t.Setenv("SSCARD_IFD", "exec:"+os.Args[0]+" -test.run=^TestHelperReader$")
	rep, err := conformance.Execute(conformance.Model(), sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || !rep.OK() {
		t.Fatalf("against the reference IFD as a program: %+v", rep.Results)
	}
	t.Setenv("SSCARD_IFD", "serial:/dev/ttyS0")
	rep, err = conformance.Execute(conformance.Model(), sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.OK() {
		t.Fatalf("against no reader: %+v", rep.Results)
	}
	if r := rep.Results[0]; !strings.Contains(fmt.Sprint(r.Failures, r.Reason), "serial:/dev/ttyS0") {
		t.Errorf("the failure does not name the spec: %+v", r)
	}
}
