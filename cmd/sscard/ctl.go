package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sscard/sscard/emulator/trace"
)

// The control API of "sscard emulate --control ADDR": HTTP and JSON, on
// loopback unless --control-any.
//
//	GET    /v1/state                  every slot's state
//	GET    /v1/slots/{n}              one slot's state
//	POST   /v1/slots/{n}/insert       {"card": "persona|file", "image": "FILE"}, or no body: the card last removed
//	POST   /v1/slots/{n}/remove       take the card out
//	POST   /v1/slots/{n}/swap         {"card": ..., "image": ...}: take the card out, put this one in
//	POST   /v1/slots/{n}/power-loss   {"after": n}: the card loses power after n more NVM writes; no body or 0: now
//	GET    /v1/slots/{n}/trace        the slot's trace as text lines; ?format=json for JSON
//	DELETE /v1/slots/{n}/trace        clear it
//
// Changes answer with the slot's state; errors with {"error": "..."} and
// 400 (malformed request, unknown card), 404 (no such slot or endpoint),
// 405 (wrong method) or 409 (a full slot to insert into, an empty one to
// remove from); a request that fails changes nothing.

// defaultControlAddr is where "sscard ctl" looks for the control API.
const defaultControlAddr = "127.0.0.1:35960"

// maxControlBody bounds a request body.
const maxControlBody = 64 << 10

// controlServer is the running control API.
type controlServer struct {
	addr string
	srv  *http.Server
	done chan struct{}
}

// startControl serves the control API on addr ("" for none).
func startControl(addr string, vr *virtualReader) (*controlServer, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	cs := &controlServer{
		addr: ln.Addr().String(),
		srv:  &http.Server{Handler: vr.controlHandler(), ReadHeaderTimeout: 5 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(cs.done)
		_ = cs.srv.Serve(ln)
	}()
	return cs, nil
}

// stop shuts the control API down, letting requests under way finish.
func (cs *controlServer) stop() {
	if cs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if cs.srv.Shutdown(ctx) != nil {
		cs.srv.Close()
	}
	<-cs.done
}

// slotHandler handles a request about one slot.
type slotHandler func(w http.ResponseWriter, r *http.Request, s *emuSlot)

// controlHandler routes the control API.
func (vr *virtualReader) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/state", func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, vr.state())
	})
	vr.route(mux, "/v1/slots/{n}", map[string]slotHandler{http.MethodGet: vr.getSlot})
	vr.route(mux, "/v1/slots/{n}/insert", map[string]slotHandler{http.MethodPost: vr.insert})
	vr.route(mux, "/v1/slots/{n}/remove", map[string]slotHandler{http.MethodPost: vr.remove})
	vr.route(mux, "/v1/slots/{n}/swap", map[string]slotHandler{http.MethodPost: vr.swap})
	vr.route(mux, "/v1/slots/{n}/power-loss", map[string]slotHandler{http.MethodPost: vr.powerLoss})
	vr.route(mux, "/v1/slots/{n}/trace", map[string]slotHandler{http.MethodGet: vr.getTrace, http.MethodDelete: vr.clearTrace})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s: see sscard ctl -h", r.URL.Path))
	})
	return mux
}

// route registers the handlers of a slot endpoint by method.
func (vr *virtualReader) route(mux *http.ServeMux, pattern string, byMethod map[string]slotHandler) {
	methods := make([]string, 0, len(byMethod))
	for m := range byMethod {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !allow(w, r, methods...) {
			return
		}
		s := vr.slotOf(r.PathValue("n"))
		if s == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no slot %q: the slots are %s", r.PathValue("n"), vr.slotList()))
			return
		}
		byMethod[r.Method](w, r, s)
	})
}

// allow answers 405 unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, strings.Join(methods, " or ")))
	return false
}

func (vr *virtualReader) slotOf(name string) *emuSlot {
	n, err := strconv.Atoi(name)
	if err != nil || n < 0 || n >= len(vr.slots) || strconv.Itoa(n) != name {
		return nil
	}
	return vr.slots[n]
}

func (vr *virtualReader) slotList() string {
	var ns []string
	for _, s := range vr.slots {
		if s != nil {
			ns = append(ns, strconv.Itoa(s.n))
		}
	}
	return strings.Join(ns, " and ")
}

// cardRequest is the body of insert and swap.
type cardRequest struct {
	Card  string `json:"card"`  // persona or profile file
	Image string `json:"image"` // card image: loaded if it exists, saved as the card changes
}

// powerLossRequest is the body of power-loss.
type powerLossRequest struct {
	After int `json:"after"` // NVM writes before the power is lost; 0: now
}

func (vr *virtualReader) getSlot(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	writeJSON(w, http.StatusOK, vr.slotState(s))
}

func (vr *virtualReader) insert(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	var req cardRequest
	if !decodeBody(w, r, &req, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vslot.Card() != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("slot %d holds card %s: remove it first, or swap", s.n, s.card.spec))
		return
	}
	c := s.card // no card named: put back the card last removed
	if req.Card != "" || req.Image != "" {
		var err error
		if c, err = vr.openCard(s.n, req.Card, req.Image); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	s.card = c
	s.vslot.Insert(c)
	vr.stderr.printf("slot %d: card %s inserted\n", s.n, c.spec)
	writeJSON(w, http.StatusOK, vr.slotStateLocked(s))
}

