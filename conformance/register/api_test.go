package register

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// raw is a request built by hand, signed (or not) as the test says.
type raw struct {
	method, path string
	body         []byte
	terminal     string
	key          []byte
	t            time.Time
	nonce        string
	// mutate changes the request after signing (forgeries).
	mutate func(r *http.Request)
	// headers overrides headers after signing ("" deletes).
	headers map[string]string
}

func (a *api) send(t *testing.T, q raw) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(q.method, q.path, bytes.NewReader(q.body))
	if q.key != nil {
		ts := strconv.FormatInt(q.t.UnixMilli(), 10)
		nonce := q.nonce
		if nonce == "" {
			nonce = hex.EncodeToString([]byte(q.t.String())[:16])
		}
		mac := RequestMAC(q.key, q.method, req.URL.RequestURI(), q.terminal, ts, nonce, q.body)
		req.Header.Set(HeaderTerminal, q.terminal)
		req.Header.Set(HeaderTime, ts)
		req.Header.Set(HeaderNonce, nonce)
		req.Header.Set(HeaderMAC, hex.EncodeToString(mac))
	}
	for k, v := range q.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if q.mutate != nil {
		q.mutate(req)
	}
	rec := httptest.NewRecorder()
	NewServer(a.st).ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// footprint is what a request could have written.
type footprint struct {
	journal, nonces int
	version         int64
	state           State
}

func (a *api) footprint(t *testing.T, card string) footprint {
	t.Helper()
	var f footprint
	f.journal = journalCount(t, a.st)
	if err := a.st.r.QueryRow("SELECT count(*) FROM nonces").Scan(&f.nonces); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.st.Card(context.Background(), card); c != nil {
		f.version, f.state = c.Version, c.State
	}
	return f
}

// nonceSeq makes distinct nonces.
var nonceSeq int

func freshNonce() string {
	nonceSeq++
	return strings.Repeat("0", 24) + hex.EncodeToString([]byte{byte(nonceSeq >> 24), byte(nonceSeq >> 16), byte(nonceSeq >> 8), byte(nonceSeq)})
}

func TestAPIMalformedRequestsChangeNothing(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "bank-01", Bank)
	act := "/v1/cards/" + e.ID + "/activate"
	valid := `{"ssn":"` + e.SSN + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"not JSON", "POST", act, `ssn=1`, 400},
		{"empty body", "POST", act, ``, 400},
		{"JSON null", "POST", act, `null`, 400},
		{"JSON array", "POST", act, `[` + valid + `]`, 400},
		{"unknown field", "POST", act, `{"ssn":"` + e.SSN + `","force":true}`, 400},
		{"trailing data", "POST", act, valid + `{}`, 400},
		{"trailing garbage", "POST", act, valid + ` x`, 400},
		{"wrong type", "POST", act, `{"ssn":110105194912310020}`, 400},
		{"bad SSN", "POST", act, `{"ssn":"12345"}`, 400},
		{"bad service", "POST", act, `{"ssn":"` + e.SSN + `","service":"dentist"}`, 400},
		{"bad original", "POST", act, `{"ssn":"` + e.SSN + `","original":"zz"}`, 400},
		{"short card id", "POST", "/v1/cards/1234/activate", valid, 400},
		{"non-hex card id", "POST", "/v1/cards/" + strings.Repeat("G", 32) + "/activate", valid, 400},
		{"duplicate key", "POST", act, `{"ssn":"12","ssn":"` + e.SSN + `"}`, 200}, // last wins, as in encoding/json
		{"bad chip", "POST", "/v1/cards/" + e.ID + "/chip", `{"chip":"melted"}`, 400},
		{"unknown event", "POST", "/v1/cards/" + e.ID + "/events", `{"event":"party"}`, 400},
		{"registration without service", "POST", "/v1/cards/" + e.ID + "/events", `{"event":"registration"}`, 400},
		{"negative payment", "POST", "/v1/persons/" + e.SSN + "/payments", `{"amount":-5}`, 400},
		{"huge payment", "POST", "/v1/persons/" + e.SSN + "/payments", `{"amount":99999999999999}`, 400},
		{"bad loss kind", "POST", "/v1/cards/" + e.ID + "/loss", `{"kind":"sealed"}`, 400},
		{"bad reissue", "POST", "/v1/cards/" + e.ID + "/reissue", `{"newCardId":"x"}`, 400},
		{"GET with a body", "GET", "/v1/cards/" + e.ID, `{}`, 400},
		{"number missing", "GET", "/v1/cards", ``, 400},
		{"extra query", "GET", "/v1/cards?number=B12345678&x=1", ``, 400},
		{"journal bad limit", "GET", "/v1/journal?limit=0", ``, 400},
		{"journal unknown parameter", "GET", "/v1/journal?card=1", ``, 400},
		{"body too large", "POST", act, `{"ssn":"` + strings.Repeat(" ", MaxBody) + `"}`, 413},
		{"wrong method", "DELETE", act, ``, 405},
		{"unknown endpoint", "POST", "/v1/cards/" + e.ID + "/explode", valid, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := a.footprint(t, e.ID)
			code, out := a.send(t, raw{method: tc.method, path: tc.path, body: []byte(tc.body), terminal: c.Terminal, key: c.Key, t: a.clk.Now(), nonce: freshNonce()})
			if code != tc.status {
				t.Fatalf("status %d (%v), want %d", code, out, tc.status)
			}
			if code == 200 {
				return
			}
			if code != 405 && (out["error"] == nil || out["error"] == "") {
				t.Errorf("no reason in %v", out)
			}
			if after := a.footprint(t, e.ID); after != before {
				t.Errorf("a malformed request wrote: %+v -> %+v", before, after)
			}
		})
	}
}

