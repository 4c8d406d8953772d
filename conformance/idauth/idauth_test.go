package idauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

// now is inside the test PKI's card certificates (2024-03-15 to 2034-03-15).
var now = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

var profiles sync.Map

func load(t testing.TB, name string) *profile.Profile {
	t.Helper()
	if p, ok := profiles.Load(name); ok {
		return p.(*profile.Profile)
	}
	p, err := profile.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	profiles.Store(name, p)
	return p
}

func newCard(t testing.TB, persona string) *emulator.Card {
	t.Helper()
	c, err := emulator.New(load(t, persona), emulator.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newServer(t testing.TB, clk *clock, reg idauth.Register) *idauth.Server {
	t.Helper()
	roots, err := testpki.Roots()
	if err != nil {
		t.Fatal(err)
	}
	inter, err := testpki.Intermediates()
	if err != nil {
		t.Fatal(err)
	}
	if clk == nil {
		clk = &clock{now}
	}
	s, err := idauth.NewServer(idauth.Config{Name: "sscard test relying server", Roots: roots, Intermediates: inter,
		Register: reg, Now: clk.now, Rand: seeded()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seeded is a deterministic random source for the server's challenges.
func seeded() io.Reader {
	var seed [32]byte
	copy(seed[:], "idauth test challenges")
	return &lockedChaCha{r: mrand.NewChaCha8(seed)}
}

type lockedChaCha struct {
	mu sync.Mutex
	r  *mrand.ChaCha8
}

func (l *lockedChaCha) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

func register(t testing.TB) idauth.StaticRegister {
	return idauth.RegisterOf(load(t, "activated"))
}

func TestAuthenticateAccepts(t *testing.T) {
	card := newCard(t, "activated")
	srv := newServer(t, nil, register(t))
	var names []string
	res := idauth.Authenticate(srv, card, "123456", func(s idauth.Step) { names = append(names, s.Name) })
	if !res.Accepted || res.Err != nil {
		t.Fatalf("refused: %v", res.Err)
	}
	want := []string{"challenge", "select", "certificate", "chain", "pin", "sign", "verify"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("steps %v, want %v", names, want)
	}
	id := res.Identity
	c := testpki.Cards[0]
	if id.Name != c.Name || id.Card.SSN != c.SSN || id.Card.Identifier != c.Identifier || id.Status != idauth.StatusEnabled {
		t.Errorf("identity %+v", id.Card)
	}
}

// patchedCard builds the activated card with its pki section changed.
func patchedCard(t testing.TB, patch func(m map[string]any)) (*emulator.Card, *profile.Profile) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(load(t, "activated").JSON(), &m); err != nil {
		t.Fatal(err)
	}
	patch(m["pki"].(map[string]any))
	raw, _ := json.Marshal(m)
	p, err := profile.Parse(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := emulator.New(p, emulator.WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

func signingCert(suffix string) func(m map[string]any) {
	return func(m map[string]any) {
		m["signing"].(map[string]any)["certificate"] = testpki.CardName(testpki.Cards[0].Serial, suffix)
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		card    func(t testing.TB) *emulator.Card
		pin     string
		at      time.Time
		reg     func(t testing.TB) idauth.Register
		step    string
		want    error
		wantSW  iso7816.Status
		partial bool
	}{
		{name: "wrong PIN", pin: "654321", step: "pin", wantSW: 0x63C2},
		{name: "blocked PIN", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, func(m map[string]any) { m["userPin"].(map[string]any)["triesLeft"] = 0 })
			return c
		}, step: "pin", wantSW: iso7816.SWAuthBlocked},
		{name: "lost card", card: func(t testing.TB) *emulator.Card { return newCard(t, "lost") },
			reg: func(t testing.TB) idauth.Register { return idauth.RegisterOf(load(t, "lost")) }, step: "chain", want: idauth.ErrCardRefused},
		{name: "cancelled card", card: func(t testing.TB) *emulator.Card { return newCard(t, "cancelled") },
			reg: func(t testing.TB) idauth.Register { return idauth.RegisterOf(load(t, "cancelled")) }, step: "chain", want: idauth.ErrCardRefused},
		{name: "card not in the register", reg: func(t testing.TB) idauth.Register { return idauth.StaticRegister{} }, step: "chain", want: idauth.ErrUnknownCard},
		{name: "after the certificate's end", at: time.Date(2034, 3, 16, 0, 0, 0, 0, time.UTC), step: "chain", want: idauth.ErrCertificateTime},
		{name: "before the certificate's start", at: time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), step: "chain", want: idauth.ErrCertificateTime},
		{name: "expired certificate", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, signingCert(testpki.SuffixSignExpired))
			return c
		}, step: "chain", want: idauth.ErrCertificateTime},
		{name: "certificate of a rogue CA", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, signingCert(testpki.SuffixSignRogue))
			return c
		}, step: "chain", want: idauth.ErrUntrusted},
		{name: "certificate without digital signature", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, signingCert(testpki.SuffixSignNoUsage))
			return c
		}, step: "chain", want: idauth.ErrKeyUsage},
		{name: "encryption certificate in the signing file", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, func(m map[string]any) {
				m["signing"] = map[string]any{"key": testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixEnc), "certificate": testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixEnc)}
			})
			return c
		}, step: "chain", want: idauth.ErrKeyUsage},
		{name: "no certificate", card: func(t testing.TB) *emulator.Card {
			c, _ := patchedCard(t, func(m map[string]any) { delete(m["signing"].(map[string]any), "certificate") })
			return c
		}, step: "certificate", want: idauth.ErrResponse},
		{name: "signature with another key", card: func(t testing.TB) *emulator.Card {
			// The card holds the encryption key as its signing key but the
			// signing certificate: the signature cannot verify.
			c, _ := patchedCard(t, func(m map[string]any) {
				m["signing"] = map[string]any{"key": testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixEnc)}
			})
			cl := &idauth.Client{T: c}
			if err := cl.Select(); err != nil {
				t.Fatal(err)
			}
			if err := cl.VerifyPIN(idauth.AdminPIN, "12345678"); err != nil {
				t.Fatal(err)
			}
			der, _ := testpki.CertificateDER(testpki.CardName(testpki.Cards[0].Serial, testpki.SuffixSign))
			// The card refuses a certificate of another key, so write it
			// the issuer's way.
			key := extAuthKey(t)
			if err := cl.ExternalAuthenticate(key); err != nil {
				t.Fatal(err)
			}
			writeFile(t, c, 0x0018, der)
			return c
		}, step: "verify", want: idauth.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			card := newCard(t, "activated")
			if tc.card != nil {
				card = tc.card(t)
			}
			var reg idauth.Register = register(t)
			if tc.reg != nil {
				reg = tc.reg(t)
			}
			clk := &clock{now}
			if !tc.at.IsZero() {
				clk.t = tc.at
			}
			pin := "123456"
			if tc.pin != "" {
				pin = tc.pin
			}
			res := idauth.Authenticate(newServer(t, clk, reg), card, pin, nil)
			if res.Accepted {
				t.Fatal("accepted")
			}
			last := res.Steps[len(res.Steps)-1]
			if last.Name != tc.step || last.Err == nil {
				t.Errorf("refused at %s (%v), want at %s", last.Name, last.Err, tc.step)
			}
			if tc.want != nil && !errors.Is(res.Err, tc.want) {
				t.Errorf("refused with %v, want %v", res.Err, tc.want)
			}
			if tc.wantSW != 0 && !errors.Is(res.Err, tc.wantSW) {
				t.Errorf("refused with %v, want status %04X", res.Err, uint16(tc.wantSW))
			}
		})
	}
}

