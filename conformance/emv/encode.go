package emv

import (
	"time"
)

// bcdAmount encodes an amount as n12: 6 bytes of BCD.
func bcdAmount(v uint64) []byte {
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		d := v % 100
		v /= 100
		out[i] = byte(d/10)<<4 | byte(d%10)
	}
	return out
}

// decodeBCD reads BCD digits as a number; ok is false for a nibble
// above 9 or more than 18 digits.
func decodeBCD(b []byte) (uint64, bool) {
	if len(b) > 9 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		v = v*100 + uint64(hi)*10 + uint64(lo)
	}
	return v, true
}

func be32(v uint64) []byte {
	if v > 0xFFFFFFFF {
		v = 0xFFFFFFFF
	}
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func bcd2(v int) byte { return byte(v/10%10)<<4 | byte(v%10) }

// bcdDate is YYMMDD.
func bcdDate(t time.Time) []byte {
	return []byte{bcd2(t.Year() % 100), bcd2(int(t.Month())), bcd2(t.Day())}
}

// bcdTime is HHMMSS.
func bcdTime(t time.Time) []byte {
	return []byte{bcd2(t.Hour()), bcd2(t.Minute()), bcd2(t.Second())}
}

// padText pads or cuts s to n bytes with spaces.
func padText(s string, n int) []byte {
	out := []byte(s)
	if len(out) > n {
		return out[:n]
	}
	for len(out) < n {
		out = append(out, ' ')
	}
	return out
}

// ymd decodes a YYMMDD date as a comparable number 20YYMMDD (EMV Book 3
// §10.4.3: years 00-49 are 20xx, 50-99 are 19xx); ok is false for a
// malformed date.
func ymd(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	v, ok := decodeBCD(b)
	if !ok {
		return 0, false
	}
	yy, mm, dd := int(v/10000), int(v/100%100), int(v%100)
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return 0, false
	}
	year := 2000 + yy
	if yy >= 50 {
		year = 1900 + yy
	}
	return year*10000 + mm*100 + dd, true
}

// mmyy decodes an MMYY certificate expiry as the number 20YYMM of its last
// month.
func mmyy(b []byte) (int, bool) {
	if len(b) != 2 {
		return 0, false
	}
	v, ok := decodeBCD(b)
	if !ok {
		return 0, false
	}
	mm, yy := int(v/100), int(v%100)
	if mm < 1 || mm > 12 {
		return 0, false
	}
	year := 2000 + yy
	if yy >= 50 {
		year = 1900 + yy
	}
	return year*100 + mm, true
}
