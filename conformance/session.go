package conformance

import (
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// Exchange is one command and its response, as recorded.
type Exchange struct {
	Device   string   `json:"device"` // "card" or "psam"
	Step     string   `json:"step,omitempty"`
	Command  HexBytes `json:"command"`
	Response HexBytes `json:"response,omitempty"`
	Err      string   `json:"error,omitempty"`
	// VolatileCommand and VolatileResponse mark bytes that legitimately
	// differ from card to card (challenges, cryptograms, MACs): differential
	// runs compare only their status words.
	VolatileCommand  bool `json:"volatileCommand,omitempty"`
	VolatileResponse bool `json:"volatileResponse,omitempty"`
}

// HexBytes prints and marshals as upper-case hex.
type HexBytes []byte

func (h HexBytes) String() string { return spaced(h) }

// MarshalText gives the hex form.
func (h HexBytes) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("%X", []byte(h))), nil }

// UnmarshalText reads the hex form.
func (h *HexBytes) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	*h = v
	return err
}

func spaced(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

// Failure is one expectation that did not hold.
type Failure struct {
	Step     string `json:"step,omitempty"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got,omitempty"`
	Diff     string `json:"diff,omitempty"`
}

// S is the state of one case while it runs: the card (and PSAM) behind
// recording transports, the profile the card is checked against, and the
// failures so far.
type S struct {
	c        *Case
	prof     *profile.Profile
	card     *recorder
	psam     *recorder
	step     string
	log      []Exchange
	failures []Failure
	skip     string
	ssc      *terminal.SSC
	// lost is the first transport error: the card could not be reached.
	lost error
}

// stopCase unwinds a case on Fatalf or Skip.
type stopCase struct{}

// Profile returns the profile the card is checked against.
func (s *S) Profile() *profile.Profile { return s.prof }

// Card returns the card's transport; every exchange through it is recorded.
func (s *S) Card() terminal.Transport { return s.card }

// PSAMTransport returns the PSAM's transport (recorded), or nil.
func (s *S) PSAMTransport() terminal.Transport {
	if s.psam == nil {
		return nil
	}
	return s.psam
}

// Step names the part of the case the next exchanges belong to.
func (s *S) Step(format string, args ...any) { s.step = fmt.Sprintf(format, args...) }

// Errorf records a failure and lets the case go on.
func (s *S) Errorf(format string, args ...any) {
	s.failures = append(s.failures, Failure{Step: s.step, Message: fmt.Sprintf(format, args...)})
}

// Fatalf records a failure and ends the case.
func (s *S) Fatalf(format string, args ...any) {
	s.Errorf(format, args...)
	panic(stopCase{})
}

// Skip ends the case as skipped, with a reason.
func (s *S) Skip(format string, args ...any) {
	s.skip = fmt.Sprintf(format, args...)
	panic(stopCase{})
}

// Volatile marks the command of the last card exchange as depending on
// randomness (a MAC over a challenge sent in a class that does not show
// it), so that differential runs compare only its status word.
func (s *S) Volatile() {
	for i := len(s.log) - 1; i >= 0; i-- {
		if s.log[i].Device == "card" {
			s.log[i].VolatileCommand = true
			return
		}
	}
}

// Failed reports whether the case has failed so far.
func (s *S) Failed() bool { return len(s.failures) > 0 }

// Send transmits a command (hex text or bytes) as is, without T=0
// handling, and returns the response. A transport error ends the case.
func (s *S) Send(capdu any) iso7816.Response {
	raw := s.bytes(capdu)
	out, err := s.card.Transmit(raw)
	if err != nil {
		s.Fatalf("transmitting %s: %v", spaced(raw), err)
	}
	r, err := iso7816.ParseResponse(out)
	if err != nil {
		s.Fatalf("response %s to %s is not a response APDU", spaced(out), spaced(raw))
	}
	r.Data = append([]byte(nil), r.Data...)
	return r
}

// Exchange sends a command with the T=0 handling of a terminal (61xx, 6Cxx).
func (s *S) Exchange(cmd iso7816.Command) iso7816.Response {
	r, err := terminal.Exchange(s.card, cmd)
	if err != nil {
		s.Fatalf("%v", err)
	}
	return r
}

// Expect sends capdu (hex or bytes) as is and checks the response.
func (s *S) Expect(capdu any, checks ...Check) iso7816.Response {
	r := s.Send(capdu)
	s.Check(r, checks...)
	return r
}

// Check applies checks to a response and records the failures.
func (s *S) Check(r iso7816.Response, checks ...Check) bool {
	ok := true
	for _, c := range checks {
		if f, bad := c(r); bad {
			f.Step = s.step
			s.failures = append(s.failures, f)
			ok = false
		}
	}
	return ok
}

// Must is Expect that ends the case when a check fails (for set-up steps
// the rest of the case depends on).
func (s *S) Must(capdu any, checks ...Check) iso7816.Response {
	r := s.Send(capdu)
	if !s.Check(r, checks...) {
		panic(stopCase{})
	}
	return r
}

// Session returns the terminal-side session on the card with the SSSE
// selected and, when the case has a PSAM, the PSAM ready (DF01 selected).
// Failing to open it ends the case.
func (s *S) Session() *terminal.SSC {
	if s.ssc != nil {
		return s.ssc
	}
	ssc := &terminal.SSC{T: s.card}
	if s.psam != nil {
		ps := &terminal.PSAM{T: s.psam}
		if err := ps.Select(); err != nil {
			s.Fatalf("PSAM: %v", err)
		}
		ssc.PSAM = ps
	}
	if err := ssc.Open(); err != nil {
		s.Fatalf("%v", err)
	}
	s.ssc = ssc
	return ssc
}

// OK ends the case with a failure if err is not nil.
func (s *S) OK(err error, what string) {
	if err != nil {
		s.Fatalf("%s: %v", what, err)
	}
}

func (s *S) bytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		b, err := hex.DecodeString(strings.ReplaceAll(x, " ", ""))
		if err != nil {
			panic(fmt.Sprintf("case %s: bad hex literal %q", s.c.ID, x))
		}
		return b
	}
	panic(fmt.Sprintf("case %s: command of type %T", s.c.ID, v))
}

