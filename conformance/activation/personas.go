package activation

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/sscard/sscard/emulator/profile"
)

// scenarioPersonas are the cards of the scenarios: built-in personas, and
// a derived one for a sealed card past its expiry date.
var scenarioPersonas = map[string]string{
	"sealed":         "default",
	"enabled":        "activated",
	"pin-blocked":    "pin-blocked",
	"expired":        "expired",
	"lost":           "lost",
	"cancelled":      "cancelled",
	"gen2":           "gen2",
	"temporary-loss": "temporary-loss",
	"arrears":        "arrears",
	"blocked":        "blocked",
	"sealed-expired": `{"extends":"expired","name":"sealed-expired","description":"Sealed 3.00 card past its expiry date.","ssse":{"lifeCycle":"deactivated"},"register":{"state":"sealed"}}`,
}

// ScenarioPersonas lists the persona names scenarios use.
func ScenarioPersonas() []string {
	out := make([]string, 0, len(scenarioPersonas))
	for k := range scenarioPersonas {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PersonaProfile returns the profile of a scenario persona (or of any
// persona name or profile file). A non-empty serial and number give the
// card another identity (card identifier's unique part, 16 hex digits;
// card number, 9 characters), so that two cards of one holder can be in
// the register at once; ssn and name, if not empty, give it another
// holder.
func PersonaProfile(persona, serial, number, ssn, name string) (*profile.Profile, error) {
	src, ok := scenarioPersonas[persona]
	if !ok {
		src = persona
	}
	if serial == "" && number == "" && ssn == "" && name == "" && !strings.HasPrefix(src, "{") {
		return profile.Load(src)
	}
	var obj map[string]any
	if strings.HasPrefix(src, "{") {
		if err := json.Unmarshal([]byte(src), &obj); err != nil {
			return nil, fmt.Errorf("persona %s: %w", persona, err)
		}
	} else {
		obj = map[string]any{"extends": src, "name": src}
	}
	id := map[string]any{}
	for k, v := range map[string]string{"cardSerial": serial, "cardNumber": number, "ssn": ssn, "name": name} {
		if v != "" {
			id[k] = v
		}
	}
	if len(id) > 0 {
		ssse, _ := obj["ssse"].(map[string]any)
		if ssse == nil {
			ssse = map[string]any{}
		}
		if old, ok := ssse["identity"].(map[string]any); ok {
			for k, v := range old {
				if _, set := id[k]; !set {
					id[k] = v
				}
			}
		}
		ssse["identity"] = id
		obj["ssse"] = ssse
		obj["name"] = fmt.Sprintf("%v-%s", obj["name"], strings.ToLower(serial+number))
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	p, err := profile.Parse(b, "")
	if err != nil {
		return nil, fmt.Errorf("persona %s: %w", persona, err)
	}
	return p, nil
}
