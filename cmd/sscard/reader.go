package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/conformance/pcd"
)

func init() {
	register(&command{
		name:    "reader",
		summary: "serve the reference contact or contactless reader over the frame stream",
		run:     runReader,
	})
}

func runReader(args []string, stdout, stderr io.Writer) int {
	f := newFlags("reader", "sscard reader --interface contact|contactless [--listen tcp:HOST:PORT|unix:PATH]", `
Serve the reference reader, the IFD of ISO/IEC 7816-3 (contact) or the PCD
of ISO/IEC 14443 (contactless), behind the frame stream that the suites
link-contact and link-contactless speak (README "Testing a reader's link
layer"). Without --listen it serves one session on standard input and
output, the way a reader program is run by
  sscard conform --ifd 'exec:sscard reader --interface contact'
With --listen it accepts connections, a session each, until interrupted.
It is a known-good reader to check a harness setup against, and the
template of what a reader of one's own must do.`)
	iface := f.String("interface", "", "the reader: `contact` (IFD, T=0/T=1) or contactless (PCD, ISO/IEC 14443)")
	listen := f.String("listen", "", "accept sessions at `ADDR`: tcp:HOST:PORT or unix:PATH (default: one session on stdin/stdout)")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	var serve func(rw io.ReadWriter) error
	switch *iface {
	case "contact":
		serve = func(rw io.ReadWriter) error { return ifd.Serve(rw, ifd.Reference) }
	case "contactless":
		serve = func(rw io.ReadWriter) error { return pcd.Serve(rw, pcd.New(pcd.Options{})) }
	case "":
		return f.usageError(stderr, "--interface is contact or contactless")
	default:
		return f.usageError(stderr, fmt.Sprintf("--interface %q: want contact or contactless", *iface))
	}
	if *listen == "" {
		rw := struct {
			io.Reader
			io.Writer
		}{stdin, stdout}
		if err := serve(rw); err != nil {
			fmt.Fprintf(stderr, "sscard reader: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	network, addr, _ := strings.Cut(*listen, ":")
	if network != "tcp" && network != "unix" || addr == "" {
		return f.usageError(stderr, fmt.Sprintf("--listen %q: want tcp:HOST:PORT or unix:PATH", *listen))
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintf(stderr, "sscard reader: %v\n", err)
		return exitFail
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stderr, "sscard reader: the reference %s reader listens on %s\n", *iface, ln.Addr())
	return serveSessions(ctx, ln, serve, stderr)
}

// serveSessions accepts connections on ln until ctx ends, each a session
// of serve; then it closes the sessions still open and waits for them.
func serveSessions(ctx context.Context, ln net.Listener, serve func(io.ReadWriter) error, stderr io.Writer) int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		open  = map[net.Conn]bool{}
		ended bool
	)
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		ended = true
		for c := range open {
			c.Close()
		}
		mu.Unlock()
	}()
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return exitOK
			}
			fmt.Fprintf(stderr, "sscard reader: %v\n", err)
			return exitFail
		}
		mu.Lock()
		if ended {
			mu.Unlock()
			conn.Close()
			return exitOK
		}
		open[conn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := serve(conn)
			mu.Lock()
			delete(open, conn)
			conn.Close()
			if err != nil && !ended {
				fmt.Fprintf(stderr, "sscard reader: session from %s: %v\n", conn.RemoteAddr(), err)
			}
			mu.Unlock()
		}()
	}
}
