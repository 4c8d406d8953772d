package activation

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// Life cycle status bytes of the SSSE's FCP tag 8A (ISO/IEC 7816-4
// §7.4.10; CARD.md §6 [model]).
const (
	lcsDeactivated = 0x04
	lcsActivated   = 0x05
	lcsTerminated  = 0x0C
)

// Instructions of the life cycle and issuer-script commands (CARD.md §6).
const (
	insActivate   = 0x44
	insDeactivate = 0x04
	insAppBlock   = 0x1E
	insAppUnblock = 0x18
)

// EF05 and EF06 record identifiers read by the terminals (CARD.md §2).
const (
	recCardID  = 0x01
	recVersion = 0x03
	recIssued  = 0x05
	recExpiry  = 0x06
	recNumber  = 0x07
	recSSN     = 0x08
	recName    = 0x09
)

// ErrCardAnswer is a card answering a terminal in a way the route cannot
// go on from (not a transport failure, not a refusal by the register).
var ErrCardAnswer = errors.New("unexpected answer from the card")

// chipCard is what a terminal learnt of the card in its reader.
type chipCard struct {
	t   terminal.Transport
	ssc *terminal.SSC
	// lcs is the SSSE's life cycle status (FCP 8A); blocked says SELECT
	// answered 6283 (APPLICATION BLOCK); terminated 9303.
	lcs        byte
	blocked    bool
	terminated bool
	id         string // card identifier, upper-case hex ("" when unreadable)
	version    string
	expiry     string
	number     string
	ssn, name  string
}

// chipState is the on-chip state as the register records it.
func (c *chipCard) chipState() register.Chip {
	switch {
	case c.terminated || c.lcs == lcsTerminated:
		return register.ChipTerminated
	case c.blocked:
		return register.ChipBlocked
	case c.lcs == lcsDeactivated:
		return register.ChipDeactivated
	}
	return register.ChipActivated
}

// openCard selects the SSSE, learns its life cycle (FCP 8A), and reads the
// card identifier, version, expiry date and card number (EF05: free).
func openCard(t terminal.Transport, psam *terminal.PSAM) (*chipCard, error) {
	c := &chipCard{t: t, ssc: &terminal.SSC{T: t, PSAM: psam}}
	resp, err := terminal.Exchange(t, iso7816.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x04, Data: terminal.SSSEAID, Ne: 256})
	if err != nil {
		return nil, err
	}
	switch resp.SW {
	case iso7816.SWOK:
		if v, ok := iso7816.Find(resp.Data, 0x62, 0x8A); ok && len(v) == 1 {
			c.lcs = v[0]
		}
	case iso7816.SWWarnDeactivated:
		c.blocked = true
		return c, nil
	case iso7816.SWAppPermanentlyLocked:
		c.terminated = true
		return c, nil
	default:
		return nil, fmt.Errorf("%w: selecting the SSSE: %04X", ErrCardAnswer, uint16(resp.SW))
	}
	if err := c.ssc.Open(); err != nil {
		if _, ok := iso7816.StatusOf(err); ok {
			return nil, fmt.Errorf("%w: %v", ErrCardAnswer, err)
		}
		return nil, err
	}
	c.id = strings.ToUpper(hex.EncodeToString(c.ssc.CardID))
	return c, c.readEF05()
}

// readEF05 reads the version, expiry date and card number.
func (c *chipCard) readEF05() error {
	for _, f := range []struct {
		rec byte
		dst *string
		bcd bool
	}{{recVersion, &c.version, false}, {recExpiry, &c.expiry, true}, {recNumber, &c.number, false}} {
		v, err := c.readRecord(terminal.SFIEF05, f.rec)
		if err != nil {
			return err
		}
		if f.bcd {
			*f.dst = hexString(v)
		} else {
			*f.dst = string(v)
		}
	}
	return nil
}

