package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/trace"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// controlRig is an emulator on a fake vpcd with its control API on an
// httptest server.
type controlRig struct {
	t      *testing.T
	e      *emulation
	r0, r1 *vpcdtest.Reader
	c0     *vpcdtest.Conn // slot 0's current connection
	url    string
	image  string
}

func newControlRig(t *testing.T, extra ...string) *controlRig {
	t.Helper()
	rig := &controlRig{t: t, image: filepath.Join(t.TempDir(), "card.img")}
	rig.r0, rig.r1 = fakeVPCD(t)
	rig.e = startEmulate(t, append([]string{"--card", "activated", "--image", rig.image, "--seed", "3", "--control", "127.0.0.1:0",
		"--port", portOf(t, rig.r0.Addr()), "--psam-port", portOf(t, rig.r1.Addr())}, extra...)...)
	rig.url = rig.e.controlURL(t)
	rig.c0 = acceptCard(t, rig.r0)
	powerUp(t, rig.c0)
	powerUp(t, acceptCard(t, rig.r1))
	return rig
}

// do sends a request and returns the status and body.
func (rig *controlRig) do(method, path, body string) (int, string) {
	rig.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rig.url+path, rd)
	if err != nil {
		rig.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rig.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rig.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// slot returns a slot's state.
func (rig *controlRig) slot(n int) slotState {
	rig.t.Helper()
	code, body := rig.do("GET", fmt.Sprintf("/v1/slots/%d", n), "")
	if code != http.StatusOK {
		rig.t.Fatalf("GET slot %d: %d %s", n, code, body)
	}
	var s slotState
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		rig.t.Fatal(err)
	}
	return s
}

// ctl runs "sscard ctl" against the rig.
func (rig *controlRig) ctl(args ...string) (int, string, string) {
	rig.t.Helper()
	return runCLI(rig.t, append([]string{"ctl", "--control", strings.TrimPrefix(rig.url, "http://")}, args...)...)
}

// reconnected waits for slot 0 to connect again and powers the card up.
func (rig *controlRig) reconnected() []byte {
	rig.t.Helper()
	rig.c0 = acceptCard(rig.t, rig.r0)
	return powerUp(rig.t, rig.c0)
}

// TestControlHostile: every malformed request gets its 4xx and a JSON
// reason, and changes nothing.
func TestControlHostile(t *testing.T) {
	t.Parallel()
	rig := newControlRig(t)
	_, before := rig.do("GET", "/v1/state", "")
	big := `{"card":"` + strings.Repeat("a", maxControlBody) + `"}`
	tests := []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"GET", "/v1/slots/0/insert", "", 405, "GET /v1/slots/0/insert: use POST"},
		{"PUT", "/v1/state", "", 405, "use GET"},
		{"POST", "/v1/slots/0/trace", "", 405, "use DELETE or GET"},
		{"GET", "/v1/nothing", "", 404, "no endpoint /v1/nothing"},
		{"GET", "/", "", 404, "no endpoint /"},
		{"POST", "/v1/slots/2/remove", "", 404, `no slot "2": the slots are 0 and 1`},
		{"POST", "/v1/slots/x/remove", "", 404, `no slot "x"`},
		{"POST", "/v1/slots/-1/remove", "", 404, `no slot "-1"`},
		{"POST", "/v1/slots/01/remove", "", 404, `no slot "01"`},
		{"GET", "/v1/slots/9", "", 404, `no slot "9"`},
		{"POST", "/v1/slots/0/insert", `{"card":"gen2"}`, 409, "slot 0 holds card activated: remove it first, or swap"},
		{"POST", "/v1/slots/0/swap", `{"card":`, 400, "bad JSON body"},
		{"POST", "/v1/slots/0/swap", `{"card":"gen2","colour":"red"}`, 400, `unknown field "colour"`},
		{"POST", "/v1/slots/0/swap", `{"card":"gen2"} {"card":"psam"}`, 400, "more after the object"},
		{"POST", "/v1/slots/0/swap", `["gen2"]`, 400, "bad JSON body"},
		{"POST", "/v1/slots/0/swap", `{"card":7}`, 400, "bad JSON body"},
		{"POST", "/v1/slots/0/swap", ``, 400, "needs a JSON body"},
		{"POST", "/v1/slots/0/swap", `{}`, 400, "swap needs the card to put in"},
		{"POST", "/v1/slots/0/swap", `{"card":"nobody"}`, 400, "nobody"},
		{"POST", "/v1/slots/0/swap", big, 400, "too large"},
		{"POST", "/v1/slots/1/swap", `{"image":"` + filepath.Join(t.TempDir(), "none.img") + `","card":"nobody"}`, 400, "nobody"},
		{"POST", "/v1/slots/0/power-loss", `{"after":-1}`, 400, `"after": -1`},
		{"POST", "/v1/slots/0/power-loss", `{"after":"1"}`, 400, "bad JSON body"},
		{"POST", "/v1/slots/0/remove", `{"card":"gen2"}`, 400, `unknown field "card"`},
		{"GET", "/v1/slots/0/trace?format=xml", "", 400, `format "xml"`},
		{"GET", "/v1/slots/0/trace?since=1", "", 400, `unknown parameter "since"`},
	}
	for _, tt := range tests {
		code, body := rig.do(tt.method, tt.path, tt.body)
		var e apiError
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Errorf("%s %s: answer is not JSON: %s", tt.method, tt.path, body)
			continue
		}
		if code != tt.code || !strings.Contains(e.Error, tt.msg) {
			t.Errorf("%s %s %.40s: %d %q, want %d and %q", tt.method, tt.path, tt.body, code, e.Error, tt.code, tt.msg)
		}
	}
	req, _ := http.NewRequest("GET", rig.url+"/v1/slots/0/remove", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		if got := resp.Header.Get("Allow"); got != "POST" {
			t.Errorf("Allow: %q, want POST", got)
		}
		resp.Body.Close()
	}
	_, after := rig.do("GET", "/v1/state", "")
	if stripVolatile(after) != stripVolatile(before) {
		t.Errorf("the state changed:\nbefore %s\nafter  %s", before, after)
	}
	if _, err := rig.c0.ATR(); err != nil {
		t.Errorf("slot 0's connection broke: %v", err)
	}
}

