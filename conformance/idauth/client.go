// Package idauth is the verifier side of online identity authentication
// with the card's PKI application (CARD.md §4): the relying server that
// issues challenges and verifies certificates and signatures (Server), the
// terminal that drives the card (Client), and the whole flow between them
// (Authenticate).
//
// The flow, as a relying server runs it: issue a fresh challenge; read the
// card's signing certificate and verify its chain to the trusted root, its
// validity period and its key usage; refuse a card that the card register
// reports lost or cancelled; verify the user PIN on the card; have the card
// sign the challenge bound to the server's name and time; verify the
// signature. A challenge serves one answer: a replayed or stale answer is
// refused.
//
// Everything here talks to the card through a terminal.Transport and
// builds its commands from CARD.md §4 itself (not from the emulator's
// constants), so it checks a real card as well as the model.
package idauth

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

// Identifiers of the PKI application (CARD.md §4).
var (
	// AID is the PKI DF: "PKI." + GBK 社会保障 [known].
	AID = []byte{0x50, 0x4B, 0x49, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF}
	// ADFName is the ADF holding the keys [known].
	ADFName = []byte("SS.CERT.ADF1")
)

// Files of the ADF [known].
const (
	FileSignPublicKey uint16 = 0x0012
	FileEncPublicKey  uint16 = 0x0014
	FileSignCert      uint16 = 0x0018
	FileEncCert       uint16 = 0x0019
)

// PIN references [known].
const (
	UserPIN  byte = 0x81
	AdminPIN byte = 0x00
)

// maxFile bounds the certificate files the client reads.
const maxFile = 8192

// Client is the terminal side of the PKI application.
type Client struct {
	T terminal.Transport
}

// Select selects the PKI DF and its ADF.
func (c *Client) Select() error {
	if _, err := terminal.Do(c.T, iso7816.Command{INS: 0xA4, P1: 0x04, Data: AID}); err != nil {
		return fmt.Errorf("selecting the PKI application: %w", err)
	}
	if _, err := terminal.Do(c.T, iso7816.Command{INS: 0xA4, P1: 0x04, Data: ADFName}); err != nil {
		return fmt.Errorf("selecting SS.CERT.ADF1: %w", err)
	}
	return nil
}

// ReadFile selects a transparent EF of the ADF by FID and reads up to max
// bytes of it, stopping at its end.
func (c *Client) ReadFile(fid uint16, max int) ([]byte, error) {
	if _, err := terminal.Do(c.T, iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}}); err != nil {
		return nil, fmt.Errorf("selecting %04X: %w", fid, err)
	}
	var out []byte
	for len(out) < max {
		n := min(max-len(out), 256)
		r, err := terminal.Exchange(c.T, iso7816.Command{INS: 0xB0, P1: byte(len(out) >> 8), P2: byte(len(out)), Ne: n})
		if err != nil {
			return nil, fmt.Errorf("reading %04X: %w", fid, err)
		}
		if len(r.Data) > n {
			return nil, fmt.Errorf("reading %04X: asked %d bytes, got %d", fid, n, len(r.Data))
		}
		out = append(out, r.Data...)
		switch {
		case r.SW == iso7816.SWOK && len(r.Data) == n:
			continue
		case r.SW == iso7816.SWOK, r.SW == iso7816.SWWarnEOF, r.SW == iso7816.SWWrongP1P2NoInfo && len(out) > 0:
			return out, nil
		}
		return nil, fmt.Errorf("reading %04X at %d: %w", fid, len(out)-len(r.Data), r.SW)
	}
	return out, nil
}

// ReadCertificate reads a certificate file and returns the DER certificate.
func (c *Client) ReadCertificate(fid uint16) ([]byte, error) {
	f, err := c.readUntilDER(fid)
	if err != nil {
		return nil, err
	}
	return ParseCertificateFile(f)
}

// readUntilDER reads the file's first bytes, learns the certificate's
// length from its DER header, and reads just that much.
func (c *Client) readUntilDER(fid uint16) ([]byte, error) {
	head, err := c.ReadFile(fid, 4)
	if err != nil {
		return nil, err
	}
	n, err := derLength(head)
	if err != nil {
		return nil, fmt.Errorf("certificate file %04X: %w", fid, err)
	}
	if n > maxFile {
		return nil, fmt.Errorf("certificate file %04X: a certificate of %d bytes", fid, n)
	}
	return c.ReadFile(fid, n)
}

// ReadPublicKey reads a public key file (header + X‖Y).
func (c *Client) ReadPublicKey(fid uint16) (*ecdsa.PublicKey, error) {
	f, err := c.ReadFile(fid, publicFileSize)
	if err != nil {
		return nil, err
	}
	return ParsePublicKeyFile(f)
}

// ExportPublicKey asks the card for the public key of a public key file
// (80 C9 82 00, CARD.md §4).
func (c *Client) ExportPublicKey(fid uint16) (*ecdsa.PublicKey, error) {
	d, err := terminal.Do(c.T, iso7816.Command{CLA: 0x80, INS: 0xC9, P1: 0x82, Data: []byte{0xC0, 0x02, byte(fid >> 8), byte(fid)}, Ne: 64})
	if err != nil {
		return nil, fmt.Errorf("exporting public key %04X: %w", fid, err)
	}
	return ParsePublicKey(d)
}

