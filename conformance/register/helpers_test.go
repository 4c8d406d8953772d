package register

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sscard/sscard/emulator/profile"
)

// testNow is the fixed time of the tests: 2025-06-01 10:00 CST.
var testNow = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newStore(t testing.TB) (*Store, *clock) {
	t.Helper()
	clk := &clock{t: testNow}
	st, err := Open(filepath.Join(t.TempDir(), "register.db"), Options{Now: clk.Now, Sync: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, clk
}

// enrollPersona enrols a persona (or a profile JSON with "extends") and
// returns its enrolment.
func enrollPersona(t testing.TB, st *Store, persona string) Enrollment {
	t.Helper()
	var p *profile.Profile
	var err error
	if len(persona) > 0 && persona[0] == '{' {
		p, err = profile.Parse([]byte(persona), "")
	} else {
		p, err = profile.Load(persona)
	}
	if err != nil {
		t.Fatal(err)
	}
	e, err := EnrollmentOf(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// api is a register served to the tests.
type api struct {
	st  *Store
	clk *clock
	srv *httptest.Server
}

func newAPI(t testing.TB) *api {
	t.Helper()
	st, clk := newStore(t)
	srv := httptest.NewServer(NewServer(st))
	t.Cleanup(srv.Close)
	return &api{st: st, clk: clk, srv: srv}
}

// client registers a terminal of route and returns its client.
func (a *api) client(t testing.TB, name string, route Route) *Client {
	t.Helper()
	key, err := a.st.AddTerminal(context.Background(), name, route)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Terminal: name, Key: key, Now: a.clk.Now}
	if a.srv != nil {
		c.BaseURL, c.HTTP = a.srv.URL, a.srv.Client()
	}
	return c
}

// journalCount counts the journal entries.
func journalCount(t testing.TB, st *Store) int {
	t.Helper()
	es, err := st.Journal(context.Background(), JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
