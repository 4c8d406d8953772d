package link

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestStreamRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, p := range [][]byte{nil, {0x01}, bytes.Repeat([]byte{0xA5}, 300)} {
		if err := WriteMessage(&buf, 't', p); err != nil {
			t.Fatal(err)
		}
		typ, got, err := ReadMessage(&buf)
		if err != nil || typ != 't' || !bytes.Equal(got, p) {
			t.Fatalf("round trip of %d bytes: %q %X %v", len(p), typ, got, err)
		}
	}
	if _, _, err := ReadMessage(&buf); err != io.EOF {
		t.Errorf("a stream closed between messages: %v, want io.EOF itself", err)
	}
}

func TestStreamHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"truncated header", []byte{'t', 0, 0}},
		{"truncated payload", []byte{'t', 0, 0, 0, 4, 1, 2}},
		{"over the limit", []byte{'t', 0x00, 0x10, 0x00, 0x01}},
		{"huge length", []byte{'t', 0xFF, 0xFF, 0xFF, 0xFF}},
	} {
		if _, _, err := ReadMessage(bytes.NewReader(tc.in)); !errors.Is(err, ErrStream) {
			t.Errorf("%s: %v, want an ErrStream error", tc.name, err)
		}
	}
	if err := WriteMessage(io.Discard, 't', make([]byte, MaxMessage+1)); !errors.Is(err, ErrStream) {
		t.Errorf("writing an oversized message: %v", err)
	}
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte{'t', 0, 0, 0, 2, 0x90, 0x00})
	f.Add([]byte{'x', 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		typ, p, err := ReadMessage(bytes.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteMessage(&buf, typ, p); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), in[:5+len(p)]) {
			t.Fatalf("re-encoded %X, read from %X", buf.Bytes(), in)
		}
	})
}
