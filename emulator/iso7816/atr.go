package iso7816

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrMalformedATR is wrapped by every error ParseATR and BuildATR return.
var ErrMalformedATR = errors.New("malformed ATR")

// MaxATRLen is the largest answer-to-reset including TS: ISO/IEC 7816-3:2006
// §8.2.1 allows at most 32 bytes after the initial character (PC/SC's
// MAX_ATR_SIZE is 33 for the same reason).
const MaxATRLen = 33

// Initial characters (ISO/IEC 7816-3 §8.1).
const (
	TSDirect  byte = 0x3B // direct convention
	TSInverse byte = 0x3F // inverse convention (bytes given decoded)
)

// Default interface parameters (ISO/IEC 7816-3 §8.3, §10.2, §11.4).
const (
	DefaultFi   = 372 // clock rate conversion integer without TA1
	DefaultDi   = 1   // baud rate adjustment integer without TA1
	DefaultWI   = 10  // T=0 waiting time integer without TC2
	DefaultIFSC = 32  // T=1 information field size for the card
	DefaultBWI  = 4   // T=1 block waiting time integer
	DefaultCWI  = 13  // T=1 character waiting time integer
)

// InterfaceBytes is the group i of interface bytes TAi, TBi, TCi and TDi of
// an answer-to-reset (ISO/IEC 7816-3 §8.2.3); a nil field is absent.
type InterfaceBytes struct {
	TA, TB, TC, TD *byte
}

// ATR is a decoded answer-to-reset (ISO/IEC 7816-3 §8). The parameters
// derived from the interface bytes hold their defaults when the bytes
// defining them are absent.
type ATR struct {
	// Raw is a copy of the parsed bytes, TS first.
	Raw []byte
	// TS is the initial character: TSDirect or TSInverse.
	TS byte
	// T0 is the format byte: Y1 in the high nibble, K in the low nibble.
	T0 byte
	// Interface holds the interface byte groups: Interface[i-1] is group i.
	// Group 1 is always present, possibly empty.
	Interface []InterfaceBytes
	// Protocols lists the offered protocols in the order the TDi bytes
	// indicate them, without repetition and without T=15 (which only
	// introduces global bytes); T=0 alone when TD1 is absent.
	Protocols []int
	// Historical holds the K historical bytes; it aliases Raw.
	Historical []byte
	// TCK is the check byte, present if and only if a protocol other than
	// T=0 is indicated (ISO/IEC 7816-3 §8.2.5).
	TCK *byte

	// FiCode and DiCode are the high and low nibbles of TA1 (1 and 1 when
	// TA1 is absent); Fi, Di and FMaxKHz are their values in Tables 7 and 8.
	FiCode, DiCode byte
	Fi, Di         int
	FMaxKHz        int
	// N is the extra guard time integer of TC1 (§8.3).
	N int
	// WI is the waiting time integer of TC2, for T=0 (§10.2).
	WI int
	// SpecificMode is true when TA2 is present (§8.3); then
	// SpecificProtocol is the protocol it names, ModeChangeable tells
	// whether the card can change to negotiable mode (b8 = 0), and
	// ImplicitParams whether the parameters are implicit rather than
	// those of TA1 (b5 = 1).
	SpecificMode     bool
	SpecificProtocol int
	ModeChangeable   bool
	ImplicitParams   bool
	// IFSC is the card's maximum information field size for T=1, from the
	// first TA for T=1 (§11.4.2).
	IFSC int
	// BWI and CWI are the block and character waiting time integers for
	// T=1, from the first TB for T=1 (§11.4.3).
	BWI, CWI int
	// CRC is true when the first TC for T=1 selects the CRC error
	// detection code instead of LRC (§11.4.4).
	CRC bool
}

// fiTable and diTable are ISO/IEC 7816-3 Tables 7 and 8; zero marks RFU.
var (
	fiTable   = [16]int{372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0}
	fMaxTable = [16]int{4000, 5000, 6000, 8000, 12000, 16000, 20000, 0, 0, 5000, 7500, 10000, 15000, 20000, 0, 0}
	diTable   = [16]int{0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0}
)

func atrError(format string, args ...any) error {
	return fmt.Errorf("parsing ATR: %w: "+format, append([]any{ErrMalformedATR}, args...)...)
}

// ParseATR decodes an answer-to-reset (ISO/IEC 7816-3 §8.2). It fails,
// wrapping ErrMalformedATR, on a TS other than 3B or 3F, more than
// MaxATRLen bytes, interface or historical bytes missing, a missing or wrong
// TCK (the exclusive-or of T0 to TCK must be zero), bytes after the end, T=15
// in TD1, and reserved values of the parameters it decodes (Fi, Di, WI,
// IFSC, BWI). The result does not alias b.
func ParseATR(b []byte) (*ATR, error) {
	if len(b) < 2 {
		return nil, atrError("%d bytes, need TS and T0", len(b))
	}
	if len(b) > MaxATRLen {
		return nil, atrError("%d bytes exceed %d", len(b), MaxATRLen)
	}
	if b[0] != TSDirect && b[0] != TSInverse {
		return nil, atrError("TS %02X is neither 3B nor 3F", b[0])
	}
	raw := bytes.Clone(b)
	a := &ATR{Raw: raw, TS: raw[0], T0: raw[1]}
	pos, tckNeeded, err := a.readInterface(raw)
	if err != nil {
		return nil, err
	}
	k := int(a.T0 & 0x0F)
	if len(raw)-pos < k {
		return nil, atrError("%d historical bytes announced, %d present", k, len(raw)-pos)
	}
	a.Historical = raw[pos : pos+k : pos+k]
	pos += k
	if tckNeeded {
		if pos == len(raw) {
			return nil, atrError("TCK missing")
		}
		tck := raw[pos]
		a.TCK = &tck
		pos++
		if x := xorAll(raw[1:pos]); x != 0 {
			return nil, atrError("TCK %02X wrong, want %02X", tck, tck^x)
		}
	}
	if pos != len(raw) {
		return nil, atrError("%d bytes after the end", len(raw)-pos)
	}
	if err := a.decodeParams(); err != nil {
		return nil, err
	}
	return a, nil
}

