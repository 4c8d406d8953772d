package trace

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sscard/sscard/emulator/iso7816"
)

// The names a trace reader knows the card's applications by (CARD.md §2,
// §3, §4, §5).
var knownNames = map[string]string{
	"7378312E73682EC9E7BBE1B1A3D5CF": "SSSE",
	"504B492EC9E7BBE1B1A3D5CF":       "PKI",
	"D15600000590":                   "PSAM DF01",
	"315041592E5359532E4444463031":   "PSE",
	"325041592E5359532E4444463031":   "PPSE",
	"A000000333010101":               "UnionPay debit",
	"A000000333010102":               "UnionPay credit",
	"A000000333010106":               "UnionPay electronic cash",
	"3F00":                           "MF",
}

// The SSSE files by short identifier (CARD.md §2).
var ssseFiles = map[byte]string{5: "EF05", 6: "EF06", 7: "EF07", 8: "EF08", 0x0D: "EF0D", 0x15: "EF15", 0x16: "EF16"}

// Instruction names, interindustry (CLA 0x, 0x with SM) and proprietary
// (CLA 8x) of the card's applications.
var (
	isoINS = map[byte]string{
		0x04: "DEACTIVATE FILE", 0x20: "VERIFY", 0x22: "MANAGE SECURITY ENVIRONMENT", 0x24: "CHANGE REFERENCE DATA",
		0x2A: "PERFORM SECURITY OPERATION", 0x2C: "RESET RETRY COUNTER", 0x44: "ACTIVATE FILE", 0x70: "MANAGE CHANNEL",
		0x82: "EXTERNAL AUTHENTICATE", 0x84: "GET CHALLENGE", 0x88: "INTERNAL AUTHENTICATE", 0xA4: "SELECT",
		0xB0: "READ BINARY", 0xB2: "READ RECORD", 0xC0: "GET RESPONSE", 0xCA: "GET DATA", 0xD6: "UPDATE BINARY",
		0xDA: "PUT DATA", 0xDC: "UPDATE RECORD", 0xE2: "APPEND RECORD", 0xE6: "TERMINATE DF",
	}
	proprietaryINS = map[byte]string{
		0x04: "DEACTIVATE FILE", 0x16: "CARD BLOCK", 0x18: "APPLICATION UNBLOCK", 0x1A: "DELIVER KEY",
		0x1E: "APPLICATION BLOCK", 0x20: "VERIFY", 0x24: "PIN RELOAD/UNBLOCK", 0x2C: "RESET RETRY COUNTER",
		0x40: "GENERATE KEY PAIR", 0x44: "ACTIVATE FILE", 0x4A: "IMPORT PUBLIC KEY", 0x4E: "IMPORT KEY PAIR",
		0x5E: "CHANGE PIN", 0xA8: "GET PROCESSING OPTIONS", 0xAE: "GENERATE AC", 0xC2: "IMPORT CERTIFICATE",
		0xC9: "EXPORT PUBLIC KEY", 0xCA: "GET DATA", 0xDA: "PUT DATA", 0xDC: "UPDATE RECORD",
		0xE6: "TERMINATE DF", 0xFA: "CIPHER DATA",
	}
)

// DescribeCommand says what a command APDU asks, for people reading a
// trace: "SELECT by name 7378...CF (SSSE)", "READ RECORD 01 of SFI 05
// (EF05), by identifier", "GET CHALLENGE, 8 bytes". It never fails: bytes
// that are no command APDU say so.
func DescribeCommand(capdu []byte) string {
	c, err := iso7816.ParseCommand(capdu)
	if err != nil {
		if len(capdu) >= 2 {
			return fmt.Sprintf("malformed APDU (INS %02X): %v", capdu[1], err)
		}
		return fmt.Sprintf("malformed APDU: %v", err)
	}
	if c.CLA == 0xFF {
		return "reader command (PC/SC pseudo-APDU)"
	}
	var b strings.Builder
	b.WriteString(CommandName(c.CLA, c.INS))
	b.WriteString(commandDetail(&c))
	if c.CLA&0x80 == 0 && c.CLA&0x0C != 0 || c.CLA&0x80 != 0 && c.CLA&0x04 != 0 {
		b.WriteString(", with secure messaging")
	}
	if ch := channelOf(c.CLA); ch != 0 {
		fmt.Fprintf(&b, ", channel %d", ch)
	}
	return b.String()
}

// CommandName names the instruction of a command by its class and INS:
// "SELECT", "GENERATE AC", "INS FE" for one this package does not know.
func CommandName(cla, ins byte) string {
	table := isoINS
	if cla&0x80 != 0 {
		table = proprietaryINS
	}
	if n, ok := table[ins]; ok {
		return n
	}
	return fmt.Sprintf("INS %02X", ins)
}

// channelOf returns the logical channel a CLA names (ISO/IEC 7816-4 §5.4.1).
func channelOf(cla byte) int {
	if cla&0x40 != 0 { // further interindustry values
		return 4 + int(cla&0x0F)
	}
	return int(cla & 0x03)
}