// answer runs the flow by hand up to the card's signature of ch.
func answer(t testing.TB, srv *idauth.Server, card *emulator.Card, ch idauth.Challenge) (*idauth.Identity, []byte) {
	t.Helper()
	cl := &idauth.Client{T: card}
	if err := cl.Select(); err != nil {
		t.Fatal(err)
	}
	der, err := cl.ReadCertificate(idauth.FileSignCert)
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.CheckCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.VerifyPIN(idauth.UserPIN, "123456"); err != nil {
		t.Fatal(err)
	}
	data, err := srv.ToSign(id, ch)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := cl.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	return id, sig
}

func TestReplayRefused(t *testing.T) {
	srv := newServer(t, nil, register(t))
	ch, err := srv.NewChallenge()
	if err != nil {
		t.Fatal(err)
	}
	id, sig := answer(t, srv, newCard(t, "activated"), ch)
	if err := srv.Verify(ch.Nonce, id, sig); err != nil {
		t.Fatalf("first answer: %v", err)
	}
	if err := srv.Verify(ch.Nonce, id, sig); !errors.Is(err, idauth.ErrChallengeUnknown) {
		t.Errorf("replayed answer: %v, want %v", err, idauth.ErrChallengeUnknown)
	}
	// A challenge the server never issued.
	forged := bytes.Repeat([]byte{7}, idauth.NonceSize)
	if err := srv.Verify(forged, id, sig); !errors.Is(err, idauth.ErrChallengeUnknown) {
		t.Errorf("unissued challenge: %v", err)
	}
}