// readInterface reads the interface byte groups after T0 and returns the
// position after them and whether a TCK is required.
func (a *ATR) readInterface(raw []byte) (pos int, tckNeeded bool, err error) {
	pos = 2
	y := a.T0 >> 4
	for i := 1; ; i++ {
		var g InterfaceBytes
		for bit, dst := range [4]**byte{&g.TA, &g.TB, &g.TC, &g.TD} {
			if y&(1<<bit) == 0 {
				continue
			}
			if pos == len(raw) {
				return 0, false, atrError("interface bytes of group %d truncated", i)
			}
			v := raw[pos]
			*dst = &v
			pos++
		}
		a.Interface = append(a.Interface, g)
		if g.TD == nil {
			break
		}
		t := int(*g.TD & 0x0F)
		if i == 1 && t == 15 {
			return 0, false, atrError("TD1 indicates T=15")
		}
		if t != 0 {
			tckNeeded = true
		}
		if t != 15 && !containsInt(a.Protocols, t) {
			a.Protocols = append(a.Protocols, t)
		}
		y = *g.TD >> 4
	}
	if len(a.Protocols) == 0 {
		a.Protocols = []int{0}
	}
	return pos, tckNeeded, nil
}

// decodeParams sets the parameters derived from the interface bytes.
func (a *ATR) decodeParams() error {
	a.FiCode, a.DiCode = 1, 1
	if ta1 := a.Group(1).TA; ta1 != nil {
		a.FiCode, a.DiCode = *ta1>>4, *ta1&0x0F
	}
	a.Fi, a.FMaxKHz, a.Di = fiTable[a.FiCode], fMaxTable[a.FiCode], diTable[a.DiCode]
	if a.Fi == 0 || a.Di == 0 {
		return atrError("TA1 %X%X uses a reserved Fi or Di", a.FiCode, a.DiCode)
	}
	if tc1 := a.Group(1).TC; tc1 != nil {
		a.N = int(*tc1)
	}
	a.WI = DefaultWI
	if tc2 := a.Group(2).TC; tc2 != nil {
		if *tc2 == 0 {
			return atrError("TC2 00 is reserved")
		}
		a.WI = int(*tc2)
	}
	if ta2 := a.Group(2).TA; ta2 != nil {
		a.SpecificMode = true
		a.SpecificProtocol = int(*ta2 & 0x0F)
		a.ModeChangeable = *ta2&0x80 == 0
		a.ImplicitParams = *ta2&0x10 != 0
	}
	return a.decodeT1()
}

// decodeT1 sets the T=1 parameters from the first TA, TB and TC for T=1.
func (a *ATR) decodeT1() error {
	a.IFSC, a.BWI, a.CWI = DefaultIFSC, DefaultBWI, DefaultCWI
	t1 := a.Specific(1)
	if t1.TA != nil {
		if *t1.TA == 0x00 || *t1.TA == 0xFF {
			return atrError("IFSC %02X is reserved", *t1.TA)
		}
		a.IFSC = int(*t1.TA)
	}
	if t1.TB != nil {
		a.BWI, a.CWI = int(*t1.TB>>4), int(*t1.TB&0x0F)
		if a.BWI > 9 {
			return atrError("BWI %X is reserved", a.BWI)
		}
	}
	if t1.TC != nil {
		a.CRC = *t1.TC&0x01 != 0
	}
	return nil
}

// Group returns the interface byte group i (1-based); all fields are nil
// when the group is absent.
func (a *ATR) Group(i int) InterfaceBytes {
	if i < 1 || i > len(a.Interface) {
		return InterfaceBytes{}
	}
	return a.Interface[i-1]
}

// Specific returns the first TA, TB and TC specific to protocol t: those of
// the groups i+1 (i >= 2) following a TDi that indicates t (ISO/IEC 7816-3
// §8.2.3). TD is always nil in the result.
func (a *ATR) Specific(t int) InterfaceBytes {
	var s InterfaceBytes
	for i := 2; i < len(a.Interface); i++ {
		td := a.Interface[i-1].TD
		if td == nil || int(*td&0x0F) != t {
			continue
		}
		g := a.Interface[i]
		s.TA = firstNonNil(s.TA, g.TA)
		s.TB = firstNonNil(s.TB, g.TB)
		s.TC = firstNonNil(s.TC, g.TC)
	}
	return s
}

func firstNonNil(a, b *byte) *byte {
	if a != nil {
		return a
	}
	return b
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func xorAll(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}