func commandDetail(c *iso7816.Command) string {
	switch c.INS {
	case 0xA4:
		return selectDetail(c)
	case 0xB2, 0xDC:
		if c.CLA&0x80 != 0 && c.INS == 0xDC {
			return recordDetail(c) + ", issuer script"
		}
		return recordDetail(c)
	case 0xE2:
		return " to " + fileBySFI(c.P2>>3)
	case 0xB0, 0xD6:
		if c.P1&0x80 != 0 {
			return fmt.Sprintf(" of SFI %02X%s at %d", c.P1&0x1F, efName(c.P1&0x1F), c.P2)
		}
		return fmt.Sprintf(" at %d", int(c.P1)<<8|int(c.P2))
	case 0x20:
		if len(c.Data) == 0 {
			return fmt.Sprintf(" reference %02X: tries left?", c.P2)
		}
		return fmt.Sprintf(" reference %02X, %d bytes", c.P2, len(c.Data))
	case 0x84, 0xC0:
		return fmt.Sprintf(", %d bytes", c.Ne)
	case 0x82, 0x88:
		return fmt.Sprintf(" key %02X", c.P2)
	case 0x70:
		if c.P1 == 0x80 {
			return fmt.Sprintf(" close %d", c.P2)
		}
		return " open"
	case 0x2A:
		switch {
		case c.P1 == 0x9E && c.P2 == 0x9A:
			return ": COMPUTE DIGITAL SIGNATURE"
		case c.P1 == 0x80 && c.P2 == 0x86:
			return ": DECIPHER"
		}
	case 0xAE:
		if c.CLA&0x80 != 0 {
			return " asking " + map[byte]string{0x00: "AAC", 0x40: "TC", 0x80: "ARQC"}[c.P1&0xC0] + cdaNote(c.P1)
		}
	case 0xCA:
		return fmt.Sprintf(" %02X%02X", c.P1, c.P2)
	}
	return ""
}

func cdaNote(p1 byte) string {
	if p1&0x10 != 0 {
		return " with CDA"
	}
	return ""
}

func selectDetail(c *iso7816.Command) string {
	var what string
	switch c.P1 {
	case 0x00:
		if len(c.Data) == 0 {
			what = " MF"
		} else {
			what = " FID " + nameOf(c.Data)
		}
	case 0x01:
		what = " child DF " + nameOf(c.Data)
	case 0x02:
		what = " EF " + nameOf(c.Data)
	case 0x03:
		what = " parent DF"
	case 0x04:
		what = " by name " + nameOf(c.Data)
		if c.P2&0x03 == 0x02 {
			what += ", next occurrence"
		}
	case 0x08, 0x09:
		what = " by path " + strings.ToUpper(hex.EncodeToString(c.Data))
	default:
		what = fmt.Sprintf(" P1 %02X", c.P1)
	}
	switch c.P2 & 0x0C {
	case 0x04:
		what += ", FCP"
	case 0x0C:
		what += ", no data"
	}
	return what
}

// nameOf writes a DF name or FID in hex, with the application it names.
func nameOf(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	if n, ok := knownNames[h]; ok {
		return h + " (" + n + ")"
	}
	return h
}

func recordDetail(c *iso7816.Command) string {
	sfi := c.P2 >> 3
	where := "current EF"
	if sfi != 0 {
		where = fileBySFI(sfi)
	}
	switch c.P2 & 0x07 {
	case 0x04:
		return fmt.Sprintf(" %d of %s", c.P1, where)
	case 0x00:
		return fmt.Sprintf(" identifier %02X of %s (first)", c.P1, where)
	case 0x01:
		return fmt.Sprintf(" identifier %02X of %s (last)", c.P1, where)
	case 0x02:
		return fmt.Sprintf(" identifier %02X of %s (next)", c.P1, where)
	case 0x03:
		return fmt.Sprintf(" identifier %02X of %s (previous)", c.P1, where)
	case 0x05, 0x06:
		return fmt.Sprintf(" from %d of %s", c.P1, where)
	}
	return fmt.Sprintf(" P2 %02X", c.P2)
}

func fileBySFI(sfi byte) string {
	return fmt.Sprintf("SFI %02X%s", sfi, efName(sfi))
}

func efName(sfi byte) string {
	if n, ok := ssseFiles[sfi]; ok {
		return " (" + n + ")"
	}
	return ""
}

// DescribeResponse says what a response APDU means: the status word's
// meaning and how many data bytes came before it.
func DescribeResponse(rapdu []byte) string {
	r, err := iso7816.ParseResponse(rapdu)
	if err != nil {
		return "malformed response: " + err.Error()
	}
	m := r.SW.Meaning()
	if n := len(r.Data); n > 0 {
		return fmt.Sprintf("%s, %d data bytes", m, n)
	}
	return m
}