// stripVolatile drops the fields of a state that move on their own (the
// trace grows with vpcd's polls).
func stripVolatile(state string) string {
	var st readerState
	if err := json.Unmarshal([]byte(state), &st); err != nil {
		return state
	}
	for i := range st.Slots {
		st.Slots[i].TraceEvents = 0
	}
	b, _ := json.Marshal(st)
	return string(b)
}

// TestControlFlows: remove, insert, swap (the pharmacy flow), power loss,
// trace and state, through the API and the fake vpcd.
func TestControlFlows(t *testing.T) {
	t.Parallel()
	rig := newControlRig(t)
	send(t, rig.c0, apduSelectSSSE)
	if got := send(t, rig.c0, apduVerifyBad); got != "63C2" {
		t.Fatalf("VERIFY: %s", got)
	}
	if s := rig.slot(0); !s.Inserted || !s.Connected || s.Card != "activated" || s.Profile != "activated" || s.Kind != "card" ||
		s.APDUs != 2 || s.LastSW != "63C2" || s.Image != rig.image || !s.Powered || s.ATR == "" || s.Reader != rig.r0.Addr() {
		t.Errorf("slot 0 %+v", s)
	}

	// Remove: the connection closes, the image is saved.
	code, body := rig.do("POST", "/v1/slots/0/remove", "")
	if code != 200 || !strings.Contains(body, `"inserted": false`) {
		t.Fatalf("remove: %d %s", code, body)
	}
	if _, err := rig.c0.ATR(); err == nil {
		t.Error("slot 0 still connected after remove")
	}
	c, err := emulator.Load(rig.image)
	if err != nil {
		t.Fatalf("the image after remove: %v", err)
	}
	c.Transmit(mustDecode(apduSelectSSSE))
	if r, _ := c.Transmit(mustDecode(apduTriesLeft)); fmt.Sprintf("%X", r) != "63C2" {
		t.Errorf("tries left in the image saved on remove: %X", r)
	}
	if code, body := rig.do("POST", "/v1/slots/0/remove", ""); code != 409 || !strings.Contains(body, "slot 0 is empty") {
		t.Errorf("second remove: %d %s", code, body)
	}
	if code, body := rig.do("POST", "/v1/slots/0/power-loss", ""); code != 409 {
		t.Errorf("power-loss of an empty slot: %d %s", code, body)
	}

	// Insert with no body: the same card comes back, state and all.
	if code, body := rig.do("POST", "/v1/slots/0/insert", ""); code != 200 || !strings.Contains(body, `"card": "activated"`) {
		t.Fatalf("insert: %d %s", code, body)
	}
	rig.reconnected()
	send(t, rig.c0, apduSelectSSSE)
	if got := send(t, rig.c0, apduTriesLeft); got != "63C2" {
		t.Errorf("tries left after re-insert: %s", got)
	}

	// Swap: the pharmacy flow, another card in the same slot.
	if code, body := rig.do("POST", "/v1/slots/0/swap", `{"card":"gen2"}`); code != 200 || !strings.Contains(body, `"profile": "gen2"`) {
		t.Fatalf("swap: %d %s", code, body)
	}
	if atr := rig.reconnected(); !bytes.Equal(atr, personaATR(t, "gen2")) {
		t.Errorf("ATR after the swap %X, want gen2's", atr)
	}
	if s := rig.slot(0); s.APDUs != 0 || s.Image != "" {
		t.Errorf("slot 0 after the swap %+v", s)
	}
	// And back to the first card, from its image.
	if code, body := rig.do("POST", "/v1/slots/0/swap", `{"image":"`+rig.image+`"}`); code != 200 || !strings.Contains(body, `"profile": "activated"`) {
		t.Fatalf("swap back: %d %s", code, body)
	}
	rig.reconnected()
	send(t, rig.c0, apduSelectSSSE)
	if got := send(t, rig.c0, apduTriesLeft); got != "63C2" {
		t.Errorf("tries left on the card swapped back in: %s", got)
	}

	// Power loss armed: survives pcscd's power-off, tears the next write.
	if code, body := rig.do("POST", "/v1/slots/0/power-loss", `{"after":1}`); code != 200 || !strings.Contains(body, `"powerLossAfter": 1`) {
		t.Fatalf("power-loss: %d %s", code, body)
	}
	if err := rig.c0.PowerOff(); err != nil {
		t.Fatal(err)
	}
	powerUp(t, rig.c0)
	if s := rig.slot(0); s.PowerLossAfter != 1 {
		t.Errorf("the power loss was disarmed by a power cycle: %+v", s)
	}
	send(t, rig.c0, apduSelectSSSE)
	if r, err := rig.c0.Transmit(mustDecode(apduVerifyBad)); err == nil {
		t.Errorf("VERIFY answered %X through a power loss", r)
	}
	rig.reconnected()
	send(t, rig.c0, apduSelectSSSE)
	if got := send(t, rig.c0, apduTriesLeft); got != "63C2" && got != "63C1" {
		t.Errorf("tries left after the torn VERIFY: %s", got)
	}
	if s := rig.slot(0); s.PowerLossAfter != 0 {
		t.Errorf("the power loss is still armed after it fired: %+v", s)
	}

	// Power loss now: the card is cut off and comes back.
	if code, body := rig.do("POST", "/v1/slots/0/power-loss", `{"after":0}`); code != 200 {
		t.Fatalf("power-loss now: %d %s", code, body)
	}
	if _, err := rig.c0.ATR(); err == nil {
		t.Error("slot 0 still connected after the power cut")
	}
	rig.reconnected()

	// Trace: text, JSON, clear.
	code, text := rig.do("GET", "/v1/slots/0/trace", "")
	if code != 200 || !strings.Contains(text, "slot 0 > apdu 00 20 00 00 03 65 43 21") || !strings.Contains(text, "slot 0 * insert 3B") {
		t.Errorf("trace: %d\n%s", code, text)
	}
	code, js := rig.do("GET", "/v1/slots/0/trace?format=json", "")
	var events []trace.Event
	if err := json.Unmarshal([]byte(js), &events); code != 200 || err != nil || len(events) == 0 {
		t.Errorf("JSON trace: %d %v", code, err)
	}
	if code, _ := rig.do("DELETE", "/v1/slots/0/trace", ""); code != http.StatusNoContent {
		t.Errorf("DELETE trace: %d", code)
	}
	if s := rig.slot(0); s.TraceEvents > 2 { // a poll may have come in
		t.Errorf("%d trace events after clearing", s.TraceEvents)
	}

	// State: both slots.
	code, body = rig.do("GET", "/v1/state", "")
	var st readerState
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || len(st.Slots) != 2 || st.Mode != "dial" || st.Slots[1].Profile != "psam" {
		t.Errorf("state: %d %s", code, body)
	}
	for _, line := range []string{"slot 0: card activated removed", "slot 0: card activated inserted", "slot 0: card activated swapped for gen2", "slot 0: power loss armed after 1 NVM writes", "slot 0: power cut"} {
		if !strings.Contains(rig.e.stderr.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, rig.e.stderr.String())
		}
	}
}

