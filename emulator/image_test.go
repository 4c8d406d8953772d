package emulator_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/internal/cardtest"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
)

// dirNames lists the names in dir.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// saveLoad saves c into a fresh directory and loads it back; the card
// directory then holds the image only.
func saveLoad(t testing.TB, c *emulator.Card) *emulator.Card {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "card.img")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"card.img"}) {
		t.Errorf("after Save the directory holds %v", names)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("image file: %v, mode %v; want 0600", err, fi.Mode())
	}
	l, err := emulator.Load(path, emulator.WithSeed(5))
	if err != nil {
		t.Fatal(err)
	}
	if !equalCells(l.Cells(), c.Cells()) {
		t.Fatalf("the loaded card differs in cells %v", diffCells(l.Cells(), c.Cells()))
	}
	if l.Profile().Name != c.Profile().Name || !bytes.Equal(l.Profile().JSON(), c.Profile().JSON()) {
		t.Errorf("loaded profile %q, saved %q", l.Profile().Name, c.Profile().Name)
	}
	if !bytes.Equal(l.ATR(), c.ATR()) {
		t.Errorf("loaded ATR %X, saved %X", l.ATR(), c.ATR())
	}
	return l
}

func TestSaveLoadRoundTrip(t *testing.T) {
	s, c := newSession(t, "activated", 1)
	if sw, err := s.ChangePIN("123456", "2468"); err != nil || sw != iso7816.SWOK {
		t.Fatalf("change PIN: %v %v", sw, err)
	}
	if sw, err := s.Verify("0000"); err != nil || sw != 0x63C2 {
		t.Fatalf("wrong PIN: %v %v", sw, err)
	}
	if err := s.ExternalAuthenticate(terminal.KeyEF05); err != nil {
		t.Fatal(err)
	}
	cardtest.ExpectSW(t, c, "00DC07280B 0709 433837363534333231", "9000")
	cardtest.ExpectSW(t, c, "0084000008", "9000")
	cardtest.ExpectSW(t, c, "0082000A10 00000000000000000000000000000000", "63C2")
	cardtest.ExpectSW(t, c, "00A4040006D1560000050300", "9000")
	cardtest.ExpectSW(t, c, "00200000022468", "9000")
	cardtest.ExpectSW(t, c, "00E2003010 00112233445566778899AABBCCDDEEFF", "9000")
	cardtest.ExpectSW(t, c, "00E2003010 FFEEDDCCBBAA99887766554433221100", "9000")

	l := saveLoad(t, c)
	cardtest.ExpectSW(t, l, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
	cardtest.Expect(t, l, "00B2072C00", "0709 433837363534333231 9000")
	// The right PIN presented in DF04 restored the tries.
	cardtest.ExpectSW(t, l, "0020000000", "63C3")
	cardtest.ExpectSW(t, l, "0020000003123456", "63C2")
	cardtest.ExpectSW(t, l, "00200000022468", "9000")
	cardtest.ExpectSW(t, l, "0084000008", "9000")
	cardtest.ExpectSW(t, l, "0082000A10 00000000000000000000000000000000", "63C1")
	cardtest.ExpectSW(t, l, "00A4040006D1560000050300", "9000")
	cardtest.ExpectSW(t, l, "00200000022468", "9000")
	cardtest.Expect(t, l, "00B2013400", "FFEEDDCCBBAA99887766554433221100 9000")
	cardtest.Expect(t, l, "00B2023400", "00112233445566778899AABBCCDDEEFF 9000")

	// The life cycle, too.
	cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
	if sw, err := s.LifeCycle(0x04); err != nil || sw != iso7816.SWOK {
		t.Fatalf("deactivate: %v %v", sw, err)
	}
	l = saveLoad(t, c)
	fcp := cardtest.Send(t, l, "00A404040F7378312E73682EC9E7BBE1B1A3D5CF00")
	if !strings.HasSuffix(fcp, "8A01049000") {
		t.Errorf("FCP of the loaded card %s, want life cycle 8A 01 04", fcp)
	}
	cardtest.ExpectSW(t, l, "00200000022468", "6985")
}

// TestSaveLoadEveryPersona round-trips a fresh card of every persona.
func TestSaveLoadEveryPersona(t *testing.T) {
	for _, name := range append(cardPersonas(t), "psam") {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := newCard(t, name, 1)
			l := saveLoad(t, c)
			if !bytes.Equal(l.Image(), c.Image()) {
				t.Error("the loaded card's image differs from the saved one")
			}
			d, err := emulator.FromImage(c.Image())
			if err != nil {
				t.Fatal(err)
			}
			if !equalCells(d.Cells(), c.Cells()) {
				t.Error("FromImage(Image()) differs")
			}
		})
	}
}