func (vr *virtualReader) remove(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	if !decodeBody(w, r, &struct{}{}, true) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vslot.Remove() == nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("slot %d is empty", s.n))
		return
	}
	s.card.saveNow()
	vr.stderr.printf("slot %d: card %s removed\n", s.n, s.card.spec)
	writeJSON(w, http.StatusOK, vr.slotStateLocked(s))
}

func (vr *virtualReader) swap(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	var req cardRequest
	if !decodeBody(w, r, &req, false) {
		return
	}
	if req.Card == "" && req.Image == "" {
		writeError(w, http.StatusBadRequest, `swap needs the card to put in: {"card": "persona|file"} or {"image": "FILE"}`)
		return
	}
	c, err := vr.openCard(s.n, req.Card, req.Image)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.card
	if s.vslot.Insert(c) != nil {
		old.saveNow()
		vr.stderr.printf("slot %d: card %s swapped for %s\n", s.n, old.spec, c.spec)
	} else {
		vr.stderr.printf("slot %d: card %s inserted\n", s.n, c.spec)
	}
	s.card = c
	writeJSON(w, http.StatusOK, vr.slotStateLocked(s))
}

func (vr *virtualReader) powerLoss(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	var req powerLossRequest
	if !decodeBody(w, r, &req, true) {
		return
	}
	if req.After < 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`"after": %d: give the NVM writes before the power loss (1 or more), or 0 to cut the power now`, req.After))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vslot.Card() == nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("slot %d is empty", s.n))
		return
	}
	if req.After > 0 {
		s.card.arm(req.After)
		vr.stderr.printf("slot %d: power loss armed after %d NVM writes\n", s.n, req.After)
	} else {
		s.card.cutPower()
		s.vslot.Disconnect()
		vr.stderr.printf("slot %d: power cut\n", s.n)
	}
	writeJSON(w, http.StatusOK, vr.slotStateLocked(s))
}

func (vr *virtualReader) getTrace(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	q := r.URL.Query()
	for k := range q {
		if k != "format" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q: only format=text|json", k))
			return
		}
	}
	events := s.log.Events()
	switch f := q.Get("format"); f {
	case "", "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_ = trace.WriteText(w, events)
	case "json":
		w.Header().Set("Content-Type", "application/json")
		_ = trace.WriteJSON(w, events)
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format %q: use text or json", f))
	}
}

func (vr *virtualReader) clearTrace(w http.ResponseWriter, r *http.Request, s *emuSlot) {
	s.log.Clear()
	w.WriteHeader(http.StatusNoContent)
}

// decodeBody decodes r's JSON body into v, strictly: one object, no unknown
// field. An empty body is accepted when optional. It answers 400 and
// returns false on a malformed body.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("reading the request: %v", err))
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if optional {
			return true
		}
		writeError(w, http.StatusBadRequest, "the request needs a JSON body")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("bad JSON body: %v", err))
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "bad JSON body: more after the object")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{Error: msg})
}

func init() {
	register(&command{
		name:    "ctl",
		summary: "control a running sscard emulate: insert, remove, swap, power loss, trace, state",
		run:     runCtl,
	})
}

