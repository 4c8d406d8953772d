package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sscard/sscard/conformance/pcd"
	cardreg "github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/ssse"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd"
)

func init() {
	register(&command{
		name:    "emulate",
		summary: "present the card and the PSAM to pcscd through vsmartcard's vpcd",
		run:     runEmulate,
	})
}

// defaultPSAM is the persona of the PSAM in slot 1.
const defaultPSAM = "psam"

// runEmulate is "sscard emulate": it runs until SIGINT or SIGTERM.
func runEmulate(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return emulate(ctx, args, stdout, stderr)
}

// emulate runs "sscard emulate" until ctx is done.
func emulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("emulate", "sscard emulate [--card persona|file.json] [--image FILE] [--psam persona|file.json | --no-psam] [--host H] [--port N] [--psam-port N] [--reverse ADDR] [--contactless] [--trace FILE] [--control ADDR]", `
Present the emulated social security card in slot 0 and the PSAM in slot 1
of vsmartcard's virtual reader, so that pcscd lists them as the cards in
"Virtual PCD 00 00" and "Virtual PCD 00 01" and any PC/SC program (pcsc_scan,
opensc-tool, scriptor, a terminal's own software) talks to them. This needs
pcscd and the vpcd driver (Debian: pcscd, vsmartcard-vpcd), which listens on
ports 35963 and 35964; sscard connects to them and connects again whenever
pcscd restarts, the cards keeping their state. It runs until interrupted
(SIGINT or SIGTERM): it then disconnects, saves the card image and exits 0.
A line on standard error tells when each slot connects.

With --image the card's state lives in FILE: loaded from it when it exists
(its card must then match --card, if given), saved back to it, atomically,
whenever pcscd powers the card off or resets it, when the card is removed
or swapped through the control API, and at the end.

With --contactless slot 0 is a contactless reader: at each power-up the
reference PCD activates the card over ISO/IEC 14443 (the UID is random
per activation unless the profile fixes it) and carries the APDUs over
ISO/IEC 14443-4; pcscd sees the pseudo-ATR a PC/SC reader builds (PC/SC
part 3: 3B 8n 80 01, the ATS historical bytes, TCK), and the reader's GET
DATA answers FF CA 00 00 00 with the UID and FF CA 01 00 00 with the
historical bytes. A card without a contactless interface (gen2) cannot be
put in it; the PSAM of slot 1 stays in its contact SAM slot.

With --reverse vpcd connects to the cards instead (reader.conf DEVICENAME
"host:port"): slot 0 listens on ADDR and slot 1 on the next port.

With --control the control API listens on ADDR (HTTP and JSON, loopback
only unless --control-any); "sscard ctl" uses 127.0.0.1:35960 unless told
otherwise. It inserts, removes and swaps cards, cuts the power, and reads
the traces and the state of the slots: see "sscard ctl -h". Its requests
may name profile and image files, which sscard opens and writes with its
own rights: keep it on loopback, or on a network you trust.

A card that loses power in the middle of a command gives no answer: its
connection is closed, so pcscd sees it removed and then inserted again, and
the command gets an empty response or a reader error.`)
	card := f.String("card", defaultPersona, "the card in slot 0: a `persona|file.json` (or the card of --image)")
	image := f.String("image", "", "card image `FILE` of the card in slot 0: loaded if it exists, saved as the card changes and at the end")
	psam := f.String("psam", defaultPSAM, "the PSAM in slot 1: a `persona|file.json`")
	noPSAM := f.Bool("no-psam", false, "leave slot 1 out")
	host := f.String("host", "127.0.0.1", "the `host` where pcscd runs vpcd")
	port := f.Int("port", vpcd.DefaultPort, "vpcd's `port` for slot 0")
	psamPort := f.Int("psam-port", vpcd.DefaultPort+1, "vpcd's `port` for slot 1")
	reverse := f.String("reverse", "", "reversed mode: listen on `ADDR` for vpcd (slot 1 on the next port)")
	contactless := f.Bool("contactless", false, "answer with the contactless pseudo-ATR (3B 8n 80 01 ...)")
	traceFile := f.String("trace", "", "append every exchange of both slots to `FILE` as text lines")
	tracePolls := f.Bool("trace-polls", false, "also trace vpcd's presence polls (ATR requests, a few a second)")
	control := f.String("control", "", "serve the control API on `ADDR` (e.g. 127.0.0.1:35960); off by default")
	controlAny := f.Bool("control-any", false, "let --control listen on an address other than loopback")
	seed := f.Uint64("seed", 0, "fixed `N` for the cards' random numbers (reproducible traces); default crypto/rand")
	registerAddr := f.String("register", "", "also serve the card register's API on `ADDR` (loopback, e.g. "+cardreg.DefaultAddr+"), enrolling the card of slot 0")
	registerDB := f.String("register-db", "", "the register's database `FILE` (default: in the user's state directory)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 0 {
		return f.usageError(stderr, "takes no arguments")
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"port", *port}, {"psam-port", *psamPort}} {
		if p.v < 1 || p.v > 65535 {
			return f.usageError(stderr, fmt.Sprintf("--%s %d is not a TCP port", p.name, p.v))
		}
	}
	if *control != "" && !*controlAny {
		if err := checkLoopback(*control); err != nil {
			return f.usageError(stderr, err.Error())
		}
	}
	if *reverse != "" && (f.isSet("host") || f.isSet("port") || f.isSet("psam-port")) {
		return f.usageError(stderr, "--reverse listens for vpcd: --host, --port and --psam-port are for connecting to it")
	}
	if *noPSAM && f.isSet("psam") {
		return f.usageError(stderr, "--psam and --no-psam together")
	}

	var opts []emulator.Option
	if f.isSet("seed") {
		opts = append(opts, emulator.WithSeed(*seed))
	}
	errw := &lockedWriter{w: stderr}
	vr := &virtualReader{opts: opts, contactless: *contactless, stderr: errw, reverse: *reverse != ""}
	if f.isSet("seed") {
		vr.seed = seed
	}
	cardSpec := *card
	if !f.isSet("card") {
		cardSpec = "" // the card of --image, or the default persona
	}
	if err := vr.addSlot(0, cardSpec, *image, net.JoinHostPort(*host, strconv.Itoa(*port))); err != nil {
		fmt.Fprintf(stderr, "sscard emulate: slot 0: %v\n", err)
		return exitFail
	}
	if !*noPSAM {
		if err := vr.addSlot(1, *psam, "", net.JoinHostPort(*host, strconv.Itoa(*psamPort))); err != nil {
			fmt.Fprintf(stderr, "sscard emulate: slot 1: %v\n", err)
			return exitFail
		}
	}

	var hooks []func(trace.Event)
	if *traceFile != "" {
		fh, err := os.OpenFile(*traceFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "sscard emulate: %v\n", err)
			return exitFail
		}
		defer fh.Close()
		tw := trace.NewTextWriter(fh)
		defer func() {
			if err := tw.Err(); err != nil {
				fmt.Fprintf(stderr, "sscard emulate: writing the trace: %v\n", err)
			}
		}()
		hooks = append(hooks, tw.Add)
	}

	listeners, err := vr.listen(*reverse)
	if err != nil {
		fmt.Fprintf(stderr, "sscard emulate: %v\n", err)
		return exitFail
	}
	vr.build(hooks, *tracePolls)
	ctl, err := startControl(*control, vr)
	if err != nil {
		for _, ln := range listeners {
			if ln != nil {
				ln.Close()
			}
		}
		fmt.Fprintf(stderr, "sscard emulate: %v\n", err)
		return exitFail
	}
	if ctl != nil {
		errw.printf("sscard emulate: control API on http://%s\n", ctl.addr)
	}
	if *registerAddr != "" {
		reg, err := startRegister(ctx, *registerAddr, *registerDB, vr)
		if err != nil {
			ctl.stop()
			for _, ln := range listeners {
				if ln != nil {
					ln.Close()
				}
			}
			fmt.Fprintf(stderr, "sscard emulate: %v\n", err)
			return exitFail
		}
		errw.printf("sscard emulate: card register on %s (%s)\n", reg.URL(), reg.Store.Path())
		defer func() {
			if err := reg.Stop(); err != nil {
				errw.printf("sscard emulate: closing the register: %v\n", err)
			}
		}()
	}

	vr.run(ctx, listeners)
	ctl.stop()
	code = exitOK
	if err := vr.saveAll(); err != nil {
		errw.printf("sscard emulate: %v\n", err)
		code = exitFail
	}
	errw.printf("sscard emulate: stopped\n")
	return code
}

