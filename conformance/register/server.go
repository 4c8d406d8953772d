package register

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// MaxBody bounds a request body.
const MaxBody = 64 << 10

// Server is the terminals' API of a register: HTTP and JSON.
//
//	GET  /v1/health                     {"schema": 2} (no authentication)
//	GET  /v1/cards/{id}                 a card
//	GET  /v1/cards?number=N             the cards with a card number
//	POST /v1/cards/{id}/activate        ActivateRequest → ActivateResult
//	POST /v1/cards/{id}/chip            ChipRequest → CardResult
//	POST /v1/cards/{id}/events          EventRequest → CardResult
//	POST /v1/cards/{id}/loss            LossRequest → CardResult (bureau, online)
//	POST /v1/cards/{id}/reactivate      ReactivateRequest → ReactivateResult (bureau)
//	POST /v1/cards/{id}/reissue         ReissueRequest → CardResult (bureau)
//	POST /v1/persons/{ssn}/payments     PaymentRequest → PaymentResult (bureau)
//	GET  /v1/journal?after=SEQ&limit=N  the calling terminal's journal entries
//
// Every request but health is authenticated (see HeaderMAC). Answers: 200
// with the result; 400 malformed request; 401 unauthenticated, forged,
// stale or replayed; 403 not allowed for the terminal's route; 404 unknown
// card or person; 409 refused by the card's state; 413 body too large; 503
// register closed. Errors are {"error": "...", "code": "..."}. A request
// answered 400, 401 or 413 changes nothing and is not journaled; a refusal
// (403, 404, 409) is journaled.
type Server struct {
	st  *Store
	mux *http.ServeMux
	// Log, if set, receives a line for every request refused before it
	// reached the register (400, 401, 413) and every internal error.
	Log func(msg string)
}

// NewServer returns the API of st.
func NewServer(st *Store) *Server {
	s := &Server{st: st, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/health", s.health)
	s.handle("GET /v1/cards/{id}", s.lookup)
	s.handle("GET /v1/cards", s.findByNumber)
	s.handle("POST /v1/cards/{id}/activate", s.activate)
	s.handle("POST /v1/cards/{id}/chip", s.chip)
	s.handle("POST /v1/cards/{id}/events", s.event)
	s.handle("POST /v1/cards/{id}/loss", s.loss)
	s.handle("POST /v1/cards/{id}/reactivate", s.reactivate)
	s.handle("POST /v1/cards/{id}/reissue", s.reissue)
	s.handle("POST /v1/persons/{ssn}/payments", s.payment)
	s.handle("GET /v1/journal", s.journal)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // sets the path values
		return
	}
	// No endpoint: the mux's own answer (404, or 405 with Allow), in JSON.
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	status := rec.status
	if status == 0 {
		status = http.StatusNotFound
	}
	msg := "no such endpoint"
	if status == http.StatusMethodNotAllowed {
		msg = "method " + r.Method + " not allowed here"
	}
	s.log("%s %s: %d %s", r.Method, r.URL.Path, status, msg)
	writeJSON(w, status, map[string]string{"error": msg, "code": "no-endpoint"})
}

// statusRecorder keeps only the status and headers of an answer.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(status int)      { r.status = status }

// request is one authenticated request.
type request struct {
	r     *http.Request
	actor Actor
	body  []byte
}

// httpError is an answer other than 200.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func bad(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, code: "malformed", msg: fmt.Sprintf(format, args...)}
}

// handle registers an authenticated endpoint: the body is read (bounded),
// the request authenticated, then fn decodes and runs it.
func (s *Server) handle(pattern string, fn func(q *request) (any, error)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.fail(w, r, &httpError{http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("request body over %d bytes", MaxBody)})
				return
			}
			s.fail(w, r, bad("reading the request body: %v", err))
			return
		}
		actor, err := s.authenticate(r, body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		res, err := fn(&request{r: r, actor: actor, body: body})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

func (s *Server) authenticate(r *http.Request, body []byte) (Actor, error) {
	h, err := parseAuth(r.Header.Get)
	if err != nil {
		return Actor{}, err
	}
	route, key, ok, err := s.st.terminalKey(r.Context(), h.terminal)
	if err != nil {
		return Actor{}, err
	}
	if !ok {
		return Actor{}, &AuthError{fmt.Sprintf("unknown terminal %q", h.terminal)}
	}
	if err := h.verify(key, r.Method, r.RequestURI, body, s.st.now()); err != nil {
		return Actor{}, err
	}
	return Actor{Terminal: h.terminal, Route: route, Nonce: h.nonce, Time: h.t}, nil
}

// fail answers an error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var ae *AuthError
	var ref *Refusal
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ae):
		he = &httpError{http.StatusUnauthorized, "unauthenticated", ae.Error()}
	case errors.Is(err, ErrReplayed):
		he = &httpError{http.StatusUnauthorized, "replayed", err.Error()}
	case errors.As(err, &ref):
		status := http.StatusConflict
		switch ref.Code {
		case CodeUnknownCard:
			status = http.StatusNotFound
		case CodeNotAllowed:
			status = http.StatusForbidden
		}
		writeJSON(w, status, map[string]string{"error": ref.Message, "code": ref.Code})
		return
	case errors.Is(err, ErrClosed):
		he = &httpError{http.StatusServiceUnavailable, "closed", err.Error()}
	default:
		he = &httpError{http.StatusInternalServerError, "internal", "internal error"}
		s.log("%s %s: %v", r.Method, r.URL.Path, err)
	}
	if he.status != http.StatusInternalServerError {
		s.log("%s %s: %d %s", r.Method, r.URL.Path, he.status, he.msg)
	}
	writeJSON(w, he.status, map[string]string{"error": he.msg, "code": he.code})
}

