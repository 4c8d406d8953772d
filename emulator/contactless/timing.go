package contactless

import (
	"fmt"
	"math/bits"
	"time"
)

// Type is the ISO/IEC 14443 signalling type of a card or a frame.
type Type byte

// Signalling types.
const (
	TypeA Type = 'A'
	TypeB Type = 'B'
)

func (t Type) String() string {
	switch t {
	case TypeA:
		return "A"
	case TypeB:
		return "B"
	}
	return fmt.Sprintf("type(%d)", byte(t))
}

// FC is the carrier frequency, 13.56 MHz (ISO/IEC 14443-2 §6.1).
const FC = 13_560_000

// Cycles returns the duration of n carrier periods (1/fc), rounded down
// to the nanosecond. Every time of ISO/IEC 14443 is a whole number of
// carrier periods.
func Cycles(n int64) time.Duration {
	return time.Duration(n/FC*1e9 + n%FC*1e9/FC)
}

// BitRate is a bit rate in kbit/s: 106, 212, 424 or 848 (fc/128 × D for
// D = 1, 2, 4, 8).
type BitRate int

// Bit rates.
const (
	Rate106 BitRate = 106
	Rate212 BitRate = 212
	Rate424 BitRate = 424
	Rate848 BitRate = 848
)

// AllRates lists the bit rates from the slowest.
var AllRates = []BitRate{Rate106, Rate212, Rate424, Rate848}

// Valid reports whether r is one of the four bit rates.
func (r BitRate) Valid() bool {
	return r == Rate106 || r == Rate212 || r == Rate424 || r == Rate848
}

// Code is the rate's divisor code: 0 for 106 up to 3 for 848 (DSI/DRI of
// ISO/IEC 14443-4 §5.3, the bit rate bits of ATTRIB).
func (r BitRate) Code() int {
	switch r {
	case Rate212:
		return 1
	case Rate424:
		return 2
	case Rate848:
		return 3
	}
	return 0
}

// RateOfCode returns the bit rate of a divisor code (0..3).
func RateOfCode(code int) BitRate { return AllRates[code&3] }

func (r BitRate) or106() BitRate {
	if r.Valid() {
		return r
	}
	return Rate106
}

// ETU returns the elementary time unit, 128/(D·fc).
func (r BitRate) ETU() time.Duration { return Cycles(r.etuCycles()) }

func (r BitRate) etuCycles() int64 { return 128 >> r.or106().Code() }

func (r BitRate) String() string { return fmt.Sprintf("%d kbit/s", int(r)) }

// Rates are the bit rates of the two directions.
type Rates struct {
	ToCard   BitRate // PCD → PICC (the PICC's DR)
	FromCard BitRate // PICC → PCD (the PICC's DS)
}

// Times of ISO/IEC 14443, in carrier periods unless said otherwise.
const (
	// fdtA1, fdtA0: the Type A frame delay time PCD → PICC after a last
	// bit of 1 or 0 (ISO/IEC 14443-3 §6.2.1.1, n = 9).
	fdtA1 = 9*128 + 84
	fdtA0 = 9*128 + 20
	// gapA is the least time from the end of a card's frame to the
	// start of the reader's (FDT PICC → PCD, §6.2.1.2).
	gapA = 1172
	// tr0B is the Type B guard time before a card answers (TR0, the
	// least value at 106 kbit/s, 64/fs); tr1B the unmodulated
	// subcarrier before its SOF (TR1, 80/fs). §7.1.
	tr0B = 64 * 16
	tr1B = 80 * 16
	// fwtActivation is the time a card has to answer RATS
	// (ISO/IEC 14443-4 §5.1, 65536 + 6144 cycles).
	fwtActivation = 71680
	// fwtATQB is the time a Type B card has to answer REQB, WUPB and
	// slot markers (ISO/IEC 14443-3 §7.7.6).
	fwtATQB = 7680
)

// FWTActivation is how long a reader waits for the ATS.
var FWTActivation = Cycles(fwtActivation)

// FWTATQB is how long a reader waits for an ATQB.
var FWTATQB = Cycles(fwtATQB)