// recorder is a Transport that logs every exchange into the case.
type recorder struct {
	s      *S
	device string
	t      terminal.Transport
	chal   bool // the last command was GET CHALLENGE
}

func (r *recorder) Transmit(c []byte) ([]byte, error) {
	e := Exchange{Device: r.device, Step: r.s.step, Command: append([]byte(nil), c...)}
	e.VolatileCommand, e.VolatileResponse = volatility(r.device, c)
	out, err := r.t.Transmit(c)
	if err != nil {
		e.Err = err.Error()
		if r.s.lost == nil {
			r.s.lost = fmt.Errorf("%s: %w", r.device, err)
		}
	} else {
		e.Response = append([]byte(nil), out...)
	}
	r.s.log = append(r.s.log, e)
	return out, err
}

// volatility says which bytes of an exchange depend on randomness: the
// card's challenges, the cryptograms and MACs made from them, and every
// PSAM computation.
func volatility(device string, c []byte) (cmd, resp bool) {
	if device == "psam" {
		return true, true
	}
	if len(c) < 4 {
		return false, false
	}
	switch {
	case c[1] == 0x84 && c[0]&0x80 == 0: // GET CHALLENGE
		return false, true
	case c[1] == 0x82: // EXTERNAL AUTHENTICATE
		return true, false
	case c[1] == 0x20 && c[2] == 0x01 && len(c) > 5: // PKI PIN: SM4 of the challenge
		return true, false
	case c[1] == 0x2A: // PSO: the signed challenge, and a signature with a random k
		return true, true
	case c[0]&0xF0 == 0x80 && c[1] == 0xAE: // GENERATE AC: cryptograms over the terminal's unpredictable number
		return true, true
	case c[0]&0xF0 == 0x80 && c[1] == 0xA8: // GPO: qUICS answers carry a cryptogram and fDDA
		return true, true
	case c[1] == 0x88 && len(c) > 5 && c[4] == 4: // INTERNAL AUTHENTICATE for DDA: a signature over the card's own nonce
		return true, true
	case c[0]&0x0C == 0x04: // secure messaging: the MAC
		return true, false
	}
	return false, false
}

// runCase runs c with s, catching Fatalf/Skip and panics of the case code
// (a hostile card must not crash the harness).
func runCase(s *S) (panicked string) {
	done := make(chan string, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stopCase); ok {
					done <- ""
					return
				}
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				done <- fmt.Sprintf("%v\n%s", v, buf)
				return
			}
			done <- ""
		}()
		s.c.Run(s)
	}()
	return <-done
}