// VerifyPIN presents PIN ref over a fresh challenge. A wrong PIN is an
// error wrapping the card's 63Cx (iso7816.Status.Retries tells the tries
// left); a blocked PIN wraps 6983.
func (c *Client) VerifyPIN(ref byte, pin string) error {
	cmd, err := c.verifyCommand(ref, pin)
	if err != nil {
		return err
	}
	if _, err := terminal.Do(c.T, cmd); err != nil {
		return fmt.Errorf("verifying the %s PIN: %w", pinName(ref), err)
	}
	return nil
}

func (c *Client) verifyCommand(ref byte, pin string) (iso7816.Command, error) {
	if _, err := cardcrypto.EncodePINBCD(pin); err != nil {
		return iso7816.Command{}, fmt.Errorf("verifying the %s PIN: %w", pinName(ref), err)
	}
	chal, err := terminal.GetChallenge(c.T, 16)
	if err != nil {
		return iso7816.Command{}, fmt.Errorf("verifying the %s PIN: %w", pinName(ref), err)
	}
	k := cardcrypto.PKIPINKey(pin)
	cr, err := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, k[:], chal)
	if err != nil {
		return iso7816.Command{}, err
	}
	return iso7816.Command{INS: 0x20, P1: 0x01, P2: ref, Data: cr}, nil
}

// PINTries reports the tries left of PIN ref without presenting it
// (VERIFY without data): 0 for a blocked PIN, -1 when it is verified.
func (c *Client) PINTries(ref byte) (int, error) {
	r, err := terminal.Exchange(c.T, iso7816.Command{INS: 0x20, P1: 0x01, P2: ref})
	if err != nil {
		return 0, err
	}
	switch {
	case r.SW == iso7816.SWOK:
		return -1, nil
	case r.SW == iso7816.SWAuthBlocked:
		return 0, nil
	}
	if n, ok := r.SW.Retries(); ok {
		return n, nil
	}
	return 0, fmt.Errorf("%s PIN state: %w", pinName(ref), r.SW)
}

// ChangePIN changes PIN ref from old to new (84 5E 01 ref 14, CARD.md §4):
// the new PIN's key enciphered under the old one's, with the MAC of the old
// PIN's key over a fresh challenge.
func (c *Client) ChangePIN(ref byte, old, new string) error {
	for _, p := range []string{old, new} {
		if _, err := cardcrypto.EncodePINBCD(p); err != nil {
			return fmt.Errorf("changing the %s PIN: %w", pinName(ref), err)
		}
	}
	o, n := cardcrypto.PKIPINKey(old), cardcrypto.PKIPINKey(new)
	body, err := cardcrypto.EncryptECB(cardcrypto.AlgSM4, o[:], n[:])
	if err != nil {
		return err
	}
	chal, err := terminal.GetChallenge(c.T, 16)
	if err != nil {
		return fmt.Errorf("changing the %s PIN: %w", pinName(ref), err)
	}
	h := append([]byte{0x84, 0x5E, 0x01, ref, 0x14}, body...)
	mac, err := cardcrypto.MAC(cardcrypto.AlgSM4, o[:], chal, h)
	if err != nil {
		return err
	}
	if _, err := terminal.Do(c.T, iso7816.Command{CLA: 0x84, INS: 0x5E, P1: 0x01, P2: ref, Data: append(body, mac...)}); err != nil {
		return fmt.Errorf("changing the %s PIN: %w", pinName(ref), err)
	}
	return nil
}

// ExternalAuthenticate proves the terminal holds the ADF's external
// authentication key (00 82 00 00 10, CARD.md §4).
func (c *Client) ExternalAuthenticate(key []byte) error {
	chal, err := terminal.GetChallenge(c.T, 16)
	if err != nil {
		return fmt.Errorf("external authentication: %w", err)
	}
	cr, err := cardcrypto.ExternalAuthCryptogram(cardcrypto.AlgSM4, key, chal)
	if err != nil {
		return fmt.Errorf("external authentication: %w", err)
	}
	if _, err := terminal.Do(c.T, iso7816.Command{INS: 0x82, Data: cr}); err != nil {
		return fmt.Errorf("external authentication: %w", err)
	}
	return nil
}

// ImportCertificate writes a certificate with IMPORT CERTIFICATE (80 C2) in
// chunks of at most 255 bytes; the admin PIN must be verified.
func (c *Client) ImportCertificate(fid uint16, der []byte) error {
	if len(der) == 0 {
		return errors.New("importing a certificate: empty")
	}
	for off := 0; off < len(der); off += 255 {
		end := min(off+255, len(der))
		p1 := byte(0)
		if off > 0 {
			p1 |= 0x01
		}
		if end == len(der) {
			p1 |= 0x80
		}
		if _, err := terminal.Do(c.T, iso7816.Command{CLA: 0x80, INS: 0xC2, P1: p1, P2: byte(fid), Data: der[off:end]}); err != nil {
			return fmt.Errorf("importing certificate %04X at %d: %w", fid, off, err)
		}
	}
	return nil
}

// Sign has the card sign data (a 32-byte digest, or the message for a card
// whose sign input is the message) with PSO COMPUTE DIGITAL SIGNATURE and
// returns the signature in DER.
func (c *Client) Sign(data []byte) ([]byte, error) {
	r, err := terminal.Exchange(c.T, iso7816.Command{INS: 0x2A, P1: 0x9E, P2: 0x9A, Data: data, Ne: 64})
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if r.SW != iso7816.SWOK {
		return nil, fmt.Errorf("signing: %w", r.SW)
	}
	return ParseSignature(r.Data)
}

func pinName(ref byte) string {
	switch ref {
	case UserPIN:
		return "user"
	case AdminPIN:
		return "admin"
	}
	return fmt.Sprintf("%02X", ref)
}
