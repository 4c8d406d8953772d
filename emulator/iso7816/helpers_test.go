package iso7816

import (
	"encoding/hex"
	"strings"
)

// h decodes a hexadecimal test literal, ignoring spaces. Literals are fixed
// test data, so a typo is a bug in the test and panics.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic("bad hex literal " + s + ": " + err.Error())
	}
	return b
}

// bp returns a pointer to v.
func bp(v byte) *byte { return &v }
