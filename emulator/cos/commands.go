package cos

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

// Instruction bytes (ISO/IEC 7816-4 §5.4.2 Table 4; PBOC/EMV issuer scripts;
// CARD.md §3 and §6).
const (
	insDeactivateFile = 0x04 // DEACTIVATE FILE, 84 04
	insCardBlock      = 0x16 // CARD BLOCK, 84 16
	insAppUnblock     = 0x18 // APPLICATION UNBLOCK, 84 18
	insAppBlock       = 0x1E // APPLICATION BLOCK, 84 1E
	insVerify         = 0x20 // VERIFY
	insPINReload      = 0x24 // PIN reload / unblock, 84 24
	insActivateFile   = 0x44 // ACTIVATE FILE, 84 44
	insChangePIN      = 0x5E // CHANGE PIN, 80 5E
	insManageChannel  = 0x70 // MANAGE CHANNEL
	insExtAuth        = 0x82 // EXTERNAL AUTHENTICATE
	insGetChallenge   = 0x84 // GET CHALLENGE
	insIntAuth        = 0x88 // INTERNAL AUTHENTICATE
	insSelect         = 0xA4 // SELECT
	insReadBinary     = 0xB0 // READ BINARY
	insReadRecord     = 0xB2 // READ RECORD
	insGetResponse    = 0xC0 // GET RESPONSE
	insUpdateBinary   = 0xD6 // UPDATE BINARY
	insUpdateRecord   = 0xDC // UPDATE RECORD
	insAppendRecord   = 0xE2 // APPEND RECORD
	insTerminateDF    = 0xE6 // TERMINATE DF, 84 E6
)

// classRule says which classes a command accepts.
type classRule uint8

const (
	classISO      classRule = iota // 00 (no SM)
	classISOOrSM                   // 00, or 04/84 with a MAC
	classSMOnly                    // 84/04 with a MAC; plain answers 6982
	classPropOnly                  // 80
)

type command struct {
	class classRule
	// inBlocked: allowed while the application is blocked.
	inBlocked bool
	// notDeactivated: refused (6985) while the application is deactivated.
	notDeactivated bool
	run            func(o *OS, x *Context) ([]byte, iso7816.Status)
}

var commands [256]*command

func init() {
	commands[insSelect] = &command{class: classISO, inBlocked: true, run: (*OS).selectFile}
	commands[insGetResponse] = &command{class: classISO, inBlocked: true, run: (*OS).getResponse}
	commands[insManageChannel] = &command{class: classISO, inBlocked: true, run: (*OS).manageChannel}
	commands[insGetChallenge] = &command{class: classISO, inBlocked: true, run: (*OS).getChallenge}
	commands[insExtAuth] = &command{class: classISO, inBlocked: true, run: (*OS).externalAuthenticate}
	commands[insIntAuth] = &command{class: classISO, inBlocked: true, run: (*OS).internalAuthenticate}
	commands[insReadBinary] = &command{class: classISO, run: (*OS).readBinary}
	commands[insReadRecord] = &command{class: classISO, run: (*OS).readRecord}
	commands[insUpdateBinary] = &command{class: classISOOrSM, notDeactivated: true, run: (*OS).updateBinary}
	commands[insUpdateRecord] = &command{class: classISOOrSM, notDeactivated: true, run: (*OS).updateRecord}
	commands[insAppendRecord] = &command{class: classISOOrSM, notDeactivated: true, run: (*OS).appendRecord}
	commands[insVerify] = &command{class: classISO, notDeactivated: true, run: (*OS).verify}
	commands[insChangePIN] = &command{class: classPropOnly, notDeactivated: true, run: (*OS).changePIN}
	commands[insPINReload] = &command{class: classSMOnly, notDeactivated: true, run: (*OS).pinReload}
	commands[insActivateFile] = &command{class: classSMOnly, inBlocked: true, run: (*OS).activateFile}
	commands[insDeactivateFile] = &command{class: classSMOnly, inBlocked: true, run: (*OS).deactivateFile}
	commands[insTerminateDF] = &command{class: classSMOnly, inBlocked: true, run: (*OS).terminateDF}
	commands[insAppBlock] = &command{class: classSMOnly, inBlocked: true, run: (*OS).appBlock}
	commands[insAppUnblock] = &command{class: classSMOnly, inBlocked: true, run: (*OS).appUnblock}
	commands[insCardBlock] = &command{class: classSMOnly, inBlocked: true, run: (*OS).cardBlock}
}