// startRegister serves the card register beside the cards ("one command
// gives an integrator everything") and enrols the card of slot 0, so that a
// terminal under test finds it there.
func startRegister(ctx context.Context, addr, db string, vr *virtualReader) (*cardreg.Service, error) {
	reg, err := cardreg.Start(ctx, addr, db)
	if err != nil {
		return nil, fmt.Errorf("--register: %w", err)
	}
	if s := vr.slots[0]; s != nil && s.card != nil {
		if err := reg.Enroll(ctx, s.card.Profile()); err != nil {
			reg.Stop()
			return nil, fmt.Errorf("--register: enrolling the card of slot 0: %w", err)
		}
	}
	return reg, nil
}

// checkLoopback refuses a control address that is not on loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--control %s: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--control %s is not a loopback address: the control API changes the cards; add --control-any to serve it there anyway", addr)
}

// virtualReader is the two slots of vpcd's reader with their cards.
type virtualReader struct {
	opts        []emulator.Option
	seed        *uint64 // --seed, for the contactless door's UIDs too
	contactless bool
	reverse     bool
	stderr      *lockedWriter
	slots       [2]*emuSlot // nil when left out
}

// emuSlot is one slot: the vpcd slot, its trace and its card.
type emuSlot struct {
	n     int
	addr  string // vpcd's address, or where the slot listens in reversed mode
	vslot *vpcd.Slot
	log   *trace.Log

	mu   sync.Mutex // serialises insert, remove, swap and power loss
	card *emuCard   // the card in the slot, or the last one removed
}

