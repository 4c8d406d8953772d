package register

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request authentication headers. Every request of a terminal carries its
// name, the time, a fresh nonce and a MAC:
//
//	Sscard-Terminal: hospital-01
//	Sscard-Time:     1767225600000              (Unix time in milliseconds)
//	Sscard-Nonce:    9f2c4e...                  (32 hex digits, never reused)
//	Sscard-Mac:      5be0...                    (64 hex digits)
//
// The MAC is HMAC-SHA256 with the terminal's key over the text
//
//	sscard-register-v1 \n METHOD \n REQUEST-URI \n TERMINAL \n TIME \n NONCE \n hex(SHA-256(body))
//
// (lines joined by a single line feed, REQUEST-URI as sent: path and query).
const (
	HeaderTerminal = "Sscard-Terminal"
	HeaderTime     = "Sscard-Time"
	HeaderNonce    = "Sscard-Nonce"
	HeaderMAC      = "Sscard-Mac"
)

// NonceWindow is how far a request's time may be from the register's
// clock; the register remembers nonces for twice as long.
const NonceWindow = 5 * time.Minute

// macLabel separates this use of the terminal key from any other.
const macLabel = "sscard-register-v1"

// RequestMAC computes the MAC of a request.
func RequestMAC(key []byte, method, requestURI, terminal, timestamp, nonce string, body []byte) []byte {
	bh := sha256.Sum256(body)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macLabel + "\n" + method + "\n" + requestURI + "\n" + terminal + "\n" + timestamp + "\n" + nonce + "\n"))
	m.Write([]byte(hex.EncodeToString(bh[:])))
	return m.Sum(nil)
}

// AuthError is why a request was not authenticated (401).
type AuthError struct {
	Reason string
}

func (e *AuthError) Error() string { return "unauthenticated: " + e.Reason }

// authHeaders are the parsed authentication headers.
type authHeaders struct {
	terminal, timestamp, nonce string
	t                          time.Time
	mac                        []byte
}

// parseAuth checks the form of the authentication headers.
func parseAuth(get func(string) string) (*authHeaders, error) {
	h := &authHeaders{terminal: get(HeaderTerminal), timestamp: get(HeaderTime), nonce: get(HeaderNonce)}
	mac := get(HeaderMAC)
	if h.terminal == "" || h.timestamp == "" || h.nonce == "" || mac == "" {
		return nil, &AuthError{"missing " + strings.Join(missing(h.terminal, h.timestamp, h.nonce, mac), ", ") + " header"}
	}
	if err := CheckTerminalID(h.terminal); err != nil {
		return nil, &AuthError{err.Error()}
	}
	ms, err := strconv.ParseInt(h.timestamp, 10, 64)
	if err != nil || ms <= 0 || len(h.timestamp) > 15 {
		return nil, &AuthError{HeaderTime + ": want Unix time in milliseconds"}
	}
	h.t = time.UnixMilli(ms)
	if len(h.nonce) != 32 || !allHex(h.nonce) {
		return nil, &AuthError{HeaderNonce + ": want 32 hex digits"}
	}
	h.nonce = strings.ToLower(h.nonce)
	if len(mac) != 64 || !allHex(mac) {
		return nil, &AuthError{HeaderMAC + ": want 64 hex digits"}
	}
	h.mac, _ = hex.DecodeString(mac)
	return h, nil
}

func missing(terminal, timestamp, nonce, mac string) []string {
	var out []string
	for _, f := range []struct{ v, name string }{{terminal, HeaderTerminal}, {timestamp, HeaderTime}, {nonce, HeaderNonce}, {mac, HeaderMAC}} {
		if f.v == "" {
			out = append(out, f.name)
		}
	}
	return out
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// verify checks the MAC with key and the time against now.
func (h *authHeaders) verify(key []byte, method, requestURI string, body []byte, now time.Time) error {
	want := RequestMAC(key, method, requestURI, h.terminal, h.timestamp, h.nonce, body)
	if !hmac.Equal(want, h.mac) {
		return &AuthError{"the MAC is not the terminal's"}
	}
	if d := now.Sub(h.t); d > NonceWindow || d < -NonceWindow {
		return &AuthError{fmt.Sprintf("the request's time is %s from the register's clock (at most %s)", d.Round(time.Second), NonceWindow)}
	}
	return nil
}

// ParseKey decodes a terminal key given as hex.
func ParseKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("terminal key: not hex: %w", err)
	}
	if len(k) < 16 {
		return nil, errors.New("terminal key: shorter than 16 bytes")
	}
	return k, nil
}