func (s *Server) log(format string, args ...any) {
	if s.Log != nil {
		s.Log(fmt.Sprintf(format, args...))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error","code":"internal"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeBody decodes a JSON object strictly: no unknown fields, nothing
// after it.
func decodeBody(body []byte, v any) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return bad("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("malformed JSON: data after the object")
	}
	return nil
}

func noBody(body []byte) error {
	if len(body) > 0 {
		return bad("a GET request has no body")
	}
	return nil
}

func (q *request) cardID() (string, error) {
	id, err := NormalizeCardID(q.r.PathValue("id"))
	if err != nil {
		return "", bad("%v", err)
	}
	return id, nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]int{"schema": SchemaVersion})
}

func (s *Server) lookup(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	if err := noBody(q.body); err != nil {
		return nil, err
	}
	return s.st.Lookup(q.r.Context(), q.actor, id)
}

func (s *Server) findByNumber(q *request) (any, error) {
	if err := noBody(q.body); err != nil {
		return nil, err
	}
	v := q.r.URL.Query()
	if len(v) != 1 || len(v["number"]) != 1 {
		return nil, bad("want exactly one query parameter: number")
	}
	n := v.Get("number")
	if err := CheckCardNumber(n); err != nil {
		return nil, bad("%v", err)
	}
	cards, err := s.st.FindByNumber(q.r.Context(), q.actor, n)
	if err != nil {
		return nil, err
	}
	if cards == nil {
		cards = []*Card{}
	}
	return &CardsResult{Cards: cards}, nil
}

func (s *Server) activate(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req ActivateRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if err := CheckSSN(req.SSN); err != nil {
		return nil, bad("ssn: %v", err)
	}
	switch req.Service {
	case "", Outpatient, Inpatient:
	default:
		return nil, bad("service %q: want outpatient or inpatient", clip(req.Service))
	}
	if req.Original != "" {
		if req.Original, err = NormalizeCardID(req.Original); err != nil {
			return nil, bad("original: %v", err)
		}
	}
	return s.st.Activate(q.r.Context(), q.actor, id, req)
}

func (s *Server) chip(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req ChipRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if !req.Chip.Valid() {
		return nil, bad("chip %q: want one of %v", clip(string(req.Chip)), Chips)
	}
	return s.st.ReportChip(q.r.Context(), q.actor, id, req.Chip)
}

func (s *Server) event(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req EventRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if _, ok := Events[req.Event]; !ok {
		return nil, bad("event %q: unknown", clip(req.Event))
	}
	switch {
	case req.Event == "registration" && req.Service != Outpatient && req.Service != Inpatient:
		return nil, bad("service %q: want outpatient or inpatient", clip(req.Service))
	case req.Event != "registration" && req.Service != "":
		return nil, bad("service: only for a registration")
	}
	return s.st.RecordEvent(q.r.Context(), q.actor, id, req)
}

func (s *Server) loss(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req LossRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if req.Kind != TemporaryLoss && req.Kind != FormalLoss {
		return nil, bad("kind %q: want temporary-loss or formal-loss", clip(string(req.Kind)))
	}
	return s.st.ReportLoss(q.r.Context(), q.actor, id, req.Kind)
}

func (s *Server) reactivate(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req ReactivateRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if err := CheckSSN(req.SSN); err != nil {
		return nil, bad("ssn: %v", err)
	}
	if req.Expiry != "" {
		if err := CheckDate(req.Expiry); err != nil {
			return nil, bad("expiry: %v", err)
		}
	}
	return s.st.Reactivate(q.r.Context(), q.actor, id, req)
}

func (s *Server) reissue(q *request) (any, error) {
	id, err := q.cardID()
	if err != nil {
		return nil, err
	}
	var req ReissueRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if err := req.check(); err != nil {
		return nil, bad("%v", err)
	}
	return s.st.Reissue(q.r.Context(), q.actor, id, req)
}

func (s *Server) payment(q *request) (any, error) {
	ssn := q.r.PathValue("ssn")
	if err := CheckSSN(ssn); err != nil {
		return nil, bad("%v", err)
	}
	var req PaymentRequest
	if err := decodeBody(q.body, &req); err != nil {
		return nil, err
	}
	if req.Amount <= 0 || req.Amount > maxPayment {
		return nil, bad("amount %d: want 1 to %d fen", req.Amount, maxPayment)
	}
	return s.st.Pay(q.r.Context(), q.actor, ssn, req.Amount)
}

// maxPayment bounds one payment: 100 million yuan, in fen.
const maxPayment = 10_000_000_000

func (s *Server) journal(q *request) (any, error) {
	if err := noBody(q.body); err != nil {
		return nil, err
	}
	v := q.r.URL.Query()
	jq := JournalQuery{Terminal: q.actor.Terminal, Limit: 100}
	for k, vs := range v {
		if len(vs) != 1 {
			return nil, bad("query parameter %q given %d times", clip(k), len(vs))
		}
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || n < 0 {
			return nil, bad("%s=%q: want a number", clip(k), clip(vs[0]))
		}
		switch k {
		case "after":
			jq.After = n
		case "limit":
			if n < 1 || n > 1000 {
				return nil, bad("limit %d: want 1 to 1000", n)
			}
			jq.Limit = int(n)
		default:
			return nil, bad("unknown query parameter %q (after, limit)", clip(k))
		}
	}
	if err := s.st.write(q.r.Context(), func(w *wtx) error { return w.consume(q.actor) }); err != nil {
		return nil, err
	}
	entries, err := s.st.Journal(q.r.Context(), jq)
	if err != nil {
		return nil, err
	}
	if entries == nil {
		entries = []Entry{}
	}
	return &JournalResult{Entries: entries}, nil
}
