package register

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sscard/sscard/emulator/profile"
)

// DefaultAddr is where "sscard register serve" and "sscard emulate
// --register" serve the API unless told otherwise.
const DefaultAddr = "127.0.0.1:35961"

// Service is a register served over HTTP.
type Service struct {
	Store *Store
	// Addr is the address the API listens on (host:port).
	Addr   string
	Server *Server
	srv    *http.Server
	done   chan struct{}
	stop   context.CancelFunc
}

// Start opens the register at path (DefaultPath() when empty) and serves
// its API on addr (DefaultAddr when empty), which must be a loopback
// address, until ctx is done or Stop is called.
func Start(ctx context.Context, addr, path string, opts ...Options) (*Service, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	if path == "" {
		var err error
		if path, err = DefaultPath(); err != nil {
			return nil, err
		}
	}
	var opt Options
	if len(opts) > 0 {
		opt = opts[0]
	}
	st, err := Open(path, opt)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("register API: %w", err)
	}
	return Serve(ctx, ln, st), nil
}

// Serve serves st's API on ln until ctx is done or Stop is called; Stop
// closes st too.
func Serve(ctx context.Context, ln net.Listener, st *Store) *Service {
	ctx, cancel := context.WithCancel(ctx)
	s := &Service{Store: st, Addr: ln.Addr().String(), Server: NewServer(st), done: make(chan struct{}), stop: cancel}
	s.srv = &http.Server{Handler: s.Server, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = s.srv.Serve(ln) }()
	go func() {
		defer close(s.done)
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = s.srv.Shutdown(sctx)
	}()
	return s
}

// URL is the API's base URL.
func (s *Service) URL() string { return "http://" + s.Addr }

// Stop stops serving, lets the requests under way finish, and closes the
// register.
func (s *Service) Stop() error {
	s.stop()
	<-s.done
	return s.Store.Close()
}

// Enroll adds the card a profile describes to the register, unless it is
// there already (sscard emulate enrols the card it presents).
func (s *Service) Enroll(ctx context.Context, p *profile.Profile) error {
	e, err := EnrollmentOf(p)
	if err != nil {
		return err
	}
	_, err = s.Store.Enroll(ctx, e)
	return err
}

// CheckLoopback refuses an address that is not on loopback: the API
// changes the register.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("register address %s: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("register address " + addr + " is not a loopback address")
}
