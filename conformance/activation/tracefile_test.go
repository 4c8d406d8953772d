package activation

import (
	"bytes"
	"testing"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator/trace"
)

// FuzzCheckTrace: the check of any trace that reads never fails.
func FuzzCheckTrace(f *testing.F) {
	f.Add([]byte("2025-03-01T10:00:00.000123+08:00 slot 0 > apdu 00 A4 04 00 0F\n2025-03-01T10:00:00.000456+08:00 slot 0 < resp 61 2E\n"))
	f.Add([]byte("2025-03-01T10:00:00Z slot 0 * insert 3B 6D | card default\n2025-03-01T10:00:00Z slot 1 * connect 127.0.0.1:35964\n"))
	f.Add([]byte(`[{"time":"2025-03-01T10:00:00Z","slot":0,"dir":">","kind":"apdu","data":"00A4"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := trace.Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, flow := range []register.Route{register.Hospital, register.Bank, register.Pharmacy} {
			if _, err := Check(CheckInput{Flow: flow, Trace: ev}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
