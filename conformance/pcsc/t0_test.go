package pcsc

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
)

// t0Card answers from a table, recording the commands, as a T=0 card in a
// reader that leaves 61xx and 6Cxx to the host.
type t0Card struct {
	answers map[string]string // command hex -> response hex
	sent    []string
}

func (c *t0Card) Transmit(capdu []byte) ([]byte, error) {
	k := fmt.Sprintf("%X", capdu)
	c.sent = append(c.sent, k)
	r, ok := c.answers[k]
	if !ok {
		return nil, errors.New("unexpected command " + k)
	}
	var out []byte
	fmt.Sscanf(r, "%X", &out)
	return out, nil
}

func TestHostT0(t *testing.T) {
	tests := []struct {
		name    string
		capdu   string
		answers map[string]string
		want    string
		sent    []string
	}{
		{
			name:  "61xx fetched with GET RESPONSE",
			capdu: "00A404000311223300",
			answers: map[string]string{
				"00A404000311223300": "6104",
				"00C0000004":         "6F0284009000",
			},
			want: "6F0284009000",
			sent: []string{"00A404000311223300", "00C0000004"},
		},
		{
			name:  "61xx twice, on logical channel 1",
			capdu: "01B2012C00",
			answers: map[string]string{
				"01B2012C00": "6102",
				"01C0000002": "AABB6101",
				"01C0000001": "CC9000",
			},
			want: "AABBCC9000",
			sent: []string{"01B2012C00", "01C0000002", "01C0000001"},
		},
		{
			name:  "6Cxx resends with Le = xx",
			capdu: "00B2072802",
			answers: map[string]string{
				"00B2072802": "6C0B",
				"00B207280B": "070942313233343536373890 00",
			},
			want: "07094231323334353637389000",
			sent: []string{"00B2072802", "00B207280B"},
		},
		{
			name:    "other status words pass through",
			capdu:   "00B2083014",
			answers: map[string]string{"00B2083014": "6982"},
			want:    "6982",
			sent:    []string{"00B2083014"},
		},
		{
			name:    "not an APDU: sent as it is",
			capdu:   "00B2",
			answers: map[string]string{"00B2": "6700"},
			want:    "6700",
			sent:    []string{"00B2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.answers {
				tt.answers[k] = string(bytes.ReplaceAll([]byte(v), []byte(" "), nil))
			}
			card := &t0Card{answers: tt.answers}
			var capdu []byte
			fmt.Sscanf(tt.capdu, "%X", &capdu)
			got, err := HostT0(card).Transmit(capdu)
			if err != nil {
				t.Fatal(err)
			}
			if g := fmt.Sprintf("%X", got); g != tt.want {
				t.Errorf("response %s, want %s", g, tt.want)
			}
			if fmt.Sprint(card.sent) != fmt.Sprint(tt.sent) {
				t.Errorf("sent %v, want %v", card.sent, tt.sent)
			}
		})
	}
}

func TestHostT0TransportError(t *testing.T) {
	gone := errors.New("reader gone")
	tr := HostT0(terminal.TransportFunc(func([]byte) ([]byte, error) { return nil, gone }))
	if _, err := tr.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08}); !errors.Is(err, gone) {
		t.Errorf("err = %v, want the transport's error", err)
	}
}

func TestReaderError(t *testing.T) {
	tests := []struct {
		err  *ReaderError
		want string
	}{
		{&ReaderError{Name: "ACS"}, `no reader "ACS" (no readers present)`},
		{&ReaderError{Name: "x", Readers: []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}},
			`no reader "x" (readers present: "Virtual PCD 00 00", "Virtual PCD 00 01")`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		wrapped := fmt.Errorf("connecting: %w", tt.err)
		var re *ReaderError
		if !errors.Is(wrapped, ErrNoReader) || !errors.As(wrapped, &re) || errors.Is(wrapped, ErrNoCard) {
			t.Errorf("%v: errors.Is/As do not see ErrNoReader", wrapped)
		}
	}
}
