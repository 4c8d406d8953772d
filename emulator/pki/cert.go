package pki

import (
	"crypto/ecdsa"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// IMPORT CERTIFICATE 80 C2 P1 P2 Lc <chunk> (package doc): the chunks are
// kept in the channel's volatile state and written at the last one, in one
// transaction, only if they form a certificate of the pair's key.
func (a *app) importCertificate(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	s := state(x)
	target := -1
	for i := range a.pairs {
		if byte(a.pairs[i].certFID) == cmd.P2 {
			target = i
		}
	}
	if target < 0 || cmd.P1&^(CertMore|CertLast) != 0 {
		s.endImport()
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) == 0 || cmd.Ne != 0 {
		s.endImport()
		return nil, iso7816.SWWrongLength
	}
	if !s.admin {
		s.endImport()
		return nil, iso7816.SWSecurityNotSatisfied
	}
	if cmd.P1&CertMore == 0 {
		s.endImport()
		s.importing, s.importTo = true, target
	} else if !s.importing || s.importTo != target {
		s.endImport()
		return nil, iso7816.SWConditionsNotSatisfied
	}
	if len(s.buf)+len(cmd.Data) > a.certSize {
		s.endImport()
		return nil, iso7816.SWNotEnoughMemory
	}
	s.buf = append(s.buf, cmd.Data...)
	if cmd.P1&CertLast == 0 {
		return nil, iso7816.SWOK
	}
	der := s.buf
	s.endImport()
	p := &a.pairs[target]
	if sw := a.checkCertificate(x, p, der); sw != iso7816.SWOK {
		return nil, sw
	}
	file := make([]byte, a.certSize)
	copy(file, der)
	m := x.Memory()
	m.Begin()
	m.Set(p.certCell, file)
	if !x.Commit() {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

func (s *session) endImport() {
	s.importing, s.importTo = false, 0
	s.buf = s.buf[:0]
}

// checkCertificate accepts der if it is an X.509 certificate of an SM2 key
// equal to the public key of pair p.
func (a *app) checkCertificate(x *cos.Context, p *pair, der []byte) iso7816.Status {
	xy := a.publicKey(x, p)
	if xy == nil {
		return iso7816.SWConditionsNotSatisfied
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return iso7816.SWWrongData
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != sm2.P256() {
		return iso7816.SWWrongData
	}
	if !sameKey(pub, xy) && !a.has(DefectCertificateUnchecked) {
		return iso7816.SWWrongData
	}
	return iso7816.SWOK
}
