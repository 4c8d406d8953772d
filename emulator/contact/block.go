package contact

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// T=1 block structure (ISO/IEC 7816-3 §11.3): prologue NAD PCB LEN,
// information field of LEN bytes, epilogue EDC of one (LRC) or two (CRC)
// bytes.

// MaxINF is the largest information field of a T=1 block: LEN FF is
// reserved (ISO/IEC 7816-3 §11.3.2.3), and IFSC/IFSD never exceed 254.
const MaxINF = 254

// Block kinds, from the two high bits of PCB.
const (
	KindI = iota + 1 // information block
	KindR            // receive-ready block
	KindS            // supervisory block
)

// R-block error codes, the low nibble of PCB (ISO/IEC 7816-3 §11.3.2.2).
const (
	RErrNone  = 0x0 // error-free acknowledgement
	RErrEDC   = 0x1 // EDC or parity error
	RErrOther = 0x2 // other error
)

// S-block functions, the low five bits of PCB (ISO/IEC 7816-3 §11.3.2.2).
const (
	SResynch = 0x00
	SIFS     = 0x01
	SAbort   = 0x02
	SWTX     = 0x03
)

// PCB bits.
const (
	pcbR        = 0x80
	pcbS        = 0xC0
	pcbINS      = 0x40 // N(S) of an I-block
	pcbIMore    = 0x20 // M of an I-block
	pcbRNR      = 0x10 // N(R) of an R-block
	pcbSResp    = 0x20 // response bit of an S-block
	sFuncMask   = 0x1F
	rErrMask    = 0x0F
	iReservedMs = 0x1F
)

// Errors of ParseBlock. ErrEDC means the block arrived damaged (the
// receiver answers with an R-block with the EDC error bit); ErrBlock means
// it arrived whole but is not a valid block (R-block, other error).
var (
	ErrEDC   = errors.New("T=1 block: EDC error")
	ErrBlock = errors.New("T=1 block: invalid")
)

// Block is a decoded T=1 block.
type Block struct {
	NAD byte
	PCB byte
	// INF aliases the parsed bytes.
	INF []byte
}

// Kind is KindI, KindR or KindS.
func (b Block) Kind() int {
	switch {
	case b.PCB&0x80 == 0:
		return KindI
	case b.PCB&0xC0 == pcbR:
		return KindR
	}
	return KindS
}

// NS is the send sequence number of an I-block (0 or 1).
func (b Block) NS() byte { return b.PCB >> 6 & 1 }

// More is the chaining bit M of an I-block.
func (b Block) More() bool { return b.PCB&pcbIMore != 0 }

// NR is the sequence number of an R-block.
func (b Block) NR() byte { return b.PCB >> 4 & 1 }

// RErr is the error code of an R-block (RErrNone, RErrEDC, RErrOther).
func (b Block) RErr() byte { return b.PCB & rErrMask }

// SFunc is the function of an S-block (SResynch, SIFS, SAbort, SWTX).
func (b Block) SFunc() byte { return b.PCB & sFuncMask }

// IsResponse reports whether an S-block is a response.
func (b Block) IsResponse() bool { return b.PCB&pcbSResp != 0 }

// IPCB is the PCB of an I-block.
func IPCB(ns byte, more bool) byte {
	p := (ns & 1) << 6
	if more {
		p |= pcbIMore
	}
	return p
}

// RPCB is the PCB of an R-block.
func RPCB(nr, errCode byte) byte { return pcbR | (nr&1)<<4 | errCode&rErrMask }

// SPCB is the PCB of an S-block.
func SPCB(fn byte, response bool) byte {
	p := pcbS | fn&sFuncMask
	if response {
		p |= pcbSResp
	}
	return p
}

// EDCLen is the length of the epilogue: 2 with CRC, 1 with LRC.
func EDCLen(crc bool) int {
	if crc {
		return 2
	}
	return 1
}

// AppendBlock appends the block NAD PCB LEN INF EDC to dst. It panics if
// INF is longer than MaxINF: callers cut information into pieces first.
func AppendBlock(dst []byte, nad, pcb byte, inf []byte, crc bool) []byte {
	if len(inf) > MaxINF {
		panic(fmt.Sprintf("contact: T=1 information field of %d bytes", len(inf)))
	}
	start := len(dst)
	dst = append(dst, nad, pcb, byte(len(inf)))
	dst = append(dst, inf...)
	return appendEDC(dst, dst[start:], crc)
}

func appendEDC(dst, covered []byte, crc bool) []byte {
	if crc {
		c := crc16(covered)
		return append(dst, byte(c>>8), byte(c))
	}
	return append(dst, lrc(covered))
}

// lrc is the longitudinal redundancy check: the exclusive-or of the bytes
// (ISO/IEC 7816-3 §11.4.4).
func lrc(b []byte) byte {
	var w uint64
	for len(b) >= 8 {
		w ^= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	w ^= w >> 32
	w ^= w >> 16
	w ^= w >> 8
	x := byte(w)
	for _, c := range b {
		x ^= c
	}
	return x
}

// crc16 is the CRC of ISO/IEC 7816-3 §11.4.4 as readers compute it: CRC-16
// with the CCITT polynomial (x^16 + x^12 + x^5 + 1) in bit-reversed form,
// initial value FFFF, no final inversion, sent high byte first. It is the
// same code the PC/SC CCID driver uses.
func crc16(b []byte) uint16 {
	v := uint16(0xFFFF)
	for _, c := range b {
		v = v>>8 ^ crcTable[byte(v)^c]
	}
	return v
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		v := uint16(i)
		for range 8 {
			if v&1 != 0 {
				v = v>>1 ^ 0x8408
			} else {
				v >>= 1
			}
		}
		t[i] = v
	}
	return t
}()

