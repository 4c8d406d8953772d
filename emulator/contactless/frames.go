package contactless

import (
	"errors"
	"fmt"
)

// Commands and answers of ISO/IEC 14443-3 and the activation of
// ISO/IEC 14443-4, without CRC unless said otherwise.
const (
	REQA      = 0x26 // 7-bit short frame
	WUPA      = 0x52 // 7-bit short frame
	SEL1      = 0x93 // anticollision/select, cascade level 1
	SEL2      = 0x95
	SEL3      = 0x97
	CT        = 0x88 // cascade tag
	HLTA      = 0x50 // 50 00 + CRC_A
	RATS      = 0xE0
	PPSS      = 0xD0 // | CID
	APf       = 0x05 // REQB/WUPB anticollision prefix
	ATTRIBCmd = 0x1D
	HLTBCmd   = 0x50
	ATQBStart = 0x50
	// SAK bits (ISO/IEC 14443-3 §6.5.3.4).
	SAKCascade = 0x04 // UID not complete
	SAK14443_4 = 0x20 // UID complete, compliant with ISO/IEC 14443-4
)

// SelCode returns the SEL byte of cascade level 1..3.
func SelCode(level int) byte { return byte(SEL1 + 2*(level-1)) }

// BCC returns the block check character of a UID CLn: the XOR of its
// four bytes.
func BCC(b []byte) byte {
	var x byte
	for _, v := range b {
		x ^= v
	}
	return x
}

// CascadeLevels returns the UID CLn of each cascade level of a 4, 7 or
// 10-byte UID, BCC included (ISO/IEC 14443-3 §6.5.4).
func CascadeLevels(uid []byte) [][5]byte {
	var parts [][]byte
	switch len(uid) {
	case 4:
		parts = [][]byte{uid}
	case 7:
		parts = [][]byte{{CT, uid[0], uid[1], uid[2]}, uid[3:7]}
	case 10:
		parts = [][]byte{{CT, uid[0], uid[1], uid[2]}, {CT, uid[3], uid[4], uid[5]}, uid[6:10]}
	}
	out := make([][5]byte, len(parts))
	for i, p := range parts {
		copy(out[i][:4], p)
		out[i][4] = BCC(p)
	}
	return out
}

// ATS is the answer to select (ISO/IEC 14443-4 §5.2).
type ATS struct {
	FSCI int
	// DS and DR list the divisors the card supports from it (PICC → PCD)
	// and to it (PCD → PICC) besides 1, as TA1 bits: 212, 424, 848.
	DS, DR []BitRate
	// SameD says the card needs the same rate both ways (TA1 b8).
	SameD bool
	FWI   int
	SFGI  int
	CID   bool // TC1 b2
	NAD   bool // TC1 b1
	// Historical bytes.
	Historical []byte
}

// taByte codes the supported rates in the TA1 / ATQB bit rate byte.
func taByte(sameD bool, ds, dr []BitRate) byte {
	var b byte
	if sameD {
		b |= 0x80
	}
	for _, r := range ds {
		if c := r.Code(); c > 0 {
			b |= 1 << (3 + c) // 212: b5, 424: b6, 848: b7
		}
	}
	for _, r := range dr {
		if c := r.Code(); c > 0 {
			b |= 1 << (c - 1) // 212: b1, 424: b2, 848: b3
		}
	}
	return b
}

// rates decodes a TA1 / ATQB bit rate byte.
func rates(b byte) (sameD bool, ds, dr []BitRate) {
	for c := 1; c <= 3; c++ {
		if b&(1<<(3+c)) != 0 {
			ds = append(ds, RateOfCode(c))
		}
		if b&(1<<(c-1)) != 0 {
			dr = append(dr, RateOfCode(c))
		}
	}
	return b&0x80 != 0, ds, dr
}

// Bytes returns the ATS (TL first, no CRC) with TA1, TB1 and TC1.
func (a ATS) Bytes() []byte {
	tc := byte(0)
	if a.CID {
		tc |= 0x02
	}
	if a.NAD {
		tc |= 0x01
	}
	out := []byte{0, 0x70 | byte(a.FSCI&0x0F), taByte(a.SameD, a.DS, a.DR), byte(a.FWI&0x0F)<<4 | byte(a.SFGI&0x0F), tc}
	out = append(out, a.Historical...)
	out[0] = byte(len(out))
	return out
}

// ErrBadATS is returned for an ATS that does not parse.
var ErrBadATS = errors.New("malformed ATS")

