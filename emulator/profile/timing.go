package profile

import "time"

// Timing is how long the chip takes, for the link layers' timing model.
// Nothing is published for the social security card: every field is a
// model choice [model], and a field left out keeps the default of the door
// (emulator/contact, emulator/contactless).
type Timing struct {
	// CommandMicros is how long a command takes without NVM writes, in µs
	// (0..1000000). Default: 1000 on the contact door, 500 on the
	// contactless one.
	CommandMicros *int `json:"commandMicros,omitempty"`
	// WriteMicros is added for each physical NVM write (an EEPROM page
	// write), in µs (0..1000000). Default 3000.
	WriteMicros *int `json:"writeMicros,omitempty"`
	// ATRDelayClocks is when the card starts its answer to reset after
	// RST goes high, in clock cycles (400..40000, ISO/IEC 7816-3 §8.1).
	// Default 10000.
	ATRDelayClocks int `json:"atrDelayClocks,omitempty"`
	// NullPercent is when a T=0 card still computing sends a NULL byte,
	// in percent of the waiting time (10..99). Default 90: close to the
	// limit, so that a reader that waits less than WT is caught.
	NullPercent int `json:"nullPercent,omitempty"`
}

func (t *Timing) validate() error {
	for _, x := range []struct {
		name string
		v    *int
	}{{"timing.commandMicros", t.CommandMicros}, {"timing.writeMicros", t.WriteMicros}} {
		if x.v != nil && (*x.v < 0 || *x.v > 1_000_000) {
			return fieldErr(x.name, "%d is outside 0..1000000", *x.v)
		}
	}
	if t.ATRDelayClocks != 0 && (t.ATRDelayClocks < 400 || t.ATRDelayClocks > 40_000) {
		return fieldErr("timing.atrDelayClocks", "%d is outside 400..40000", t.ATRDelayClocks)
	}
	if t.NullPercent != 0 && (t.NullPercent < 10 || t.NullPercent > 99) {
		return fieldErr("timing.nullPercent", "%d is outside 10..99", t.NullPercent)
	}
	return nil
}

// NullAt returns the profile's timing.nullPercent, or def.
func (t *Timing) NullAt(def int) int {
	if t != nil && t.NullPercent != 0 {
		return t.NullPercent
	}
	return def
}

// Work returns the chip's time for a command with nvmWrites NVM writes:
// the profile's timing over the door's defaults.
func (t *Timing) Work(command, write time.Duration, nvmWrites uint64) time.Duration {
	if t != nil && t.CommandMicros != nil {
		command = time.Duration(*t.CommandMicros) * time.Microsecond
	}
	if t != nil && t.WriteMicros != nil {
		write = time.Duration(*t.WriteMicros) * time.Microsecond
	}
	return command + time.Duration(nvmWrites)*write
}

// ATRDelay returns the profile's ATR delay in clock cycles, or def.
func (t *Timing) ATRDelay(def int) int {
	if t != nil && t.ATRDelayClocks != 0 {
		return t.ATRDelayClocks
	}
	return def
}
