package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/emulator/trace"
)

func init() {
	register(&command{
		name:    "script",
		summary: "run a scriptor-format APDU script against an emulated card",
		run:     runScript,
	})
}

// defaultPersona is the card a script runs against when nothing else is said.
const defaultPersona = "default"

// stdinName names standard input in messages.
const stdinName = "<stdin>"

// runScript is "sscard script".
func runScript(args []string, stdout, stderr io.Writer) int {
	f := newFlags("script", "sscard script [--card persona|file.json] [--image FILE] [--seed N] [--reader NAME] [--explain] [FILE|-]", `
Run a script of command APDUs against an emulated card and print each
exchange the way scriptor (pcsc-tools) does, with the meaning of the status
word:

  > 00 B2 03 28 06
  < 03 04 31 2E 30 30 90 00 : normal processing

The script is read from FILE, or from standard input when FILE is "-" or
absent. A line holds a command APDU in hex (bytes spaced or not, "\" at the
end continues it on the next line), "reset" (warm reset: prints the ATR),
"exit" (ends the script), or a "#" comment; a comment may also end an APDU
line. The whole script is checked before anything is sent: a bad line stops
it with FILE:LINE and exit status 1.

The card is the persona or profile file given by --card ("default" when
absent). With --image the card's state lives in FILE: loaded from it when it
exists (its card must then match --card, if given), saved back to it,
atomically, when the script ends, even after a transport error. Status words
are the card's answer, not failures: the exit status is 0 whenever the
script ran.

With --reader the script runs against the card in that PC/SC reader
instead, a real one or a virtual one of "sscard emulate" (this needs a
build with -tags pcsc); --card, --image and --seed do not apply there.`)
	card := f.String("card", "", "the card: a `persona|file.json` (default \"default\", or the card of --image)")
	lk := addLinkFlags(f)
	image := f.String("image", "", "card image `FILE`: load the card from it if it exists, save it back at the end")
	seed := f.Uint64("seed", 0, "fixed `N` for the card's random numbers (reproducible challenges); default crypto/rand")
	reader := f.String("reader", "", "run against the card in PC/SC reader `NAME` instead of an emulated card")
	explain := f.Bool("explain", false, "say after each command what it asks (the output is then no longer scriptor's)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 1 {
		return f.usageError(stderr, fmt.Sprintf("one script at most, got %d: %s", len(pos), strings.Join(pos, " ")))
	}
	if msg := lk.check(); msg != "" {
		return f.usageError(stderr, msg)
	}
	src := "-"
	if len(pos) == 1 {
		src = pos[0]
	}
	if *reader != "" && (f.isSet("card") || f.isSet("image") || f.isSet("seed")) {
		return f.usageError(stderr, "--reader runs the script on the card in the reader: no --card, --image or --seed")
	}

	steps, err := readScript(src)
	if err != nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", err)
		return exitFail
	}
	if *reader != "" {
		return runReaderScript(*reader, steps, scriptName(src), *explain, stdout, stderr)
	}

	var opts []emulator.Option
	if f.isSet("seed") {
		opts = append(opts, emulator.WithSeed(*seed))
	}
	c, err := openCard(*card, *image, opts)
	if err != nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", err)
		return exitFail
	}

	out := bufio.NewWriter(stdout)
	runErr := lk.runSteps(c, steps, scriptName(src), out, *explain)
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing output: %w", err)
	}
	code = exitOK
	if runErr != nil {
		fmt.Fprintf(stderr, "sscard script: %v\n", runErr)
		code = exitFail
	}
	if *image != "" {
		if err := c.Save(*image); err != nil {
			fmt.Fprintf(stderr, "sscard script: %v\n", err)
			code = exitFail
		}
	}
	return code
}

func scriptName(src string) string {
	if src == "-" {
		return stdinName
	}
	return src
}

// readScript reads and parses the script at src ("-" for standard input).
func readScript(src string) ([]step, error) {
	if src == "-" {
		return parseScript(stdin, stdinName)
	}
	fh, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("reading script: %w", err)
	}
	defer fh.Close()
	return parseScript(fh, src)
}

// openCard returns the card a script runs against: loaded from the image if
// one is named and exists, else built from the persona or profile file.
func openCard(card, image string, opts []emulator.Option) (*emulator.Card, error) {
	if image != "" {
		_, err := os.Stat(image)
		switch {
		case err == nil:
			return loadImage(card, image, opts)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("loading card image: %w", err)
		}
	}
	if card == "" {
		card = defaultPersona
	}
	c, err := emulator.Open(card, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening card: %w", err)
	}
	return c, nil
}

// loadImage loads the card image and checks it holds the card named by
// --card, if any.
func loadImage(card, image string, opts []emulator.Option) (*emulator.Card, error) {
	c, err := emulator.Load(image, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", image, err)
	}
	if card == "" {
		return c, nil
	}
	p, err := profile.Load(card)
	if err != nil {
		return nil, fmt.Errorf("opening card: %w", err)
	}
	if got := c.Profile().Name; got != p.Name {
		return nil, fmt.Errorf("card image %s holds card %q, not %q (--card): drop --card or use another image", image, got, p.Name)
	}
	return c, nil
}

// runSteps sends the steps to the emulated card; see runStepsOn.
func runSteps(c *emulator.Card, steps []step, name string, w io.Writer, explain bool) error {
	return runStepsOn(emulatedCard{c}, steps, name, w, explain)
}

// runStepsOn sends the steps to the card, printing each exchange. It stops
// at the first transport error: the card gave no answer (power lost, card
// removed).
func runStepsOn(c scriptCard, steps []step, name string, w io.Writer, explain bool) error {
	for _, s := range steps {
		if s.reset {
			atr, err := c.Reset()
			if err != nil {
				return fmt.Errorf("%s:%d: resetting the card: %w", name, s.line, err)
			}
			fmt.Fprintf(w, "> RESET\n< OK: %s\n", spacedHex(atr))
			continue
		}
		if explain {
			fmt.Fprintf(w, "> %s : %s\n", spacedHex(s.apdu), trace.DescribeCommand(s.apdu))
		} else {
			fmt.Fprintf(w, "> %s\n", spacedHex(s.apdu))
		}
		rapdu, err := c.Transmit(s.apdu)
		if err != nil {
			if errors.Is(err, emulator.ErrPowerLost) || errors.Is(err, emulator.ErrNoPower) {
				return fmt.Errorf("%s:%d: no answer from the card, it lost power: %w", name, s.line, err)
			}
			return fmt.Errorf("%s:%d: no answer from the card: %w", name, s.line, err)
		}
		r, err := iso7816.ParseResponse(rapdu)
		if err != nil {
			return fmt.Errorf("%s:%d: card answered %X: %w", name, s.line, rapdu, err)
		}
		fmt.Fprintf(w, "< %s : %s\n", spacedHex(rapdu), r.SW.Meaning())
	}
	return nil
}

// spacedHex writes b as upper-case hex bytes separated by spaces.
func spacedHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, 3*len(b)-1)
	for i, v := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[v>>4], digits[v&0x0F])
	}
	return string(out)
}