// ParseBlock decodes a T=1 block received whole (ISO/IEC 7816-3 §11.3). A
// wrong EDC is ErrEDC; a block whose length disagrees with LEN, LEN FF, or
// a PCB with reserved bits set is ErrBlock. NAD and the sequence numbers
// are not checked here: they depend on the state of the exchange.
func ParseBlock(b []byte, crc bool) (Block, error) {
	n := EDCLen(crc)
	if len(b) < 3+n {
		return Block{}, fmt.Errorf("%w: %d bytes", ErrBlock, len(b))
	}
	ln := int(b[2])
	if ln == 0xFF {
		return Block{}, fmt.Errorf("%w: LEN FF is reserved", ErrBlock)
	}
	if len(b) != 3+ln+n {
		return Block{}, fmt.Errorf("%w: LEN %d but %d bytes", ErrBlock, ln, len(b))
	}
	body := b[:3+ln]
	if crc {
		c := crc16(body)
		if b[3+ln] != byte(c>>8) || b[4+ln] != byte(c) {
			return Block{}, ErrEDC
		}
	} else if lrc(body) != b[3+ln] {
		return Block{}, ErrEDC
	}
	blk := Block{NAD: b[0], PCB: b[1], INF: b[3 : 3+ln : 3+ln]}
	if err := blk.check(); err != nil {
		return Block{}, err
	}
	return blk, nil
}

// check rejects reserved PCB values and S-blocks whose information field
// does not fit their function.
func (b Block) check() error {
	switch b.Kind() {
	case KindI:
		if b.PCB&iReservedMs != 0 {
			return fmt.Errorf("%w: I-block PCB %02X has reserved bits set", ErrBlock, b.PCB)
		}
	case KindR:
		if b.PCB&0x20 != 0 || b.RErr() > RErrOther {
			return fmt.Errorf("%w: R-block PCB %02X is reserved", ErrBlock, b.PCB)
		}
		if len(b.INF) != 0 {
			return fmt.Errorf("%w: R-block with %d information bytes", ErrBlock, len(b.INF))
		}
	case KindS:
		switch b.SFunc() {
		case SResynch, SAbort:
			if len(b.INF) != 0 {
				return fmt.Errorf("%w: S-block %02X with %d information bytes", ErrBlock, b.PCB, len(b.INF))
			}
		case SIFS:
			if len(b.INF) != 1 || b.INF[0] == 0 || b.INF[0] == 0xFF {
				return fmt.Errorf("%w: S(IFS) information field % X", ErrBlock, b.INF)
			}
		case SWTX:
			if len(b.INF) != 1 || b.INF[0] == 0 {
				return fmt.Errorf("%w: S(WTX) information field % X", ErrBlock, b.INF)
			}
		default:
			return fmt.Errorf("%w: S-block PCB %02X is reserved", ErrBlock, b.PCB)
		}
	}
	return nil
}

// Name is a short description of the block for traces: "I(0)", "I(1)+"
// (chained), "R(1)", "R(0) EDC error", "S(WTX request) 02".
func (b Block) Name() string {
	switch b.Kind() {
	case KindI:
		return iNames[b.NS()][boolIndex(b.More())]
	case KindR:
		return rNames[b.NR()][min(b.RErr(), 3)]
	}
	name := sNames[min(b.SFunc(), 4)][boolIndex(b.IsResponse())]
	if len(b.INF) == 1 {
		return name + " " + hexByte(b.INF[0])
	}
	return name
}

var (
	iNames = [2][2]string{{"I(0)", "I(0)+"}, {"I(1)", "I(1)+"}}
	rNames = [2][4]string{
		{"R(0)", "R(0) EDC error", "R(0) other error", "R(0) reserved"},
		{"R(1)", "R(1) EDC error", "R(1) other error", "R(1) reserved"},
	}
	sNames = [5][2]string{
		{"S(RESYNCH request)", "S(RESYNCH response)"},
		{"S(IFS request)", "S(IFS response)"},
		{"S(ABORT request)", "S(ABORT response)"},
		{"S(WTX request)", "S(WTX response)"},
		{"S(reserved)", "S(reserved)"},
	}
)

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

const hexDigits = "0123456789ABCDEF"

func hexByte(b byte) string { return string([]byte{hexDigits[b>>4], hexDigits[b&0xF]}) }

// BlockName describes raw block bytes for traces: Block.Name for a valid
// block, else what is wrong with it.
func BlockName(b []byte, crc bool) string {
	blk, err := ParseBlock(b, crc)
	switch {
	case err == nil:
		return blk.Name()
	case errors.Is(err, ErrEDC):
		return "block with a wrong EDC"
	}
	return "invalid block"
}
