package iso7816

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestStatusIs(t *testing.T) {
	tests := []struct {
		sw      Status
		match   []Status
		noMatch []Status
	}{
		{0x9000, []Status{SWOK}, []Status{SWBytesAvailable, SWVerifyFailed, SWWrongLe, 0x9001}},
		{0x6118, []Status{SWBytesAvailable, 0x6118}, []Status{SWOK, 0x6119, SWWrongLe}},
		{0x6100, []Status{SWBytesAvailable}, []Status{SWWrongLe}},
		{0x63C2, []Status{SWVerifyFailed, 0x63C2}, []Status{0x63C1, 0x6300, SWAuthBlocked}},
		{0x63C0, []Status{SWVerifyFailed}, []Status{SWAuthBlocked}},
		{0x63CF, []Status{SWVerifyFailed}, []Status{SWBytesAvailable}},
		{0x6300, nil, []Status{SWVerifyFailed}},
		{0x63D2, nil, []Status{SWVerifyFailed}},
		{0x6C0E, []Status{SWWrongLe}, []Status{SWWrongLength, SWBytesAvailable}},
		{0x6982, []Status{SWSecurityNotSatisfied}, []Status{SWAuthBlocked, SWVerifyFailed, SWOK}},
		{0x6A81, []Status{SWFuncNotSupported}, []Status{SWFileNotFound}},
		{0x6A85, []Status{SWLcInconsistentP1P2, SWNcInconsistentTLV}, []Status{SWLcInconsistent}},
		{0x6A87, []Status{SWLcInconsistent, SWNcInconsistentP1P2}, []Status{SWLcInconsistentP1P2}},
		{0x9303, []Status{SWAppPermanentlyLocked}, []Status{SWAuthBlocked}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%04X", uint16(tc.sw)), func(t *testing.T) {
			wrapped := fmt.Errorf("reading record: %w", tc.sw)
			for _, target := range tc.match {
				if !errors.Is(tc.sw, target) || !errors.Is(wrapped, target) {
					t.Errorf("errors.Is(%04X, %04X) = false, want true", uint16(tc.sw), uint16(target))
				}
			}
			for _, target := range tc.noMatch {
				if errors.Is(tc.sw, target) || errors.Is(wrapped, target) {
					t.Errorf("errors.Is(%04X, %04X) = true, want false", uint16(tc.sw), uint16(target))
				}
			}
			if errors.Is(tc.sw, io.EOF) {
				t.Error("status matches io.EOF")
			}
			got, ok := StatusOf(wrapped)
			if !ok || got != tc.sw {
				t.Errorf("StatusOf(wrapped) = %04X, %v", uint16(got), ok)
			}
			var as Status
			if !errors.As(fmt.Errorf("outer: %w", wrapped), &as) || as != tc.sw {
				t.Errorf("errors.As = %04X", uint16(as))
			}
		})
	}
}

func TestStatusOfNonStatus(t *testing.T) {
	for _, err := range []error{nil, io.EOF, fmt.Errorf("x: %w", io.EOF)} {
		if s, ok := StatusOf(err); ok || s != 0 {
			t.Errorf("StatusOf(%v) = %04X, %v; want 0, false", err, uint16(s), ok)
		}
	}
}

func TestStatusBytes(t *testing.T) {
	s := StatusFrom(0x6A, 0x82)
	if s != SWFileNotFound || s.SW1() != 0x6A || s.SW2() != 0x82 {
		t.Errorf("StatusFrom(6A, 82) = %04X (SW1 %02X SW2 %02X)", uint16(s), s.SW1(), s.SW2())
	}
	if !SWOK.OK() || SWOK.Err() != nil {
		t.Errorf("9000: OK %v, Err %v", SWOK.OK(), SWOK.Err())
	}
	for _, s := range []Status{0x6118, 0x6282, 0x63C1, 0x6982, 0x9001} {
		if s.OK() {
			t.Errorf("%04X.OK() = true", uint16(s))
		}
		if err := s.Err(); err == nil || err.(Status) != s {
			t.Errorf("%04X.Err() = %v", uint16(s), err)
		}
	}
}