// TestCtl runs "sscard ctl" against a running emulator.
func TestCtl(t *testing.T) {
	t.Parallel()
	rig := newControlRig(t)
	send(t, rig.c0, apduSelectSSSE)

	code, out, errs := rig.ctl("state")
	if code != exitOK || !strings.Contains(out, "SLOT  CARD") || !strings.Contains(out, "activated  activated  yes") || !strings.Contains(out, "psam") {
		t.Errorf("state: %d\n%s%s", code, out, errs)
	}
	code, out, _ = rig.ctl("state", "--json")
	var st readerState
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || len(st.Slots) != 2 {
		t.Errorf("state --json: %d %s", code, out)
	}
	if code, out, errs = rig.ctl("remove", "0"); code != exitOK || out != "slot 0: empty\n" {
		t.Errorf("remove: %d %q %s", code, out, errs)
	}
	if code, _, errs = rig.ctl("remove", "0"); code != exitFail || !strings.Contains(errs, "sscard ctl: slot 0 is empty (409 Conflict)") {
		t.Errorf("remove twice: %d %s", code, errs)
	}
	if code, out, errs = rig.ctl("insert", "0", "gen2"); code != exitOK || !strings.HasPrefix(out, "slot 0: gen2 (card gen2), ") {
		t.Errorf("insert: %d %q %s", code, out, errs)
	}
	rig.reconnected()
	if code, out, errs = rig.ctl("swap", "0", "--image", rig.image); code != exitOK || !strings.Contains(out, "(card activated)") {
		t.Errorf("swap: %d %q %s", code, out, errs)
	}
	rig.reconnected()
	if code, out, errs = rig.ctl("power-loss", "0", "3"); code != exitOK || !strings.Contains(out, "power loss after 3 NVM writes") {
		t.Errorf("power-loss: %d %q %s", code, out, errs)
	}
	if code, out, errs = rig.ctl("power-loss", "0"); code != exitOK || !strings.HasPrefix(out, "slot 0: ") {
		t.Errorf("power-loss now: %d %q %s", code, out, errs)
	}
	rig.reconnected()
	send(t, rig.c0, "00B2032806")
	if code, out, _ = rig.ctl("trace", "0"); code != exitOK || !strings.Contains(out, "slot 0 > apdu 00 B2 03 28 06") {
		t.Errorf("trace: %d\n%s", code, out)
	}
	if code, out, _ = rig.ctl("trace", "0", "--json", "--clear"); code != exitOK || !strings.Contains(out, `"kind":"apdu"`) {
		t.Errorf("trace --json --clear: %d\n%s", code, out)
	}
	if _, out, _ = rig.ctl("trace", "0"); strings.Contains(out, "apdu") {
		t.Errorf("trace after --clear:\n%s", out)
	}
	if code, out, _ = rig.ctl("swap", "1", "psam", "--json"); code != exitOK || !strings.Contains(out, `"kind": "psam"`) {
		t.Errorf("swap 1 --json: %d\n%s", code, out)
	}
	if code, _, errs = rig.ctl("swap", "0", "nobody"); code != exitFail || !strings.Contains(errs, "nobody") || !strings.Contains(errs, "400 Bad Request") {
		t.Errorf("swap to an unknown persona: %d %s", code, errs)
	}
}

func TestCtlUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, exitUsage, "which command?"},
		{[]string{"frob"}, exitUsage, `unknown command "frob"`},
		{[]string{"state", "0"}, exitUsage, "state takes no arguments"},
		{[]string{"remove"}, exitUsage, "remove takes SLOT"},
		{[]string{"remove", "x"}, exitUsage, `slot "x" is not a slot number`},
		{[]string{"remove", "-1"}, exitUsage, "flag provided but not defined: -1"},
		{[]string{"swap", "0"}, exitUsage, "swap takes SLOT CARD (or --image FILE)"},
		{[]string{"insert", "0", "a", "b"}, exitUsage, "insert takes SLOT [CARD]"},
		{[]string{"power-loss", "0", "0"}, exitUsage, "N is a number of NVM writes, 1 or more"},
		{[]string{"power-loss", "0", "x"}, exitUsage, "N is a number of NVM writes"},
		{[]string{"trace"}, exitUsage, "trace takes SLOT"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, append([]string{"ctl", "--control", "127.0.0.1:1"}, tt.args...)...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("ctl %v: exit %d, want %d; stderr lacks %q:\n%s", tt.args, code, tt.code, tt.msg, stderr)
		}
	}
}

// TestCtlNoServer: no control API at the address is a clear failure.
func TestCtlNoServer(t *testing.T) {
	t.Parallel()
	addr := fmt.Sprintf("127.0.0.1:%d", unusedPort(t))
	code, stdout, stderr := runCLI(t, "ctl", "--control", addr, "state")
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "no control API at "+addr+" (start it with sscard emulate --control "+addr+")") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCtlServerErrors: answers that are not the API's are still reported.
func TestCtlServerErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/state":
			w.Write([]byte("not JSON"))
		default:
			http.Error(w, "teapot", http.StatusTeapot)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if code, _, stderr := runCLI(t, "ctl", "--control", addr, "state"); code != exitFail || !strings.Contains(stderr, "decoding the state") {
		t.Errorf("state: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "ctl", "--control", addr, "remove", "0"); code != exitFail || !strings.Contains(stderr, "POST /v1/slots/0/remove: 418 I'm a teapot") {
		t.Errorf("remove: %d %s", code, stderr)
	}
}

