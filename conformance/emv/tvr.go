package emv

import (
	"fmt"
	"strings"
)

// TVR is the terminal verification results (EMV Book 3 Annex C5): what the
// terminal found wrong or noteworthy during the transaction.
type TVR [5]byte

// TVRBit names one bit of the TVR: byte index (0-4) << 8 | mask.
type TVRBit uint16

// The TVR bits of EMV Book 3 Annex C5.
const (
	TVRODANotPerformed     TVRBit = 0<<8 | 0x80
	TVRSDAFailed           TVRBit = 0<<8 | 0x40
	TVRICCDataMissing      TVRBit = 0<<8 | 0x20
	TVRExceptionFile       TVRBit = 0<<8 | 0x10
	TVRDDAFailed           TVRBit = 0<<8 | 0x08
	TVRCDAFailed           TVRBit = 0<<8 | 0x04
	TVRSDASelected         TVRBit = 0<<8 | 0x02
	TVRVersionsDiffer      TVRBit = 1<<8 | 0x80
	TVRExpired             TVRBit = 1<<8 | 0x40
	TVRNotYetEffective     TVRBit = 1<<8 | 0x20
	TVRServiceNotAllowed   TVRBit = 1<<8 | 0x10
	TVRNewCard             TVRBit = 1<<8 | 0x08
	TVRCVMFailed           TVRBit = 2<<8 | 0x80
	TVRUnrecognisedCVM     TVRBit = 2<<8 | 0x40
	TVRPINTryLimitExceeded TVRBit = 2<<8 | 0x20
	TVRPINPadMissing       TVRBit = 2<<8 | 0x10
	TVRPINNotEntered       TVRBit = 2<<8 | 0x08
	TVROnlinePINEntered    TVRBit = 2<<8 | 0x04
	TVRFloorLimitExceeded  TVRBit = 3<<8 | 0x80
	TVRLCOLExceeded        TVRBit = 3<<8 | 0x40
	TVRUCOLExceeded        TVRBit = 3<<8 | 0x20
	TVRRandomOnline        TVRBit = 3<<8 | 0x10
	TVRMerchantForced      TVRBit = 3<<8 | 0x08
	TVRDefaultTDOL         TVRBit = 4<<8 | 0x80
	TVRIssuerAuthFailed    TVRBit = 4<<8 | 0x40
	TVRScriptFailedBefore  TVRBit = 4<<8 | 0x20
	TVRScriptFailedAfter   TVRBit = 4<<8 | 0x10
)

var tvrNames = []struct {
	b    TVRBit
	name string
}{
	{TVRODANotPerformed, "offline data authentication was not performed"},
	{TVRSDAFailed, "SDA failed"},
	{TVRICCDataMissing, "ICC data missing"},
	{TVRExceptionFile, "card appears on terminal exception file"},
	{TVRDDAFailed, "DDA failed"},
	{TVRCDAFailed, "CDA failed"},
	{TVRSDASelected, "SDA selected"},
	{TVRVersionsDiffer, "ICC and terminal have different application versions"},
	{TVRExpired, "expired application"},
	{TVRNotYetEffective, "application not yet effective"},
	{TVRServiceNotAllowed, "requested service not allowed for card product"},
	{TVRNewCard, "new card"},
	{TVRCVMFailed, "cardholder verification was not successful"},
	{TVRUnrecognisedCVM, "unrecognised CVM"},
	{TVRPINTryLimitExceeded, "PIN try limit exceeded"},
	{TVRPINPadMissing, "PIN entry required and PIN pad not present or not working"},
	{TVRPINNotEntered, "PIN entry required, PIN pad present, but PIN was not entered"},
	{TVROnlinePINEntered, "online PIN entered"},
	{TVRFloorLimitExceeded, "transaction exceeds floor limit"},
	{TVRLCOLExceeded, "lower consecutive offline limit exceeded"},
	{TVRUCOLExceeded, "upper consecutive offline limit exceeded"},
	{TVRRandomOnline, "transaction selected randomly for online processing"},
	{TVRMerchantForced, "merchant forced transaction online"},
	{TVRDefaultTDOL, "default TDOL used"},
	{TVRIssuerAuthFailed, "issuer authentication failed"},
	{TVRScriptFailedBefore, "script processing failed before final GENERATE AC"},
	{TVRScriptFailedAfter, "script processing failed after final GENERATE AC"},
}

// Set sets bit b.
func (t *TVR) Set(b TVRBit) { t[b>>8] |= byte(b) }

// Has reports whether bit b is set.
func (t TVR) Has(b TVRBit) bool { return t[b>>8]&byte(b) != 0 }

// String is the TVR in hex.
func (t TVR) String() string { return fmt.Sprintf("%X", t[:]) }

// Bits names the bits set, in the order of Annex C5.
func (t TVR) Bits() []string {
	var out []string
	for _, n := range tvrNames {
		if t.Has(n.b) {
			out = append(out, n.name)
		}
	}
	return out
}

// Name is the name of one TVR bit.
func (b TVRBit) String() string {
	for _, n := range tvrNames {
		if n.b == b {
			return n.name
		}
	}
	return fmt.Sprintf("TVR byte %d bit %02X", b>>8+1, byte(b))
}

// TSI is the transaction status information (EMV Book 3 Annex C6): the
// functions the terminal performed.
type TSI [2]byte

// TSIBit names one bit of the TSI: byte index << 8 | mask.
type TSIBit uint16

// The TSI bits of EMV Book 3 Annex C6.
const (
	TSIODA           TSIBit = 0x80
	TSICVM           TSIBit = 0x40
	TSICardRisk      TSIBit = 0x20
	TSIIssuerAuth    TSIBit = 0x10
	TSITerminalRisk  TSIBit = 0x08
	TSIScriptProcess TSIBit = 0x04
)

var tsiNames = []struct {
	b    TSIBit
	name string
}{
	{TSIODA, "offline data authentication was performed"},
	{TSICVM, "cardholder verification was performed"},
	{TSICardRisk, "card risk management was performed"},
	{TSIIssuerAuth, "issuer authentication was performed"},
	{TSITerminalRisk, "terminal risk management was performed"},
	{TSIScriptProcess, "script processing was performed"},
}

// Set sets bit b.
func (t *TSI) Set(b TSIBit) { t[b>>8] |= byte(b) }

// Has reports whether bit b is set.
func (t TSI) Has(b TSIBit) bool { return t[b>>8]&byte(b) != 0 }

// String is the TSI in hex.
func (t TSI) String() string { return fmt.Sprintf("%X", t[:]) }

// Bits names the bits set.
func (t TSI) Bits() []string {
	var out []string
	for _, n := range tsiNames {
		if t.Has(n.b) {
			out = append(out, n.name)
		}
	}
	return out
}

// describeBits joins bit names for messages ("none" when empty).
func describeBits(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "; ")
}