// addSlot opens the slot's card and makes the slot.
func (vr *virtualReader) addSlot(n int, spec, image, addr string) error {
	c, err := vr.openCard(n, spec, image)
	if err != nil {
		return err
	}
	vr.slots[n] = &emuSlot{n: n, addr: addr, log: trace.NewLog(0), card: c}
	return nil
}

// openCard opens a card as slot n holds it: from its image if it exists,
// else from the persona or profile file. In contactless mode the card of
// slot 0 is behind its contactless door (the PSAM of slot 1 stays in its
// contact SAM slot).
func (vr *virtualReader) openCard(n int, spec, image string) (*emuCard, error) {
	c, err := openCard(spec, image, vr.opts)
	if err != nil {
		return nil, err
	}
	if spec == "" {
		spec = c.Profile().Name
	}
	ec := &emuCard{Card: c, spec: spec, image: image, saved: c.NVMWrites(), atr: c.ATR()}
	ec.saveErr = func(err error) { vr.stderr.printf("sscard emulate: %v\n", err) }
	if vr.contactless && n == 0 {
		if ec.atr, err = contactlessATR(ec.atr); err != nil {
			return nil, fmt.Errorf("card %s: %w", spec, err)
		}
		if ec.cl, err = newCLDoor(c, vr.seed); err != nil {
			return nil, fmt.Errorf("card %s in a contactless reader: %w", spec, err)
		}
	}
	return ec, nil
}

// clDoor is a card in a contactless PC/SC reader: the reference PCD
// activates it in an RF field and carries its APDUs over ISO/IEC 14443-4,
// and answers the reader's own GET DATA (FF CA: the UID or PUPI, the ATS
// historical bytes) as a contactless reader's driver does (PC/SC part 3).
type clDoor struct {
	mu     sync.Mutex
	field  *contactless.Field
	reader *pcd.PCD
	slot   *pcd.Slot // nil while the field is off
}

func newCLDoor(card *emulator.Card, seed *uint64) (*clDoor, error) {
	var opts []contactless.Option
	if seed != nil {
		opts = append(opts, contactless.WithSeed(*seed))
	}
	p, err := contactless.New(card, opts...)
	if err != nil {
		return nil, err
	}
	f := contactless.NewField(contactless.WithoutRecord())
	f.Add(p)
	return &clDoor{field: f, reader: pcd.New(pcd.Options{})}, nil
}

// on switches the field on and activates the card (again), returning its
// pseudo-ATR, or nil when it does not answer.
func (d *clDoor) on() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slot != nil {
		_ = d.slot.Close()
	}
	slot, err := pcd.Connect(d.reader, d.field)
	if err != nil {
		d.slot = nil
		return nil
	}
	d.slot = slot
	return slot.ATR()
}

