package link

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Peer names the other end of a frame stream, a reader under test: a
// program speaking the stream on its standard input and output, or a
// reader listening on a socket.
type Peer struct {
	// Network is "exec", "tcp" or "unix".
	Network string
	// Args are the program and its arguments (exec).
	Args []string
	// Addr is the socket address (tcp, unix).
	Addr string
}

// PeerTimeout bounds connecting to a peer and, at the end of a session,
// waiting for a peer program to exit before it is killed.
var PeerTimeout = 5 * time.Second

// PeerSilence bounds how long a peer may say nothing while the harness
// waits for it (wall-clock time: the link's own time is model time and
// never sleeps, so a reader that takes this long has hung). The read then
// fails, and so does the case.
var PeerSilence = 10 * time.Second

// ParsePeer reads a peer spec: "exec:PROGRAM [ARGS]" (split on spaces),
// "tcp:HOST:PORT" or "unix:PATH".
func ParsePeer(spec string) (Peer, error) {
	kind, rest, _ := strings.Cut(spec, ":")
	switch kind {
	case "exec":
		args := strings.Fields(rest)
		if len(args) == 0 {
			return Peer{}, fmt.Errorf("reader %q: no program after exec:", spec)
		}
		return Peer{Network: kind, Args: args}, nil
	case "tcp", "unix":
		if strings.TrimSpace(rest) == "" {
			return Peer{}, fmt.Errorf("reader %q: no address after %s:", spec, kind)
		}
		return Peer{Network: kind, Addr: rest}, nil
	}
	return Peer{}, fmt.Errorf("reader %q: want exec:PROGRAM [ARGS], tcp:HOST:PORT or unix:PATH", spec)
}

func (p Peer) String() string {
	if p.Network == "exec" {
		return "exec:" + strings.Join(p.Args, " ")
	}
	return p.Network + ":" + p.Addr
}

// Open starts the peer program (its standard error to stderr; nil
// discards it) or connects to the peer's socket, and returns the stream
// and what ends the session: closing the stream, then, for a program,
// waiting for it to exit (killed after PeerTimeout).
func (p Peer) Open(stderr io.Writer) (io.ReadWriter, func() error, error) {
	switch p.Network {
	case "exec":
		if len(p.Args) == 0 {
			return nil, nil, fmt.Errorf("reader %s: no program", p)
		}
		return StartPeer(stderr, p.Args[0], p.Args[1:]...)
	case "tcp", "unix":
		c, err := net.DialTimeout(p.Network, p.Addr, PeerTimeout)
		if err != nil {
			return nil, nil, fmt.Errorf("connecting to reader %s: %w", p.Addr, err)
		}
		return &silenceLimit{r: c, w: c, dl: c}, c.Close, nil
	}
	return nil, nil, fmt.Errorf("reader %s: no such kind of peer", p)
}

// StartPeer starts a reader program that speaks the frame stream on its
// standard input and output; see Peer.Open.
func StartPeer(stderr io.Writer, name string, args ...string) (io.ReadWriter, func() error, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting reader %s: %w", name, err)
	}
	rw := &silenceLimit{r: out, w: in}
	if dl, ok := out.(deadliner); ok {
		rw.dl = dl
	}
	return rw, func() error {
		in.Close() // the end of the stream ends the session
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(PeerTimeout):
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("reader %s did not exit at the end of the stream: killed", name)
		}
	}, nil
}

// deadliner is a stream end whose reads can be bounded in time (a socket,
// a pipe).
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// silenceLimit fails a read on which the peer says nothing for
// PeerSilence.
type silenceLimit struct {
	r  io.Reader
	w  io.Writer
	dl deadliner
}

func (s *silenceLimit) Read(p []byte) (int, error) {
	if s.dl != nil {
		_ = s.dl.SetReadDeadline(time.Now().Add(PeerSilence))
	}
	n, err := s.r.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("the reader said nothing for %v: %w", PeerSilence, err)
	}
	return n, err
}

func (s *silenceLimit) Write(p []byte) (int, error) { return s.w.Write(p) }