// ParseATS reads an ATS (TL first, no CRC). Absent interface bytes take
// their defaults: FSCI 2, rates 106 only, FWI 4, SFGI 0, CID yes, NAD no.
func ParseATS(b []byte) (ATS, error) {
	a := ATS{FSCI: 2, FWI: 4, CID: true}
	if len(b) == 0 || int(b[0]) != len(b) {
		return a, fmt.Errorf("%w: TL does not match its length %d", ErrBadATS, len(b))
	}
	if len(b) == 1 {
		return a, nil
	}
	t0 := b[1]
	if t0&0x80 != 0 {
		return a, fmt.Errorf("%w: T0 b8 set", ErrBadATS)
	}
	a.FSCI = int(t0 & 0x0F)
	i := 2
	next := func() (byte, bool) {
		if i >= len(b) {
			return 0, false
		}
		i++
		return b[i-1], true
	}
	if t0&0x10 != 0 {
		ta, ok := next()
		if !ok {
			return a, fmt.Errorf("%w: TA1 missing", ErrBadATS)
		}
		a.SameD, a.DS, a.DR = rates(ta)
	}
	if t0&0x20 != 0 {
		tb, ok := next()
		if !ok {
			return a, fmt.Errorf("%w: TB1 missing", ErrBadATS)
		}
		a.FWI, a.SFGI = int(tb>>4), int(tb&0x0F)
	}
	if t0&0x40 != 0 {
		tc, ok := next()
		if !ok {
			return a, fmt.Errorf("%w: TC1 missing", ErrBadATS)
		}
		a.CID, a.NAD = tc&0x02 != 0, tc&0x01 != 0
	}
	a.Historical = append([]byte(nil), b[i:]...)
	return a, nil
}

// ATQB is the Type B answer to request (ISO/IEC 14443-3 §7.9).
type ATQB struct {
	PUPI    [4]byte
	AppData [4]byte
	// Protocol info.
	SameD  bool
	DS, DR []BitRate
	FSCI   int
	// Protocol type b1: compliant with ISO/IEC 14443-4.
	ISO14443_4 bool
	FWI        int
	ADC        int // application data coding, 2 bits
	NAD, CID   bool
	// Extended says the ATQB has the 4th protocol info byte (SFGI).
	Extended bool
	SFGI     int
}

// Bytes returns the ATQB without CRC.
func (q ATQB) Bytes() []byte {
	out := append([]byte{ATQBStart}, q.PUPI[:]...)
	out = append(out, q.AppData[:]...)
	pt := byte(0)
	if q.ISO14443_4 {
		pt = 1
	}
	fo := byte(0)
	if q.NAD {
		fo |= 2
	}
	if q.CID {
		fo |= 1
	}
	out = append(out, taByte(q.SameD, q.DS, q.DR), byte(q.FSCI&0x0F)<<4|pt, byte(q.FWI&0x0F)<<4|byte(q.ADC&3)<<2|fo)
	if q.Extended {
		out = append(out, byte(q.SFGI&0x0F)<<4)
	}
	return out
}

// ErrBadATQB is returned for an ATQB that does not parse.
var ErrBadATQB = errors.New("malformed ATQB")

// ParseATQB reads an ATQB without CRC.
func ParseATQB(b []byte) (ATQB, error) {
	var q ATQB
	if len(b) != 12 && len(b) != 13 || b[0] != ATQBStart {
		return q, fmt.Errorf("%w: % X", ErrBadATQB, b)
	}
	copy(q.PUPI[:], b[1:5])
	copy(q.AppData[:], b[5:9])
	q.SameD, q.DS, q.DR = rates(b[9])
	q.FSCI = int(b[10] >> 4)
	q.ISO14443_4 = b[10]&1 != 0
	q.FWI, q.ADC = int(b[11]>>4), int(b[11]>>2&3)
	q.NAD, q.CID = b[11]&2 != 0, b[11]&1 != 0
	if len(b) == 13 {
		q.Extended, q.SFGI = true, int(b[12]>>4)
	}
	return q, nil
}

// Attrib is the Type B ATTRIB command (ISO/IEC 14443-3 §7.10).
type Attrib struct {
	PUPI   [4]byte
	Param1 byte // TR0, TR1, SOF/EOF suppression
	// FromCard and ToCard are the bit rates chosen (Param 2 b8–b7, b6–b5).
	FromCard, ToCard BitRate
	FSDI             int // Param 2 b4–b1
	Param3           byte
	CID              int // Param 4 b4–b1
	INF              []byte
}

// Bytes returns the ATTRIB command without CRC.
func (a Attrib) Bytes() []byte {
	out := append([]byte{ATTRIBCmd}, a.PUPI[:]...)
	p2 := byte(a.FromCard.or106().Code())<<6 | byte(a.ToCard.or106().Code())<<4 | byte(a.FSDI&0x0F)
	out = append(out, a.Param1, p2, a.Param3, byte(a.CID&0x0F))
	return append(out, a.INF...)
}

// ErrBadAttrib is returned for an ATTRIB that does not parse.
var ErrBadAttrib = errors.New("malformed ATTRIB")

// ParseAttrib reads an ATTRIB command without CRC.
func ParseAttrib(b []byte) (Attrib, error) {
	var a Attrib
	if len(b) < 9 || b[0] != ATTRIBCmd {
		return a, fmt.Errorf("%w: % X", ErrBadAttrib, b)
	}
	copy(a.PUPI[:], b[1:5])
	a.Param1 = b[5]
	a.FromCard, a.ToCard, a.FSDI = RateOfCode(int(b[6]>>6)), RateOfCode(int(b[6]>>4&3)), int(b[6]&0x0F)
	a.Param3 = b[7]
	if b[8]&0xF0 != 0 {
		return a, fmt.Errorf("%w: Param 4 RFU bits %02X", ErrBadAttrib, b[8])
	}
	a.CID = int(b[8] & 0x0F)
	a.INF = b[9:]
	return a, nil
}