// off switches the field off: the card loses power.
func (d *clDoor) off() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slot != nil {
		_ = d.slot.Close()
		d.slot = nil
	}
}

func (d *clDoor) atr() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slot == nil {
		return nil
	}
	return d.slot.ATR()
}

func (d *clDoor) transmit(dst, capdu []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slot == nil {
		return dst, emulator.ErrNoPower
	}
	out, err := d.slot.Transmit(capdu)
	if err != nil {
		// The reader lost the card: pcscd sees no answer and powers it
		// up again.
		_ = d.slot.Close()
		d.slot = nil
		return dst, err
	}
	return append(dst, out...), nil
}

// listen opens the listeners of reversed mode: slot 0 on addr, slot 1 on
// the next port (or another free port when addr's port is 0).
func (vr *virtualReader) listen(addr string) ([2]net.Listener, error) {
	var lns [2]net.Listener
	if addr == "" {
		return lns, nil
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return lns, fmt.Errorf("--reverse %s: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65534 {
		return lns, fmt.Errorf("--reverse %s: bad port", addr)
	}
	for n, s := range vr.slots {
		if s == nil {
			continue
		}
		p := port
		if p != 0 {
			p += n
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			for _, l := range lns {
				if l != nil {
					l.Close()
				}
			}
			return [2]net.Listener{}, fmt.Errorf("slot %d: %w", n, err)
		}
		lns[n] = ln
		s.addr = ln.Addr().String()
	}
	return lns, nil
}

// build makes the vpcd slots, each with its trace hooks.
func (vr *virtualReader) build(hooks []func(trace.Event), tracePolls bool) {
	for n, s := range vr.slots {
		if s == nil {
			continue
		}
		opts := vpcd.Options{
			Slot:       n,
			TracePolls: tracePolls,
			Trace:      trace.Tee(append([]func(trace.Event){s.log.Add, vr.reporter(s)}, hooks...)...),
		}
		s.vslot = vpcd.NewSlot(s.card, opts)
	}
}

// run serves the slots until ctx is done and their connections are closed.
func (vr *virtualReader) run(ctx context.Context, lns [2]net.Listener) {
	var wg sync.WaitGroup
	for n, s := range vr.slots {
		if s == nil {
			continue
		}
		if ln := lns[n]; ln != nil {
			vr.stderr.printf("slot %d: listening for vpcd on %s\n", n, s.addr)
			wg.Go(func() {
				if err := s.vslot.Serve(ctx, ln); err != nil && ctx.Err() == nil {
					vr.stderr.printf("slot %d: %v\n", n, err)
				}
			})
			continue
		}
		wg.Go(func() { _ = s.vslot.Dial(ctx, s.addr) })
	}
	wg.Wait()
}

// reporter prints a line on standard error when a slot connects or
// disconnects, and when something goes wrong.
func (vr *virtualReader) reporter(s *emuSlot) func(trace.Event) {
	return func(e trace.Event) {
		switch e.Kind {
		case trace.Connect:
			atr, name := "", "card"
			if c := s.vslot.Card(); c != nil {
				atr = spacedHex(c.ATR())
				if ec, ok := c.(*emuCard); ok {
					name = ec.Profile().Name
				}
			}
			if vr.reverse {
				vr.stderr.printf("slot %d: %s inserted (ATR %s), vpcd connected from %s\n", e.Slot, name, atr, e.Text)
			} else {
				vr.stderr.printf("slot %d: %s inserted (ATR %s), connected to %s\n", e.Slot, name, atr, e.Text)
			}
		case trace.Disconnect:
			switch e.Text {
			case context.Canceled.Error(), vpcd.ErrRemoved.Error():
			default:
				vr.stderr.printf("slot %d: disconnected: %s\n", e.Slot, e.Text)
			}
		case trace.Error:
			if vr.reverse || s.vslot.Status().Connected {
				vr.stderr.printf("slot %d: %s\n", e.Slot, e.Text)
			} else {
				vr.stderr.printf("slot %d: waiting for vpcd at %s (%s); is pcscd running with vsmartcard-vpcd?\n", e.Slot, s.addr, e.Text)
			}
		}
	}
}

// saveAll saves the image of every slot's card that has one.
func (vr *virtualReader) saveAll() error {
	var errs []error
	for _, s := range vr.slots {
		if s == nil {
			continue
		}
		s.mu.Lock()
		c := s.card
		s.mu.Unlock()
		if c.image == "" {
			continue
		}
		if err := c.save(true); err != nil {
			errs = append(errs, err)
			continue
		}
		vr.stderr.printf("slot %d: card image saved to %s\n", s.n, c.image)
	}
	return errors.Join(errs...)
}

// readerState is the JSON of GET /v1/state.
type readerState struct {
	Mode        string      `json:"mode"` // "dial" or "reverse"
	Contactless bool        `json:"contactless"`
	Slots       []slotState `json:"slots"`
}

// slotState is the JSON state of a slot. The card fields are empty while
// the slot is empty.
type slotState struct {
	Slot      int    `json:"slot"`
	Reader    string `json:"reader"` // vpcd's address, or where the slot listens
	Inserted  bool   `json:"inserted"`
	Connected bool   `json:"connected"`
	Peer      string `json:"peer,omitempty"`

	Card           string `json:"card,omitempty"`    // persona, profile file or image it came from
	Profile        string `json:"profile,omitempty"` // the profile's name
	Kind           string `json:"kind,omitempty"`    // card or psam
	ATR            string `json:"atr,omitempty"`     // as presented, hex
	Image          string `json:"image,omitempty"`
	Powered        bool   `json:"powered"`
	PowerLossAfter int    `json:"powerLossAfter,omitempty"` // NVM writes left before an armed power loss

	APDUs       uint64 `json:"apdus"`
	LastSW      string `json:"lastSW,omitempty"`
	Connects    uint64 `json:"connects"`
	LastError   string `json:"lastError,omitempty"`
	TraceEvents int    `json:"traceEvents"`
}

func (vr *virtualReader) state() readerState {
	st := readerState{Mode: "dial", Contactless: vr.contactless, Slots: []slotState{}}
	if vr.reverse {
		st.Mode = "reverse"
	}
	for _, s := range vr.slots {
		if s != nil {
			st.Slots = append(st.Slots, vr.slotState(s))
		}
	}
	return st
}

func (vr *virtualReader) slotState(s *emuSlot) slotState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return vr.slotStateLocked(s)
}

