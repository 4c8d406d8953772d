package cos

import (
	"fmt"
	"strings"
)

// Defect is a deliberate deviation from the standards that a card can be
// built with, to check that conformance suites detect it (mutation testing
// of the suites: a suite that passes a broken card is itself broken). A
// card built from a profile has no defects; they are only ever switched on
// explicitly.
type Defect uint32

// The defects a card can be built with.
const (
	DefectPINNoDecrement    Defect = 1 << iota // a wrong PIN costs no try
	DefectPINNeverBlocks                       // a PIN with no tries left still verifies
	DefectEmptyVerifyCounts                    // an empty VERIFY costs a try
	DefectMACNotChecked                        // secure messaging accepts any MAC
	DefectChallengeReusable                    // a challenge serves any number of commands
	DefectExtAuthNoCount                       // a wrong cryptogram costs no try
	DefectStateKeptOnSelect                    // the security state survives leaving the DF
	DefectWrongLengthSW                        // malformed APDUs answer 6A80 instead of 6700
	DefectUnknownINS6E00                       // unknown instructions answer 6E00 instead of 6D00
	DefectIgnoreSFI                            // READ RECORD reads the first record file whatever the SFI
	DefectLeIgnored                            // a short Le truncates the record with 9000 instead of 6Cxx
	DefectNoGetResponse                        // data comes with 9000 even when Le was absent (no 61xx)
	DefectChannelsShared                       // every logical channel acts on the basic channel's state
	DefectUpdateAnyLength                      // UPDATE RECORD accepts a record of the wrong length
	DefectBlockIgnored                         // APPLICATION BLOCK has no effect on SELECT and reads
	DefectNoLifeCycleCheck                     // a deactivated application accepts VERIFY and writes
	defectEnd
)

var defectNames = map[Defect]string{
	DefectPINNoDecrement:    "pin-no-decrement",
	DefectPINNeverBlocks:    "pin-never-blocks",
	DefectEmptyVerifyCounts: "empty-verify-counts",
	DefectMACNotChecked:     "mac-not-checked",
	DefectChallengeReusable: "challenge-reusable",
	DefectExtAuthNoCount:    "extauth-no-count",
	DefectStateKeptOnSelect: "state-kept-on-select",
	DefectWrongLengthSW:     "wrong-length-sw",
	DefectUnknownINS6E00:    "unknown-ins-6e00",
	DefectIgnoreSFI:         "ignore-sfi",
	DefectLeIgnored:         "le-ignored",
	DefectNoGetResponse:     "no-get-response",
	DefectChannelsShared:    "channels-shared",
	DefectUpdateAnyLength:   "update-any-length",
	DefectBlockIgnored:      "block-ignored",
	DefectNoLifeCycleCheck:  "no-life-cycle-check",
}

// Defects lists every defect.
func Defects() []Defect {
	var out []Defect
	for d := Defect(1); d < defectEnd; d <<= 1 {
		out = append(out, d)
	}
	return out
}

// String names the defects in d, comma-separated.
func (d Defect) String() string {
	var names []string
	for _, x := range Defects() {
		if d&x != 0 {
			names = append(names, defectNames[x])
		}
	}
	return strings.Join(names, ",")
}

// ParseDefect reads a defect name.
func ParseDefect(s string) (Defect, error) {
	for d, n := range defectNames {
		if n == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("unknown defect %q", s)
}

func (o *OS) has(d Defect) bool { return o.defects&d != 0 }
