package pki

import (
	"bytes"
	"crypto/ecdsa"
	"io"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// steady makes gmsm's use of the card's random source reproducible: gmsm
// reads one extra byte with probability 1/2 before it draws a key or a
// nonce, so that callers cannot rely on determinism; steady answers such
// one-byte reads without touching the card's stream. Keys and nonces still
// come whole from the card's random source, so a card with a fixed seed
// (emulator.WithSeed) generates and signs reproducibly.
type steady struct{ r io.Reader }

func (s steady) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = 0
		return 1, nil
	}
	return s.r.Read(p)
}

// publicFile is the content of a public key file: header + X‖Y.
func (a *app) publicFile(k *sm2.PrivateKey) []byte {
	out := make([]byte, PublicFileSize)
	copy(out, a.header[:])
	k.X.FillBytes(out[2:34])
	k.Y.FillBytes(out[34:])
	return out
}

// publicKey reads the public key of pair p; nil for an empty slot.
func (a *app) publicKey(x *cos.Context, p *pair) []byte {
	f := x.Memory().Get(p.pubCell)
	if len(f) != PublicFileSize || isZero(f) {
		return nil
	}
	return f[2:]
}

// privateKey reads the private key of pair p; nil for an empty slot.
func privateKey(x *cos.Context, p *pair) []byte {
	f := x.Memory().Get(p.privCell)
	if len(f) != PrivateFileSize || isZero(f) {
		return nil
	}
	return f
}

// parsePair reads C0 02 <public FID> [C2 02 <private FID>] (the form of
// GENERATE KEY PAIR, CARD.md §4) and returns the pair they name.
func (a *app) parsePair(data []byte, withPrivate bool) (*pair, iso7816.Status) {
	n := 4
	if withPrivate {
		n = 8
	}
	if len(data) < n || data[0] != TagPublicFile || data[1] != 2 || withPrivate && (data[4] != TagPrivateFile || data[5] != 2) {
		return nil, iso7816.SWWrongData
	}
	pub := uint16(data[2])<<8 | uint16(data[3])
	for i := range a.pairs {
		p := &a.pairs[i]
		if p.pubFID != pub {
			continue
		}
		if withPrivate && uint16(data[6])<<8|uint16(data[7]) != p.privFID {
			return nil, iso7816.SWWrongData
		}
		return p, iso7816.SWOK
	}
	for i := range a.pairs {
		if a.pairs[i].privFID == pub || a.pairs[i].certFID == pub {
			return nil, iso7816.SWWrongData // not a public key file
		}
	}
	return nil, iso7816.SWFileNotFound
}

// writeKey stores a key pair (priv nil: keep the private key file), and
// clears the certificate when the public key changes, in one transaction.
func (a *app) writeKey(x *cos.Context, p *pair, pub, priv []byte) bool {
	m := x.Memory()
	old := m.Get(p.pubCell)
	m.Begin()
	m.Set(p.pubCell, pub)
	if priv != nil {
		m.Set(p.privCell, priv)
	}
	if !bytes.Equal(old, pub) {
		m.Set(p.certCell, make([]byte, a.certSize))
	}
	return x.Commit()
}

// GENERATE KEY PAIR 80 40 00 00 08 C0 02 <pub> C2 02 <priv> (CARD.md §4).
func (a *app) generate(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 8 || cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	if !state(x).admin {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	p, sw := a.parsePair(cmd.Data, true)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	k, err := sm2.GenerateKey(steady{x.Rand()})
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	if !a.writeKey(x, p, a.publicFile(k), k.D.FillBytes(make([]byte, PrivateFileSize))) {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// EXPORT PUBLIC KEY 80 C9 82 00 [04 C0 02 <FID>] Le: X‖Y.
func (a *app) export(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != P1Export || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	p := &a.pairs[0]
	switch len(cmd.Data) {
	case 0:
	case 4:
		var sw iso7816.Status
		if p, sw = a.parsePair(cmd.Data, false); sw != iso7816.SWOK {
			return nil, sw
		}
	default:
		return nil, iso7816.SWWrongLength
	}
	pub := a.publicKey(x, p)
	if pub == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	return pub, iso7816.SWOK
}

// IMPORT KEY PAIR 80 4E 00 00 28 C0 02 <pub> C2 02 <priv> <SM4(import key, d)>.
func (a *app) importKeyPair(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 8+PrivateFileSize || cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	if !state(x).admin {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	p, sw := a.parsePair(cmd.Data, true)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	d, err := cardcrypto.DecryptECB(cardcrypto.AlgSM4, a.importKey, cmd.Data[8:])
	if err != nil {
		return nil, iso7816.SWWrongData
	}
	k, err := sm2.NewPrivateKey(d)
	if err != nil {
		return nil, iso7816.SWWrongData
	}
	if !a.writeKey(x, p, a.publicFile(k), d) {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// IMPORT PUBLIC KEY 80 4A 00 00 44 C0 02 <pub> <X‖Y>.
func (a *app) importPublicKey(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if len(cmd.Data) != 4+PublicKeySize || cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	if !state(x).admin {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	p, sw := a.parsePair(cmd.Data, false)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	xy := cmd.Data[4:]
	pub, err := sm2.NewPublicKey(append([]byte{4}, xy...))
	if err != nil {
		return nil, iso7816.SWWrongData // not a point of the SM2 curve
	}
	if d := privateKey(x, p); d != nil {
		k, err := sm2.NewPrivateKey(d)
		if err != nil || !k.PublicKey.Equal(pub) {
			return nil, iso7816.SWWrongData // not the private key's
		}
	}
	file := make([]byte, 0, PublicFileSize)
	file = append(append(file, a.header[:]...), xy...)
	if !a.writeKey(x, p, file, nil) {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// sameKey reports whether pub is the public key in file (header + X‖Y).
func sameKey(pub *ecdsa.PublicKey, xy []byte) bool {
	if len(xy) != PublicKeySize {
		return false
	}
	var want [PublicKeySize]byte
	pub.X.FillBytes(want[:32])
	pub.Y.FillBytes(want[32:])
	return bytes.Equal(want[:], xy)
}
