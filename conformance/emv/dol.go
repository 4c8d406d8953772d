package emv

import (
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

// DOLEntry is one entry of a data object list: a tag and the length the
// card wants its value in (EMV Book 3 §5.4).
type DOLEntry struct {
	Tag Tag
	Len int
}

// DOL is a data object list (PDOL, CDOL1, CDOL2, DDOL, TDOL).
type DOL []DOLEntry

// maxDOLData bounds the data a DOL asks for: it must fit in one short
// command APDU beside its template (EMV Book 3 §6.5.8.4, §6.5.5.3).
const maxDOLData = 252

// ParseDOL decodes a data object list: tags each followed by a one-byte
// length. Malformed tags, a missing length, a length of 80 or more and a
// list asking for more than 252 bytes in all are errors.
func ParseDOL(b []byte) (DOL, error) {
	var out DOL
	total := 0
	for len(b) > 0 {
		t, n, ok := iso7816.ReadTag(b)
		if !ok {
			return nil, fmt.Errorf("%w: DOL: malformed tag at % X", ErrCardData, b)
		}
		b = b[n:]
		if len(b) == 0 {
			return nil, fmt.Errorf("%w: DOL: tag %s has no length", ErrCardData, t)
		}
		l := int(b[0])
		if l >= 0x80 {
			return nil, fmt.Errorf("%w: DOL: tag %s length %02X", ErrCardData, t, b[0])
		}
		b = b[1:]
		total += l
		if total > maxDOLData {
			return nil, fmt.Errorf("%w: DOL asks for more than %d bytes", ErrCardData, maxDOLData)
		}
		out = append(out, DOLEntry{Tag: t, Len: l})
	}
	return out, nil
}

// Has reports whether the list asks for t.
func (d DOL) Has(t Tag) bool {
	for _, e := range d {
		if e.Tag == t {
			return true
		}
	}
	return false
}

// DataLen returns the length of the data the list asks for.
func (d DOL) DataLen() int {
	n := 0
	for _, e := range d {
		n += e.Len
	}
	return n
}

// Build concatenates the values the list asks for from db, each fitted to
// its length (EMV Book 3 §5.4): a numeric value is cut or zero-padded on
// the left, a compressed numeric one padded with F on the right, any other
// cut or zero-padded on the right; an absent or constructed data object
// gives zeros.
func (d DOL) Build(db *DB) []byte {
	out := make([]byte, 0, d.DataLen())
	for _, e := range d {
		out = appendFitted(out, e, db)
	}
	return out
}

func appendFitted(out []byte, e DOLEntry, db *DB) []byte {
	v, ok := db.Lookup(e.Tag)
	if !ok || e.Tag.Constructed() {
		return append(out, make([]byte, e.Len)...)
	}
	f := tagFormat(e.Tag)
	switch {
	case len(v) == e.Len:
		return append(out, v...)
	case len(v) > e.Len && f == fmtN:
		return append(out, v[len(v)-e.Len:]...)
	case len(v) > e.Len:
		return append(out, v[:e.Len]...)
	case f == fmtN:
		out = append(out, make([]byte, e.Len-len(v))...)
		return append(out, v...)
	}
	out = append(out, v...)
	pad := byte(0)
	if f == fmtCN {
		pad = 0xFF
	}
	for i := len(v); i < e.Len; i++ {
		out = append(out, pad)
	}
	return out
}

// Split cuts data built from the list back into its values.
func (d DOL) Split(data []byte) (map[Tag][]byte, bool) {
	if len(data) != d.DataLen() {
		return nil, false
	}
	m := make(map[Tag][]byte, len(d))
	for _, e := range d {
		m[e.Tag] = data[:e.Len:e.Len]
		data = data[e.Len:]
	}
	return m, true
}
