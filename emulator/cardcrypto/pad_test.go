package cardcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestPad80(t *testing.T) {
	tests := []struct {
		name string
		in   string
		bs   int
		want string
	}{
		{"empty 8", "", 8, "8000000000000000"},
		{"one byte 8", "01", 8, "0180000000000000"},
		{"seven bytes 8", "01020304050607", 8, "0102030405060780"},
		{"full block 8 adds a block", "0102030405060708", 8, "01020304050607088000000000000000"},
		{"nine bytes 8", "010203040506070809", 8, "01020304050607080980000000000000"},
		{"empty 16", "", 16, "80000000000000000000000000000000"},
		{"fifteen bytes 16", "0102030405060708090A0B0C0D0E0F", 16, "0102030405060708090A0B0C0D0E0F80"},
		{"trailing 80 in data", "80", 8, "8080000000000000"},
		{"bs 1", "0102", 1, "010280"},
		{"bs 0 treated as 1", "01", 0, "0180"},
		{"negative bs treated as 1", "01", -8, "0180"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			got := Pad80(in, tt.bs)
			if want := unhex(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("Pad80(%s, %d) = %X, want %s", tt.in, tt.bs, got, tt.want)
			}
			back, err := Unpad80(got)
			if err != nil || !bytes.Equal(back, in) {
				t.Fatalf("Unpad80 round trip = %X, %v", back, err)
			}
		})
	}
}

func TestUnpad80Hostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"only zero", "00"},
		{"all zeros", "0000000000000000"},
		{"no marker", "0102030405060708"},
		{"wrong marker", "0102030405060781"},
		{"marker 01", "0100000000000000"},
		{"ff padding", "01FF000000000000"},
		{"data after marker", "8001"},
		{"zero then nonzero tail", "01800001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := Unpad80(unhex(t, tt.in)); !errors.Is(err, ErrPadding) || got != nil {
				t.Fatalf("Unpad80(%s) = %X, %v; want ErrPadding", tt.in, got, err)
			}
		})
	}
}

func TestUnpad80Block(t *testing.T) {
	tests := []struct {
		name string
		in   string
		bs   int
		want string
		err  error
	}{
		{"one block", "0102038000000000", 8, "010203", nil},
		{"whole padding block", "01020304050607088000000000000000", 8, "0102030405060708", nil},
		{"marker last byte", "0102030405060780", 8, "01020304050607", nil},
		{"padding longer than block", "01800000000000000000000000000000", 8, "", ErrPadding},
		{"padding only, two blocks", "80000000000000000000000000000000", 8, "", ErrPadding},
		{"not block aligned", "01028000", 8, "", ErrBlockSize},
		{"empty", "", 8, "", ErrBlockSize},
		{"bs zero", "0180", 0, "", ErrBlockSize},
		{"bs negative", "0180", -1, "", ErrBlockSize},
		{"no marker", "0102030405060708", 8, "", ErrPadding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unpad80Block(unhex(t, tt.in), tt.bs)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || got != nil {
					t.Fatalf("Unpad80Block = %X, %v; want %v", got, err, tt.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, unhex(t, tt.want)) {
				t.Fatalf("Unpad80Block = %X, %v; want %s", got, err, tt.want)
			}
		})
	}
}
