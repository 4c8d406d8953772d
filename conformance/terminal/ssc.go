package terminal

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

// SSSEAID is the AID of the social security application: "sx1.sh." + GBK
// 社会保障 (CARD.md §1).
var SSSEAID = []byte{0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF}

// SFIs and key identifiers of the SSSE (CARD.md §2–§3).
const (
	SFIEF05 = 5
	SFIEF06 = 6
	SFIEF0D = 13

	KeyIntAuth  = 0x01 // internal authentication [model]
	KeyEF05     = 0x04 // external authentication before writing EF05
	KeyReload   = 0x06 // PIN reload
	KeyUnblock  = 0x07 // PIN unblock [model]
	KeyRKSSSE   = 0x0A // RKSSSE: reading EF06/EF0D on 3.00 cards
	KeyMaint    = 0x0B // application maintenance [model]
	KeyEF06Wr   = 0x0D // external authentication before writing EF06/EF0D
	TagCardID   = 0x01
	CardIDLen   = 16
	FactorBytes = 8
)

// SSC is a session with a social security card, with the PSAM beside it
// for everything that needs a key.
type SSC struct {
	T    Transport
	PSAM *PSAM
	// Alg is the card's algorithm, from the FCI (9F0C/86); 3DES when absent
	// (CARD.md §1: readers assume 01).
	Alg cardcrypto.Alg
	// CardID is the card identifier (EF05 record 01); its last 8 bytes are
	// the diversification factor.
	CardID []byte
	FCI    []byte
}

// Open selects the SSSE, learns the algorithm and reads the card identifier.
func (c *SSC) Open() error {
	resp, err := SelectByName(c.T, SSSEAID)
	if err != nil {
		return fmt.Errorf("selecting SSSE: %w", err)
	}
	if resp.SW != iso7816.SWOK && resp.SW != iso7816.SWWarnDeactivated {
		return fmt.Errorf("selecting SSSE: %w", resp.SW)
	}
	c.FCI = resp.Data
	c.Alg = cardcrypto.Alg3DES
	if v, ok := iso7816.Find(resp.Data, 0x6F, 0xA5, 0x9F0C); ok {
		if a, ok := iso7816.Find(v, 0x86); ok && len(a) == 1 && cardcrypto.Alg(a[0]).Valid() {
			c.Alg = cardcrypto.Alg(a[0])
		}
	}
	if resp.SW != iso7816.SWOK {
		return nil
	}
	r, err := ReadRecord(c.T, SFIEF05, TagCardID)
	if err != nil {
		return fmt.Errorf("reading card identifier: %w", err)
	}
	if r.SW != iso7816.SWOK {
		return fmt.Errorf("reading card identifier: %w", r.SW)
	}
	if len(r.Data) != 2+CardIDLen || r.Data[0] != TagCardID || r.Data[1] != CardIDLen {
		return fmt.Errorf("reading card identifier: malformed record %X", r.Data)
	}
	c.CardID = r.Data[2:]
	return nil
}

// Factor is the diversification factor of the card's keys: the unique
// part of the card identifier (CARD.md §3).
func (c *SSC) Factor() []byte {
	if len(c.CardID) != CardIDLen {
		return nil
	}
	return c.CardID[CardIDLen-FactorBytes:]
}

func (c *SSC) deliver(keyID byte) error {
	if c.PSAM == nil {
		return errors.New("no PSAM")
	}
	f := c.Factor()
	if f == nil {
		return errors.New("card identifier unknown: Open the card first")
	}
	return c.PSAM.Deliver(keyID, c.Alg, f)
}

// ExternalAuthenticate proves to the card that the terminal holds key
// keyID: GET CHALLENGE, the PSAM enciphers it, EXTERNAL AUTHENTICATE
// (CARD.md §3). The card's status word comes back as the error.
func (c *SSC) ExternalAuthenticate(keyID byte) error {
	if err := c.deliver(keyID); err != nil {
		return err
	}
	chal, err := GetChallenge(c.T, 8)
	if err != nil {
		return err
	}
	block := make([]byte, c.Alg.BlockSize())
	copy(block, chal)
	crypt, err := c.PSAM.Encrypt(block)
	if err != nil {
		return err
	}
	_, err = Do(c.T, iso7816.Command{CLA: 0x00, INS: 0x82, P1: 0x00, P2: keyID, Data: crypt})
	return err
}

// InternalAuthenticate checks that the card holds its key: the card
// enciphers factor || random, and the PSAM computes the same (CARD.md §3).
func (c *SSC) InternalAuthenticate(keyID byte, random []byte) error {
	if err := c.deliver(keyID); err != nil {
		return err
	}
	data := append(append([]byte(nil), c.Factor()...), random...)
	got, err := Do(c.T, iso7816.Command{CLA: 0x00, INS: 0x88, P1: 0x00, P2: keyID, Data: data, Ne: 256})
	if err != nil {
		return err
	}
	in := data
	if c.Alg == cardcrypto.Alg3DES {
		in = data[len(data)-8:]
	}
	want, err := c.PSAM.Encrypt(in)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("INTERNAL AUTHENTICATE: the card's answer %X is not the PSAM's %X", got, want)
	}
	return nil
}