// FWT returns the frame waiting time of FWI (ISO/IEC 14443-4 §7.2):
// 256·16/fc · 2^FWI, about 302 µs · 2^FWI. FWI 15 is RFU and reads as 4,
// the default.
func FWT(fwi int) time.Duration {
	if fwi < 0 || fwi > 14 {
		fwi = 4
	}
	return Cycles(4096 << fwi)
}

// SFGT returns the start-up frame guard time of SFGI (ISO/IEC 14443-4
// §5.2.5): none for 0 (and the RFU value 15), else 256·16/fc · 2^SFGI.
func SFGT(sfgi int) time.Duration {
	if sfgi <= 0 || sfgi > 14 {
		return 0
	}
	return Cycles(4096 << sfgi)
}

// MaxWTXM is the largest waiting time extension multiplier (§7.3).
const MaxWTXM = 59

// MaxFWT is the longest frame waiting time, that of FWI 14 (§7.2).
var MaxFWT = FWT(14)

// FrameDuration returns how long a frame of n bytes takes in the air, the
// last byte holding lastBits bits (1..7; 0: a whole byte). Type A frames
// (§6.1.5) have a start bit, 9 bits per byte (8 data and parity, none
// after a partial byte) and an end bit. Type B frames (§7.1) have a
// 12-etu SOF, 10 etu per character and a 10-etu EOF; a card's frame
// starts with TR1.
func FrameDuration(t Type, n, lastBits int, rate BitRate, fromCard bool) time.Duration {
	if n <= 0 {
		return 0
	}
	etu := rate.etuCycles()
	if t == TypeB {
		d := etu * int64(12+10*n+10)
		if fromCard {
			d += tr1B >> rate.or106().Code()
		}
		return Cycles(d)
	}
	bits := int64(9 * n)
	if lastBits > 0 && lastBits < 8 {
		bits = int64(9*(n-1) + lastBits)
	}
	return Cycles(etu * (1 + bits + 1))
}

// ResponseDelay returns the least time between the end of a reader's
// frame and the start of a card's answer: the Type A FDT (which depends on
// the logic value of the reader's last bit) or the Type B TR0.
func ResponseDelay(t Type, tx Tx) time.Duration { return responseDelay(t, &tx) }

func responseDelay(t Type, tx *Tx) time.Duration {
	if t == TypeB {
		return Cycles(tr0B >> tx.Rates.FromCard.or106().Code())
	}
	if lastBitOne(tx) {
		return durFDTA1
	}
	return durFDTA0
}

var durFDTA1, durFDTA0 = Cycles(fdtA1), Cycles(fdtA0)

// lastBitOne reports the logic value of the last bit a Type A reader
// sends: the last data bit of a short or bit-oriented frame, else the odd
// parity bit of the last byte.
func lastBitOne(tx *Tx) bool {
	if len(tx.Data) == 0 {
		return false
	}
	last := tx.Data[len(tx.Data)-1]
	if tx.LastBits > 0 && tx.LastBits < 8 {
		return last>>(tx.LastBits-1)&1 == 1
	}
	return bits.OnesCount8(last)%2 == 0 // odd parity: the parity bit is 1 when the byte has an even number of ones
}

// readerGap returns the least time from the end of a card's frame to the
// start of the reader's next frame.
func readerGap(t Type, rate BitRate) time.Duration {
	if t == TypeB {
		return Cycles(10 * rate.etuCycles())
	}
	return Cycles(gapA)
}

var frameSizes = [...]int{16, 24, 32, 40, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096}

// FrameSize returns the frame size of an FSCI or FSDI code (ISO/IEC
// 14443-4 §5.2.3: 16 bytes for 0 up to 4096 for 12). The RFU codes 13–15
// read as 8 (256 bytes), the rule of the editions in which 9–15 were RFU.
func FrameSize(code int) int {
	if code < 0 || code >= len(frameSizes) {
		return 256
	}
	return frameSizes[code]
}

// FrameSizeCode returns the largest code whose frame size is at most n.
func FrameSizeCode(n int) int {
	code := 0
	for i, s := range frameSizes {
		if s <= n {
			code = i
		}
	}
	return code
}
