package idauth

import (
	"fmt"
	"time"

	"github.com/sscard/sscard/conformance/terminal"
)

// Step is one step of the authentication flow, as it went.
type Step struct {
	Name   string // challenge, select, certificate, chain, pin, sign, verify
	Detail string // what was done or found
	Err    error  // nil: the step succeeded
	Took   time.Duration
}

// Result is the verdict of one authentication.
type Result struct {
	Accepted bool
	// Identity is the authenticated card (also set when a later step
	// refused it).
	Identity *Identity
	// Err says why the card was refused (nil when accepted).
	Err   error
	Steps []Step
}

// Authenticate runs the online authentication flow of srv against the card
// behind t with the holder's PIN, calling observe (if not nil) after each
// step. Transport and card failures are refusals like any other: the
// Result says which step failed and why.
func Authenticate(srv *Server, t terminal.Transport, pin string, observe func(Step)) *Result {
	res := &Result{}
	cl := &Client{T: t}
	step := func(name string, f func() (string, error)) bool {
		start := time.Now()
		detail, err := f()
		st := Step{Name: name, Detail: detail, Err: err, Took: time.Since(start)}
		res.Steps = append(res.Steps, st)
		if observe != nil {
			observe(st)
		}
		if err != nil {
			res.Err = fmt.Errorf("%s: %w", name, err)
		}
		return err == nil
	}
	var ch Challenge
	var der, data, sig []byte
	ok := step("challenge", func() (string, error) {
		var err error
		if ch, err = srv.NewChallenge(); err != nil {
			return "", err
		}
		return fmt.Sprintf("nonce %X… at %s for %q", ch.Nonce[:8], ch.Time.Format(time.RFC3339), ch.Server), nil
	}) && step("select", func() (string, error) {
		return "PKI application, ADF SS.CERT.ADF1", cl.Select()
	}) && step("certificate", func() (string, error) {
		var err error
		der, err = cl.ReadCertificate(FileSignCert)
		return fmt.Sprintf("signing certificate, %d bytes (file 0018)", len(der)), err
	}) && step("chain", func() (string, error) {
		id, err := srv.CheckCertificate(der)
		if err != nil {
			return "", err
		}
		res.Identity = id
		return describe(id), nil
	}) && step("pin", func() (string, error) {
		return "user PIN verified (00 20 01 81)", cl.VerifyPIN(UserPIN, pin)
	}) && step("sign", func() (string, error) {
		var err error
		if data, err = srv.ToSign(res.Identity, ch); err != nil {
			return "", err
		}
		sig, err = cl.Sign(data)
		return fmt.Sprintf("card signed %d bytes (00 2A 9E 9A)", len(data)), err
	}) && step("verify", func() (string, error) {
		return "SM2 signature of the challenge verifies with the certified key", srv.Verify(ch.Nonce, res.Identity, sig)
	})
	res.Accepted = ok
	return res
}

func describe(id *Identity) string {
	c := id.Certificate
	s := fmt.Sprintf("%s, card %s, issued by %q, valid %s to %s, chain of %d",
		id.Name, id.Card.Identifier, c.Issuer.CommonName,
		c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly), len(id.Chain))
	if id.Status != "" {
		s += ", register: " + string(id.Status)
	}
	return s
}
