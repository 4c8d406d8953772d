// Package cos is the card operating system of the emulator: the ISO/IEC
// 7816-4 file tree (MF, DF/ADF, transparent and record EFs, SFI, FCI/FCP),
// the interindustry and PBOC-style commands, PIN and key objects, the
// security state, secure messaging for CLA 84, logical channels and the life
// cycle of applications.
//
// The file tree is a Layout, immutable and shared by every card built from
// one profile; a card's own state lives in its NVM (package nvm), and its
// volatile state (selected files, security state, challenges) in the OS.
// Applications plug their proprietary commands in through App.
package cos

import (
	"errors"
	"io"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
)

// NumChannels is the number of logical channels the card supports (the
// basic channel 0 and channels 1..3, ISO/IEC 7816-4 §5.4.2).
const NumChannels = 4

// maxSecEntries bounds the security state of one channel.
const maxSecEntries = 16

// App handles an application's proprietary commands. Handle is called for
// every command while the application's DF (or one under it) is current; it
// returns handled=false to let the card OS process the command.
type App interface {
	Handle(x *Context) (data []byte, sw iso7816.Status, handled bool)
}

// SelectHook is an App whose own state decides how its DF is selected
// (when the DF itself is named): SelectStatus returns 0 to select as
// usual, a warning to select it and answer the FCI with that status word
// (6283 for an application the App holds blocked, EMV Book 1 §12.3.3), or
// an error to refuse the selection, the current DF unchanged (6A81 after
// an EMV CARD BLOCK). The card OS's own life cycle comes first.
type SelectHook interface {
	SelectStatus(x *Context) iso7816.Status
}

// Options configure an OS.
type Options struct {
	// Rand is the card's random source (challenges, key generation).
	Rand io.Reader
	// Extended lets the card accept extended-length APDUs.
	Extended bool
	// Defects are deliberate deviations, for testing suites; none by default.
	Defects Defect
}

// OS is one card's operating system state. It is not safe for concurrent
// use; the card serialises access.
type OS struct {
	layout   *Layout
	mem      *nvm.Memory
	rand     io.Reader
	extended bool
	defects  Defect
	torn     bool
	channels [NumChannels]channel
	ctx      Context
}

type secKind uint8

const (
	secPIN secKind = iota + 1
	secKey
)

// secEntry is one element of the security state: a PIN verified or a key
// authenticated, valid while its DF is the current DF or above it.
type secEntry struct {
	df   *Node
	kind secKind
	ref  byte
}

type channel struct {
	open     bool
	df       *Node
	ef       *Node
	rec      int // current record number, 0: none
	chal     [16]byte
	chalLen  int
	sec      [maxSecEntries]secEntry
	nsec     int
	pending  []byte
	volatile any // the current application's volatile state
}

// ErrPowerLost is returned by Process when a power loss was injected during
// the command: the card answers nothing and is off until the next power-up.
var ErrPowerLost = nvm.ErrPowerLost

// New starts an OS on layout with mem as its NVM. The card is powered and
// reset: the MF is selected on the basic channel.
func New(layout *Layout, mem *nvm.Memory, opt Options) (*OS, error) {
	if mem.Len() != len(layout.initial) {
		return nil, errors.New("starting card OS: NVM does not fit the layout")
	}
	if opt.Rand == nil {
		return nil, errors.New("starting card OS: no random source")
	}
	o := &OS{layout: layout, mem: mem, rand: opt.Rand, extended: opt.Extended, defects: opt.Defects}
	o.Reset()
	return o, nil
}

// Layout returns the card's layout.
func (o *OS) Layout() *Layout { return o.layout }

// Memory returns the card's NVM.
func (o *OS) Memory() *nvm.Memory { return o.mem }

// Reset is a warm or cold reset: the volatile state is lost, only the basic
// channel is open with the MF selected, and NVM recovery runs.
func (o *OS) Reset() {
	o.mem.PowerUp()
	o.torn = false
	for i := range o.channels {
		o.channels[i] = channel{}
	}
	o.channels[0].open = true
	o.channels[0].df = o.layout.root
}

// Process runs one command APDU and appends the response APDU to out. It
// returns ErrPowerLost, and no response, when power was lost during the
// command; the caller must Reset before the next command.
func (o *OS) Process(capdu []byte, out []byte) ([]byte, error) {
	if o.torn || !o.mem.Powered() {
		return out, ErrPowerLost
	}
	cmd, err := iso7816.ParseCommand(capdu)
	if err != nil || len(capdu) < 2 || capdu[1] != insGetResponse {
		// Data kept for GET RESPONSE serves only the next command (of the
		// channel it was kept on; for an unparsable command, of every
		// channel).
		o.clearPending(capdu)
	}
	if err != nil || cmd.Extended && !o.extended {
		if o.has(DefectWrongLengthSW) {
			return appendSW(out, iso7816.SWWrongData), nil
		}
		return appendSW(out, iso7816.SWWrongLength), nil
	}
	cla, ok := decodeCLA(cmd.CLA)
	if !ok {
		return appendSW(out, iso7816.SWCLANotSupported), nil
	}
	if cla.chaining {
		return appendSW(out, iso7816.SWChainingNotSupported), nil
	}
	if o.has(DefectChannelsShared) && cla.channel < NumChannels && o.channels[cla.channel].open {
		cla.channel = 0
	}
	if cla.channel >= NumChannels {
		return appendSW(out, iso7816.SWLogicalChannelNotSupported), nil
	}
	ch := &o.channels[cla.channel]
	if !ch.open {
		return appendSW(out, iso7816.SWLogicalChannelNotSupported), nil
	}
	// The context lives in the OS so that a command costs no allocation;
	// it is valid only during the command.
	o.ctx = Context{os: o, ch: ch, Cmd: cmd, cla: cla}
	x := &o.ctx
	data, sw := o.dispatch(x)
	if o.torn {
		return out, ErrPowerLost
	}
	return o.finish(out, ch, &x.Cmd, data, sw), nil
}