func hexString(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// readRecord reads a TLV record by identifier and returns its value.
func (c *chipCard) readRecord(sfi, id byte) ([]byte, error) {
	r, err := terminal.ReadRecord(c.t, sfi, id)
	if err != nil {
		return nil, err
	}
	if r.SW != iso7816.SWOK {
		return nil, fmt.Errorf("%w: reading EF%02X record %02X: %04X", ErrCardAnswer, sfi, id, uint16(r.SW))
	}
	if len(r.Data) < 2 || r.Data[0] != id || int(r.Data[1]) != len(r.Data)-2 {
		return nil, fmt.Errorf("%w: EF%02X record %02X is malformed: %X", ErrCardAnswer, sfi, id, r.Data)
	}
	return r.Data[2:], nil
}

// readIdentity reads the holder's social security number and name
// (EF06). A third-generation card proves itself first (INTERNAL
// AUTHENTICATE with the PSAM) and lets EF06 be read only after external
// authentication with RKSSSE (CARD.md §2); earlier cards let it be read
// freely.
func (c *chipCard) readIdentity(random io.Reader) error {
	if c.version >= "3.00" {
		if c.ssc.PSAM == nil {
			return errors.New("reading the identity of a third-generation card needs a PSAM")
		}
		r := make([]byte, 8)
		if _, err := io.ReadFull(random, r); err != nil {
			return err
		}
		if err := c.ssc.InternalAuthenticate(terminal.KeyIntAuth, r); err != nil {
			return cardErr("internal authentication", err)
		}
		if err := c.ssc.ExternalAuthenticate(terminal.KeyRKSSSE); err != nil {
			return cardErr("external authentication with RKSSSE", err)
		}
	}
	ssn, err := c.readRecord(terminal.SFIEF06, recSSN)
	if err != nil {
		return err
	}
	name, err := c.readRecord(terminal.SFIEF06, recName)
	if err != nil {
		return err
	}
	c.ssn = string(ssn)
	name = bytes.TrimRight(name, "\x00\x20")
	if c.name, err = profile.FromGBK(name); err != nil {
		return fmt.Errorf("%w: the name is not GBK: %v", ErrCardAnswer, err)
	}
	return nil
}

// cardErr wraps an error of a card command: a status word is an
// unexpected answer, anything else a transport failure.
func cardErr(what string, err error) error {
	if _, ok := iso7816.StatusOf(err); ok {
		return fmt.Errorf("%w: %s: %v", ErrCardAnswer, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// lifeCycle sends a life cycle or issuer-script command (external
// authentication with the maintenance key, then the command under MAC).
func (c *chipCard) lifeCycle(ins byte, name string) error {
	sw, err := c.ssc.LifeCycle(ins)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if sw != iso7816.SWOK {
		return fmt.Errorf("%w: %s answered %04X", ErrCardAnswer, name, uint16(sw))
	}
	return nil
}

// activate sends ACTIVATE FILE: the SSSE goes to life cycle 05.
func (c *chipCard) activate() error {
	if err := c.lifeCycle(insActivate, "ACTIVATE FILE"); err != nil {
		return err
	}
	c.lcs = lcsActivated
	return nil
}

// block sends APPLICATION BLOCK: SELECT answers 6283 from now on.
func (c *chipCard) block() error {
	if err := c.lifeCycle(insAppBlock, "APPLICATION BLOCK"); err != nil {
		return err
	}
	c.blocked = true
	return nil
}

// unblock sends APPLICATION UNBLOCK and reads the life cycle again.
func (c *chipCard) unblock() error {
	if err := c.lifeCycle(insAppUnblock, "APPLICATION UNBLOCK"); err != nil {
		return err
	}
	c.blocked = false
	resp, err := terminal.Exchange(c.t, iso7816.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x04, Data: terminal.SSSEAID, Ne: 256})
	if err != nil {
		return err
	}
	if resp.SW != iso7816.SWOK {
		return fmt.Errorf("%w: selecting the SSSE after APPLICATION UNBLOCK: %04X", ErrCardAnswer, uint16(resp.SW))
	}
	if v, ok := iso7816.Find(resp.Data, 0x62, 0x8A); ok && len(v) == 1 {
		c.lcs = v[0]
	}
	// The card found by its number must be the card in the reader.
	id, err := c.readRecord(terminal.SFIEF05, recCardID)
	if err != nil {
		return err
	}
	if got := hexString(id); got != c.id {
		return fmt.Errorf("%w: the card unblocked is %s, not %s", ErrCardAnswer, got, c.id)
	}
	return c.readEF05()
}

// setCardID lets a terminal work on a card it could not read (a blocked
// card found in the register by its printed number): the key
// diversification factor is the card identifier's unique part, and the
// algorithm the generation's default (SM4 for 3.00, 3DES before [model:
// the profile default, CARD.md §1]), since a blocked application's FCI is
// not read.
func (c *chipCard) setCardID(id, generation string) error {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != terminal.CardIDLen {
		return fmt.Errorf("card identifier %q from the register: %v", id, err)
	}
	c.ssc.CardID = b
	c.id = strings.ToUpper(id)
	c.ssc.Alg = cardcrypto.Alg3DES
	if generation >= "3.00" {
		c.ssc.Alg = cardcrypto.AlgSM4
	}
	return nil
}

// pinTries asks how many PIN tries are left without spending one (VERIFY
// with no data): n >= 0, or -1 when the card answers something else;
// blocked when 6983.
func (c *chipCard) pinTries() (n int, blocked bool, err error) {
	resp, err := terminal.Exchange(c.t, iso7816.Command{CLA: 0x00, INS: 0x20})
	if err != nil {
		return 0, false, err
	}
	switch {
	case resp.SW == iso7816.SWAuthBlocked:
		return 0, true, nil
	case resp.SW.SW1() == 0x63 && resp.SW.SW2()&0xF0 == 0xC0:
		n := int(resp.SW.SW2() & 0x0F)
		return n, n == 0, nil
	case resp.SW == iso7816.SWOK:
		return -1, false, nil // verified already in this session
	}
	return -1, false, fmt.Errorf("%w: VERIFY with no data answered %04X", ErrCardAnswer, uint16(resp.SW))
}

// renew writes a new expiry date to EF05 record 06 (external
// authentication with key 04 first, CARD.md §3) and reads it back.
func (c *chipCard) renew(expiry string) error {
	v, err := hex.DecodeString(expiry)
	if err != nil || len(v) != 4 {
		return fmt.Errorf("expiry %q: want YYYYMMDD", expiry)
	}
	if err := c.ssc.ExternalAuthenticate(terminal.KeyEF05); err != nil {
		return cardErr("external authentication with key 04", err)
	}
	rec := append([]byte{recExpiry, 4}, v...)
	resp, err := terminal.Exchange(c.t, iso7816.Command{CLA: 0x00, INS: 0xDC, P1: recExpiry, P2: terminal.SFIEF05 << 3, Data: rec})
	if err != nil {
		return err
	}
	if resp.SW != iso7816.SWOK {
		return fmt.Errorf("%w: UPDATE RECORD of the expiry date answered %04X", ErrCardAnswer, uint16(resp.SW))
	}
	got, err := c.readRecord(terminal.SFIEF05, recExpiry)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, v) {
		return fmt.Errorf("%w: the expiry date reads %X after writing %s", ErrCardAnswer, got, expiry)
	}
	c.expiry = strings.ToUpper(expiry)
	return nil
}
