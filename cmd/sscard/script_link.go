package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sscard/sscard/conformance/ifd"
	_ "github.com/sscard/sscard/conformance/linkcontact" // the "link-contact" suite of sscard conform
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/link"
)

// "sscard script --interface NAME" runs the script through the full stack
// of an interface: the reference reader, the frames of the link layer and
// the card side, activation included, every frame traced in model time.

// linkSession is a card reached through the link layer of one interface:
// Transmit goes through the reader, Reset resets the card through the link.
type linkSession interface {
	scriptCard
	// Close deactivates the card.
	Close() error
}

// linkOptions is what a link runner gets besides the card.
type linkOptions struct {
	// Trace receives every frame and event.
	Trace *link.Trace
	// Faults break the card's frames (nil: none).
	Faults *link.Injector
}

// linkRunner opens a session on the card through one interface, the card
// activated.
type linkRunner func(c *emulator.Card, opt linkOptions) (linkSession, error)

// linkRunners holds the interfaces --interface can name. The contact
// interface is here; each other interface adds its runner from its own
// file, in init.
var linkRunners = map[string]linkRunner{"contact": openContact}

// traceOutput is an output of the link trace chosen by a flag of its own,
// added by another file in init (the pcapng writer of the contactless
// interface, say): --NAME FILE writes the trace to FILE.
type traceOutput struct {
	flag  string // flag name, e.g. "pcapng"
	usage string // flag usage, e.g. "with --interface: write ... to `FILE`"
	write func(path string, t *link.Trace) error
}

// traceOutputs are the outputs besides --trace-out.
var traceOutputs []traceOutput

// scriptLink holds the link-layer flags of "sscard script".
type scriptLink struct {
	f        *flags
	iface    *string
	traceOut *string
	faults   multiFlag
	outputs  []*string // the paths of traceOutputs, in order
}

// addLinkFlags defines --interface, --trace-out and --fault (and the flags
// of linkOutputs) on the script's flag set.
func addLinkFlags(f *flags) *scriptLink {
	l := &scriptLink{f: f}
	names := slices.Sorted(maps.Keys(linkRunners))
	l.iface = f.String("interface", "", "run the script through the link layer of interface `NAME` ("+strings.Join(names, " or ")+"): reference reader, frames, card side, activation included")
	l.traceOut = f.String("trace-out", "", "with --interface: write the trace of every frame to `FILE` (JSON; print it with sscard trace)")
	f.Var(&l.faults, "fault", "with --interface: inject `SCOPE:KIND[=ARG]:TRIGGER` into the card's frames, e.g. contact:edc:nth=2 (repeatable; seeded by --seed)")
	for _, o := range traceOutputs {
		l.outputs = append(l.outputs, f.String(o.flag, "", o.usage))
	}
	return l
}

// outputsGiven reports whether an output flag of traceOutputs was given.
func (l *scriptLink) outputsGiven() bool {
	for _, p := range l.outputs {
		if *p != "" {
			return true
		}
	}
	return false
}

// check reports a misuse of the link flags, for a usage error ("" if none).
func (l *scriptLink) check() string {
	if *l.iface == "" {
		if l.f.isSet("trace-out") || len(l.faults) > 0 || l.outputsGiven() {
			return "the trace outputs and --fault need --interface"
		}
		return ""
	}
	if l.f.isSet("reader") {
		return "--interface runs the script on the emulated card through a link layer: no --reader"
	}
	if _, ok := linkRunners[*l.iface]; !ok {
		return fmt.Sprintf("--interface %q: want %s", *l.iface, strings.Join(slices.Sorted(maps.Keys(linkRunners)), " or "))
	}
	for _, s := range l.faults {
		if _, err := link.ParseFault(s); err != nil {
			return err.Error()
		}
	}
	return ""
}

// runSteps runs the steps on c: straight into the card, or through the
// link layer of --interface, writing the trace at the end (even after a
// transport error).
func (l *scriptLink) runSteps(c *emulator.Card, steps []step, name string, w io.Writer, explain bool) error {
	if *l.iface == "" {
		return runSteps(c, steps, name, w, explain)
	}
	var fs []link.Fault
	for _, s := range l.faults {
		f, err := link.ParseFault(s)
		if err != nil {
			return err
		}
		fs = append(fs, f)
	}
	var seed uint64
	if fl := l.f.Lookup("seed"); fl != nil {
		seed, _ = strconv.ParseUint(fl.Value.String(), 10, 64)
	}
	opt := linkOptions{Trace: &link.Trace{}}
	if len(fs) > 0 {
		opt.Faults = link.NewInjector(seed, fs...)
	}
	sess, err := linkRunners[*l.iface](c, opt)
	var runErr error
	if err != nil {
		runErr = fmt.Errorf("activating the card through the %s interface: %w", *l.iface, err)
	} else {
		runErr = runStepsOn(sess, steps, name, w, explain)
		if err := sess.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	if *l.traceOut != "" {
		if err := opt.Trace.Save(*l.traceOut); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	for i, p := range l.outputs {
		if *p == "" {
			continue
		}
		if err := traceOutputs[i].write(*p, opt.Trace); err != nil {
			runErr = errors.Join(runErr, err)
		}
	}
	return runErr
}

// contactSession is the card behind the reference IFD on the contact
// interface.
type contactSession struct {
	r *ifd.IFD
}

func openContact(c *emulator.Card, opt linkOptions) (linkSession, error) {
	icc, err := contact.New(c, contact.Config{Trace: opt.Trace, Faults: opt.Faults})
	if err != nil {
		return nil, err
	}
	r := ifd.New(icc, ifd.Config{})
	if _, err := r.Activate(); err != nil {
		return nil, err
	}
	return contactSession{r}, nil
}

func (s contactSession) Transmit(capdu []byte) ([]byte, error) { return s.r.Transmit(capdu) }
func (s contactSession) Reset() ([]byte, error)                { return s.r.WarmReset() }
func (s contactSession) Close() error                          { return s.r.Close() }
