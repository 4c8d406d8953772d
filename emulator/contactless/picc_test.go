package contactless

import (
	"testing"
	"time"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// The profile's timing sets the chip's processing time on the contactless
// door too; without it the door's defaults hold.
func TestProcessingTimeFromProfile(t *testing.T) {
	p, err := profile.Parse([]byte(`{"schema":1,"name":"t","extends":"activated","timing":{"commandMicros":100,"writeMicros":50000}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	card, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	picc, err := New(card, WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := picc.proc(nil, nil, 2), 100*time.Microsecond+100*time.Millisecond; got != want {
		t.Errorf("processing %v, want %v", got, want)
	}
	plain := newPICC(t, "")
	if got, want := plain.proc(nil, nil, 2), BaseProcessing+2*WriteProcessing; got != want {
		t.Errorf("default processing %v, want %v", got, want)
	}
}
