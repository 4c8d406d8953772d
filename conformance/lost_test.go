package conformance_test

import (
	"errors"
	"testing"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// flaky is a card that stops answering after n commands, like a card pulled
// out of the reader mid-run.
type flaky struct {
	c *emulator.Card
	n int
}

var errGone = errors.New("reader gone")

func (f *flaky) Transmit(b []byte) ([]byte, error) {
	if f.n == 0 {
		return nil, errGone
	}
	f.n--
	return f.c.Transmit(b)
}

func TestRunStopsWhenTheCardIsLost(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p)
	if err != nil {
		t.Fatal(err)
	}
	target := &conformance.CardTarget{Label: "flaky", Declared: p, Card: &flaky{c: c, n: 25}}
	rep, err := conformance.Execute(target, conformance.Options{})
	if !errors.Is(err, conformance.ErrCardLost) || !errors.Is(err, errGone) {
		t.Fatalf("err = %v, want ErrCardLost wrapping the transport error", err)
	}
	if rep != nil {
		t.Error("a lost card must give no report")
	}
}

func TestRealCardTargetPassesWhenHealthy(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p)
	if err != nil {
		t.Fatal(err)
	}
	target := &conformance.CardTarget{Label: "in-process card as if real", Declared: p, Card: c,
		Reset: func() error { c.Reset(); return nil }}
	rep, err := conformance.Execute(target, conformance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("report not OK: %v", rep.Counts())
	}
	if rep.Counts()[conformance.Pass] == 0 {
		t.Error("nothing passed")
	}
}
