// Package terminal is the reference terminal side: what a reader library or
// a counter terminal does with a social security card and its PSAM, written
// once and used by the conformance suites, the CLI and the tests. It talks
// to cards only through a Transport, so the same code drives the in-process
// emulator, a virtual reader in pcscd and a real card.
package terminal

import (
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/trace"
)

// Transport carries one command APDU to a card and returns its response
// APDU; the same shape as (*scard.Card).Transmit.
type Transport interface {
	Transmit(capdu []byte) ([]byte, error)
}

// TransportFunc adapts a function to Transport.
type TransportFunc func([]byte) ([]byte, error)

// Transmit calls f.
func (f TransportFunc) Transmit(c []byte) ([]byte, error) { return f(c) }

// maxGetResponse bounds the GET RESPONSE loop against a card that never
// stops answering 61xx.
const maxGetResponse = 64

// Exchange sends cmd and returns the complete response, doing what a T=0
// terminal does (ISO/IEC 7816-3 §10.3.5, CARD.md §7): on 61xx it fetches the
// data with GET RESPONSE; on 6Cxx it sends the command again with Le = xx.
// A status word other than 9000 is not an error: the caller reads it from
// the response. Errors mean the transport failed or the card answered
// something that is not a response APDU.
func Exchange(t Transport, cmd iso7816.Command) (iso7816.Response, error) {
	raw, err := cmd.Bytes()
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("encoding %s: %w", cmdName(cmd), err)
	}
	resp, err := transmit(t, raw)
	if err != nil {
		return resp, err
	}
	if resp.SW.SW1() == 0x6C && cmd.Case() != 3 {
		cmd.Ne = int(resp.SW.SW2())
		if cmd.Ne == 0 {
			cmd.Ne = 256
		}
		if raw, err = cmd.Bytes(); err != nil {
			return resp, fmt.Errorf("encoding %s: %w", cmdName(cmd), err)
		}
		if resp, err = transmit(t, raw); err != nil {
			return resp, err
		}
	}
	data := resp.Data
	for i := 0; errors.Is(resp.SW, iso7816.SWBytesAvailable); i++ {
		if i == maxGetResponse {
			return resp, fmt.Errorf("%s: card keeps answering 61xx", cmdName(cmd))
		}
		le := resp.SW.SW2()
		gr := []byte{cmd.CLA & 0x03, 0xC0, 0x00, 0x00, le}
		if resp, err = transmit(t, gr); err != nil {
			return resp, err
		}
		data = append(data, resp.Data...)
	}
	resp.Data = data
	return resp, nil
}

func transmit(t Transport, raw []byte) (iso7816.Response, error) {
	out, err := t.Transmit(raw)
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("transmitting %X: %w", raw, err)
	}
	resp, err := iso7816.ParseResponse(out)
	if err != nil {
		return iso7816.Response{}, fmt.Errorf("card answered %X to %X: %w", out, raw, err)
	}
	// Keep the data: the transport may reuse its buffer.
	resp.Data = append([]byte(nil), resp.Data...)
	return resp, nil
}

// Do is Exchange that also turns a status word other than 9000 into an
// error (the Status itself, wrapped, so errors.Is works).
func Do(t Transport, cmd iso7816.Command) ([]byte, error) {
	resp, err := Exchange(t, cmd)
	if err != nil {
		return nil, err
	}
	if resp.SW != iso7816.SWOK {
		return resp.Data, fmt.Errorf("%s: %w", cmdName(cmd), resp.SW)
	}
	return resp.Data, nil
}

func cmdName(c iso7816.Command) string { return trace.CommandName(c.CLA, c.INS) }

// SelectByName is SELECT by DF name with the FCI returned.
func SelectByName(t Transport, aid []byte) (iso7816.Response, error) {
	return Exchange(t, iso7816.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, P2: 0x00, Data: aid})
}

// ReadRecord reads record id (a record identifier, P2 = SFI<<3) of the EF
// with short identifier sfi, asking for up to 255 bytes.
func ReadRecord(t Transport, sfi, id byte) (iso7816.Response, error) {
	return Exchange(t, iso7816.Command{CLA: 0x00, INS: 0xB2, P1: id, P2: sfi << 3, Ne: 255})
}

// ReadRecordNumber reads record number n of the EF sfi (P2 = SFI<<3 | 4).
func ReadRecordNumber(t Transport, sfi, n byte) (iso7816.Response, error) {
	return Exchange(t, iso7816.Command{CLA: 0x00, INS: 0xB2, P1: n, P2: sfi<<3 | 4, Ne: 255})
}

// GetChallenge asks the card for n random bytes.
func GetChallenge(t Transport, n int) ([]byte, error) {
	d, err := Do(t, iso7816.Command{CLA: 0x00, INS: 0x84, Ne: n})
	if err != nil {
		return nil, err
	}
	if len(d) != n {
		return nil, fmt.Errorf("GET CHALLENGE: asked %d bytes, got %d", n, len(d))
	}
	return d, nil
}