// slotStateLocked is slotState with s.mu held.
func (vr *virtualReader) slotStateLocked(s *emuSlot) slotState {
	vs := s.vslot.Status()
	st := slotState{
		Slot: s.n, Reader: s.addr, Inserted: vs.Inserted, Connected: vs.Connected, Peer: vs.Peer,
		APDUs: vs.APDUs, Connects: vs.Connects, LastError: vs.LastError, TraceEvents: s.log.Len(),
	}
	if vs.LastSW != 0 {
		st.LastSW = fmt.Sprintf("%04X", vs.LastSW)
	}
	if vs.Inserted {
		c := s.card
		st.Card, st.Profile, st.Kind = c.spec, c.Profile().Name, c.Profile().Kind
		st.ATR = strings.ToUpper(hex.EncodeToString(c.atr))
		st.Image, st.Powered, st.PowerLossAfter = c.image, c.Powered(), c.powerLossAfter()
	}
	return st
}

// emuCard is a card as a slot holds it: the emulated card with the ATR it
// presents, where its image is saved, and the power loss armed through the
// control API, which survives pcscd powering the card off when idle.
type emuCard struct {
	*emulator.Card
	spec  string  // the persona, profile file or image it came from
	image string  // its image file, "" for none
	atr   []byte  // the ATR presented: contact, or the contactless pseudo-ATR
	cl    *clDoor // the contactless door, in contactless mode

	mu      sync.Mutex
	armed   int    // power loss after this many NVM writes from armBase; 0: none
	armBase uint64 // NVM writes when armed
	saved   uint64 // NVM writes at the last save
	saveErr func(error)
}

// ATR returns the ATR the card presents: in a contactless reader the
// pseudo-ATR of the card's activation.
func (c *emuCard) ATR() []byte {
	if c.cl != nil {
		if atr := c.cl.atr(); atr != nil {
			return atr
		}
	}
	return append([]byte(nil), c.atr...)
}

