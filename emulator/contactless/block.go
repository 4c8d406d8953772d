package contactless

import (
	"errors"
	"fmt"
)

// BlockType is the kind of an ISO/IEC 14443-4 block (§7.1.1.1).
type BlockType uint8

// Block types.
const (
	IBlock BlockType = iota + 1 // information
	RBlock                      // receive ready: ACK or NAK
	SBlock                      // supervisory: DESELECT or WTX
)

// SCommand is what an S-block asks (§7.1.1.1, PCB b6–b5).
type SCommand uint8

// S-block commands.
const (
	Deselect SCommand = 0
	WTX      SCommand = 3
)

// Block is one ISO/IEC 14443-4 block: prologue (PCB, CID, NAD) and
// information field, without the CRC.
type Block struct {
	Type BlockType
	// Num is the block number (I- and R-blocks).
	Num byte
	// Chaining is the I-block's more-data bit.
	Chaining bool
	// NAK marks an R(NAK); an R-block without it is an R(ACK).
	NAK bool
	// S is the S-block's command.
	S SCommand
	// HasCID says a CID byte follows the PCB; CID is its low nibble and
	// Power its power level indication (b8–b7, from a card only).
	HasCID bool
	CID    byte
	Power  byte
	// HasNAD says a NAD byte follows (I-blocks only).
	HasNAD bool
	NAD    byte
	// INF is the information field: part of an APDU for an I-block, the
	// WTXM byte for S(WTX), empty otherwise.
	INF []byte
}

// Block errors: a block with any of them is invalid (§7.5.5), which a
// card ignores and a reader answers with R(NAK).
var (
	ErrEmptyBlock = errors.New("empty block")
	ErrBadPCB     = errors.New("PCB of no block type")
	ErrTruncated  = errors.New("block cut short")
	ErrBadINF     = errors.New("information field not allowed here")
)

// ParseBlock reads a block (without its CRC). INF aliases b.
func ParseBlock(b []byte) (Block, error) {
	var blk Block
	err := ParseBlockInto(&blk, b)
	return blk, err
}

// ParseBlockInto is ParseBlock reading into blk, for hot paths that keep
// one Block: blk is overwritten whole, and on an error holds what was
// read before it.
func ParseBlockInto(blk *Block, b []byte) error {
	*blk = Block{}
	if len(b) == 0 {
		return ErrEmptyBlock
	}
	pcb := b[0]
	switch {
	case pcb&0xE2 == 0x02: // 000x xx1x
		blk.Type = IBlock
		blk.Chaining = pcb&0x10 != 0
		blk.HasNAD = pcb&0x04 != 0
		blk.Num = pcb & 1
	case pcb&0xE6 == 0xA2: // 101x x01x
		blk.Type = RBlock
		blk.NAK = pcb&0x10 != 0
		blk.Num = pcb & 1
	case pcb&0xC7 == 0xC2: // 11xx x010
		blk.Type = SBlock
		blk.S = SCommand(pcb >> 4 & 3)
		if blk.S != Deselect && blk.S != WTX {
			return fmt.Errorf("%w: %02X (S-block command %d is RFU)", ErrBadPCB, pcb, blk.S)
		}
	default:
		return fmt.Errorf("%w: %02X", ErrBadPCB, pcb)
	}
	blk.HasCID = pcb&0x08 != 0
	i := 1
	if blk.HasCID {
		if i >= len(b) {
			return fmt.Errorf("%w: no CID byte", ErrTruncated)
		}
		blk.CID, blk.Power = b[i]&0x0F, b[i]>>6
		i++
	}
	if blk.HasNAD {
		if i >= len(b) {
			return fmt.Errorf("%w: no NAD byte", ErrTruncated)
		}
		blk.NAD = b[i]
		i++
	}
	blk.INF = b[i:]
	switch {
	case blk.Type == RBlock && len(blk.INF) != 0:
		return fmt.Errorf("%w: %d bytes in an R-block", ErrBadINF, len(blk.INF))
	case blk.Type == SBlock && blk.S == Deselect && len(blk.INF) != 0:
		return fmt.Errorf("%w: %d bytes in S(DESELECT)", ErrBadINF, len(blk.INF))
	case blk.Type == SBlock && blk.S == WTX && len(blk.INF) != 1:
		if len(blk.INF) == 0 {
			return fmt.Errorf("%w: S(WTX) without WTXM", ErrTruncated)
		}
		return fmt.Errorf("%w: %d bytes in S(WTX)", ErrBadINF, len(blk.INF))
	}
	return nil
}

// PCB returns the block's protocol control byte.
func (blk Block) PCB() byte {
	var pcb byte
	switch blk.Type {
	case IBlock:
		pcb = 0x02 | blk.Num&1
		if blk.Chaining {
			pcb |= 0x10
		}
		if blk.HasNAD {
			pcb |= 0x04
		}
	case RBlock:
		pcb = 0xA2 | blk.Num&1
		if blk.NAK {
			pcb |= 0x10
		}
	case SBlock:
		pcb = 0xC2 | byte(blk.S&3)<<4
	}
	if blk.HasCID {
		pcb |= 0x08
	}
	return pcb
}

// Append appends the block (without CRC) to dst.
func (blk Block) Append(dst []byte) []byte {
	dst = append(dst, blk.PCB())
	if blk.HasCID {
		dst = append(dst, blk.Power<<6|blk.CID&0x0F)
	}
	if blk.Type == IBlock && blk.HasNAD {
		dst = append(dst, blk.NAD)
	}
	return append(dst, blk.INF...)
}

// Overhead returns the bytes of a frame that are not INF: prologue and
// CRC.
func (blk Block) Overhead() int {
	n := 1 + 2
	if blk.HasCID {
		n++
	}
	if blk.Type == IBlock && blk.HasNAD {
		n++
	}
	return n
}

// WTXM returns the multiplier of an S(WTX) block (INF b6–b1), 0 if none.
func (blk Block) WTXM() int {
	if blk.Type != SBlock || blk.S != WTX || len(blk.INF) != 1 {
		return 0
	}
	return int(blk.INF[0] & 0x3F)
}

func (blk Block) String() string {
	var s string
	switch blk.Type {
	case IBlock:
		s = fmt.Sprintf("I(%d)", blk.Num)
		if blk.Chaining {
			s = fmt.Sprintf("I(%d,chain)", blk.Num)
		}
	case RBlock:
		if blk.NAK {
			s = fmt.Sprintf("R(NAK,%d)", blk.Num)
		} else {
			s = fmt.Sprintf("R(ACK,%d)", blk.Num)
		}
	case SBlock:
		if blk.S == WTX {
			s = fmt.Sprintf("S(WTX,%d)", blk.WTXM())
		} else {
			s = "S(DESELECT)"
		}
	default:
		return "block?"
	}
	if blk.HasCID {
		s += fmt.Sprintf(" CID %d", blk.CID)
	}
	if blk.HasNAD {
		s += fmt.Sprintf(" NAD %02X", blk.NAD)
	}
	if blk.Type == IBlock && len(blk.INF) > 0 {
		s += fmt.Sprintf(" % X", blk.INF)
	}
	return s
}
