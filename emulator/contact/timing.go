package contact

import (
	"math/bits"
	"time"

	"github.com/sscard/sscard/emulator/profile"
)

// DefaultClockHz is the clock frequency of the model line: 3.5712 MHz, the
// usual reader clock (372 clock cycles per bit at 9600 bit/s).
const DefaultClockHz = 3_571_200

// Rate is the transmission rate of the line (ISO/IEC 7816-3 §7.1): the
// clock frequency f and the factors F and D, one elementary time unit
// (etu) being F/(D·f) seconds. Durations are computed in integer
// nanoseconds, rounded down, so that the model time never depends on
// floating-point rounding.
type Rate struct {
	ClockHz int
	F, D    int
}

// InitialRate is the rate during the answer-to-reset and the PPS exchange
// (F = 372, D = 1).
func InitialRate(clockHz int) Rate { return Rate{ClockHz: clockHz, F: 372, D: 1} }

// mulDiv is a·b/c without overflow for the values of a link.
func mulDiv(a, b, c uint64) time.Duration {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return time.Duration(1<<63 - 1)
	}
	q, _ := bits.Div64(hi, lo, c)
	if q > 1<<63-1 {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(q)
}

// ETUs is the duration of n elementary time units.
func (r Rate) ETUs(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return mulDiv(uint64(n), uint64(r.F)*uint64(time.Second), uint64(r.D)*uint64(r.ClockHz))
}

// Clocks is the duration of n clock cycles.
func (r Rate) Clocks(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return mulDiv(uint64(n), uint64(time.Second), uint64(r.ClockHz))
}

// WT is the T=0 waiting time WI × 960 × Fi / f (ISO/IEC 7816-3 §10.2): the
// longest delay between the leading edges of two consecutive characters.
// Fi is the card's value from TA1, not the negotiated F.
func (r Rate) WT(wi, fi int) time.Duration {
	return mulDiv(uint64(wi)*960, uint64(fi)*uint64(time.Second), uint64(r.ClockHz))
}

// BWT is the T=1 block waiting time 11 etu + 2^BWI × 960 × 372 / f
// (ISO/IEC 7816-3 §11.4.3).
func (r Rate) BWT(bwi int) time.Duration {
	return r.ETUs(11) + mulDiv(uint64(1)<<uint(bwi)*960, 372*uint64(time.Second), uint64(r.ClockHz))
}

// CWT is the T=1 character waiting time (11 + 2^CWI) etu (ISO/IEC 7816-3
// §11.4.3).
func (r Rate) CWT(cwi int) time.Duration { return r.ETUs(11 + 1<<uint(cwi)) }

// Guard times between characters in opposite directions (ISO/IEC 7816-3
// §10.2 and §11.2): at least 16 etu between leading edges for T=0 (and the
// answer-to-reset and PPS), BGT = 22 etu for T=1.
const (
	guardT0 = 16
	guardT1 = 22
)

// Character durations in etu. A character is 10 bits plus the guard time:
// 12 etu for the answer-to-reset, PPS and T=0 (two stop bits), 11 etu for
// T=1 (ISO/IEC 7816-3 §7.2, §11.2). The interface device adds the extra
// guard time N of TC1 (N = 255 meaning the minimum).
func charETUs(protocol int, extraN int, fromReader bool) int {
	base := 12
	if protocol == 1 {
		base = 11
	}
	if fromReader && extraN != 255 {
		base += extraN
	}
	return base
}

// atrDelayClocks is when the card starts its answer-to-reset after RST goes
// high: between 400 and 40 000 clock cycles (ISO/IEC 7816-3 §8.1) [model
// choice: 10 000; profile: timing.atrDelayClocks].
const atrDelayClocks = 10_000

// atrMaxClocks is the longest an interface device waits for the first
// character of the answer-to-reset (ISO/IEC 7816-3 §8.1).
const atrMaxClocks = 40_000

// keepAlivePercent is the share of the waiting time after which a card
// that is still computing sends a T=0 NULL byte [model choice: 90%, close
// to the limit, so that a reader that waits less than WT is caught;
// profile: timing.nullPercent].
const keepAlivePercent = 90

// The model of how long the card computes a command [model choice;
// profile: timing]: CommandWork, plus WriteWork for each physical NVM
// write (an EEPROM page write).
const (
	CommandWork = time.Millisecond
	WriteWork   = 3 * time.Millisecond
)

// DefaultWork is the model's work time without a profile's timing.
func DefaultWork(capdu []byte, nvmWrites uint64) time.Duration {
	return CommandWork + time.Duration(nvmWrites)*WriteWork
}

// profileWork is DefaultWork with the profile's timing over it.
func profileWork(t *profile.Timing) func([]byte, uint64) time.Duration {
	if t == nil {
		return DefaultWork
	}
	return func(_ []byte, nvmWrites uint64) time.Duration {
		return t.Work(CommandWork, WriteWork, nvmWrites)
	}
}