// Secure sends a CLA 84 command whose data ends with a MAC computed by the
// PSAM with key keyID over a fresh challenge (CARD.md §3): SM4 uses a
// 16-byte challenge as IV, 3DES an 8-byte one.
func (c *SSC) Secure(keyID byte, ins, p1, p2 byte, body []byte) (iso7816.Response, error) {
	if err := c.deliver(keyID); err != nil {
		return iso7816.Response{}, err
	}
	cmd, err := c.SecureCommand(ins, p1, p2, body)
	if err != nil {
		return iso7816.Response{}, err
	}
	return Exchange(c.T, cmd)
}

// SecureCommand builds (without sending) a MACed CLA 84 command with the
// key already delivered to the PSAM; it spends one GET CHALLENGE.
func (c *SSC) SecureCommand(ins, p1, p2 byte, body []byte) (iso7816.Command, error) {
	bs := c.Alg.BlockSize()
	chal, err := GetChallenge(c.T, bs)
	if err != nil {
		return iso7816.Command{}, err
	}
	lc := len(body) + cardcrypto.MACSize
	msg := append([]byte{0x84, ins, p1, p2, byte(lc)}, body...)
	mac, err := c.PSAM.MAC(chal, msg)
	if err != nil {
		return iso7816.Command{}, err
	}
	return iso7816.Command{CLA: 0x84, INS: ins, P1: p1, P2: p2, Data: append(append([]byte(nil), body...), mac...)}, nil
}

// Verify presents the SSSE PIN (00 20 00 00, BCD).
func (c *SSC) Verify(pin string) (iso7816.Status, error) {
	bcd, err := cardcrypto.EncodePINBCD(pin)
	if err != nil {
		return 0, err
	}
	resp, err := Exchange(c.T, iso7816.Command{CLA: 0x00, INS: 0x20, Data: bcd})
	return resp.SW, err
}

// ChangePIN changes the SSSE PIN (80 5E 01 00 old FF new).
func (c *SSC) ChangePIN(oldPIN, newPIN string) (iso7816.Status, error) {
	o, err := cardcrypto.EncodePINBCD(oldPIN)
	if err != nil {
		return 0, err
	}
	n, err := cardcrypto.EncodePINBCD(newPIN)
	if err != nil {
		return 0, err
	}
	data := append(append(o, 0xFF), n...)
	resp, err := Exchange(c.T, iso7816.Command{CLA: 0x80, INS: 0x5E, P1: 0x01, Data: data})
	return resp.SW, err
}

// ReloadPIN sets a new PIN with the PSAM (CARD.md §3): external
// authentication with the reload key, then 84 24 00 01 with the PIN block
// enciphered by the PSAM and a MAC.
func (c *SSC) ReloadPIN(newPIN string) (iso7816.Status, error) {
	if err := c.ExternalAuthenticate(KeyReload); err != nil {
		return statusOf(err)
	}
	plain, err := pinBlock(c.Alg, newPIN)
	if err != nil {
		return 0, err
	}
	enc, err := c.PSAM.Encrypt(plain)
	if err != nil {
		return 0, err
	}
	resp, err := c.Secure(KeyReload, 0x24, 0x00, 0x01, enc)
	return resp.SW, err
}

// UnblockPIN restores the PIN's tries with the PSAM (84 24 00 00 <MAC>).
func (c *SSC) UnblockPIN() (iso7816.Status, error) {
	resp, err := c.Secure(KeyUnblock, 0x24, 0x00, 0x00, nil)
	return resp.SW, err
}

// LifeCycle sends ACTIVATE FILE (44), DEACTIVATE FILE (04), TERMINATE DF
// (E6), APPLICATION BLOCK (1E), APPLICATION UNBLOCK (18) or CARD BLOCK (16)
// to the current application: external authentication with the
// maintenance key, then the MACed command.
func (c *SSC) LifeCycle(ins byte) (iso7816.Status, error) {
	if err := c.ExternalAuthenticate(KeyMaint); err != nil {
		if sw, ok := iso7816.StatusOf(err); ok {
			return sw, nil
		}
		return 0, err
	}
	resp, err := c.Secure(KeyMaint, ins, 0, 0, nil)
	return resp.SW, err
}

// pinBlock is the plain PIN block of cardcrypto.EncipherPIN, built here so
// that the PSAM does the enciphering.
func pinBlock(alg cardcrypto.Alg, pin string) ([]byte, error) {
	bcd, err := cardcrypto.EncodePINBCD(pin)
	if err != nil {
		return nil, err
	}
	return cardcrypto.Pad80(append([]byte{byte(len(bcd))}, bcd...), alg.BlockSize()), nil
}

// statusOf splits a card's status word out of an error.
func statusOf(err error) (iso7816.Status, error) {
	if sw, ok := iso7816.StatusOf(err); ok {
		return sw, nil
	}
	return 0, err
}