// dispatch runs one parsed command.
func (o *OS) dispatch(x *Context) ([]byte, iso7816.Status) {
	if o.CardBlocked() {
		return nil, iso7816.SWFuncNotSupported
	}
	if x.cla.isoSM {
		return nil, iso7816.SWSMNotSupported
	}
	ins := x.Cmd.INS
	c := commands[ins]
	st := o.stateOf(x.ch.df)
	if st == stateTerminated && ins != insSelect && ins != insGetResponse && ins != insManageChannel {
		return nil, iso7816.SWAppPermanentlyLocked
	}
	if st == stateBlocked && (c == nil || !c.inBlocked) {
		return nil, iso7816.SWFuncNotSupported
	}
	if app := x.ch.app(); app != nil && ins != insGetResponse && ins != insManageChannel {
		if data, sw, ok := app.Handle(x); ok {
			return data, sw
		}
	}
	if c == nil {
		if o.has(DefectUnknownINS6E00) {
			return nil, iso7816.SWCLANotSupported
		}
		return nil, iso7816.SWINSNotSupported
	}
	switch c.class {
	case classISO:
		if x.cla.proprietary {
			return nil, iso7816.SWCLANotSupported
		}
		if x.cla.sm {
			return nil, iso7816.SWSMNotSupported
		}
	case classISOOrSM:
		if x.cla.proprietary && !x.cla.sm {
			return nil, iso7816.SWCLANotSupported
		}
	case classSMOnly:
		if !x.cla.sm {
			return nil, iso7816.SWSecurityNotSatisfied
		}
	case classPropOnly:
		if !x.cla.proprietary {
			return nil, iso7816.SWCLANotSupported
		}
		if x.cla.sm {
			return nil, iso7816.SWSMNotSupported
		}
	}
	if c.notDeactivated && st == stateDeactivated && !o.has(DefectNoLifeCycleCheck) {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	return c.run(o, x)
}

// GET RESPONSE (ISO/IEC 7816-4 §11.5.1): returns data kept by the previous
// command. Le is a maximum; fewer bytes than waiting leaves the rest for
// another GET RESPONSE (61xx).
func (o *OS) getResponse(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	ch := x.ch
	if len(ch.pending) == 0 {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	ne := cmd.Ne
	if ne == 0 {
		ne = 256
		cmd.Ne = ne
	}
	if ne >= len(ch.pending) {
		data := ch.pending
		ch.pending = ch.pending[:0]
		return data, iso7816.SWOK
	}
	data := ch.pending[:ne]
	rest := ch.pending[ne:]
	// Keep the rest at the front of a fresh buffer so data stays intact
	// until the response is written.
	ch.pending = append([]byte(nil), rest...)
	return data, available(len(rest))
}

// MANAGE CHANNEL (ISO/IEC 7816-4 §11.1.2): open (P1=00) and close (P1=80)
// logical channels. Opening from the basic channel selects the MF; from
// another channel, that channel's current DF.
func (o *OS) manageChannel(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if len(cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	switch cmd.P1 {
	case 0x00:
		n := int(cmd.P2)
		if n == 0 {
			if cmd.Ne != 1 && cmd.Ne != 256 {
				return nil, iso7816.SWWrongLength
			}
			for i := 1; i < NumChannels; i++ {
				if !o.channels[i].open {
					n = i
					break
				}
			}
			if n == 0 {
				return nil, iso7816.SWFuncNotSupported
			}
		} else {
			if n >= NumChannels {
				return nil, iso7816.SWLogicalChannelNotSupported
			}
			if o.channels[n].open {
				return nil, iso7816.SWWrongP1P2
			}
		}
		df := o.layout.root
		if x.cla.channel != 0 {
			df = x.ch.df
		}
		o.channels[n] = channel{open: true, df: df}
		if cmd.P2 == 0 {
			return []byte{byte(n)}, iso7816.SWOK
		}
		return nil, iso7816.SWOK
	case 0x80:
		n := int(cmd.P2)
		if n == 0 {
			n = x.cla.channel
		}
		if n == 0 {
			return nil, iso7816.SWWrongP1P2
		}
		if n >= NumChannels || !o.channels[n].open {
			return nil, iso7816.SWLogicalChannelNotSupported
		}
		o.channels[n] = channel{}
		return nil, iso7816.SWOK
	}
	return nil, iso7816.SWWrongP1P2
}
