//go:build pcsc

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sscard/sscard/conformance/pcsc"
	"github.com/sscard/sscard/conformance/terminal"
)

// The PC/SC build: --reader reaches cards through pcscd.
func init() {
	readerOpener = openConformReader
	scriptReaderOpener = openScriptReader
}

// openConformReader connects to the card under test for "sscard conform
// --reader". The connection is exclusive, so no other application resets
// the card or changes its state in the middle of a case; responses are the
// card's own (61xx and 6Cxx included: the suites handle them).
func openConformReader(name string) (terminal.Transport, func() error, func(), error) {
	c, err := pcsc.Open(name, pcsc.Options{Exclusive: true, Wait: readerWait})
	if err != nil {
		return nil, nil, nil, readerHint(name, err)
	}
	reset := func() error {
		_, err := c.Reset()
		return err
	}
	return c, reset, func() { _ = c.Close() }, nil
}

// openScriptReader connects to the card for "sscard script --reader",
// shared, as scriptor does; each exchange is shown as the card made it.
func openScriptReader(name string) (scriptCard, func(), error) {
	c, err := pcsc.Open(name, pcsc.Options{Wait: readerWait})
	if err != nil {
		return nil, nil, readerHint(name, err)
	}
	return c, func() { _ = c.Close() }, nil
}

// readerHint adds what to do to the common failures.
func readerHint(name string, err error) error {
	switch {
	case errors.Is(err, pcsc.ErrNoCard) && strings.HasPrefix(name, "Virtual PCD"):
		return fmt.Errorf("%w: is \"sscard emulate\" running?", err)
	case errors.Is(err, pcsc.ErrNoReader) && !strings.HasPrefix(name, "Virtual PCD"):
		return fmt.Errorf("%w: is the reader plugged in? pcsc_scan -r lists the readers", err)
	}
	return err
}
