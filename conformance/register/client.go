package register

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a terminal's side of the register API: every request
// authenticated with the terminal's key.
type Client struct {
	// BaseURL is the register's address, e.g. http://127.0.0.1:35961.
	BaseURL  string
	Terminal string
	Key      []byte
	// HTTP is the client used; nil: a client with a 30 s timeout.
	HTTP *http.Client
	// Now is the terminal's clock (default time.Now); Rand its source of
	// nonces (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

// APIError is an answer of the register that is neither a result nor a
// refusal: a malformed request (400), an unauthenticated one (401), a body
// too large (413), the register unavailable (503) or failing (500).
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("register answered %d %s: %s", e.Status, e.Code, e.Message)
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	IdleConnTimeout:     90 * time.Second,
}}

// Do sends one authenticated request and decodes a 200 answer into out.
// A refusal comes back as *Refusal, other answers as *APIError.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("register request %s %s: %w", method, path, err)
		}
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + path)
	if err != nil {
		return fmt.Errorf("register request %s %s: %w", method, path, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("register request %s %s: %w", method, path, err)
	}
	if err := c.Sign(req, body); err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("register request %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("register request %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusOK {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("register request %s %s: decoding the answer: %w", method, path, err)
		}
		return nil
	}
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	_ = json.Unmarshal(data, &e)
	switch {
	case resp.StatusCode == http.StatusConflict && e.Code != "",
		resp.StatusCode == http.StatusForbidden && e.Code == CodeNotAllowed,
		resp.StatusCode == http.StatusNotFound && e.Code == CodeUnknownCard:
		return &Refusal{Code: e.Code, Message: e.Error}
	}
	if e.Error == "" {
		e.Error = strings.TrimSpace(string(data))
	}
	return &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Error}
}

// Sign adds the authentication headers to req, whose body is body.
func (c *Client) Sign(req *http.Request, body []byte) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	nb := make([]byte, 16)
	if _, err := io.ReadFull(r, nb); err != nil {
		return fmt.Errorf("register request: making a nonce: %w", err)
	}
	ts := strconv.FormatInt(now().UnixMilli(), 10)
	nonce := hex.EncodeToString(nb)
	mac := RequestMAC(c.Key, req.Method, req.URL.RequestURI(), c.Terminal, ts, nonce, body)
	req.Header.Set(HeaderTerminal, c.Terminal)
	req.Header.Set(HeaderTime, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderMAC, hex.EncodeToString(mac))
	return nil
}

func cardPath(id, tail string) string { return "/v1/cards/" + url.PathEscape(id) + tail }

// Lookup returns a card.
func (c *Client) Lookup(ctx context.Context, id string) (*Card, error) {
	var out Card
	if err := c.Do(ctx, http.MethodGet, cardPath(id, ""), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindByNumber returns the cards with a card number.
func (c *Client) FindByNumber(ctx context.Context, number string) ([]*Card, error) {
	var out CardsResult
	if err := c.Do(ctx, http.MethodGet, "/v1/cards?number="+url.QueryEscape(number), nil, &out); err != nil {
		return nil, err
	}
	return out.Cards, nil
}

// Activate enables a card.
func (c *Client) Activate(ctx context.Context, id string, req ActivateRequest) (*ActivateResult, error) {
	var out ActivateResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/activate"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportChip records the on-chip state the terminal left the card in.
func (c *Client) ReportChip(ctx context.Context, id string, chip Chip) (*CardResult, error) {
	var out CardResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/chip"), ChipRequest{Chip: chip}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecordEvent records a step of a route.
func (c *Client) RecordEvent(ctx context.Context, id string, req EventRequest) (*CardResult, error) {
	var out CardResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/events"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportLoss reports a card lost.
func (c *Client) ReportLoss(ctx context.Context, id string, kind State) (*CardResult, error) {
	var out CardResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/loss"), LossRequest{Kind: kind}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Reactivate puts a stopped card back in use (bureau).
func (c *Client) Reactivate(ctx context.Context, id string, req ReactivateRequest) (*ReactivateResult, error) {
	var out ReactivateResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/reactivate"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Reissue enrols a new card replacing a card (bureau).
func (c *Client) Reissue(ctx context.Context, id string, req ReissueRequest) (*CardResult, error) {
	var out CardResult
	if err := c.Do(ctx, http.MethodPost, cardPath(id, "/reissue"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Pay pays arrears on a person's medical account (bureau).
func (c *Client) Pay(ctx context.Context, ssn string, amount int64) (*PaymentResult, error) {
	var out PaymentResult
	if err := c.Do(ctx, http.MethodPost, "/v1/persons/"+url.PathEscape(ssn)+"/payments", PaymentRequest{Amount: amount}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Journal returns the terminal's own journal entries after seq.
func (c *Client) Journal(ctx context.Context, after int64, limit int) ([]Entry, error) {
	var out JournalResult
	q := "/v1/journal?after=" + strconv.FormatInt(after, 10)
	if limit > 0 {
		q += "&limit=" + strconv.Itoa(limit)
	}
	if err := c.Do(ctx, http.MethodGet, q, nil, &out); err != nil {
		return nil, err
	}
	return out.Entries, nil
}

// IsRefusal reports whether err is a refusal of the register, and which.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}
