package main

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/sscard/sscard/emulator"
)

// scriptCard is what a script runs against: an emulated card, or a card in
// a PC/SC reader (sscard script --reader).
type scriptCard interface {
	Transmit(capdu []byte) ([]byte, error)
	// Reset warm-resets the card and returns its answer to reset.
	Reset() ([]byte, error)
}

// emulatedCard is the in-process card as a scriptCard.
type emulatedCard struct{ *emulator.Card }

func (c emulatedCard) Reset() ([]byte, error) { return c.Card.Reset(), nil }

// scriptReaderOpener connects to the card in a PC/SC reader for a script;
// the PC/SC build (-tags pcsc) sets it. close disconnects, leaving the card
// as it is.
var scriptReaderOpener func(name string) (c scriptCard, close func(), err error)

// readerWait is how long --reader waits for a card in an empty reader: a
// card just inserted, or an emulator just started, takes pcscd a moment to
// see.
const readerWait = 3 * time.Second

// runReaderScript runs the steps against the card in the PC/SC reader name,
// printing the exchanges as scriptor does.
func runReaderScript(name string, steps []step, script string, explain bool, stdout, stderr io.Writer) int {
	if scriptReaderOpener == nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", errNoPCSC)
		return exitFail
	}
	c, closeFn, err := scriptReaderOpener(name)
	if err != nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", err)
		return exitFail
	}
	defer closeFn()
	out := bufio.NewWriter(stdout)
	runErr := runStepsOn(c, steps, script, out, explain)
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing output: %w", err)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", runErr)
		return exitFail
	}
	return exitOK
}