func TestStatusCounts(t *testing.T) {
	tests := []struct {
		sw                     Status
		retries, avail, exactN int
		rOK, aOK, eOK, warning bool
	}{
		{sw: 0x63C2, retries: 2, rOK: true, warning: true},
		{sw: 0x63C0, retries: 0, rOK: true, warning: true},
		{sw: 0x63CF, retries: 15, rOK: true, warning: true},
		{sw: 0x6300, warning: true},
		{sw: 0x6283, warning: true},
		{sw: 0x6118, avail: 0x18, aOK: true},
		{sw: 0x6100, avail: 256, aOK: true},
		{sw: 0x6C0B, exactN: 11, eOK: true},
		{sw: 0x6C00, exactN: 256, eOK: true},
		{sw: 0x9000},
		{sw: 0x6983},
	}
	for _, tc := range tests {
		r, rOK := tc.sw.Retries()
		a, aOK := tc.sw.BytesAvailable()
		e, eOK := tc.sw.ExactLength()
		if r != tc.retries || rOK != tc.rOK || a != tc.avail || aOK != tc.aOK || e != tc.exactN || eOK != tc.eOK {
			t.Errorf("%04X: Retries %d,%v BytesAvailable %d,%v ExactLength %d,%v; want %d,%v %d,%v %d,%v",
				uint16(tc.sw), r, rOK, a, aOK, e, eOK, tc.retries, tc.rOK, tc.avail, tc.aOK, tc.exactN, tc.eOK)
		}
		if w := tc.sw.Warning(); w != tc.warning {
			t.Errorf("%04X.Warning() = %v, want %v", uint16(tc.sw), w, tc.warning)
		}
	}
}

func TestStatusText(t *testing.T) {
	tests := []struct {
		sw      Status
		meaning string // exact
		err     string // exact
	}{
		{0x6982, "security status not satisfied", "6982: security status not satisfied"},
		{0x63C2, "verification failed, 2 tries left", "63C2: verification failed, 2 tries left"},
		{0x63C1, "verification failed, 1 try left", "63C1: verification failed, 1 try left"},
		{0x6983, "authentication method blocked", "6983: authentication method blocked"},
		{0x6581, "memory failure", "6581: memory failure"},
		{0x6A81, "function not supported or application locked", "6A81: function not supported or application locked"},
		{0x9303, "application permanently locked", "9303: application permanently locked"},
		{0x6988, "secure messaging data object or MAC incorrect", "6988: secure messaging data object or MAC incorrect"},
		{0x6118, "24 response bytes still available", "6118: 24 response bytes still available"},
		{0x6C0E, "wrong Le field, exact length 14", "6C0E: wrong Le field, exact length 14"},
		{0x6F12, "6Fxx: no precise diagnosis", "6F12: unrecognised status (6Fxx: no precise diagnosis)"},
		{0x6A99, "6Axx: wrong parameters P1-P2", "6A99: unrecognised status (6Axx: wrong parameters P1-P2)"},
		{0x9F10, "9Fxx: proprietary status", "9F10: unrecognised status (9Fxx: proprietary status)"},
		{0x1234, "12xx: not a valid status word", "1234: unrecognised status (12xx: not a valid status word)"},
		{0x6001, "60xx: not a valid status word", "6001: unrecognised status (60xx: not a valid status word)"},
	}
	for _, tc := range tests {
		if got := tc.sw.Meaning(); got != tc.meaning {
			t.Errorf("%04X.Meaning() = %q, want %q", uint16(tc.sw), got, tc.meaning)
		}
		if got := tc.sw.Error(); got != tc.err {
			t.Errorf("%04X.Error() = %q, want %q", uint16(tc.sw), got, tc.err)
		}
	}
}

// TestStatusConstantsKnown checks every named status word has a specific
// meaning, not the generic text of its class.
func TestStatusConstantsKnown(t *testing.T) {
	all := []Status{
		SWOK, SWBytesAvailable, SWWarnEOF, SWWarnDeactivated, SWWarnTerminated, SWVerifyFailed,
		SWMemoryFailure, SWWrongLength, SWLogicalChannelNotSupported, SWSMNotSupported,
		SWChainingNotSupported, SWCommandIncompatible, SWSecurityNotSatisfied, SWAuthBlocked,
		SWRefDataNotUsable, SWConditionsNotSatisfied, SWCommandNotAllowedNoEF, SWSMDataMissing,
		SWSMDataIncorrect, SWWrongData, SWFuncNotSupported, SWFileNotFound, SWRecordNotFound,
		SWNotEnoughMemory, SWLcInconsistentP1P2, SWWrongP1P2, SWLcInconsistent, SWRefDataNotFound,
		SWWrongP1P2NoInfo, SWWrongLe, SWINSNotSupported, SWCLANotSupported, SWNoPreciseDiagnosis,
		SWAppPermanentlyLocked, SWNcInconsistentTLV, SWNcInconsistentP1P2, SWWarnCorrupted,
		SWWarnFCINotFormatted, SWFileFilled, SWLastCommandExpected, SWFileExists, SWDFNameExists,
	}
	for _, s := range all {
		m := s.Meaning()
		if m == "" || strings.Contains(m, "xx:") || strings.Contains(s.Error(), "unrecognised") {
			t.Errorf("%04X has no specific meaning: %q / %q", uint16(s), m, s.Error())
		}
	}
}
