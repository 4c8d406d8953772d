package idauth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Reasons a relying server refuses an authentication; the returned errors
// wrap them.
var (
	ErrChallengeUnknown = errors.New("challenge unknown or already used (replay)")
	ErrChallengeExpired = errors.New("challenge expired")
	ErrCertificateTime  = errors.New("certificate outside its validity period")
	ErrUntrusted        = errors.New("certificate does not chain to a trusted root")
	ErrKeyUsage         = errors.New("certificate not for digital signatures")
	ErrNotSM2           = errors.New("certificate key is not an SM2 key")
	ErrCardRefused      = errors.New("card refused by the card register")
	ErrSignature        = errors.New("signature does not verify")
)

// DefaultUserID is the SM2 user ID of GB/T 35276, the card's default
// (CARD.md §4).
const DefaultUserID = "1234567812345678"

// Config configures a relying server.
type Config struct {
	// Name is the server's name, bound into every signed challenge.
	Name string
	// Roots are the trusted root CAs; Intermediates the issuing CAs the
	// server knows (the card holds only its own certificate).
	Roots, Intermediates *smx509.CertPool
	// Register gives the cards' states; nil: no register check.
	Register Register
	// Now is the server's clock (default time.Now).
	Now func() time.Time
	// Rand is the source of challenges (default crypto/rand).
	Rand io.Reader
	// TTL is how long a challenge may be answered (default 2 minutes).
	TTL time.Duration
	// UserID is the SM2 user ID of the card's signatures (default
	// DefaultUserID).
	UserID string
	// SignMessage says the card's PSO takes the message itself rather
	// than the digest (the card profile's signInput "message").
	SignMessage bool
}

// Server is a relying server. It is safe for concurrent use.
type Server struct {
	cfg         Config
	mu          sync.Mutex
	outstanding map[string]time.Time // nonce (hex) → issue time
}

// NewServer checks cfg and returns a server.
func NewServer(cfg Config) (*Server, error) {
	switch {
	case cfg.Name == "" || strings.ContainsAny(cfg.Name, "\r\n"):
		return nil, errors.New("relying server: a name of one line is required")
	case cfg.Roots == nil:
		return nil, errors.New("relying server: no trusted roots")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 2 * time.Minute
	}
	if cfg.UserID == "" {
		cfg.UserID = DefaultUserID
	}
	return &Server{cfg: cfg, outstanding: map[string]time.Time{}}, nil
}

// Name returns the server's name.
func (s *Server) Name() string { return s.cfg.Name }

// NonceSize is the length of a challenge's nonce.
const NonceSize = 32

// Challenge is what the server asks the card to sign.
type Challenge struct {
	Server string
	Time   time.Time
	Nonce  []byte
}

// Message is the exact text the card signs [model: the binding of the
// challenge to the server's name and time, one field per line]:
//
//	sscard-idauth-1
//	server: <name>
//	time: <RFC 3339, UTC, seconds>
//	nonce: <64 hex digits>
func (c Challenge) Message() []byte {
	return fmt.Appendf(nil, "sscard-idauth-1\nserver: %s\ntime: %s\nnonce: %X\n",
		c.Server, c.Time.UTC().Format(time.RFC3339), c.Nonce)
}

// NewChallenge issues a fresh challenge, valid for one answer within TTL.
func (s *Server) NewChallenge() (Challenge, error) {
	n := make([]byte, NonceSize)
	if _, err := io.ReadFull(s.cfg.Rand, n); err != nil {
		return Challenge{}, fmt.Errorf("issuing a challenge: %w", err)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	key := hex.EncodeToString(n)
	if _, dup := s.outstanding[key]; dup {
		return Challenge{}, errors.New("issuing a challenge: the random source repeats itself")
	}
	s.expire(now)
	s.outstanding[key] = now
	return Challenge{Server: s.cfg.Name, Time: now, Nonce: n}, nil
}

// expire forgets challenges past their TTL (s.mu held).
func (s *Server) expire(now time.Time) {
	for k, t := range s.outstanding {
		if now.Sub(t) > s.cfg.TTL {
			delete(s.outstanding, k)
		}
	}
}

// Identity is a certificate the server accepted: whose card it is.
type Identity struct {
	Name string // the holder's name (subject CN)
	Card CardRef
	// Status is the card's state in the register ("" without a register).
	Status      CardStatus
	Certificate *smx509.Certificate
	Chain       []*smx509.Certificate
	key         *ecdsa.PublicKey
}

// CheckCertificate verifies a card's signing certificate as of the
// server's clock: validity period, SM2 key, digital signature usage, chain
// to a trusted root, and the card's state in the register.
func (s *Server) CheckCertificate(der []byte) (*Identity, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	now := s.cfg.Now()
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return nil, fmt.Errorf("%w: valid %s to %s, now %s", ErrCertificateTime,
			c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly), now.UTC().Format(time.DateOnly))
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != sm2.P256() {
		return nil, ErrNotSM2
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: key usage %b", ErrKeyUsage, c.KeyUsage)
	}
	chains, err := c.Verify(smx509.VerifyOptions{
		Roots: s.cfg.Roots, Intermediates: s.cfg.Intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	id := &Identity{Name: c.Subject.CommonName, Certificate: c, Chain: chains[0], key: pub,
		Card: CardRef{SSN: c.Subject.SerialNumber}}
	for _, ou := range c.Subject.OrganizationalUnit {
		if validIdentifier(ou) {
			id.Card.Identifier = strings.ToUpper(ou)
		}
	}
	if s.cfg.Register != nil {
		if id.Card.Identifier == "" {
			return nil, fmt.Errorf("%w: the certificate names no card identifier", ErrCardRefused)
		}
		st, err := s.cfg.Register.CardStatus(id.Card)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCardRefused, err)
		}
		id.Status = st
		if st.Refused() {
			return nil, fmt.Errorf("%w: card %s is %s", ErrCardRefused, id.Card.Identifier, st)
		}
	}
	return id, nil
}

// ToSign is what the terminal sends the card for challenge ch: the digest
// e = SM3(Z‖M) of the challenge's message with the certified key and the
// user ID, or the message itself for a card that takes the message.
func (s *Server) ToSign(id *Identity, ch Challenge) ([]byte, error) {
	m := ch.Message()
	if s.cfg.SignMessage {
		return m, nil
	}
	return sm2.CalculateSM2Hash(id.key, m, []byte(s.cfg.UserID))
}

// Verify checks the card's answer to the challenge with nonce: the
// challenge is outstanding and fresh (it is consumed, whatever the outcome),
// and sig (DER) is the certified key's signature of its message.
func (s *Server) Verify(nonce []byte, id *Identity, sig []byte) error {
	key := hex.EncodeToString(nonce)
	now := s.cfg.Now()
	s.mu.Lock()
	issued, ok := s.outstanding[key]
	delete(s.outstanding, key)
	s.mu.Unlock()
	if !ok || len(nonce) != NonceSize {
		return ErrChallengeUnknown
	}
	if now.Sub(issued) > s.cfg.TTL || now.Before(issued.Add(-time.Second)) {
		return fmt.Errorf("%w: issued %s, now %s", ErrChallengeExpired, issued.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if id == nil || id.key == nil {
		return ErrUntrusted
	}
	ch := Challenge{Server: s.cfg.Name, Time: issued, Nonce: bytes.Clone(nonce)}
	if !sm2.VerifyASN1WithSM2(id.key, []byte(s.cfg.UserID), ch.Message(), sig) {
		return ErrSignature
	}
	return nil
}
