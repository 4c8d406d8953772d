package iso7816

import (
	"errors"
	"fmt"
)

// Status is a status word SW1<<8 | SW2 (ISO/IEC 7816-4 §5.6). Every status
// other than 9000 is also an error value: a card returns it, a terminal
// tests it with errors.Is, and StatusOf recovers it from a wrapped error.
type Status uint16

// Status words of ISO/IEC 7816-4 §5.6 (Tables 5 and 6) and of the payment
// specifications (9303), including every status word real social security
// cards are seen to return. Constants documented as a family match, with
// errors.Is, every status word of that family.
const (
	SWOK                         Status = 0x9000 // normal processing
	SWBytesAvailable             Status = 0x6100 // family 61xx: SW2 response bytes still available
	SWWarnEOF                    Status = 0x6282 // end of file or record reached before reading Ne bytes
	SWWarnDeactivated            Status = 0x6283 // selected file deactivated (invalidated)
	SWWarnTerminated             Status = 0x6285 // selected file in termination state
	SWVerifyFailed               Status = 0x63C0 // family 63Cx: verification failed, x tries left
	SWMemoryFailure              Status = 0x6581 // memory failure
	SWWrongLength                Status = 0x6700 // wrong length
	SWLogicalChannelNotSupported Status = 0x6881 // logical channel not supported
	SWSMNotSupported             Status = 0x6882 // secure messaging not supported
	SWChainingNotSupported       Status = 0x6884 // command chaining not supported
	SWCommandIncompatible        Status = 0x6981 // command incompatible with file structure
	SWSecurityNotSatisfied       Status = 0x6982 // security status not satisfied
	SWAuthBlocked                Status = 0x6983 // authentication method (PIN, key) blocked
	SWRefDataNotUsable           Status = 0x6984 // reference data not usable
	SWConditionsNotSatisfied     Status = 0x6985 // conditions of use not satisfied
	SWCommandNotAllowedNoEF      Status = 0x6986 // command not allowed (no current EF)
	SWSMDataMissing              Status = 0x6987 // expected secure messaging data objects missing
	SWSMDataIncorrect            Status = 0x6988 // secure messaging data object or MAC incorrect
	SWWrongData                  Status = 0x6A80 // incorrect parameters in the command data field
	SWFuncNotSupported           Status = 0x6A81 // function not supported; application locked
	SWFileNotFound               Status = 0x6A82 // file or application not found
	SWRecordNotFound             Status = 0x6A83 // record not found
	SWNotEnoughMemory            Status = 0x6A84 // not enough memory space in the file
	SWLcInconsistentP1P2         Status = 0x6A85 // Nc inconsistent with TLV structure (ISO name; see SWNcInconsistentTLV)
	SWWrongP1P2                  Status = 0x6A86 // incorrect parameters P1-P2
	SWLcInconsistent             Status = 0x6A87 // Nc inconsistent with parameters P1-P2 (see SWNcInconsistentP1P2)
	SWRefDataNotFound            Status = 0x6A88 // referenced data or reference data not found
	SWWrongP1P2NoInfo            Status = 0x6B00 // wrong parameters P1-P2
	SWWrongLe                    Status = 0x6C00 // family 6Cxx: wrong Le field, SW2 is the exact length
	SWINSNotSupported            Status = 0x6D00 // instruction code not supported or invalid
	SWCLANotSupported            Status = 0x6E00 // class not supported
	SWNoPreciseDiagnosis         Status = 0x6F00 // no precise diagnosis
	SWAppPermanentlyLocked       Status = 0x9303 // application permanently locked (PBOC/UICS)
)

// Names that follow the wording of ISO/IEC 7816-4 Table 6 for 6A85 and 6A87,
// whose older names above are easy to swap.
const (
	SWNcInconsistentTLV  Status = 0x6A85 // Nc inconsistent with TLV structure
	SWNcInconsistentP1P2 Status = 0x6A87 // Nc inconsistent with parameters P1-P2
)

