package pcd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/contactless"
)

// When the test binary runs with SSCARD_PCD_SERVE=1 it is a reader
// program: the reference PCD behind the frame stream on its standard
// input and output, the way a reader's firmware built for the host would
// be plugged in.
func TestMain(m *testing.M) {
	if os.Getenv("SSCARD_PCD_SERVE") == "1" {
		rw := struct {
			io.Reader
			io.Writer
		}{os.Stdin, os.Stdout}
		if err := Serve(rw, New(Options{})); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pipeReader serves the reference PCD at one end of a pipe and returns
// the harness end.
func pipeReader(t *testing.T, r Reader) *StreamReader {
	a, b := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(b, r) }()
	sr := NewStreamReader(a, func() error {
		a.Close() // the end of the stream ends the session
		err := <-done
		b.Close()
		return err
	})
	t.Cleanup(func() {
		if err := sr.Close(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return sr
}

// The reference PCD behind the frame stream does exactly what it does in
// process: the same activation, the same answers, the same trace.
func TestStreamSameAsInProcess(t *testing.T) {
	run := func(r Reader) (string, *Activation, [][]byte) {
		p := piccOf(t, `{"uid": "04A1B2C3D4E5F6", "fsci": 1}`)
		f, tr := fieldOf(p)
		act, err := r.Connect(f)
		if err != nil {
			t.Fatalf("%v\n%s", err, dump(tr))
		}
		var outs [][]byte
		for _, c := range [][]byte{selectSSSE, getChallenge} {
			out, err := r.Transmit(c)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
		if err := r.Disconnect(); err != nil {
			t.Fatal(err)
		}
		return dump(tr), act, outs
	}
	tr1, act1, out1 := run(New(Options{}))
	tr2, act2, out2 := run(pipeReader(t, New(Options{})))
	if tr1 != tr2 {
		t.Errorf("traces differ:\n%s\n%s", tr1, tr2)
	}
	if !bytes.Equal(encodeActivation(act1), encodeActivation(act2)) || !bytes.Equal(bytes.Join(out1, nil), bytes.Join(out2, nil)) {
		t.Errorf("%+v %+v", act1, act2)
	}
}

// A reader program: this test binary, started as a process.
func TestStreamExec(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	t.Setenv("SSCARD_PCD_SERVE", "1")
	sr, err := OpenStreamReader("exec:" + exe)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sr.Close(); err != nil {
			t.Errorf("the reader exits: %v", err)
		}
	}()
	p := piccOf(t, `{}`, contactless.WithType(contactless.TypeB))
	f, tr := fieldOf(p)
	s, err := Connect(sr, f)
	if err != nil {
		t.Fatalf("%v\n%s", err, dump(tr))
	}
	if out, err := s.Transmit(getChallenge); err != nil || len(out) != 10 {
		t.Fatalf("% X %v", out, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Errors travel as E: no card in the field.
	f.Remove(p)
	if _, err := sr.Connect(f); !errors.Is(err, ErrReader) || !strings.Contains(err.Error(), "no card") {
		t.Errorf("empty field through the stream: %v", err)
	}
}

func TestOpenStreamReaderSpecs(t *testing.T) {
	for _, spec := range []string{"", "exec:", "usb:1", "tcp:127.0.0.1:1", "exec:/no/such/reader"} {
		if _, err := OpenStreamReader(spec); err == nil {
			t.Errorf("%q opens", spec)
		}
	}
	// A TCP reader.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			Serve(c, New(Options{}))
			c.Close()
		}
	}()
	sr, err := OpenStreamReader("tcp:" + l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	f, _ := fieldOf(piccOf(t, `{}`))
	if _, err := sr.Connect(f); err != nil {
		t.Fatal(err)
	}
	// A Unix socket.
	path := filepath.Join(t.TempDir(), "reader.sock")
	ul, err := net.Listen("unix", path)
	if err != nil {
		t.Skip(err)
	}
	defer ul.Close()
	go func() {
		c, err := ul.Accept()
		if err == nil {
			Serve(c, New(Options{}))
			c.Close()
		}
	}()
	us, err := OpenStreamReader("unix:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer us.Close()
	f, _ = fieldOf(piccOf(t, `{}`))
	if _, err := us.Connect(f); err != nil {
		t.Fatal(err)
	}
}

func msg(typ byte, p []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(p)))
	return append(b, p...)
}

// A reader that breaks the protocol: the harness reports it, never
// panics.
func TestStreamHostileReader(t *testing.T) {
	f, _ := fieldOf(piccOf(t, `{}`))
	for _, c := range []struct {
		name    string
		replies []byte
	}{
		{"closes at once", nil},
		{"unknown message", msg('z', nil)},
		{"huge length", []byte{'x', 0xFF, 0xFF, 0xFF, 0xFF}},
		{"cut message", []byte{'x', 0, 0, 0, 9, 'A'}},
		{"short transceive", msg(MsgTransceive, []byte{'A'})},
		{"transceive of type C", msg(MsgTransceive, append([]byte{'C', 0, 0, 0, 0, 0}, make([]byte, 8)...))},
		{"transceive with 9 last bits", msg(MsgTransceive, append([]byte{'A', 9, 0, 0, 0, 0}, make([]byte, 8)...))},
		{"transceive at 300 kbit/s", msg(MsgTransceive, append([]byte{'A', 0, 0x01, 0x2C, 0, 0}, make([]byte, 8)...))},
		{"negative listening time", msg(MsgTransceive, append([]byte{'A', 0, 0, 0, 0, 0}, 0xFF, 0, 0, 0, 0, 0, 0, 0))},
		{"field request of 2 bytes", msg(MsgField, []byte{1, 1})},
		{"field 7", msg(MsgField, []byte{7})},
		{"wait of 3 bytes", msg(MsgWait, []byte{1, 2, 3})},
		{"wait of a year", msg(MsgWait, binary.BigEndian.AppendUint64(nil, uint64(365*24*time.Hour)))},
		{"bad activation", msg(MsgActivation, []byte{'A', 9})},
		{"activation of type Z", msg(MsgActivation, []byte{'Z'})},
		{"activation with a long SAK", msg(MsgActivation, []byte{'A', 0, 0, 2, 1, 2, 0, 0, 0})},
		{"answer of the wrong kind", msg(MsgDone, nil)},
		{"a harness answer from the reader", msg(MsgOK, make([]byte, 8))},
	} {
		t.Run(c.name, func(t *testing.T) {
			sr := NewStreamReader(struct {
				io.Reader
				io.Writer
			}{bytes.NewReader(c.replies), io.Discard}, nil)
			if _, err := sr.Connect(f); !errors.Is(err, ErrStream) {
				t.Errorf("%v", err)
			}
		})
	}
	// And a harness that breaks it: Serve returns an error.
	for _, in := range [][]byte{msg('z', nil), {'t', 0x7F, 0, 0, 0}, msg(MsgActivate, nil)} {
		var out bytes.Buffer
		err := Serve(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(in), &out}, New(Options{}))
		if err == nil {
			t.Errorf("% X served without an error", in)
		}
	}
	if err := Serve(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(nil), io.Discard}, New(Options{})); err != nil {
		t.Errorf("an empty stream: %v", err)
	}
}

func TestStreamCodecs(t *testing.T) {
	tx := contactless.Tx{Type: contactless.TypeB, Data: []byte{5, 0, 0}, LastBits: 3, Rates: contactless.Rates{ToCard: 212, FromCard: 848}, Timeout: time.Millisecond}
	back, err := decodeTx(encodeTx(tx))
	if err != nil || back.Type != tx.Type || !bytes.Equal(back.Data, tx.Data) || back.LastBits != 3 || back.Rates != tx.Rates || back.Timeout != tx.Timeout {
		t.Errorf("%+v %v", back, err)
	}
	rx := contactless.Rx{Data: []byte{1, 2}, Align: 3, LastBits: 5, Collided: true, CollisionBit: 9, Start: 7, Duration: 8}
	rback, err := decodeRx(MsgFrame, encodeRx(rx))
	if err != nil || !bytes.Equal(rback.Data, rx.Data) || rback.Align != 3 || rback.LastBits != 5 || !rback.Collided || rback.CollisionBit != 9 || rback.Start != 7 || rback.Duration != 8 {
		t.Errorf("%+v %v", rback, err)
	}
	if _, err := decodeRx(MsgNothing, []byte{0}); !errors.Is(err, contactless.ErrTimeout) {
		t.Error(err)
	}
	if _, err := decodeRx(MsgNothing, []byte{1}); !errors.Is(err, contactless.ErrFieldOff) {
		t.Error(err)
	}
	for _, bad := range []struct {
		t byte
		p []byte
	}{{MsgNothing, []byte{2}}, {MsgNothing, nil}, {MsgFrame, []byte{0}}, {MsgFrame, append([]byte{9}, make([]byte, 20)...)}, {MsgOK, make([]byte, 21)}} {
		if _, err := decodeRx(bad.t, bad.p); !errors.Is(err, ErrStream) {
			t.Errorf("%q % X: %v", bad.t, bad.p, err)
		}
	}
	if err := writeMsg(io.Discard, MsgTransmit, make([]byte, MaxMessage+1)); !errors.Is(err, ErrStream) {
		t.Errorf("an oversized message: %v", err)
	}
	for _, a := range []*Activation{
		{Type: contactless.TypeA, UID: []byte{1, 2, 3, 4}, ATQA: []byte{4, 0}, SAK: 0x20, ATS: []byte{1}},
		{Type: contactless.TypeB, UID: []byte{1, 2, 3, 4}, ATQB: make([]byte, 12), AttribResp: []byte{0}},
	} {
		back, err := decodeActivation(encodeActivation(a))
		if err != nil || !bytes.Equal(encodeActivation(back), encodeActivation(a)) {
			t.Errorf("%+v %v", back, err)
		}
	}
}
