package nvm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFileAtomic replaces the file at path with data: it writes a temporary
// file in the same directory, syncs and closes it, gives it mode perm,
// renames it over path and syncs the directory. On any error before the
// rename the temporary file is removed and the original is untouched.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = f.Close() // may already be closed; the write error matters
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: syncing: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	renamed = true
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("writing %s: syncing directory: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory and
// makes renames durable without it.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// SaveImage writes the committed cells of m and meta to path as a card image,
// atomically (see [WriteFileAtomic]) with mode 0600. It refuses a memory with
// an open transaction or without power (power it up first) and an image
// beyond the format's limits.
func SaveImage(path string, meta []byte, m *Memory) error {
	switch {
	case m.InTx():
		return fmt.Errorf("saving card image: %w", errTxOpen)
	case !m.Powered():
		return fmt.Errorf("saving card image: %w", errNoPower)
	case m.Len() > MaxCells:
		return fmt.Errorf("saving card image: %d cells exceed the limit %d", m.Len(), MaxCells)
	}
	b := EncodeImage(meta, m.cells)
	if len(b) > MaxImageSize {
		return fmt.Errorf("saving card image: %d bytes exceed the %d-byte limit", len(b), MaxImageSize)
	}
	if err := WriteFileAtomic(path, b, 0o600); err != nil {
		return fmt.Errorf("saving card image: %w", err)
	}
	return nil
}

var (
	errTxOpen  = errors.New("a transaction is open")
	errNoPower = errors.New("memory is not powered")
)

// LoadImage reads and decodes the card image at path; it never modifies the
// file. A file larger than [MaxImageSize] is refused without being read.
// Decoding errors wrap [ErrImage].
func LoadImage(path string) (meta []byte, cells [][]byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("loading card image: %w", err) // the error names the path
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxImageSize {
		return nil, nil, fmt.Errorf("loading card image %s: %w", path,
			imageErr("file is %d bytes, larger than the %d-byte limit", fi.Size(), MaxImageSize))
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxImageSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("loading card image %s: %w", path, err)
	}
	meta, cells, err = decodeImage(b, false)
	if err != nil {
		return nil, nil, fmt.Errorf("loading card image %s: %w", path, err)
	}
	return meta, cells, nil
}