// Further status words of ISO/IEC 7816-4 §5.6 Table 6.
const (
	SWWarnCorrupted       Status = 0x6281 // part of returned data may be corrupted
	SWWarnFCINotFormatted Status = 0x6284 // FCI not formatted according to §5.3.3
	SWFileFilled          Status = 0x6381 // file filled up by the last write
	SWLastCommandExpected Status = 0x6883 // last command of the chain expected
	SWFileExists          Status = 0x6A89 // file already exists
	SWDFNameExists        Status = 0x6A8A // DF name already exists
)

var meanings = map[Status]string{
	0x9000: "normal processing",
	0x6200: "warning, no information given (non-volatile memory unchanged)",
	0x6281: "part of returned data may be corrupted",
	0x6282: "end of file or record reached before reading Ne bytes",
	0x6283: "selected file deactivated",
	0x6284: "file control information not formatted",
	0x6285: "selected file in termination state",
	0x6286: "no input data available from a sensor",
	0x6300: "warning, no information given (non-volatile memory changed)",
	0x6381: "file filled up by the last write",
	0x6400: "execution error, non-volatile memory unchanged",
	0x6401: "immediate response required by the card",
	0x6500: "execution error, non-volatile memory changed",
	0x6581: "memory failure",
	0x6700: "wrong length",
	0x6800: "functions in CLA not supported",
	0x6881: "logical channel not supported",
	0x6882: "secure messaging not supported",
	0x6883: "last command of the chain expected",
	0x6884: "command chaining not supported",
	0x6900: "command not allowed, no information given",
	0x6981: "command incompatible with file structure",
	0x6982: "security status not satisfied",
	0x6983: "authentication method blocked",
	0x6984: "reference data not usable",
	0x6985: "conditions of use not satisfied",
	0x6986: "command not allowed (no current EF)",
	0x6987: "expected secure messaging data objects missing",
	0x6988: "secure messaging data object or MAC incorrect",
	0x6A00: "wrong parameters P1-P2, no information given",
	0x6A80: "incorrect parameters in the command data field",
	0x6A81: "function not supported or application locked",
	0x6A82: "file or application not found",
	0x6A83: "record not found",
	0x6A84: "not enough memory space in the file",
	0x6A85: "Nc inconsistent with TLV structure",
	0x6A86: "incorrect parameters P1-P2",
	0x6A87: "Nc inconsistent with parameters P1-P2",
	0x6A88: "referenced data or reference data not found",
	0x6A89: "file already exists",
	0x6A8A: "DF name already exists",
	0x6B00: "wrong parameters P1-P2",
	0x6D00: "instruction code not supported or invalid",
	0x6E00: "class not supported",
	0x6F00: "no precise diagnosis",
	0x9303: "application permanently locked",
}

// classMeanings describe a status word by SW1 when the full word is not
// known (ISO/IEC 7816-4 §5.6 Table 5).
var classMeanings = map[byte]string{
	0x62: "warning, non-volatile memory unchanged",
	0x63: "warning, non-volatile memory changed",
	0x64: "execution error, non-volatile memory unchanged",
	0x65: "execution error, non-volatile memory changed",
	0x66: "security-related issue",
	0x67: "wrong length",
	0x68: "functions in CLA not supported",
	0x69: "command not allowed",
	0x6A: "wrong parameters P1-P2",
	0x6B: "wrong parameters P1-P2",
	0x6D: "instruction code not supported or invalid",
	0x6E: "class not supported",
	0x6F: "no precise diagnosis",
	0x90: "normal processing with proprietary SW2",
}

// StatusFrom returns the status word SW1 SW2.
func StatusFrom(sw1, sw2 byte) Status {
	return Status(sw1)<<8 | Status(sw2)
}

// StatusOf returns the status word carried by err, looking through wrapped
// errors as errors.As does.
func StatusOf(err error) (Status, bool) {
	var s Status
	if errors.As(err, &s) {
		return s, true
	}
	return 0, false
}

