package pcsc

import (
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
)

// HostT0 wraps a transport whose T=0 card answers 61xx and 6Cxx for the
// host to handle (a reader that exchanges TPDUs, or a virtual reader): the
// result fetches the waiting bytes with GET RESPONSE on 61xx and sends the
// command again with Le = xx on 6Cxx (ISO/IEC 7816-3 §10.3.5, CARD.md §7),
// so its callers see whole responses, as a card in a T=1 reader gives them.
//
// A command that is not a well-formed APDU is passed through unchanged.
func HostT0(raw terminal.Transport) terminal.Transport {
	return terminal.TransportFunc(func(capdu []byte) ([]byte, error) {
		return exchangeT0(raw, capdu)
	})
}

func exchangeT0(raw terminal.Transport, capdu []byte) ([]byte, error) {
	cmd, err := iso7816.ParseCommand(capdu)
	if err != nil {
		return raw.Transmit(capdu)
	}
	resp, err := terminal.Exchange(raw, cmd)
	if err != nil {
		return nil, err
	}
	return resp.Bytes(), nil
}
