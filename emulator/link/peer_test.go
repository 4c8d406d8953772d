package link

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsePeer(t *testing.T) {
	for _, c := range []struct {
		spec, want string
		ok         bool
	}{
		{"exec:./my-reader -v  --fast", "exec:./my-reader -v --fast", true},
		{"tcp:127.0.0.1:4000", "tcp:127.0.0.1:4000", true},
		{"unix:/tmp/r.sock", "unix:/tmp/r.sock", true},
		{"exec:", "", false},
		{"exec:   ", "", false},
		{"tcp:", "", false},
		{"unix: ", "", false},
		{"serial:/dev/ttyS0", "", false},
		{"", "", false},
		{"exec", "", false},
		{"\x00:\xff", "", false},
	} {
		p, err := ParsePeer(c.spec)
		if (err == nil) != c.ok || c.ok && p.String() != c.want {
			t.Errorf("%q: %v %v, want %q ok=%v", c.spec, p, err, c.want, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "reader") {
			t.Errorf("%q: error %q does not say what it is about", c.spec, err)
		}
	}
}

// A peer program: cat echoes a message; the session ends when the stream
// does.
func TestPeerExec(t *testing.T) {
	if _, err := exec.LookPath("cat"); err != nil {
		t.Skip(err)
	}
	p, _ := ParsePeer("exec:cat")
	rw, closeFn, err := p.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteMessage(rw, 'x', []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	typ, pl, err := ReadMessage(rw)
	if err != nil || typ != 'x' || string(pl) != "\x01\x02\x03" {
		t.Fatalf("%q %X %v", typ, pl, err)
	}
	if err := closeFn(); err != nil {
		t.Errorf("cat exits: %v", err)
	}
	if _, _, err := (Peer{Network: "exec", Args: []string{filepath.Join(t.TempDir(), "none")}}).Open(nil); err == nil {
		t.Error("a missing program started")
	}
}

func TestPeerSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(c, c)
			c.Close()
		}
	}()
	p, _ := ParsePeer("unix:" + sock)
	rw, closeFn, err := p.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	WriteMessage(rw, 'y', nil)
	if typ, _, err := ReadMessage(rw); err != nil || typ != 'y' {
		t.Fatalf("%q %v", typ, err)
	}
	if _, _, err := (Peer{Network: "unix", Addr: sock + "-none"}).Open(nil); err == nil {
		t.Error("connected to no one")
	}
}

// A peer that hangs (says nothing) fails the read after PeerSilence, and
// ending the session kills it after PeerTimeout.
func TestPeerSilence(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip(err)
	}
	oldSilence, oldTimeout := PeerSilence, PeerTimeout
	PeerSilence, PeerTimeout = 100*time.Millisecond, 200*time.Millisecond
	defer func() { PeerSilence, PeerTimeout = oldSilence, oldTimeout }()
	p, _ := ParsePeer("exec:sleep 30")
	rw, closeFn, err := p.Open(nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = ReadMessage(rw)
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "said nothing") {
		t.Errorf("read from a silent peer: %v", err)
	}
	if err := closeFn(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("closing a peer that does not exit: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}