func TestAPIUnauthenticatedRequestsChangeNothing(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "bank-01", Bank)
	other := a.client(t, "bank-02", Bank)
	revoked := a.client(t, "bank-03", Bank)
	if err := a.st.RevokeTerminal(context.Background(), "bank-03"); err != nil {
		t.Fatal(err)
	}
	act := "/v1/cards/" + e.ID + "/activate"
	body := []byte(`{"ssn":"` + e.SSN + `"}`)
	now := a.clk.Now()
	cases := []struct {
		name string
		q    raw
	}{
		{"no headers", raw{}},
		{"no MAC", raw{headers: map[string]string{HeaderMAC: ""}}},
		{"no nonce", raw{headers: map[string]string{HeaderNonce: ""}}},
		{"unknown terminal", raw{terminal: "bank-99", key: c.Key}},
		{"revoked terminal", raw{terminal: "bank-03", key: revoked.Key}},
		{"another terminal's key", raw{key: other.Key}},
		{"bad terminal name", raw{headers: map[string]string{HeaderTerminal: "bank 01; drop table"}}},
		{"forged MAC", raw{headers: map[string]string{HeaderMAC: strings.Repeat("ab", 32)}}},
		{"short MAC", raw{headers: map[string]string{HeaderMAC: "abcd"}}},
		{"body changed after signing", raw{mutate: func(r *http.Request) {
			b := []byte(`{"ssn":"110105194912310038"}`)
			r.Body = http.NoBody
			r.Body = nopCloser{bytes.NewReader(b)}
			r.ContentLength = int64(len(b))
		}}},
		{"path changed after signing", raw{mutate: func(r *http.Request) {
			r.URL.Path = "/v1/cards/" + strings.Repeat("0", 32) + "/activate"
			r.RequestURI = r.URL.RequestURI()
		}}},
		{"method changed after signing", raw{mutate: func(r *http.Request) { r.Method = "PUT" }}},
		{"time changed after signing", raw{mutate: func(r *http.Request) {
			r.Header.Set(HeaderTime, strconv.FormatInt(now.UnixMilli()+1, 10))
		}}},
		{"nonce changed after signing", raw{mutate: func(r *http.Request) { r.Header.Set(HeaderNonce, strings.Repeat("1", 32)) }}},
		{"stale", raw{t: now.Add(-NonceWindow - time.Second)}},
		{"from the future", raw{t: now.Add(NonceWindow + time.Second)}},
		{"time not a number", raw{headers: map[string]string{HeaderTime: "yesterday"}}},
		{"nonce not hex", raw{headers: map[string]string{HeaderNonce: strings.Repeat("z", 32)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.method, q.path, q.body = "POST", act, body
			if q.terminal == "" {
				q.terminal = c.Terminal
			}
			if q.key == nil && tc.name != "no headers" {
				q.key = c.Key
			}
			if q.t.IsZero() {
				q.t = now
			}
			q.nonce = freshNonce()
			before := a.footprint(t, e.ID)
			code, out := a.send(t, q)
			want := http.StatusUnauthorized
			if tc.name == "method changed after signing" {
				want = http.StatusMethodNotAllowed
			}
			if code != want {
				t.Fatalf("status %d (%v), want %d", code, out, want)
			}
			if after := a.footprint(t, e.ID); after != before {
				t.Errorf("an unauthenticated request wrote: %+v -> %+v", before, after)
			}
		})
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestAPIReplayIsRefused(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "bank-01", Bank)
	q := raw{method: "POST", path: "/v1/cards/" + e.ID + "/activate", body: []byte(`{"ssn":"` + e.SSN + `"}`),
		terminal: c.Terminal, key: c.Key, t: a.clk.Now(), nonce: freshNonce()}
	if code, out := a.send(t, q); code != 200 {
		t.Fatalf("first request: %d %v", code, out)
	}
	before := a.footprint(t, e.ID)
	a.clk.Add(time.Minute) // still inside the window
	code, out := a.send(t, q)
	if code != 401 || out["code"] != "replayed" {
		t.Fatalf("replay: %d %v, want 401 replayed", code, out)
	}
	if after := a.footprint(t, e.ID); after != before {
		t.Errorf("a replay wrote: %+v -> %+v", before, after)
	}
	// After the window, the nonce is forgotten but the time is stale.
	a.clk.Add(2 * NonceWindow)
	if code, _ := a.send(t, q); code != 401 {
		t.Fatalf("old replay: %d, want 401", code)
	}
}

// The nonces outlive a restart of the register.
func TestAPIReplayAfterRestart(t *testing.T) {
	clk := &clock{t: testNow}
	path := t.TempDir() + "/r.db"
	st, err := Open(path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	a := &api{st: st, clk: clk}
	e := enrollPersona(t, st, "default")
	c := a.client(t, "bank-01", Bank)
	q := raw{method: "GET", path: "/v1/cards/" + e.ID, terminal: c.Terminal, key: c.Key, t: clk.Now(), nonce: freshNonce()}
	if code, _ := a.send(t, q); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	st.Close()
	if a.st, err = Open(path, Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	defer a.st.Close()
	if code, out := a.send(t, q); code != 401 || out["code"] != "replayed" {
		t.Fatalf("replay after a restart: %d %v", code, out)
	}
}

func TestAPIRefusalsAreJournaledWithStatus(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "lost")
	c := a.client(t, "hospital-01", Hospital)
	cases := []struct {
		path, body string
		status     int
		code       string
	}{
		{"/v1/cards/" + e.ID + "/activate", `{"ssn":"` + e.SSN + `","service":"outpatient"}`, 409, string(FormalLoss)},
		{"/v1/cards/" + strings.Repeat("0", 32) + "/activate", `{"ssn":"` + e.SSN + `","service":"outpatient"}`, 404, CodeUnknownCard},
		{"/v1/cards/" + e.ID + "/reactivate", `{"ssn":"` + e.SSN + `"}`, 403, CodeNotAllowed},
	}
	for _, tc := range cases {
		before := a.footprint(t, e.ID)
		code, out := a.send(t, raw{method: "POST", path: tc.path, body: []byte(tc.body), terminal: c.Terminal, key: c.Key, t: a.clk.Now(), nonce: freshNonce()})
		if code != tc.status || out["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.path, code, out, tc.status, tc.code)
		}
		after := a.footprint(t, e.ID)
		if after.journal != before.journal+1 || after.nonces != before.nonces+1 || after.version != before.version {
			t.Errorf("%s: a refusal should be journaled once and change no card: %+v -> %+v", tc.path, before, after)
		}
	}
}

func TestAPIHealthAndJournal(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "bank-01", Bank)
	code, out := a.send(t, raw{method: "GET", path: "/v1/health"})
	if code != 200 || out["schema"] != float64(SchemaVersion) {
		t.Fatalf("health: %d %v", code, out)
	}
	ctx := context.Background()
	if _, err := c.Lookup(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	js, err := c.Journal(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Event != "lookup" || js[0].Terminal != "bank-01" {
		t.Fatalf("journal %+v: want the terminal's own lookup", js)
	}
	cards, err := c.FindByNumber(ctx, e.Number)
	if err != nil || len(cards) != 1 || cards[0].ID != e.ID {
		t.Fatalf("find by number: %v %v", cards, err)
	}
}

// FuzzAPIRequest sends authenticated requests with fuzzed paths, queries
// and bodies: the server never fails (500) or panics, and a request it
// answers 400 writes nothing.
func FuzzAPIRequest(f *testing.F) {
	a := newAPI(f)
	e := enrollPersona(f, a.st, "default")
	c := a.client(f, "bureau-01", Bureau)
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/v1/cards/" + e.ID + "/activate", `{"ssn":"` + e.SSN + `"}`},
		{"POST", "/v1/cards/" + e.ID + "/chip", `{"chip":"activated"}`},
		{"POST", "/v1/cards/" + e.ID + "/events", `{"event":"pin-set"}`},
		{"POST", "/v1/cards/" + e.ID + "/reactivate", `{"ssn":"` + e.SSN + `","expiry":"20400101"}`},
		{"POST", "/v1/cards/" + e.ID + "/reissue", `{"newCardId":"110100D156000005AA00000000000009","cardNumber":"B00000009","ssn":"` + e.SSN + `","generation":"3.00","issued":"20250101","expiry":"20350101"}`},
		{"POST", "/v1/cards/" + e.ID + "/loss", `{"kind":"temporary-loss"}`},
		{"POST", "/v1/persons/" + e.SSN + "/payments", `{"amount":100}`},
		{"GET", "/v1/cards?number=" + e.Number, ``},
		{"GET", "/v1/journal?after=0&limit=5", ``},
		{"POST", "/v1/cards/" + e.ID + "/activate", `{"ssn":"\u0000","original":"` + e.ID + `"}`},
	} {
		f.Add(s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if method != "GET" && method != "POST" {
			method = "POST"
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || len(path) > 512 {
			return
		}
		req, err := http.NewRequest(method, "http://register"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.RequestURI = req.URL.RequestURI()
		before := a.footprint(t, e.ID)
		ts := strconv.FormatInt(a.clk.Now().UnixMilli(), 10)
		nonce := freshNonce()
		mac := RequestMAC(c.Key, method, req.RequestURI, c.Terminal, ts, nonce, body)
		req.Header.Set(HeaderTerminal, c.Terminal)
		req.Header.Set(HeaderTime, ts)
		req.Header.Set(HeaderNonce, nonce)
		req.Header.Set(HeaderMAC, hex.EncodeToString(mac))
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			NewServer(a.st).ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%s %s %q: no answer in 20 s\n%s", method, path, body, buf)
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code == 400 || rec.Code == 413 {
			after := a.footprint(t, e.ID)
			if after != before {
				t.Fatalf("%s %s %q answered %d and wrote: %+v -> %+v", method, path, body, rec.Code, before, after)
			}
		}
	})
}

// FuzzAuthHeaders: any header values are parsed without panicking, and
// only well-formed ones pass.
func FuzzAuthHeaders(f *testing.F) {
	f.Add("bank-01", "1748743200000", strings.Repeat("a", 32), strings.Repeat("b", 64))
	f.Add("", "-1", "x", "")
	f.Fuzz(func(t *testing.T, terminal, ts, nonce, mac string) {
		h, err := parseAuth(func(k string) string {
			return map[string]string{HeaderTerminal: terminal, HeaderTime: ts, HeaderNonce: nonce, HeaderMAC: mac}[k]
		})
		if err != nil {
			return
		}
		if CheckTerminalID(h.terminal) != nil || len(h.nonce) != 32 || len(h.mac) != 32 {
			t.Fatalf("accepted %q %q %q %q", terminal, ts, nonce, mac)
		}
	})
}

// An unknown endpoint is an error of the client, not a refusal.
func TestClientUnknownEndpoint(t *testing.T) {
	a := newAPI(t)
	c := a.client(t, "bank-01", Bank)
	err := c.Do(context.Background(), "POST", "/v1/cards/"+strings.Repeat("0", 32)+"/explode", map[string]string{}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("got %v, want a 404 APIError", err)
	}
	if _, ok := IsRefusal(err); ok {
		t.Fatal("an unknown endpoint read as a refusal")
	}
}
