package conformance

import (
	"bytes"
	"encoding/hex"
)

// mustHexBytes decodes a hex literal of the suites' own source.
func mustHexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("conformance: bad hex literal " + s)
	}
	return b
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
