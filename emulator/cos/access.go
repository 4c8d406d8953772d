package cos

import (
	"fmt"
	"strconv"
	"strings"
)

// RuleKind is the kind of an access condition (CARD.md §2: free, PIN, KEY,
// PIN|KEY, PIN+KEY, never).
type RuleKind uint8

// Access condition kinds.
const (
	Free      RuleKind = iota // always allowed
	Never                     // never allowed
	NeedPIN                   // the DF's PIN verified
	NeedKey                   // external authentication with Key done
	PINOrKey                  // either
	PINAndKey                 // both
)

// Rule is an access condition on a file operation.
type Rule struct {
	Kind RuleKind
	Key  byte // key identifier for the KEY kinds
}

// ParseRule reads the profile syntax of a rule: free, never, pin, key:XX,
// pin|key:XX, pin+key:XX (XX: the key identifier in hex).
func ParseRule(s string) (Rule, error) {
	switch s {
	case "free", "":
		return Rule{Kind: Free}, nil
	case "never":
		return Rule{Kind: Never}, nil
	case "pin":
		return Rule{Kind: NeedPIN}, nil
	}
	kind := NeedKey
	rest := s
	switch {
	case strings.HasPrefix(s, "pin|"):
		kind, rest = PINOrKey, s[4:]
	case strings.HasPrefix(s, "pin+"):
		kind, rest = PINAndKey, s[4:]
	}
	hexID, ok := strings.CutPrefix(rest, "key:")
	if !ok || len(hexID) != 2 {
		return Rule{}, fmt.Errorf("access rule %q: want free, never, pin, key:XX, pin|key:XX or pin+key:XX", s)
	}
	id, err := strconv.ParseUint(hexID, 16, 8)
	if err != nil {
		return Rule{}, fmt.Errorf("access rule %q: key id %q is not two hex digits", s, hexID)
	}
	return Rule{Kind: kind, Key: byte(id)}, nil
}

// String gives the rule in profile syntax.
func (r Rule) String() string {
	switch r.Kind {
	case Free:
		return "free"
	case Never:
		return "never"
	case NeedPIN:
		return "pin"
	case NeedKey:
		return fmt.Sprintf("key:%02X", r.Key)
	case PINOrKey:
		return fmt.Sprintf("pin|key:%02X", r.Key)
	case PINAndKey:
		return fmt.Sprintf("pin+key:%02X", r.Key)
	}
	return "invalid"
}

// usesKey reports whether the rule names a key.
func (r Rule) usesKey() bool {
	return r.Kind == NeedKey || r.Kind == PINOrKey || r.Kind == PINAndKey
}

// Access is the pair of rules on a file.
type Access struct {
	Read   Rule
	Update Rule
}
