package contact

import (
	"errors"
	"fmt"
	"strconv"
)

// PPSS is the initial byte of a PPS request or response (ISO/IEC 7816-3
// §9.2).
const PPSS = 0xFF

// ErrPPS is wrapped by the errors of ParsePPS.
var ErrPPS = errors.New("malformed PPS")

// PPS is a protocol and parameters selection request or response
// (ISO/IEC 7816-3 §9.2): PPSS, PPS0 (the presence of PPS1 to PPS3 and the
// protocol T), the optional PPS1 (Fi and Di, coded as TA1), PPS2 and PPS3,
// and the check byte PCK. A nil field is absent.
type PPS struct {
	T                int
	PPS1, PPS2, PPS3 *byte
}

// Bytes encodes the PPS with its check byte.
func (p PPS) Bytes() []byte {
	out := []byte{PPSS, byte(p.T & 0x0F)}
	for i, v := range [3]*byte{p.PPS1, p.PPS2, p.PPS3} {
		if v != nil {
			out[1] |= 0x10 << i
			out = append(out, *v)
		}
	}
	return append(out, lrc(out))
}

// ParsePPS decodes a PPS request or response. It fails on a wrong length,
// a first byte other than FF, PPS0 b8 set (reserved), protocol 15, or a
// wrong PCK (the exclusive-or of all the bytes must be zero).
func ParsePPS(b []byte) (PPS, error) {
	if len(b) < 3 {
		return PPS{}, fmt.Errorf("%w: %d bytes", ErrPPS, len(b))
	}
	if b[0] != PPSS {
		return PPS{}, fmt.Errorf("%w: PPSS %02X", ErrPPS, b[0])
	}
	pps0 := b[1]
	if pps0&0x80 != 0 {
		return PPS{}, fmt.Errorf("%w: PPS0 %02X has b8 set", ErrPPS, pps0)
	}
	p := PPS{T: int(pps0 & 0x0F)}
	if p.T == 15 {
		return PPS{}, fmt.Errorf("%w: T=15", ErrPPS)
	}
	pos := 2
	for i, dst := range [3]**byte{&p.PPS1, &p.PPS2, &p.PPS3} {
		if pps0&(0x10<<i) == 0 {
			continue
		}
		if pos >= len(b)-1 {
			return PPS{}, fmt.Errorf("%w: PPS%d missing", ErrPPS, i+1)
		}
		v := b[pos]
		*dst = &v
		pos++
	}
	if pos != len(b)-1 {
		return PPS{}, fmt.Errorf("%w: %d bytes, PPS0 %02X announces %d", ErrPPS, len(b), pps0, pos+1)
	}
	if lrc(b) != 0 {
		return PPS{}, fmt.Errorf("%w: PCK %02X wrong", ErrPPS, b[len(b)-1])
	}
	return p, nil
}

// validFD reports whether the TA1-coded byte names defined Fi and Di.
func validFD(ta1 byte) bool {
	return fiOf(ta1>>4) != 0 && diOf(ta1&0x0F) != 0
}

// Tables 7 and 8 of ISO/IEC 7816-3 (zero: reserved).
var (
	fiTable = [16]int{372, 372, 558, 744, 1116, 1488, 1860, 0, 0, 512, 768, 1024, 1536, 2048, 0, 0}
	diTable = [16]int{0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0}
)

func fiOf(code byte) int { return fiTable[code&0x0F] }
func diOf(code byte) int { return diTable[code&0x0F] }

// FD returns the F and D that a TA1-coded byte names (0, 0 if reserved).
func FD(ta1 byte) (f, d int) { return fiOf(ta1 >> 4), diOf(ta1 & 0x0F) }

// PPSName describes a PPS for traces.
func PPSName(b []byte, response bool) string {
	kind := "PPS request"
	if response {
		kind = "PPS response"
	}
	p, err := ParsePPS(b)
	if err != nil {
		return "malformed " + kind
	}
	s := kind + " T=" + strconv.Itoa(p.T)
	if p.PPS1 != nil {
		s += " Fi/Di " + hexByte(*p.PPS1)
	}
	return s
}
