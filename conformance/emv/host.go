package emv

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/sscard/sscard/emulator/iso7816"
)

// IssuerKeys are the issuer master keys of one path: application
// cryptograms (and ARPC), script MACs, script encipherment.
type IssuerKeys struct {
	AC, MAC, ENC []byte
}

// ScriptCommand is one issuer script command before its MAC: the host
// appends the 4-byte MAC (EMV Book 2 §9.2) and sets Lc.
type ScriptCommand struct {
	CLA, INS, P1, P2 byte
	Data             []byte
}

// Script is one issuer script for the host to send.
type Script struct {
	// Template is 71 (before the second GENERATE AC) or 72 (after).
	Template Tag
	ID       []byte // 9F18, 4 bytes, optional
	Commands []ScriptCommand
}

// Check is what the issuer host found in one authorisation request.
type Check struct {
	Alg        Alg
	ATC        uint16
	Cryptogram Cryptogram
	// Input is the data the cryptogram was recomputed over.
	Input    []byte
	Expected []byte // the cryptogram the issuer computed
	Got      []byte // the card's
	OK       bool
	ARC      [2]byte
	ARPC     []byte
	Err      error
}

// ErrCryptogram is the error of a Check whose cryptogram does not verify.
var ErrCryptogram = errors.New("the application cryptogram does not verify")

// Issuer is a simulated issuer host: it recomputes the card's cryptogram
// (ARQC, or the TC of a contactless approval the terminal sends online)
// from its master keys, approves or declines, and answers with the ARPC
// (method 1) and any issuer scripts, with their MACs. Cryptogram input and
// keys follow CARD.md §5 as package emulator/pay lays them out: the DOL
// data as sent (CDOL1, or the PDOL data on qUICS) ‖ AIP ‖ ATC ‖ CVR, the
// path (DES or SM4) from the cryptogram version in the issuer application
// data (07 DKI CVN 03 c1 c2 c3 ALG ...).
//
// A cryptogram that does not verify is declined (ARC "05") and recorded.
type Issuer struct {
	DES, SM *IssuerKeys
	// Decide returns the ARC for a request whose cryptogram verified; nil
	// approves ("00").
	Decide func(req *AuthRequest) [2]byte
	// Scripts returns the scripts to send with the answer; nil sends none.
	Scripts func(req *AuthRequest) []Script

	mu     sync.Mutex
	checks []Check
}

// Checks returns what the host found in each request so far.
func (is *Issuer) Checks() []Check {
	is.mu.Lock()
	defer is.mu.Unlock()
	return append([]Check(nil), is.checks...)
}

func (is *Issuer) record(c Check) {
	is.mu.Lock()
	is.checks = append(is.checks, c)
	is.mu.Unlock()
}

// cardIdentity returns PAN and PSN as digits.
func cardIdentity(req *AuthRequest) (pan, psn string, err error) {
	pan = cnDigits(req.Get(TagPAN))
	if pan == "" || len(pan) > 19 {
		return "", "", fmt.Errorf("%w: no usable PAN in the request", ErrIssuer)
	}
	if p := req.Get(TagPSN); len(p) == 1 {
		psn = fmt.Sprintf("%02X", p[0])
	}
	return pan, psn, nil
}

// VerifyCryptogram recomputes the request's cryptogram. The Check says
// what was compared; its Err wraps ErrCryptogram when the card's does not
// match.
func (is *Issuer) VerifyCryptogram(req *AuthRequest) Check {
	c := Check{}
	iad := req.Get(TagIAD)
	atc := req.Get(TagATC)
	ac := req.Get(TagAC)
	if len(iad) < 8 || iad[3] != 0x03 || len(atc) != 2 || len(ac) != 8 {
		c.Err = fmt.Errorf("%w: the request lacks the IAD, ATC or cryptogram", ErrIssuer)
		return c
	}
	c.Alg, c.ATC, c.Got = Alg(iad[2]), uint16(atc[0])<<8|uint16(atc[1]), append([]byte(nil), ac...)
	if cid := req.Get(TagCID); len(cid) == 1 {
		c.Cryptogram = Cryptogram(cid[0] & 0xC0)
	}
	pan, psn, err := cardIdentity(req)
	if err != nil {
		c.Err = err
		return c
	}
	dol := req.CDOL1Data
	if req.Contactless {
		dol = req.PDOLData
	}
	in := make([]byte, 0, len(dol)+8)
	in = append(in, dol...)
	in = append(in, req.Get(TagAIP)...)
	in = append(in, atc...)
	in = append(in, iad[3:7]...)
	c.Input = in
	if c.Expected, err = is.ComputeAC(c.Alg, pan, psn, atc, in); err != nil {
		c.Err = fmt.Errorf("%w: %w", ErrIssuer, err)
		return c
	}
	c.OK = bytes.Equal(c.Expected, ac)
	if !c.OK {
		c.Err = fmt.Errorf("%w: %s ATC %04X: issuer computed %X, card sent %X", ErrCryptogram, c.Alg, c.ATC, c.Expected, ac)
	}
	return c
}

func (is *Issuer) acKey(a Alg, keys *IssuerKeys, pan, psn string, atc []byte) ([]byte, error) {
	mk, err := CardMasterKey(a, keys.AC, pan, psn)
	if err != nil {
		return nil, err
	}
	return SessionKey(a, mk, []byte{atc[0], atc[1], 0, 0, 0, 0, 0, 0})
}