// SW1 returns the first status byte.
func (s Status) SW1() byte { return byte(s >> 8) }

// SW2 returns the second status byte.
func (s Status) SW2() byte { return byte(s) }

// OK reports whether s is 9000, normal processing.
func (s Status) OK() bool { return s == SWOK }

// Err returns nil for 9000 and s otherwise, so warnings (62xx, 63xx) and
// 61xx are errors too.
func (s Status) Err() error {
	if s == SWOK {
		return nil
	}
	return s
}

// Warning reports whether s is a warning (SW1 62 or 63, ISO/IEC 7816-4 §5.6).
func (s Status) Warning() bool {
	return s.SW1() == 0x62 || s.SW1() == 0x63
}

// Error returns the status word in hexadecimal and its meaning, for example
// "6982: security status not satisfied" or "63C2: verification failed, 2
// tries left".
func (s Status) Error() string {
	if _, ok := s.known(); ok {
		return fmt.Sprintf("%04X: %s", uint16(s), s.Meaning())
	}
	return fmt.Sprintf("%04X: unrecognised status (%s)", uint16(s), s.Meaning())
}

// Is reports whether s matches target. The family constants SWBytesAvailable
// (61xx), SWVerifyFailed (63Cx) and SWWrongLe (6Cxx) match every member of
// their family; any other target matches only itself.
func (s Status) Is(target error) bool {
	t, ok := target.(Status)
	if !ok {
		return false
	}
	switch t {
	case SWBytesAvailable, SWWrongLe:
		return s.SW1() == t.SW1()
	case SWVerifyFailed:
		return s&0xFFF0 == SWVerifyFailed
	}
	return s == t
}

// Retries returns the number of tries left carried by a 63Cx status word.
func (s Status) Retries() (n int, ok bool) {
	if s&0xFFF0 != SWVerifyFailed {
		return 0, false
	}
	return int(s & 0x000F), true
}

// BytesAvailable returns the number of response bytes still available
// announced by a 61xx status word (SW2 00 means 256).
func (s Status) BytesAvailable() (n int, ok bool) {
	if s.SW1() != 0x61 {
		return 0, false
	}
	return sw2Length(s.SW2()), true
}

// ExactLength returns the exact length announced by a 6Cxx status word (SW2
// 00 means 256): the command should be sent again with that Le.
func (s Status) ExactLength() (n int, ok bool) {
	if s.SW1() != 0x6C {
		return 0, false
	}
	return sw2Length(s.SW2()), true
}

func sw2Length(sw2 byte) int {
	if sw2 == 0 {
		return 256
	}
	return int(sw2)
}

// Meaning returns a human description of s: the text of ISO/IEC 7816-4 §5.6
// or of the payment specifications for a known status word, with the count
// for 61xx, 63Cx and 6Cxx; for any other status word a generic text naming
// its class, for example "6Fxx: no precise diagnosis".
func (s Status) Meaning() string {
	if m, ok := s.known(); ok {
		return m
	}
	if m, ok := classMeanings[s.SW1()]; ok {
		return fmt.Sprintf("%02Xxx: %s", s.SW1(), m)
	}
	if s.SW1()&0xF0 == 0x90 {
		return fmt.Sprintf("%02Xxx: proprietary status", s.SW1())
	}
	return fmt.Sprintf("%02Xxx: not a valid status word", s.SW1())
}

// known returns the specific meaning of s, if it has one.
func (s Status) known() (string, bool) {
	if n, ok := s.Retries(); ok {
		if n == 1 {
			return "verification failed, 1 try left", true
		}
		return fmt.Sprintf("verification failed, %d tries left", n), true
	}
	if n, ok := s.BytesAvailable(); ok {
		return fmt.Sprintf("%d response bytes still available", n), true
	}
	if n, ok := s.ExactLength(); ok {
		return fmt.Sprintf("wrong Le field, exact length %d", n), true
	}
	m, ok := meanings[s]
	return m, ok
}
