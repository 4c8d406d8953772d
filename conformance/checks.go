package conformance

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/sscard/sscard/emulator/iso7816"
)

// Check is one expectation on a response; it returns the failure and true
// when the expectation does not hold.
type Check func(r iso7816.Response) (Failure, bool)

// SW expects one status word.
func SW(want iso7816.Status) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if r.SW == want {
			return Failure{}, false
		}
		return Failure{
			Message:  fmt.Sprintf("status word %04X, want %04X (%s)", uint16(r.SW), uint16(want), want.Meaning()),
			Expected: fmt.Sprintf("%04X", uint16(want)),
			Got:      fmt.Sprintf("%04X: %s", uint16(r.SW), r.SW.Meaning()),
		}, true
	}
}

// SWOneOf expects any of the status words (where the standards allow a choice).
func SWOneOf(wants ...iso7816.Status) Check {
	return func(r iso7816.Response) (Failure, bool) {
		var names []string
		for _, w := range wants {
			if r.SW == w {
				return Failure{}, false
			}
			names = append(names, fmt.Sprintf("%04X", uint16(w)))
		}
		return Failure{
			Message:  fmt.Sprintf("status word %04X, want one of %s", uint16(r.SW), strings.Join(names, ", ")),
			Expected: strings.Join(names, " | "),
			Got:      fmt.Sprintf("%04X: %s", uint16(r.SW), r.SW.Meaning()),
		}, true
	}
}

// SWClass expects a status word whose SW1 is sw1 (e.g. 0x6C, 0x61).
func SWClass(sw1 byte) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if r.SW.SW1() == sw1 {
			return Failure{}, false
		}
		return Failure{
			Message:  fmt.Sprintf("status word %04X, want %02Xxx", uint16(r.SW), sw1),
			Expected: fmt.Sprintf("%02Xxx", sw1),
			Got:      fmt.Sprintf("%04X: %s", uint16(r.SW), r.SW.Meaning()),
		}, true
	}
}

// OK expects 9000.
func OK() Check { return SW(iso7816.SWOK) }

// Data expects exactly these response data bytes.
func Data(want []byte) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if bytes.Equal(r.Data, want) {
			return Failure{}, false
		}
		return Failure{
			Message:  fmt.Sprintf("response data differs (%d bytes, want %d)", len(r.Data), len(want)),
			Expected: spaced(want),
			Got:      spaced(r.Data),
			Diff:     ByteDiff(want, r.Data),
		}, true
	}
}

// NoData expects an empty data field.
func NoData() Check { return Data(nil) }

// DataLen expects n bytes of data.
func DataLen(n int) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if len(r.Data) == n {
			return Failure{}, false
		}
		return Failure{Message: fmt.Sprintf("%d bytes of data, want %d", len(r.Data), n),
			Expected: fmt.Sprint(n), Got: fmt.Sprint(len(r.Data))}, true
	}
}

// DataWhere expects the data to satisfy f, described by what.
func DataWhere(what string, f func(d []byte) error) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if err := f(r.Data); err != nil {
			return Failure{Message: fmt.Sprintf("%s: %v", what, err), Expected: what, Got: spaced(r.Data)}, true
		}
		return Failure{}, false
	}
}

// HasTLV expects the data to hold a TLV along the tag path (e.g. 6F, A5, 88).
func HasTLV(path ...iso7816.Tag) Check {
	return func(r iso7816.Response) (Failure, bool) {
		if _, ok := iso7816.Find(r.Data, path...); ok {
			return Failure{}, false
		}
		var names []string
		for _, t := range path {
			names = append(names, t.String())
		}
		return Failure{Message: "no TLV " + strings.Join(names, "/") + " in the data",
			Expected: strings.Join(names, "/"), Got: spaced(r.Data)}, true
	}
}

// TLVValue expects the TLV along the path to have this value.
func TLVValue(want []byte, path ...iso7816.Tag) Check {
	return func(r iso7816.Response) (Failure, bool) {
		v, ok := iso7816.Find(r.Data, path...)
		if ok && bytes.Equal(v, want) {
			return Failure{}, false
		}
		var names []string
		for _, t := range path {
			names = append(names, t.String())
		}
		f := Failure{Message: "TLV " + strings.Join(names, "/") + " differs", Expected: spaced(want), Got: spaced(v)}
		if !ok {
			f.Message = "no TLV " + strings.Join(names, "/")
			f.Got = spaced(r.Data)
		} else {
			f.Diff = ByteDiff(want, v)
		}
		return f, true
	}
}

// ByteDiff renders a byte-level diff of two byte strings (go-cmp).
func ByteDiff(want, got []byte) string {
	return cmp.Diff(strings.Fields(spaced(want)), strings.Fields(spaced(got)))
}