// TestCtlEnvironment: $SSCARD_CONTROL is the default address. Not parallel:
// it sets the environment.
func TestCtlEnvironment(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", unusedPort(t))
	t.Setenv("SSCARD_CONTROL", addr)
	if _, _, stderr := runCLI(t, "ctl", "state"); !strings.Contains(stderr, "no control API at "+addr) {
		t.Errorf("stderr %s", stderr)
	}
	if code, stdout, _ := runCLI(t, "ctl", "-h"); code != exitOK || !strings.Contains(stdout, "(default \""+addr+"\")") {
		t.Errorf("ctl -h does not show $SSCARD_CONTROL as the default:\n%s", stdout)
	}
}

// TestControlSavesOnShutdown: the card swapped in last is the one saved at
// the end, to its own image.
func TestControlSavesOnShutdown(t *testing.T) {
	t.Parallel()
	rig := newControlRig(t)
	other := filepath.Join(t.TempDir(), "other.img")
	if code, body := rig.do("POST", "/v1/slots/0/swap", `{"card":"gen2","image":"`+other+`"}`); code != 200 {
		t.Fatalf("swap: %d %s", code, body)
	}
	rig.reconnected()
	if code := rig.e.stop(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, img := range []string{rig.image, other} {
		if _, err := os.Stat(img); err != nil {
			t.Errorf("image %s: %v", img, err)
		}
	}
	c, err := emulator.Load(other)
	if err != nil || c.Profile().Name != "gen2" {
		t.Errorf("image of the card swapped in: %v", err)
	}
}

// In a contactless reader an armed power loss survives the field going
// off and on, tears the next write, and leaves a consistent card; a swap
// puts the new card behind the contactless door too.
func TestControlContactless(t *testing.T) {
	rig := newControlRig(t, "--contactless")
	if got := send(t, rig.c0, "FFCA000000"); !strings.HasSuffix(got, "9000") {
		t.Fatalf("GET DATA UID: %s", got)
	}
	if code, body := rig.do("POST", "/v1/slots/0/power-loss", `{"after":1}`); code != 200 {
		t.Fatalf("power-loss: %d %s", code, body)
	}
	if err := rig.c0.PowerOff(); err != nil {
		t.Fatal(err)
	}
	powerUp(t, rig.c0)
	send(t, rig.c0, apduSelectSSSE)
	if r, err := rig.c0.Transmit(mustDecode(apduVerifyBad)); err == nil {
		t.Errorf("VERIFY answered %X through a power loss", r)
	}
	rig.reconnected()
	send(t, rig.c0, apduSelectSSSE)
	if got := send(t, rig.c0, apduTriesLeft); got != "63C3" && got != "63C2" {
		t.Errorf("tries left after the torn VERIFY: %s", got)
	}
	// gen2 has no contactless door: it cannot go in; activated can.
	if code, body := rig.do("POST", "/v1/slots/0/swap", `{"card":"gen2"}`); code != 400 || !strings.Contains(body, "contactless") {
		t.Errorf("swap to gen2: %d %s", code, body)
	}
	if code, body := rig.do("POST", "/v1/slots/0/swap", `{"card":"default"}`); code != 200 {
		t.Fatalf("swap to default: %d %s", code, body)
	}
	rig.reconnected()
	if got := send(t, rig.c0, "FFCA000000"); !strings.HasSuffix(got, "9000") {
		t.Errorf("GET DATA UID of the swapped card: %s", got)
	}
}
