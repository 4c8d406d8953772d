package nvm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveLoadImage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.img")
	if err := os.WriteFile(path, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := New(initial(4))
	m.Set(2, b("personalised"))
	meta := b(`{"profile":"p1"}`)
	if err := SaveImage(path, meta, m); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "card.img" {
		t.Errorf("directory holds %q after save, want only card.img", names)
	}
	gotMeta, cells, err := LoadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotMeta, meta) || !equalCells(cells, m.Cells()) {
		t.Errorf("loaded %q %q, want %q %q", gotMeta, cells, meta, m.Cells())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("saved with mode %v, want 0600", perm)
	}

	// Saving again replaces the file.
	m.Set(0, b("second save"))
	if err := SaveImage(path, meta, m); err != nil {
		t.Fatal(err)
	}
	_, cells, err = LoadImage(path)
	if err != nil || string(cells[0]) != "second save" {
		t.Errorf("after second save: cells[0] = %q, err %v", cells[0], err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q after second save", names)
	}
}

func TestSaveImageRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *Memory)
		dir   string // relative to a temp dir
		want  string
	}{
		{"open transaction", func(m *Memory) { m.Begin() }, "", "transaction is open"},
		{"not powered", func(m *Memory) { m.TearAfter(1); m.Set(0, b("x")) }, "", "not powered"},
		{"missing directory", func(*Memory) {}, "no/such/dir", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			m := New(initial(1))
			tt.setup(m)
			path := filepath.Join(root, tt.dir, "card.img")
			err := SaveImage(path, nil, m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SaveImage() = %v, want an error saying %q", err, tt.want)
			}
			if names := dirNames(t, root); len(names) != 0 {
				t.Errorf("failed save left %q behind", names)
			}
		})
	}
}

func TestWriteFileAtomicFailureCleansUp(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory: the rename fails.
	target := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(target, []byte("data"), 0o600); err == nil {
		t.Fatal("WriteFileAtomic over a non-empty directory succeeded")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "target" {
		t.Errorf("directory holds %q after a failed write, want only target", names)
	}
	if names := dirNames(t, target); len(names) != 1 || names[0] != "child" {
		t.Errorf("target directory changed: %q", names)
	}
}

func TestLoadImageDamaged(t *testing.T) {
	_, _, good := sampleImage()
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	tests := []struct {
		name string
		data []byte
	}{
		{"flipped byte", flipped},
		{"truncated", good[:len(good)-5]},
		{"empty", nil},
		{"text file", b("hello, world\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "card.img")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadImage(path)
			if !errors.Is(err, ErrImage) {
				t.Fatalf("LoadImage() = %v, want ErrImage", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			after, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(after, tt.data) {
				t.Errorf("file changed by LoadImage (err %v)", rerr)
			}
		})
	}
}

func TestLoadImageTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space used, and LoadImage must not read it.
	if err := f.Truncate(MaxImageSize + 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadImage(path)
	if !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadImage() = %v, want ErrImage saying the file is too large", err)
	}
}

func TestLoadImageMissing(t *testing.T) {
	_, _, err := LoadImage(filepath.Join(t.TempDir(), "absent.img"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadImage() = %v, want ErrNotExist", err)
	}
	if errors.Is(err, ErrImage) {
		t.Error("a missing file is reported as a bad image")
	}
}