func TestDifferentChallengeRefused(t *testing.T) {
	srv := newServer(t, nil, register(t))
	a, _ := srv.NewChallenge()
	b, _ := srv.NewChallenge()
	id, sig := answer(t, srv, newCard(t, "activated"), a)
	if err := srv.Verify(b.Nonce, id, sig); !errors.Is(err, idauth.ErrSignature) {
		t.Errorf("signature of challenge A for challenge B: %v, want %v", err, idauth.ErrSignature)
	}
	// A signature for another server's name does not verify here either.
	other := a
	other.Server = "another server"
	id2, sig2 := answer(t, srv, newCard(t, "activated"), other)
	if err := srv.Verify(a.Nonce, id2, sig2); !errors.Is(err, idauth.ErrSignature) {
		t.Errorf("signature bound to another server: %v", err)
	}
}

func TestChallengeExpires(t *testing.T) {
	clk := &clock{now}
	srv := newServer(t, clk, register(t))
	ch, _ := srv.NewChallenge()
	id, sig := answer(t, srv, newCard(t, "activated"), ch)
	clk.t = clk.t.Add(3 * time.Minute)
	if err := srv.Verify(ch.Nonce, id, sig); !errors.Is(err, idauth.ErrChallengeExpired) {
		t.Errorf("stale answer: %v, want %v", err, idauth.ErrChallengeExpired)
	}
}

func TestMessageSignInput(t *testing.T) {
	card, _ := patchedCard(t, func(m map[string]any) { m["signInput"] = "message" })
	roots, _ := testpki.Roots()
	inter, _ := testpki.Intermediates()
	srv, err := idauth.NewServer(idauth.Config{Name: "message server", Roots: roots, Intermediates: inter,
		Now: func() time.Time { return now }, SignMessage: true})
	if err != nil {
		t.Fatal(err)
	}
	if res := idauth.Authenticate(srv, card, "123456", nil); !res.Accepted {
		t.Fatalf("refused: %v", res.Err)
	}
	// A server that sends the digest to a message card is refused.
	srv2 := newServer(t, nil, nil)
	card2, _ := patchedCard(t, func(m map[string]any) { m["signInput"] = "message" })
	if res := idauth.Authenticate(srv2, card2, "123456", nil); res.Accepted || !errors.Is(res.Err, idauth.ErrSignature) {
		t.Errorf("digest to a message card: accepted=%v %v", res.Accepted, res.Err)
	}
}

func TestNewServerRefusesBadConfig(t *testing.T) {
	roots, _ := testpki.Roots()
	for _, cfg := range []idauth.Config{{Roots: roots}, {Name: "a\nb", Roots: roots}, {Name: "x"}} {
		if _, err := idauth.NewServer(cfg); err == nil {
			t.Errorf("NewServer(%+v) accepted", cfg)
		}
	}
}