// finish appends data and the status word, keeping data for GET RESPONSE
// when the command did not ask for it (T=0 style: 61xx).
func (o *OS) finish(out []byte, ch *channel, cmd *iso7816.Command, data []byte, sw iso7816.Status) []byte {
	if len(data) == 0 {
		return appendSW(out, sw)
	}
	if sw != iso7816.SWOK {
		// A warning with data: the data is only returned to a command that
		// asked for it.
		if cmd.Ne > 0 && len(data) <= cmd.Ne {
			out = append(out, data...)
		}
		return appendSW(out, sw)
	}
	if o.has(DefectNoGetResponse) && cmd.Ne == 0 {
		out = append(out, data...)
		return appendSW(out, sw)
	}
	if cmd.Ne == 0 || len(data) > cmd.Ne {
		n := 0
		if cmd.Ne > 0 {
			n = cmd.Ne
			out = append(out, data[:n]...)
		}
		ch.pending = append(ch.pending[:0], data[n:]...)
		return appendSW(out, available(len(ch.pending)))
	}
	out = append(out, data...)
	return appendSW(out, sw)
}

// available is 61xx for n bytes waiting (xx = 00 for 256 or more).
func available(n int) iso7816.Status {
	if n > 255 {
		n = 0
	}
	return iso7816.SWBytesAvailable | iso7816.Status(n)
}

func appendSW(out []byte, sw iso7816.Status) []byte {
	return append(out, byte(sw>>8), byte(sw))
}

// claInfo is a decoded class byte (ISO/IEC 7816-4 §5.4.1).
type claInfo struct {
	proprietary bool // b8 = 1 (80, 84)
	sm          bool // secure messaging indicated (04, 84)
	isoSM       bool // ISO SM with header authentication (08, 0C): not supported
	chaining    bool
	channel     int
}

func decodeCLA(c byte) (claInfo, bool) {
	switch {
	case c == 0xFF:
		return claInfo{}, false
	case c&0xE0 == 0x00: // first interindustry values 00..1F
		return claInfo{channel: int(c & 0x03), sm: c&0x0C == 0x04, isoSM: c&0x08 != 0, chaining: c&0x10 != 0}, true
	case c&0xE0 == 0x40 || c&0xE0 == 0x60: // further interindustry 40..7F
		return claInfo{channel: 4 + int(c&0x0F), isoSM: c&0x20 != 0, chaining: c&0x10 != 0}, true
	case c&0xF0 == 0x80: // proprietary, PBOC style 80/84
		return claInfo{proprietary: true, channel: int(c & 0x03), sm: c&0x0C == 0x04, isoSM: c&0x08 != 0}, true
	}
	return claInfo{}, false
}

// commit ends the command's NVM transaction; on a power loss the card is
// torn and the command's response is lost.
func (o *OS) commit() bool {
	if err := o.mem.Commit(); err != nil {
		o.torn = true
		return false
	}
	return true
}

// dfOf returns the DF of a node: itself if a DF, else its parent.
func (o *OS) dfOf(n *Node) *Node {
	if n.IsDF() {
		return n
	}
	return n.parent
}

// lcs returns the life cycle status of a DF.
func (o *OS) lcs(df *Node) byte {
	if c := o.mem.Get(df.lcsCell); len(c) == 1 {
		return c[0]
	}
	return LCSTerminated
}

func (o *OS) blocked(df *Node) bool {
	if o.has(DefectBlockIgnored) {
		return false
	}
	c := o.mem.Get(df.blkCell)
	return len(c) == 1 && c[0] != 0
}

// CardBlocked reports whether CARD BLOCK was applied.
func (o *OS) CardBlocked() bool {
	c := o.mem.Get(o.layout.cardCell)
	return len(c) == 1 && c[0] != 0
}

// appState is the usage state of the application around a DF: the nearest
// DF that is terminated, blocked or deactivated decides.
type appState uint8

const (
	stateActive appState = iota
	stateDeactivated
	stateBlocked
	stateTerminated
)

func (o *OS) stateOf(df *Node) appState {
	st := stateActive
	for n := df; n != nil; n = n.parent {
		switch {
		case o.lcs(n) == LCSTerminated:
			return stateTerminated
		case o.blocked(n):
			if st < stateBlocked {
				st = stateBlocked
			}
		case o.lcs(n) == LCSDeactivated:
			if st < stateDeactivated {
				st = stateDeactivated
			}
		}
	}
	return st
}

// app returns the application handling the current DF: the nearest DF with
// an App.
func (ch *channel) app() App {
	for n := ch.df; n != nil; n = n.parent {
		if n.app != nil {
			return n.app
		}
	}
	return nil
}

// clearPending forgets the data kept for GET RESPONSE on the channel the
// command's class names, or on every channel when the class is unusable.
func (o *OS) clearPending(capdu []byte) {
	if len(capdu) > 0 {
		if cla, ok := decodeCLA(capdu[0]); ok && cla.channel < NumChannels {
			o.channels[cla.channel].pending = o.channels[cla.channel].pending[:0]
			return
		}
	}
	for i := range o.channels {
		o.channels[i].pending = o.channels[i].pending[:0]
	}
}