// runCtl is "sscard ctl".
func runCtl(args []string, stdout, stderr io.Writer) int {
	f := newFlags("ctl", "sscard ctl [--control ADDR] [--json] state|insert|remove|swap|power-loss|trace [SLOT] [ARGS]", `
Control a running "sscard emulate --control ADDR" through its control API:

  state                      the slots: card, connection, APDUs, last status word
  insert SLOT [CARD]         put CARD (persona or profile file; or --image) in
                             the empty slot, or put back the card last removed
  remove SLOT                take the card out: pcscd sees it removed
  swap SLOT CARD             take the card out and put CARD in (--image too)
  power-loss SLOT [N]        the card loses power after N more NVM writes (the
                             next state change is torn); without N, now
  trace SLOT                 the slot's exchanges (--json; --clear empties it)

Slot 0 holds the social security card, slot 1 the PSAM. The address is
--control, else $SSCARD_CONTROL, else 127.0.0.1:35960. The exit status is 1
when the request fails (the reason is printed), 2 on a bad command line.

The API is HTTP and JSON: GET /v1/state, GET /v1/slots/{n},
POST /v1/slots/{n}/insert|remove|swap|power-loss, GET|DELETE
/v1/slots/{n}/trace; errors come as {"error": "..."}.`)
	addr := f.String("control", envOr("SSCARD_CONTROL", defaultControlAddr), "the control API's `ADDR`")
	asJSON := f.Bool("json", false, "print JSON")
	image := f.String("image", "", "insert, swap: the card image `FILE` (loaded if it exists, saved as the card changes)")
	clearTrace := f.Bool("clear", false, "trace: empty the slot's trace after printing it")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 {
		return f.usageError(stderr, "which command? state, insert, remove, swap, power-loss or trace")
	}
	c := &ctlClient{base: "http://" + *addr, addr: *addr, http: &http.Client{Timeout: 10 * time.Second}}
	cmd, rest := pos[0], pos[1:]
	want := map[string][2]int{ // arguments after the command: min, max
		"state": {0, 0}, "insert": {1, 2}, "remove": {1, 1}, "swap": {1, 2}, "power-loss": {1, 2}, "trace": {1, 1},
	}
	n, ok := want[cmd]
	if !ok {
		return f.usageError(stderr, fmt.Sprintf("unknown command %q", cmd))
	}
	if len(rest) < n[0] || len(rest) > n[1] {
		return f.usageError(stderr, fmt.Sprintf("%s takes %s", cmd, map[string]string{
			"state": "no arguments", "insert": "SLOT [CARD]", "remove": "SLOT", "swap": "SLOT CARD",
			"power-loss": "SLOT [N]", "trace": "SLOT",
		}[cmd]))
	}
	slot := ""
	if len(rest) > 0 {
		slot = rest[0]
		if v, err := strconv.Atoi(slot); err != nil || v < 0 {
			return f.usageError(stderr, fmt.Sprintf("slot %q is not a slot number", slot))
		}
	}
	arg := ""
	if len(rest) > 1 {
		arg = rest[1]
	}
	if cmd == "swap" && arg == "" && *image == "" {
		return f.usageError(stderr, "swap takes SLOT CARD (or --image FILE)")
	}

	var err error
	switch cmd {
	case "state":
		err = c.state(stdout, *asJSON)
	case "insert", "swap":
		err = c.slotPost(stdout, slot, cmd, cardRequest{Card: arg, Image: *image}, *asJSON)
	case "remove":
		err = c.slotPost(stdout, slot, cmd, nil, *asJSON)
	case "power-loss":
		var req powerLossRequest
		if arg != "" {
			if req.After, err = strconv.Atoi(arg); err != nil || req.After < 1 {
				return f.usageError(stderr, fmt.Sprintf("power-loss %s: N is a number of NVM writes, 1 or more", arg))
			}
		}
		err = c.slotPost(stdout, slot, cmd, req, *asJSON)
	case "trace":
		err = c.trace(stdout, slot, *asJSON, *clearTrace)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sscard ctl: %v\n", err)
		return exitFail
	}
	return exitOK
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// ctlClient talks to the control API.
type ctlClient struct {
	base, addr string
	http       *http.Client
}

// do sends a request and returns the body of a 2xx answer; any other
// answer is an error carrying the server's reason.
func (c *ctlClient) do(method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("no control API at %s (start it with sscard emulate --control %s): %w", c.addr, c.addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e apiError
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s (%s)", e.Error, resp.Status)
		}
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return b, nil
}

func (c *ctlClient) state(w io.Writer, asJSON bool) error {
	b, err := c.do(http.MethodGet, "/v1/state", nil)
	if err != nil {
		return err
	}
	if asJSON {
		_, err = w.Write(b)
		return err
	}
	var st readerState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("decoding the state: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tCARD\tPROFILE\tINSERTED\tCONNECTED\tAPDUS\tLAST SW\tATR")
	for _, s := range st.Slots {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.Slot, orDash(s.Card), orDash(s.Profile), yesNo(s.Inserted), connectedTo(s), s.APDUs, orDash(s.LastSW), orDash(s.ATR))
	}
	return tw.Flush()
}

func (c *ctlClient) slotPost(w io.Writer, slot, action string, body any, asJSON bool) error {
	b, err := c.do(http.MethodPost, "/v1/slots/"+slot+"/"+action, body)
	if err != nil {
		return err
	}
	if asJSON {
		_, err = w.Write(b)
		return err
	}
	var s slotState
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	_, err = fmt.Fprintln(w, describeSlot(s))
	return err
}

func (c *ctlClient) trace(w io.Writer, slot string, asJSON, clear bool) error {
	path := "/v1/slots/" + slot + "/trace"
	q := ""
	if asJSON {
		q = "?format=json"
	}
	b, err := c.do(http.MethodGet, path+q, nil)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if clear {
		_, err = c.do(http.MethodDelete, path, nil)
	}
	return err
}

// describeSlot is the one line ctl prints for a slot.
func describeSlot(s slotState) string {
	if !s.Inserted {
		return fmt.Sprintf("slot %d: empty", s.Slot)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "slot %d: %s (%s %s), %s, ATR %s, %d APDUs", s.Slot, s.Card, s.Kind, s.Profile, connectedTo(s), spacedHex(hexOrNil(s.ATR)), s.APDUs)
	if s.LastSW != "" {
		fmt.Fprintf(&b, ", last SW %s", s.LastSW)
	}
	if s.PowerLossAfter > 0 {
		fmt.Fprintf(&b, ", power loss after %d NVM writes", s.PowerLossAfter)
	}
	if !s.Powered {
		b.WriteString(", unpowered")
	}
	return b.String()
}

func connectedTo(s slotState) string {
	if s.Connected {
		return "connected to " + s.Peer
	}
	return "not connected"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func hexOrNil(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
