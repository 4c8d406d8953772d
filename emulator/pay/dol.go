package pay

import (
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// dolItem is one entry of a data object list: the tag, the length the card
// asks for and where its value sits in the DOL data.
type dolItem struct {
	tag iso7816.Tag
	n   int
	off int
}

// dol is a parsed data object list (EMV Book 3 §5.4).
type dol struct {
	raw   []byte
	items []dolItem
	size  int
}

// parseDOL reads tag-length pairs.
func parseDOL(b []byte) (dol, error) {
	d := dol{raw: b}
	for i := 0; i < len(b); {
		n := 1
		if b[i]&0x1F == 0x1F {
			for i+n < len(b) && b[i+n]&0x80 != 0 {
				n++
			}
			n++
		}
		if b[i] == 0 || b[i] == 0xFF || n > 3 || i+n >= len(b) {
			return d, fmt.Errorf("malformed data object list %X", b)
		}
		var t iso7816.Tag
		for _, c := range b[i : i+n] {
			t = t<<8 | iso7816.Tag(c)
		}
		l := int(b[i+n])
		d.items = append(d.items, dolItem{tag: t, n: l, off: d.size})
		d.size += l
		i += n + 1
	}
	return d, nil
}

// get returns the value of tag in DOL data of the right size.
func (d *dol) get(data []byte, t iso7816.Tag) ([]byte, bool) {
	for _, it := range d.items {
		if it.tag == t {
			return data[it.off : it.off+it.n], true
		}
	}
	return nil, false
}

// has reports whether the DOL asks for tag.
func (d *dol) has(t iso7816.Tag) bool {
	for _, it := range d.items {
		if it.tag == t {
			return true
		}
	}
	return false
}

// fill builds DOL data from a source of values: each item takes the
// source's value cut or left-padded with zeros for numeric items (EMV Book 3
// §5.4, a simplified rule: right-padded with zeros otherwise).
func (d *dol) fill(dst []byte, value func(iso7816.Tag) []byte) []byte {
	for _, it := range d.items {
		v := value(it.tag)
		switch {
		case len(v) >= it.n && numeric(it.tag):
			dst = append(dst, v[len(v)-it.n:]...)
		case len(v) >= it.n:
			dst = append(dst, v[:it.n]...)
		case numeric(it.tag):
			for range it.n - len(v) {
				dst = append(dst, 0)
			}
			dst = append(dst, v...)
		default:
			dst = append(dst, v...)
			for range it.n - len(v) {
				dst = append(dst, 0)
			}
		}
	}
	return dst
}

// numeric says which tags of the data model are format n (right-justified).
func numeric(t iso7816.Tag) bool {
	switch t {
	case TagAmount, TagAmountOther, TagTermCountry, TagTxnCurrency, TagTxnDate, TagTxnTime, TagTxnType, TagATC:
		return true
	}
	return false
}

// validN checks BCD digits of format n data (EMV Book 3 §4.3).
func validN(b []byte) bool {
	for _, c := range b {
		if c>>4 > 9 || c&0x0F > 9 {
			return false
		}
	}
	return true
}

// validDate checks a YYMMDD BCD date.
func validDate(b []byte) bool {
	if len(b) != 3 || !validN(b) {
		return false
	}
	m, d := bcdByte(b[1]), bcdByte(b[2])
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

func bcdByte(c byte) int { return int(c>>4)*10 + int(c&0x0F) }

// amount decodes an n12 BCD amount of 6 bytes; ok is false for other data.
func amount(b []byte) (uint64, bool) {
	if len(b) != 6 || !validN(b) {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v*100 + uint64(bcdByte(c))
	}
	return v, true
}

// putAmount encodes v as n12 BCD into 6 bytes.
func putAmount(dst []byte, v uint64) {
	for i := 5; i >= 0; i-- {
		d := v % 100
		v /= 100
		dst[i] = byte(d/10)<<4 | byte(d%10)
	}
}

func amountBytes(v uint64) []byte {
	b := make([]byte, 6)
	putAmount(b, v)
	return b
}

// bcd packs a string of decimal digits, left-padded with 0 to n bytes.
func bcd(s string, n int) []byte {
	for len(s) < 2*n {
		s = "0" + s
	}
	return mustHex(s)
}

// bcdF packs digits right-padded with F to n bytes.
func bcdF(s string, n int) []byte {
	for len(s) < 2*n {
		s += "F"
	}
	return mustHex(s[:2*n])
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("pay: bad hex constant " + s)
	}
	return b
}