// checkLoadFails writes img to a file, loads it and checks the error: it
// wraps nvm.ErrImage, says what is wrong, and the file is left as it was.
func checkLoadFails(t *testing.T, img []byte, want string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "card.img")
	if err := os.WriteFile(path, img, 0o640); err != nil {
		t.Fatal(err)
	}
	fi0, _ := os.Stat(path)
	c, err := emulator.Load(path)
	if err == nil {
		t.Fatalf("Load accepted the image (profile %q)", c.Profile().Name)
	}
	if !errors.Is(err, nvm.ErrImage) {
		t.Errorf("Load: %v; does not wrap nvm.ErrImage", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Load: %q does not say %q", err, want)
	}
	got, rerr := os.ReadFile(path)
	if rerr != nil || !bytes.Equal(got, img) {
		t.Errorf("the file changed after the failed load (%v)", rerr)
	}
	if fi, _ := os.Stat(path); fi.Mode() != fi0.Mode() || !fi.ModTime().Equal(fi0.ModTime()) {
		t.Errorf("the file's mode or time changed after the failed load")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"card.img"}) {
		t.Errorf("after the failed load the directory holds %v", names)
	}
	if _, err2 := emulator.FromImage(img); err2 == nil || !errors.Is(err2, nvm.ErrImage) {
		t.Errorf("FromImage: %v, want an error wrapping nvm.ErrImage", err2)
	}
}

func TestLoadDamagedImage(t *testing.T) {
	s, c := newSession(t, "activated", 1)
	if _, err := s.Verify("0000"); err != nil {
		t.Fatal(err)
	}
	img := c.Image()
	flip := func(off int) []byte {
		b := slices.Clone(img)
		b[off] ^= 0x04
		return b
	}
	tests := []struct {
		name string
		img  []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"magic only", []byte(nvm.ImageMagic), "truncated"},
		{"truncated in the header", img[:5], "bad magic"},
		{"truncated after the version", img[:10], "truncated"},
		{"truncated in the meta", img[:40], "truncated"},
		{"truncated to half", img[:len(img)/2], "checksum"},
		{"last byte missing", img[:len(img)-1], "checksum"},
		{"trailing byte", append(slices.Clone(img), 0), "checksum"},
		{"magic flipped", flip(0), "bad magic"},
		{"version flipped", flip(9), "version"},
		{"meta length flipped", flip(11), "checksum"},
		{"meta flipped", flip(30), "checksum"},
		{"cell flipped", flip(len(img) - 100), "checksum"},
		{"checksum flipped", flip(len(img) - 1), "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkLoadFails(t, tt.img, tt.want) })
	}
}

// layoutCells finds cells of the 3.00 layout by experiment.
type layoutCells struct {
	pinTries, keyTries, ssseLCS, ef05Rec1 int
}

func findLayoutCells(t *testing.T) layoutCells {
	t.Helper()
	ctr := counterCells(t)
	act, def := newCard(t, "activated", 1).Cells(), newCard(t, "default", 1).Cells()
	d := diffCells(act, def)
	if len(d) != 1 {
		t.Fatalf("activated and default differ in cells %v, want the SSSE life cycle only", d)
	}
	rec := slices.IndexFunc(act, func(b []byte) bool { return len(b) == 18 && b[0] == 0x01 && b[1] == 0x10 })
	if rec < 0 {
		t.Fatal("no cell holds EF05 record 1")
	}
	return layoutCells{pinTries: ctr[pinCounter], keyTries: ctr[terminal.KeyRKSSSE], ssseLCS: d[0], ef05Rec1: rec}
}

