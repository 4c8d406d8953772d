package pay

import (
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// adf is one payment application: its command handler and its NVM cells.
// Like the card, it is shared by every card built from one profile; the
// per-card state is in NVM, the per-transaction state in the channel's
// session.
type adf struct {
	c              *card
	aid            []byte
	ecash          bool
	atcCell        int // ATC, 2 bytes
	lastOnlineCell int // last online ATC, 2 bytes
	offlineCell    int // consecutive offline transactions, 1 byte
	statusCell     int // status flags, scripts of the last transaction
	balanceCell    int // e-cash balance, n12
	limitsCell     int // 9F77, 9F78, 9F6D, 9F6B, n12 each
	logHeadCell    int // slot of the most recent log record, record count
	logCells       []int
}

// Status flags (byte 0 of the status cell).
const (
	stBlocked          byte = 0x01 // APPLICATION BLOCK applied
	stOnlinePending    byte = 0x02 // an ARQC awaits its second GENERATE AC
	stIssuerAuthFailed byte = 0x04 // issuer authentication failed last time
	stScriptFailed     byte = 0x08 // an issuer script failed in the last transaction
)

// Offsets of the limits cell.
const (
	limBalance = 0
	limSingle  = 6
	limReset   = 12
	limCVM     = 18
)

// phase is where a transaction is.
type phase uint8

const (
	phSelected phase = iota // selected, no GPO yet
	phGPO                   // contact GPO done
	phOnline                // first GENERATE AC answered ARQC
	phDone                  // finished: no more GPO or GENERATE AC
)

// session is the transaction state of one logical channel.
type session struct {
	phase     phase
	path      *path
	quics     bool
	atc       uint16
	pdolData  []byte
	cdol1Data []byte
	amount    uint64
	ecashTxn  bool
	cvr       [3]byte // bits this transaction set
	pinTried  bool
	pinFailed bool
	ddaDone   bool
	ac        [8]byte
	hasAC     bool
	authTried bool
	authFail  bool
	scripts   int
	scriptErr bool
}

func (s *session) reset() {
	pd, cd := s.pdolData[:0], s.cdol1Data[:0]
	*s = session{pdolData: pd, cdol1Data: cd}
}

func sessionOf(x *cos.Context) *session {
	if s, ok := x.Volatile().(*session); ok {
		return s
	}
	s := &session{}
	x.SetVolatile(s)
	return s
}

// Handle runs the application's commands; the card OS runs SELECT, GET
// CHALLENGE and what the application does not know.
func (d *adf) Handle(x *cos.Context) ([]byte, iso7816.Status, bool) {
	cmd := &x.Cmd
	s := sessionOf(x)
	if cmd.INS == INSSelect {
		s.reset()
		return nil, 0, false
	}
	if d.cardBlocked(x) {
		return nil, iso7816.SWFuncNotSupported, true
	}
	var h func(*cos.Context, *session) ([]byte, iso7816.Status)
	var want claKind
	switch cmd.INS {
	case INSGPO:
		h, want = d.gpo, claProp
	case INSGenerateAC:
		h, want = d.generateAC, claProp
	case INSGetData:
		h, want = d.getData, claProp
	case INSReadRecord:
		h, want = d.readRecord, claISO
	case INSVerify:
		h, want = d.verify, claISO
	case INSInternalAuth:
		h, want = d.internalAuth, claISO
	case INSExternalAuth:
		h, want = d.externalAuth, claISO
	case INSAppBlock, INSAppUnblock, INSCardBlock, INSPINChange:
		h, want = d.script, claScript
	case INSPutData:
		h, want = d.script, claPutData
	default:
		return nil, 0, false
	}
	if sw := checkCLA(x, want); sw != iso7816.SWOK {
		return nil, sw, true
	}
	data, sw := h(x, s)
	return data, sw, true
}

type claKind uint8

const (
	claISO     claKind = iota // 00
	claProp                   // 80
	claScript                 // 84
	claPutData                // 04 or 84
)

func checkCLA(x *cos.Context, want claKind) iso7816.Status {
	prop, sm := x.Proprietary(), x.SM()
	ok := false
	switch want {
	case claISO:
		ok = !prop && !sm
	case claProp:
		ok = prop && !sm
	case claScript:
		if prop && !sm {
			return iso7816.SWSecurityNotSatisfied
		}
		ok = prop && sm
	case claPutData:
		ok = sm
	}
	if !ok {
		return iso7816.SWCLANotSupported
	}
	return iso7816.SWOK
}

// --- NVM state ---

func u16(b []byte) uint16 {
	if len(b) != 2 {
		return 0xFFFF
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

func (d *adf) atc(x *cos.Context) uint16 { return u16(x.Memory().Get(d.atcCell)) }

func (d *adf) status(x *cos.Context) [2]byte {
	var st [2]byte
	copy(st[:], x.Memory().Get(d.statusCell))
	return st
}

func (d *adf) blocked(x *cos.Context) bool { return d.status(x)[0]&stBlocked != 0 }

// SelectStatus implements cos.SelectHook: after CARD BLOCK the payment
// applications refuse to be selected with 6A81 (EMV Book 3 §6.5.1); an
// application blocked by APPLICATION BLOCK is selected with its FCI and
// 6283 (EMV Book 1 §12.3.3), so a terminal leaves it out of its
// candidates.
func (d *adf) SelectStatus(x *cos.Context) iso7816.Status {
	switch {
	case d.cardBlocked(x):
		return iso7816.SWFuncNotSupported
	case d.blocked(x):
		return iso7816.SWWarnDeactivated
	}
	return 0
}

// directory is the App of the PSE and the PPSE: after CARD BLOCK they
// refuse to be selected with 6A81, like the applications they list.
type directory struct{ c *card }

func (directory) Handle(*cos.Context) ([]byte, iso7816.Status, bool) { return nil, 0, false }

// SelectStatus implements cos.SelectHook.
func (dir directory) SelectStatus(x *cos.Context) iso7816.Status {
	if b := x.Memory().Get(dir.c.blockCell); len(b) == 1 && b[0] != 0 {
		return iso7816.SWFuncNotSupported
	}
	return 0
}
func (d *adf) cardBlocked(x *cos.Context) bool {
	b := x.Memory().Get(d.c.blockCell)
	return len(b) == 1 && b[0] != 0
}

func (d *adf) balance(x *cos.Context) uint64 {
	v, _ := amount(x.Memory().Get(d.balanceCell))
	return v
}

func (d *adf) limit(x *cos.Context, off int) uint64 {
	l := x.Memory().Get(d.limitsCell)
	if len(l) < off+6 {
		return 0
	}
	v, _ := amount(l[off : off+6])
	return v
}

func (d *adf) tries(x *cos.Context) int {
	b := x.Memory().Get(d.c.triesCell)
	if len(b) != 1 {
		return 0
	}
	return int(b[0])
}

func (d *adf) offlineCount(x *cos.Context) int {
	b := x.Memory().Get(d.offlineCell)
	if len(b) != 1 {
		return 255
	}
	return int(b[0])
}

func atcBytes(atc uint16) []byte { return []byte{byte(atc >> 8), byte(atc)} }

// cvr assembles the card verification results (package documentation) of
// the transaction: the session's bits, then the persistent ones.
func (d *adf) cvr(x *cos.Context, s *session, first, second byte) [3]byte {
	c := s.cvr
	c[0] |= second | first
	if s.pinTried {
		c[0] |= 0x04
	}
	if s.pinFailed {
		c[0] |= 0x02
	}
	if s.authFail {
		c[0] |= 0x08
	}
	st := d.status(x)
	if st[0]&stOnlinePending != 0 {
		c[1] |= 0x80
	}
	if d.tries(x) == 0 {
		c[1] |= 0x40
	}
	if d.offlineCount(x) >= d.c.ucol {
		c[1] |= 0x20
	}
	if u16(x.Memory().Get(d.lastOnlineCell)) == 0 {
		c[1] |= 0x10
	}
	if st[0]&stIssuerAuthFailed != 0 {
		c[1] |= 0x08
	}
	c[2] |= st[1]<<4 | boolBit(st[0]&stScriptFailed != 0, 0x08) | boolBit(s.ddaDone, 0x02)
	return c
}

func boolBit(b bool, bit byte) byte {
	if b {
		return bit
	}
	return 0
}

// CVR byte 1 codes of the AC types (package documentation).
func firstBits(typ byte) byte {
	switch typ {
	case TC:
		return 0x10
	case ARQC:
		return 0x20
	}
	return 0
}

func secondBits(typ byte) byte {
	if typ == TC {
		return 0x40
	}
	return 0
}

const secondNotAsked byte = 0x80