// TransmitAppend runs a command APDU, through the contactless door in a
// contactless reader.
func (c *emuCard) TransmitAppend(dst, capdu []byte) ([]byte, error) {
	if c.cl != nil {
		return c.cl.transmit(dst, capdu)
	}
	return c.Card.TransmitAppend(dst, capdu)
}

// Describe implements vpcd.Describer: the insert events of the trace say
// which card came in, "id=<card identifier> profile=<spec>" for a social
// security card (the identifier as EF05 holds it), "profile=<spec>" for
// a PSAM.
func (c *emuCard) Describe() string {
	spec := c.spec
	if strings.ContainsAny(spec, " \t\"=") {
		spec = strconv.Quote(spec)
	}
	if p := c.Profile(); p.SSSE != nil {
		return fmt.Sprintf("id=%X profile=%s", ssse.CardIdentifier(&p.SSSE.Identity), spec)
	}
	return "profile=" + spec
}

// PowerOn powers the card and returns its ATR; in a contactless reader
// the field comes on and the card is activated.
func (c *emuCard) PowerOn() []byte {
	if c.cl != nil {
		c.cl.on()
		return c.ATR()
	}
	c.Card.PowerOn()
	return c.ATR()
}

// Reset warm-resets the card, saving its image first if it changed; in a
// contactless reader the card is activated again (a contactless card has
// no warm reset).
func (c *emuCard) Reset() []byte {
	c.saveChanged()
	if c.cl != nil {
		c.cl.on()
		return c.ATR()
	}
	c.Card.Reset()
	return c.ATR()
}

// PowerOff removes power, keeping an armed power loss armed, and saves the
// image if the card changed.
func (c *emuCard) PowerOff() {
	c.mu.Lock()
	left := c.armedLeft()
	if c.cl != nil {
		c.cl.off()
	}
	c.Card.PowerOff()
	if left > 0 {
		c.Card.TearAfter(left)
	}
	c.mu.Unlock()
	c.saveChanged()
}

// arm arms a power loss after n more NVM writes (0 disarms).
func (c *emuCard) arm(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.armBase = n, c.NVMWrites()
	c.Card.TearAfter(n)
}

// armedLeft returns the NVM writes left before the armed power loss, 0 if
// none is armed or it has fired. c.mu is held.
func (c *emuCard) armedLeft() int {
	if c.armed == 0 {
		return 0
	}
	used := c.NVMWrites() - c.armBase
	if used >= uint64(c.armed) {
		c.armed = 0
		return 0
	}
	return c.armed - int(used)
}

// powerLossAfter is armedLeft for the state report.
func (c *emuCard) powerLossAfter() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.armedLeft()
}

// cutPower powers the card off now, disarming any armed power loss.
func (c *emuCard) cutPower() {
	c.mu.Lock()
	c.armed = 0
	c.Card.PowerOff()
	c.mu.Unlock()
	c.saveChanged()
}

// saveChanged saves the image if the card has one and changed since the
// last save; an error goes to saveErr.
func (c *emuCard) saveChanged() {
	if err := c.save(false); err != nil && c.saveErr != nil {
		c.saveErr(err)
	}
}

// saveNow saves the image if the card has one, changed or not; an error
// goes to saveErr.
func (c *emuCard) saveNow() {
	if err := c.save(true); err != nil && c.saveErr != nil {
		c.saveErr(err)
	}
}

// save writes the card image (always, or only if the card changed).
func (c *emuCard) save(always bool) error {
	if c.image == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.NVMWrites()
	if !always && w == c.saved {
		return nil
	}
	if err := c.Save(c.image); err != nil {
		return err
	}
	c.saved = w
	return nil
}

// contactlessATR is the pseudo-ATR a PC/SC reader makes for a contactless
// card (PC/SC part 3 §3.1.3.2.3, CARD.md §7): 3B 8n 80 01, the n historical
// bytes, TCK. The historical bytes are those of the card's contact ATR: the
// model has no ATS of its own, and a dual-interface card's ATS usually
// carries the same ones.
func contactlessATR(contact []byte) ([]byte, error) {
	a, err := iso7816.ParseATR(contact)
	if err != nil {
		return nil, fmt.Errorf("contactless ATR: %w", err)
	}
	h := a.Historical
	atr := append([]byte{0x3B, 0x80 | byte(len(h)), 0x80, 0x01}, h...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck), nil
}

// lockedWriter serialises the lines of the slots' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
