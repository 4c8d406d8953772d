// Package vectors holds the embedded data sscard is built from and tested
// against: card profiles and personas, crypto test vectors and real traces.
// Every file names where it came from in its own "source" or "description"
// field.
package vectors

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed personas/*.json
var personas embed.FS

// Persona returns the JSON text of the built-in persona called name
// (e.g. "default", "gen2", "psam").
func Persona(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("reading persona %q: not a persona name", name)
	}
	b, err := personas.ReadFile("personas/" + name + ".json")
	if err != nil {
		var cards []string
		for _, n := range Personas() {
			if !strings.HasPrefix(n, "base-") {
				cards = append(cards, n)
			}
		}
		return nil, fmt.Errorf("reading persona %q: no such persona (try: %s)", name, strings.Join(cards, ", "))
	}
	return b, nil
}

// Personas lists the built-in persona names in sorted order. Names starting
// with "base-" are building blocks that other personas extend.
func Personas() []string {
	entries, _ := fs.ReadDir(personas, "personas")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}
