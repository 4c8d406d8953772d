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

//go:embed pki/*.pem pki/manifest.json
var pki embed.FS

// PKI returns a file of the test PKI (vectors/pki: certificates NAME.crt.pem,
// private keys NAME.key.pem, manifest.json with where each came from).
func PKI(file string) ([]byte, error) {
	if file == "" || strings.ContainsAny(file, "/\\") || strings.Contains(file, "..") {
		return nil, fmt.Errorf("reading test PKI file %q: not a file name", file)
	}
	b, err := pki.ReadFile("pki/" + file)
	if err != nil {
		return nil, fmt.Errorf("reading test PKI file %q: no such file in vectors/pki", file)
	}
	return b, nil
}

// PKIFiles lists the files of the test PKI in sorted order.
func PKIFiles() []string {
	entries, _ := fs.ReadDir(pki, "pki")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

//go:embed pay/*.pem pay/*.json
var pay embed.FS

// Pay returns a file of the financial application's test keys and vectors
// (vectors/pay: RSA and SM2 private keys NAME.key.pem, the CA public keys
// capk.json, public EMV test vectors emv-vectors.json, manifest.json with
// where each came from).
func Pay(file string) ([]byte, error) {
	if file == "" || strings.ContainsAny(file, "/\\") || strings.Contains(file, "..") {
		return nil, fmt.Errorf("reading payment test file %q: not a file name", file)
	}
	b, err := pay.ReadFile("pay/" + file)
	if err != nil {
		return nil, fmt.Errorf("reading payment test file %q: no such file in vectors/pay", file)
	}
	return b, nil
}

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
