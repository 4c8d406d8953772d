package emv

import "fmt"

// AFLEntry is one entry of the application file locator (EMV Book 3
// §10.2): records First..Last of the file SFI, of which the first ODA are
// signed for offline data authentication.
type AFLEntry struct {
	SFI         byte
	First, Last byte
	ODA         byte
}

// maxRecords bounds the records a card may ask the terminal to read: real
// cards list about ten; a hostile AFL could otherwise ask for thousands.
const maxRecords = 128

// ParseAFL decodes an AFL: 4-byte entries, SFI 1..30 in b8-b4 with b3-b1
// zero, a first record of 1 or more, a last record not before it, and at
// most last-first+1 records for offline data authentication. An empty AFL
// is valid (a card that answers from the GPO alone).
func ParseAFL(b []byte) ([]AFLEntry, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%w: AFL of %d bytes is not a multiple of 4", ErrCardData, len(b))
	}
	out := make([]AFLEntry, 0, len(b)/4)
	total := 0
	for i := 0; i < len(b); i += 4 {
		e := AFLEntry{SFI: b[i] >> 3, First: b[i+1], Last: b[i+2], ODA: b[i+3]}
		switch {
		case b[i]&0x07 != 0 || e.SFI == 0 || e.SFI == 31:
			return nil, fmt.Errorf("%w: AFL entry %d: SFI byte %02X", ErrCardData, i/4+1, b[i])
		case e.First == 0 || e.Last < e.First:
			return nil, fmt.Errorf("%w: AFL entry %d: records %d to %d", ErrCardData, i/4+1, e.First, e.Last)
		case int(e.ODA) > int(e.Last)-int(e.First)+1:
			return nil, fmt.Errorf("%w: AFL entry %d: %d ODA records of %d", ErrCardData, i/4+1, e.ODA, int(e.Last)-int(e.First)+1)
		}
		total += int(e.Last) - int(e.First) + 1
		if total > maxRecords {
			return nil, fmt.Errorf("%w: AFL lists more than %d records", ErrCardData, maxRecords)
		}
		out = append(out, e)
	}
	return out, nil
}
