package terminal

import (
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
)

// PSAMAID is the AID of the PSAM's DF01 (CARD.md §3).
var PSAMAID = []byte{0xD1, 0x56, 0x00, 0x00, 0x05, 0x90}

// PSAM drives the terminal's security module: it selects DF01, delivers a
// card's diversified key and computes cryptograms and MACs with it (the
// command set of emulator/psam).
type PSAM struct {
	T Transport
}

// Select selects the PSAM's DF01.
func (p *PSAM) Select() error {
	resp, err := SelectByName(p.T, PSAMAID)
	if err != nil {
		return fmt.Errorf("selecting PSAM DF01: %w", err)
	}
	if resp.SW != iso7816.SWOK {
		return fmt.Errorf("selecting PSAM DF01: %w", resp.SW)
	}
	return nil
}

// TerminalNumber reads the 终端机编号 from EF16.
func (p *PSAM) TerminalNumber() ([]byte, error) {
	d, err := Do(p.T, iso7816.Command{CLA: 0x00, INS: 0xB0, P1: 0x80 | 0x16, P2: 0, Ne: 6})
	if err != nil {
		return nil, fmt.Errorf("reading PSAM terminal number: %w", err)
	}
	return d, nil
}

// Deliver diversifies the PSAM's key id for one card (80 1A).
func (p *PSAM) Deliver(keyID byte, alg cardcrypto.Alg, factors ...[]byte) error {
	var data []byte
	for _, f := range factors {
		data = append(data, f...)
	}
	_, err := Do(p.T, iso7816.Command{CLA: 0x80, INS: 0x1A, P1: keyID, P2: byte(alg), Data: data})
	if err != nil {
		return fmt.Errorf("PSAM key %02X: %w", keyID, err)
	}
	return nil
}

// Encrypt enciphers whole blocks with the delivered key (80 FA 00 00).
func (p *PSAM) Encrypt(data []byte) ([]byte, error) {
	d, err := Do(p.T, iso7816.Command{CLA: 0x80, INS: 0xFA, P1: 0x00, Data: data, Ne: 256})
	if err != nil {
		return nil, fmt.Errorf("PSAM encrypt: %w", err)
	}
	return d, nil
}

// MAC computes the 4-byte MAC of msg with iv (one block) (80 FA 05 00).
func (p *PSAM) MAC(iv, msg []byte) ([]byte, error) {
	d, err := Do(p.T, iso7816.Command{CLA: 0x80, INS: 0xFA, P1: 0x05, Data: append(append([]byte(nil), iv...), msg...), Ne: 256})
	if err != nil {
		return nil, fmt.Errorf("PSAM MAC: %w", err)
	}
	if len(d) != cardcrypto.MACSize {
		return nil, fmt.Errorf("PSAM MAC: %d bytes, want %d", len(d), cardcrypto.MACSize)
	}
	return d, nil
}