// TestLoadForeignImage loads well-formed images whose content does not
// fit: a profile that is no profile, or cells that are not the layout's.
func TestLoadForeignImage(t *testing.T) {
	lc := findLayoutCells(t)
	c := newCard(t, "activated", 1)
	meta, cells := c.Profile().JSON(), c.Cells()
	with := func(i int, v []byte) [][]byte {
		out := slices.Clone(cells)
		out[i] = v
		return out
	}
	psam := newCard(t, "psam", 1)
	tests := []struct {
		name  string
		meta  []byte
		cells [][]byte
		want  string
	}{
		{"profile not JSON", []byte("{"), cells, "not valid JSON"},
		{"profile not an object", []byte("[1,2]"), cells, "not a JSON object"},
		{"profile of a newer schema", bytes.Replace(meta, []byte(`"schema":1`), []byte(`"schema":2`), 1), cells, "schema"},
		{"profile with an unknown field", bytes.Replace(meta, []byte(`"schema":1`), []byte(`"schema":1,"colour":"red"`), 1), cells, `unknown field "colour"`},
		{"profile invalid", bytes.Replace(meta, []byte(`"maxTries":3`), []byte(`"maxTries":99`), 1), cells, "ssse.pin.maxTries"},
		{"PSAM profile, card cells", psam.Profile().JSON(), cells, "cells"},
		{"one cell missing", meta, cells[:len(cells)-1], "cells"},
		{"one cell too many", meta, append(slices.Clone(cells), []byte{0}), "cells"},
		{"no cells", meta, nil, "cells"},
		{"PIN try counter above the maximum", meta, with(lc.pinTries, []byte{4}), "PIN try counter"},
		{"PIN try counter of 2 bytes", meta, with(lc.pinTries, []byte{1, 1}), "2 bytes"},
		{"key try counter above the maximum", meta, with(lc.keyTries, []byte{9}), "key 0A try counter"},
		{"record too short", meta, with(lc.ef05Rec1, cells[lc.ef05Rec1][:17]), "record 1 has the wrong length"},
		{"record too long", meta, with(lc.ef05Rec1, append(slices.Clone(cells[lc.ef05Rec1]), 0)), "bytes, the layout allows"},
		{"life cycle of 2 bytes", meta, with(lc.ssseLCS, []byte{0x05, 0x05}), "2 bytes, the layout allows 1"},
		{"life cycle empty", meta, with(lc.ssseLCS, nil), "0 bytes, the layout allows 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := nvm.EncodeImage(tt.meta, tt.cells)
			checkLoadFails(t, img, tt.want)
		})
	}
	// The same image with the counters in range loads.
	if _, err := emulator.FromImage(nvm.EncodeImage(meta, with(lc.pinTries, []byte{0}))); err != nil {
		t.Errorf("a blocked PIN counter: %v", err)
	}
}

func TestSaveIntoMissingDirectory(t *testing.T) {
	dir := t.TempDir()
	c := newCard(t, "activated", 1)
	err := c.Save(filepath.Join(dir, "missing", "card.img"))
	if err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save: %v, want an error wrapping fs.ErrNotExist", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("the failed Save left %v", names)
	}
}

// TestSaveOverDirectory fails at the rename: the temporary file is gone
// and the directory in the way is untouched.
func TestSaveOverDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.img")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := newCard(t, "activated", 1).Save(path); err == nil {
		t.Fatal("Save over a directory succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"card.img"}) {
		t.Errorf("the failed Save left %v", names)
	}
	if names := dirNames(t, path); !slices.Equal(names, []string{"keep"}) {
		t.Errorf("the directory in the way now holds %v", names)
	}
}

func TestSaveReplacesImage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.img")
	c := newCard(t, "activated", 1)
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	cardtest.ExpectSW(t, c, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
	cardtest.ExpectSW(t, c, verifyBad, "63C2")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	img, _ := os.ReadFile(path)
	if bytes.Equal(img, old) || !bytes.Equal(img, c.Image()) {
		t.Error("the second Save did not replace the image with the card's")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"card.img"}) {
		t.Errorf("the directory holds %v", names)
	}
}

