package conformance

import (
	"bytes"
	"fmt"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/profile"
)

// The real 1.00 card of CARD.md §2 [known]: its ATR, the card identifier,
// version, card number and sex record, and the FCI of its SSSE.
var realTrace = struct {
	atr, cardID, fci []byte
}{
	atr:    mustHexBytes("3B6D00000081008843866533010114F199"),
	cardID: mustHexBytes("330100D1560000050114F199D286DF7E"),
	fci:    mustHexBytes("6F16840F7378312E73682EC9E7BBE1B1A3D5CFA50388010B"),
}

// needTraceCard: the card is the real 1.00 card of the trace.
func needTraceCard(p *profile.Profile) string {
	if why := needGen("1.00")(p); why != "" {
		return why
	}
	id := p.SSSE.Identity
	if id.Region != "330100" || id.CardSerial != "0114F199D286DF7E" {
		return "not the traced 1.00 card (persona trace-1.00)"
	}
	return ""
}

var traceCases = []*Case{
	{
		ID: "TRACE-100-001", Title: "The traced 1.00 card: SELECT SSSE answers 6118, GET RESPONSE the exact FCI",
		Clause: "CARD.md §2 (real card trace)", Persona: "trace-1.00", Requires: needTraceCard,
		Run: func(s *S) {
			s.Expect(apdu(0, 0xA4, 0x04, 0x00, terminal.SSSEAID), SW(0x6118), NoData())
			s.Expect("00C0000018", OK(), Data(realTrace.fci))
		},
	},
	{
		ID: "TRACE-100-002", Title: "The traced 1.00 card: 00B2012812 returns the exact card identifier",
		Clause: "CARD.md §2 (real card trace)", Persona: "trace-1.00", Requires: needTraceCard,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("00B2012812", OK(), Data(append([]byte{0x01, 0x10}, realTrace.cardID...)))
		},
	},
	{
		ID: "TRACE-100-003", Title: "The traced 1.00 card: version \"1.00\", card number, sex",
		Clause: "CARD.md §2 (real card trace)", Persona: "trace-1.00", Requires: needTraceCard,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("00B2032806", OK(), Data(mustHexBytes("0304312E3030")))
			s.Expect("00B207280E", OK(), Data(mustHexBytes("0709413135393231363232")))
			s.Expect("00B20A3003", OK(), Data(mustHexBytes("0A0131")))
		},
	},
	{
		ID: "TRACE-100-004", Title: "The traced 1.00 card: social security number and name have the traced shapes",
		Clause: "CARD.md §2 (real card trace)", Persona: "trace-1.00", Requires: needTraceCard,
		Run: func(s *S) {
			selectSSSE(s)
			s.Expect("00B2083014", OK(), DataWhere("08 12 + 18 ASCII characters", func(d []byte) error {
				if len(d) != 20 || d[0] != 0x08 || d[1] != 0x12 {
					return fmt.Errorf("not 08 12 + 18 bytes")
				}
				for _, c := range d[2:] {
					if (c < '0' || c > '9') && c != 'X' {
						return fmt.Errorf("byte %02X is not a digit or X", c)
					}
				}
				return nil
			}))
			s.Expect("00B2093020", OK(), DataWhere("09 1E + 30-byte GBK name padded with 00 or 20", func(d []byte) error {
				if len(d) != 32 || d[0] != 0x09 || d[1] != 0x1E {
					return fmt.Errorf("not 09 1E + 30 bytes")
				}
				name := bytes.TrimRight(d[2:], "\x00 ")
				if _, err := profile.FromGBK(name); err != nil || len(name) == 0 {
					return fmt.Errorf("not a GBK name")
				}
				return nil
			}))
		},
	},
}