// Authorize implements Host.
func (is *Issuer) Authorize(req *AuthRequest) (*AuthResponse, error) {
	c := is.VerifyCryptogram(req)
	if c.Got == nil {
		is.record(c)
		return nil, c.Err
	}
	c.ARC = [2]byte{'0', '5'}
	if c.OK {
		c.ARC = [2]byte{'0', '0'}
		if is.Decide != nil {
			c.ARC = is.Decide(req)
		}
	}
	resp := &AuthResponse{ARC: c.ARC}
	if c.Expected != nil {
		pan, psn, _ := cardIdentity(req)
		var err error
		if c.ARPC, err = is.ARPC(c.Alg, pan, psn, req.Get(TagATC), c.Got, c.ARC); err != nil {
			c.Err = errors.Join(c.Err, err)
		} else {
			resp.IssuerAuthData = append(append([]byte(nil), c.ARPC...), c.ARC[:]...)
		}
		if c.OK && is.Scripts != nil && !req.Contactless {
			s, err := is.scripts(c.Alg, pan, psn, req, is.Scripts(req))
			if err != nil {
				c.Err = errors.Join(c.Err, err)
			}
			resp.Scripts = s
		}
	}
	is.record(c)
	return resp, nil
}

// keysFor returns the master keys of a path.
func (is *Issuer) keysFor(a Alg) (*IssuerKeys, error) {
	keys := is.DES
	if a == AlgSM4 {
		keys = is.SM
	} else if a != AlgDES {
		return nil, fmt.Errorf("%w: cryptogram version %02X", ErrIssuer, byte(a))
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: no %s keys", ErrIssuer, a)
	}
	return keys, nil
}

// ComputeAC is the issuer's application cryptogram for a card (PAN and
// PSN as digits) at an ATC over input (DOL data ‖ AIP ‖ ATC ‖ CVR).
func (is *Issuer) ComputeAC(a Alg, pan, psn string, atc, input []byte) ([]byte, error) {
	keys, err := is.keysFor(a)
	if err != nil {
		return nil, err
	}
	if len(atc) != 2 {
		return nil, fmt.Errorf("%w: ATC of %d bytes", ErrIssuer, len(atc))
	}
	sk, err := is.acKey(a, keys, pan, psn, atc)
	if err != nil {
		return nil, err
	}
	return ACMAC(a, sk, input)
}

// ARPC is the issuer's answer cryptogram (method 1) to a card's ARQC.
func (is *Issuer) ARPC(a Alg, pan, psn string, atc, arqc []byte, arc [2]byte) ([]byte, error) {
	keys, err := is.keysFor(a)
	if err != nil {
		return nil, err
	}
	if len(atc) != 2 {
		return nil, fmt.Errorf("%w: ATC of %d bytes", ErrIssuer, len(atc))
	}
	sk, err := is.acKey(a, keys, pan, psn, atc)
	if err != nil {
		return nil, err
	}
	return ARPCMethod1(a, sk, arqc, arc[:])
}

// ScriptAPDU encodes one issuer script command with its MAC: the MAC
// session key from the MAC master key and the transaction's cryptogram ac;
// the MAC over CLA INS P1 P2 Lc ‖ ATC ‖ AC ‖ data, its leftmost 4 bytes
// appended to the data (EMV Book 2 §9.2.1).
func (is *Issuer) ScriptAPDU(a Alg, pan, psn string, atc, ac []byte, c ScriptCommand) ([]byte, error) {
	keys, err := is.keysFor(a)
	if err != nil {
		return nil, err
	}
	mk, err := CardMasterKey(a, keys.MAC, pan, psn)
	if err != nil {
		return nil, err
	}
	sk, err := SessionKey(a, mk, ac)
	if err != nil {
		return nil, err
	}
	if len(c.Data)+4 > 255 {
		return nil, fmt.Errorf("%w: script command data of %d bytes", ErrIssuer, len(c.Data))
	}
	lc := byte(len(c.Data) + 4)
	in := []byte{c.CLA, c.INS, c.P1, c.P2, lc}
	in = append(in, atc...)
	in = append(in, ac...)
	in = append(in, c.Data...)
	mac, err := ACMAC(a, sk, in)
	if err != nil {
		return nil, err
	}
	cmd := []byte{c.CLA, c.INS, c.P1, c.P2, lc}
	cmd = append(cmd, c.Data...)
	return append(cmd, mac[:4]...), nil
}

// scripts encodes the scripts of an answer as 71 and 72 templates.
func (is *Issuer) scripts(a Alg, pan, psn string, req *AuthRequest, list []Script) ([]byte, error) {
	var out iso7816.Builder
	for _, s := range list {
		t := s.Template
		if t != TagScript71 && t != TagScript72 {
			t = TagScript72
		}
		var inner iso7816.Builder
		if len(s.ID) > 0 {
			inner.AddTLV(TagScriptID, s.ID)
		}
		for _, c := range s.Commands {
			cmd, err := is.ScriptAPDU(a, pan, psn, req.Get(TagATC), req.Get(TagAC), c)
			if err != nil {
				return nil, err
			}
			inner.AddTLV(TagScriptCommand, cmd)
		}
		body, err := inner.Bytes()
		if err != nil {
			return nil, err
		}
		out.AddTLV(t, body)
	}
	return out.Bytes()
}
