package profile

import (
	"strings"
	"testing"
	"time"
)

func TestTimingFields(t *testing.T) {
	for _, c := range []struct{ timing, field string }{
		{`{"commandMicros":0,"writeMicros":0,"atrDelayClocks":400}`, ""},
		{`{"commandMicros":1000000,"writeMicros":1000000,"atrDelayClocks":40000}`, ""},
		{`{"commandMicros":-1}`, "timing.commandMicros"},
		{`{"commandMicros":1000001}`, "timing.commandMicros"},
		{`{"writeMicros":-5}`, "timing.writeMicros"},
		{`{"atrDelayClocks":399}`, "timing.atrDelayClocks"},
		{`{"atrDelayClocks":40001}`, "timing.atrDelayClocks"},
		{`{"atrDelayClocks":"10000"}`, "timing"},
		{`{"nullPercent":9}`, "timing.nullPercent"},
		{`{"nullPercent":100}`, "timing.nullPercent"},
		{`{"nullPercent":50}`, ""},
		{`{"clock":1}`, "clock"},
	} {
		_, err := Parse([]byte(`{"schema":1,"name":"x","extends":"activated","timing":`+c.timing+`}`), "")
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.timing, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v, want an error naming %s", c.timing, err, c.field)
		}
	}
}

func TestTimingWork(t *testing.T) {
	p, err := Parse([]byte(`{"schema":1,"name":"x","extends":"activated","timing":{"writeMicros":100,"atrDelayClocks":2000}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Timing.Work(time.Millisecond, 3*time.Millisecond, 2), time.Millisecond+200*time.Microsecond; got != want {
		t.Errorf("work %v, want %v", got, want)
	}
	if got := p.Timing.ATRDelay(10000); got != 2000 {
		t.Errorf("ATR delay %d", got)
	}
	var none *Timing
	if got := none.Work(time.Millisecond, 3*time.Millisecond, 1); got != 4*time.Millisecond {
		t.Errorf("no timing: %v", got)
	}
	if got := none.ATRDelay(10000); got != 10000 {
		t.Errorf("no timing: ATR delay %d", got)
	}
}
