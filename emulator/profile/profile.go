// Package profile loads, merges and validates card profiles: the JSON
// documents a card (or a PSAM) is built from. A persona is a built-in profile
// under vectors/personas; a user's own file works everywhere a persona name
// does. Profiles may extend another profile, whose fields they override.
//
// Every model choice that CARD.md marks [model] and that a vendor may want to
// change is a field here, with its default documented on the field.
package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sscard/sscard/vectors"
)

// SchemaVersion is the profile schema this program reads.
const SchemaVersion = 1

// Kind says what a profile builds.
const (
	KindCard = "card" // a social security card
	KindPSAM = "psam" // a terminal security module (PSAM)
)

// Profile is one card's personalisation. Zero values mean "the default for
// the generation", filled in by Load.
type Profile struct {
	Schema      int    `json:"schema"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Source      string `json:"source,omitempty"`
	Extends     string `json:"extends,omitempty"`
	Kind        string `json:"kind"`

	// Generation is the card's specification version: "1.00", "2.00" or "3.00".
	Generation string `json:"generation,omitempty"`
	// Algorithm is the card's symmetric algorithm: "sm4" or "3des".
	// Default: sm4 for 3.00, 3des before [model, CARD.md §1 9F0C].
	Algorithm  string     `json:"algorithm,omitempty"`
	Interfaces Interfaces `json:"interfaces"`
	ATR        ATR        `json:"atr"`
	// ExtendedLength lets the card accept extended-length APDUs
	// [model: default false, real cards seen are T=0 short-APDU cards].
	ExtendedLength bool `json:"extendedLength,omitempty"`
	// Timing is how long the chip takes, for the link layers [model];
	// absent: the doors' defaults.
	Timing *Timing `json:"timing,omitempty"`

	SSSE     *SSSE     `json:"ssse,omitempty"`
	PSAM     *PSAM     `json:"psam,omitempty"`
	Register *Register `json:"register,omitempty"`
	PKI      *PKI      `json:"pki,omitempty"`
	Pay      *Pay      `json:"pay,omitempty"`

	raw  []byte // the merged, canonical JSON this profile was decoded from
	memo *memoMap
}

// Interfaces says which doors the chip has.
type Interfaces struct {
	Contact     bool `json:"contact"`
	Contactless bool `json:"contactless"`
	// Type is the ISO/IEC 14443 type of the contactless door: "A" or "B"
	// [model: not public; default A].
	Type string `json:"type,omitempty"`
	// ISO14443 holds the contactless link parameters [model]; absent: the
	// defaults of emulator/contactless.
	ISO14443 *ISO14443 `json:"iso14443,omitempty"`
}

// ATR describes the answer to reset. Either Hex gives it whole, or it is
// built from Historical and the interface bytes.
type ATR struct {
	Hex        string `json:"hex,omitempty"`
	Historical string `json:"historical,omitempty"`
	// Protocols offered, default [0] (T=0, like the real cards of CARD.md §2).
	Protocols []int  `json:"protocols,omitempty"`
	TB1       string `json:"tb1,omitempty"`
	TC1       string `json:"tc1,omitempty"`
	// TA1 codes Fi and Di (ISO/IEC 7816-3 Tables 7 and 8), e.g. "96";
	// absent: Fi 372, Di 1, like the real cards of CARD.md §2.
	TA1 string `json:"ta1,omitempty"`
	// T1 holds the T=1 parameters when the protocols include T=1.
	T1 *T1 `json:"t1,omitempty"`
}

// Register is the issuing side's view of the card, carried by the persona so
// that the card register can be seeded from it (CARD.md §6).
type Register struct {
	// State is one of sealed, enabled, temporary-loss, formal-loss, cancelled.
	State   string `json:"state"`
	Arrears bool   `json:"arrears,omitempty"`
}

// RegisterStates are the back-end card states of CARD.md §6.
var RegisterStates = []string{"sealed", "enabled", "temporary-loss", "formal-loss", "cancelled"}

// Load resolves a persona name or a profile file path, follows its extends
// chain, and returns the validated profile.
func Load(nameOrPath string) (*Profile, error) {
	raw, err := resolve(nameOrPath, 0)
	if err != nil {
		return nil, err
	}
	return decode(raw, displayName(nameOrPath))
}

// Parse validates a profile given as JSON text. An "extends" field is
// resolved against the built-in personas and, for relative paths, against
// dir (which may be empty).
func Parse(data []byte, dir string) (*Profile, error) {
	raw, err := mergeChain(data, dir, 0)
	if err != nil {
		return nil, err
	}
	return decode(raw, "")
}

// JSON returns the merged, canonical JSON text of the profile (no
// "extends"); Parse of it gives the same profile. Card images embed it.
func (p *Profile) JSON() []byte { return p.raw }

func displayName(s string) string {
	if isPath(s) {
		return filepath.Base(s)
	}
	return s
}

func isPath(s string) bool {
	return strings.ContainsAny(s, "/\\") || strings.HasSuffix(s, ".json")
}

const maxDepth = 8
const maxProfileSize = 1 << 20

// resolve reads one profile source and merges its extends chain.
func resolve(nameOrPath string, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("loading profile %q: extends chain deeper than %d (a cycle?)", nameOrPath, maxDepth)
	}
	var data []byte
	var dir string
	if isPath(nameOrPath) {
		var err error
		if data, err = readProfileFile(nameOrPath); err != nil {
			return nil, err
		}
		dir = filepath.Dir(nameOrPath)
	} else {
		var err error
		if data, err = vectors.Persona(nameOrPath); err != nil {
			return nil, err
		}
	}
	raw, err := mergeChain(data, dir, depth)
	if err != nil {
		return nil, fmt.Errorf("loading profile %q: %w", nameOrPath, err)
	}
	return raw, nil
}

// readProfileFile reads a profile file of at most maxProfileSize bytes.
// The read itself is bounded: a device or pipe (/dev/zero, say) reports no
// size and never ends.
func readProfileFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading profile: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxProfileSize {
		return nil, fmt.Errorf("loading profile %s: file is %d bytes, more than %d", path, st.Size(), maxProfileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxProfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("loading profile: %w", err)
	}
	if len(data) > maxProfileSize {
		return nil, fmt.Errorf("loading profile %s: more than %d bytes", path, maxProfileSize)
	}
	return data, nil
}

// mergeChain decodes data as a JSON object and, if it extends another
// profile, merges it over that profile.
func mergeChain(data []byte, dir string, depth int) ([]byte, error) {
	if len(data) > maxProfileSize {
		return nil, fmt.Errorf("profile is %d bytes, more than %d", len(data), maxProfileSize)
	}
	obj, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	ext, _ := obj["extends"].(string)
	if _, ok := obj["extends"]; ok && ext == "" {
		return nil, errors.New("extends: must be a persona name or a file path")
	}
	delete(obj, "extends")
	if ext != "" {
		target := ext
		if isPath(ext) && !filepath.IsAbs(ext) && dir != "" {
			target = filepath.Join(dir, ext)
		}
		baseRaw, err := resolve(target, depth+1)
		if err != nil {
			return nil, fmt.Errorf("extends: %w", err)
		}
		base, err := decodeObject(baseRaw)
		if err != nil {
			return nil, fmt.Errorf("extends: %w", err)
		}
		// A derived profile is its own profile: it does not inherit the
		// base's description or source unless it says so.
		delete(base, "description")
		delete(base, "source")
		obj = merge(base, obj)
	}
	return json.Marshal(obj)
}

func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not valid JSON: trailing data after the profile object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return obj, nil
}

// merge overlays over on base: objects merge key by key, everything else
// (arrays, strings, numbers, null) replaces.
func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		bo, okb := base[k].(map[string]any)
		oo, oko := v.(map[string]any)
		if okb && oko {
			base[k] = merge(bo, oo)
			continue
		}
		base[k] = v
	}
	return base
}

func decode(raw []byte, name string) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", quoteName(name), friendlyJSONError(err))
	}
	if name == "" {
		name = p.Name
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("profile %s: %w", quoteName(name), err)
	}
	canon, err := json.Marshal(&p)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", quoteName(name), err)
	}
	p.raw = canon
	p.memo = &memoMap{}
	return &p, nil
}

func quoteName(n string) string {
	if n == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", n)
}

func friendlyJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return err
}

// FieldError names the profile field a validation error is about.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
