package vpcd

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadFrame(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte{0xA5}, MaxPayload)
	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr error
		msg     string // substring of the error
	}{
		{name: "control byte", in: []byte{0x00, 0x01, 0x04}, want: []byte{0x04}},
		{name: "apdu", in: []byte{0x00, 0x05, 0x00, 0xB2, 0x03, 0x28, 0x06}, want: []byte{0x00, 0xB2, 0x03, 0x28, 0x06}},
		{name: "longest", in: append([]byte{0xFF, 0xFF}, long...), want: long},
		{name: "trailing bytes are the next frame", in: []byte{0x00, 0x01, 0x02, 0x00}, want: []byte{0x02}},
		{name: "empty stream", in: nil, wantErr: io.EOF},
		{name: "zero length", in: []byte{0x00, 0x00}, wantErr: ErrEmptyFrame},
		{name: "zero length then data", in: []byte{0x00, 0x00, 0x00, 0xA4}, wantErr: ErrEmptyFrame},
		{name: "half a length", in: []byte{0x00}, wantErr: ErrTruncatedFrame, msg: "after 1 of 2 bytes"},
		{name: "length only", in: []byte{0x00, 0x04}, wantErr: ErrTruncatedFrame, msg: "after 2 of 6 bytes"},
		{name: "payload cut short", in: []byte{0x00, 0x05, 0x00, 0xB2, 0x03}, wantErr: ErrTruncatedFrame, msg: "after 5 of 7 bytes"},
		{name: "huge length, few bytes", in: []byte{0xFF, 0xFF, 0x01, 0x02}, wantErr: ErrTruncatedFrame, msg: "after 4 of 65537 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadFrame(bytes.NewReader(tt.in), nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != nil {
					t.Fatalf("ReadFrame = %X, %v; want error %v", got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("error %q lacks %q", err, tt.msg)
				}
				if errors.Is(tt.wantErr, ErrTruncatedFrame) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %q does not wrap io.ErrUnexpectedEOF", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("ReadFrame = %X, %v; want %X", got, err, tt.want)
			}
		})
	}
}

func TestReadFrameReusesBuffer(t *testing.T) {
	buf := make([]byte, 0, 16)
	got, err := ReadFrame(bytes.NewReader([]byte{0x00, 0x02, 0x90, 0x00}), buf)
	if err != nil || !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Fatalf("ReadFrame = %X, %v", got, err)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("ReadFrame did not read into the buffer it was given")
	}
	in := []byte{0x00, 0x02, 0x90, 0x00}
	r := bytes.NewReader(in)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(in)
		_, _ = ReadFrame(r, buf)
	})
	if allocs != 0 {
		t.Errorf("ReadFrame with a large enough buffer: %v allocations", allocs)
	}
}

func TestAppendFrame(t *testing.T) {
	t.Parallel()
	got, err := AppendFrame([]byte{0xEE}, []byte{0x90, 0x00})
	if err != nil || !bytes.Equal(got, []byte{0xEE, 0x00, 0x02, 0x90, 0x00}) {
		t.Errorf("AppendFrame = %X, %v", got, err)
	}
	if _, err := AppendFrame(nil, make([]byte, MaxPayload+1)); !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("AppendFrame of %d bytes: %v, want ErrFrameTooLong", MaxPayload+1, err)
	}
	var w bytes.Buffer
	if err := WriteFrame(&w, []byte{0x04}); err != nil || !bytes.Equal(w.Bytes(), []byte{0x00, 0x01, 0x04}) {
		t.Errorf("WriteFrame wrote %X, %v", w.Bytes(), err)
	}
	if err := WriteFrame(&w, make([]byte, MaxPayload+1)); !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("WriteFrame of %d bytes: %v, want ErrFrameTooLong", MaxPayload+1, err)
	}
}

// FuzzReadFrame reads frames from arbitrary bytes: never a panic, every frame
// read lies within the input and writes back to the same bytes, and an error
// is one of the documented ones.
func FuzzReadFrame(f *testing.F) {
	for _, s := range [][]byte{
		nil, {0x00}, {0x00, 0x00}, {0x00, 0x01, 0x04}, {0x00, 0x01, 0x00, 0x00, 0x01, 0x01},
		{0x00, 0x05, 0x00, 0xA4, 0x04, 0x00, 0x00}, {0xFF, 0xFF, 0x00}, {0x00, 0x03, 0x00, 0xA4},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		var buf []byte
		consumed := 0
		for {
			p, err := ReadFrame(r, buf)
			if err != nil {
				switch {
				case errors.Is(err, io.EOF):
					if consumed != len(in) {
						t.Fatalf("io.EOF after %d of %d bytes", consumed, len(in))
					}
				case errors.Is(err, ErrEmptyFrame), errors.Is(err, ErrTruncatedFrame):
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(p) == 0 || len(p) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(p))
			}
			frame, err := AppendFrame(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(frame, in[consumed:consumed+len(frame)]) {
				t.Fatalf("frame %X is not the input at %d", frame, consumed)
			}
			consumed += len(frame)
			buf = p[:0]
		}
	})
}