// TestSaveTornCard saves a card whose command was cut by a power loss,
// without powering it on: the image holds the state the card recovers to.
func TestSaveTornCard(t *testing.T) {
	const changePIN = "805E010007 123456 FF 246810"
	tests := []struct {
		capdu string
		n     int
		state string // "before", "decremented" or "after"
	}{
		{verifyBad, 1, "before"},
		{verifyBad, 2, "decremented"},
		{verifyBad, 3, "decremented"},
		{changePIN, 1, "before"},
		{changePIN, 5, "decremented"},
		{changePIN, 7, "after"}, // the commit marker of the second transaction
		{changePIN, 8, "after"}, // one of its two cells written: replayed
	}
	for _, tt := range tests {
		_, ref := newSession(t, "activated", 1)
		before := ref.Cells()
		transmit(t, ref, cardtest.Hex(tt.capdu))
		after := ref.Cells()
		_, dec := newSession(t, "activated", 1)
		transmit(t, dec, cardtest.Hex(verifyBad))
		want := map[string][][]byte{"before": before, "decremented": dec.Cells(), "after": after}[tt.state]

		_, c := newSession(t, "activated", 1)
		c.TearAfter(tt.n)
		if _, err := c.Transmit(cardtest.Hex(tt.capdu)); !errors.Is(err, emulator.ErrPowerLost) {
			t.Fatalf("%s torn after %d writes: %v", tt.capdu, tt.n, err)
		}
		path := filepath.Join(t.TempDir(), "card.img")
		if err := c.Save(path); err != nil {
			t.Fatalf("saving a torn card: %v", err)
		}
		l, err := emulator.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !equalCells(l.Cells(), want) {
			t.Errorf("%s torn after %d writes: the saved state differs from %s in cells %v", tt.capdu, tt.n, tt.state, diffCells(l.Cells(), want))
		}
		if c.Powered() {
			t.Error("Save powered the torn card on")
		}
		c.PowerOn()
		if !equalCells(c.Cells(), want) {
			t.Errorf("%s torn after %d writes: the card recovered to another state than the saved one", tt.capdu, tt.n)
		}
		saved, _ := os.ReadFile(path)
		if !bytes.Equal(saved, c.Image()) {
			t.Error("the saved image is not the recovered card's image")
		}
	}
}

// TestImageOfTornCard is Image() on a card torn and not yet powered on.
func TestImageOfTornCard(t *testing.T) {
	_, c := newSession(t, "activated", 1)
	c.TearAfter(2)
	if _, err := c.Transmit(cardtest.Hex(verifyBad)); !errors.Is(err, emulator.ErrPowerLost) {
		t.Fatal(err)
	}
	l, err := emulator.FromImage(c.Image())
	if err != nil {
		t.Fatal(err)
	}
	cardtest.ExpectSW(t, l, "00A404000F7378312E73682EC9E7BBE1B1A3D5CF00", "9000")
	cardtest.ExpectSW(t, l, "0020000000", "63C2")
}

// TestSavePoweredOff saves a card that is simply off.
func TestSavePoweredOff(t *testing.T) {
	c := newCard(t, "default", 1)
	c.PowerOff()
	l := saveLoad(t, c)
	if !l.Powered() {
		t.Error("a loaded card is not powered")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := emulator.Load(filepath.Join(t.TempDir(), "none.img"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// Cards loaded from images share the template of their profile: with the
// card the image was made from, and with each other.
func TestImagesShareTheTemplate(t *testing.T) {
	c := newCard(t, "activated", 1)
	transmit(t, c, cardtest.Hex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF"))
	transmit(t, c, cardtest.Hex("002000000365432F")) // a try spent: the image differs from a fresh card
	img := c.Image()
	a, err := emulator.FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := emulator.FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if !emulator.SameTemplate(a, b) || !emulator.SameTemplate(a, c) {
		t.Error("cards loaded from images of one profile build their own templates")
	}
	// A card of another profile does not share it.
	if emulator.SameTemplate(a, newCard(t, "gen2", 1)) {
		t.Error("cards of two profiles share a template")
	}
	// The loaded card goes on from the image: one try spent.
	a.Transmit(cardtest.Hex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF"))
	if r, _ := a.Transmit(cardtest.Hex("0020000000")); len(r) != 2 || r[0] != 0x63 || r[1] != 0xC2 {
		t.Errorf("tries left after loading: %X", r)
	}
}
