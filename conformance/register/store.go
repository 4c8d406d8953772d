package register

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver "sqlite"
)

// Errors of opening a register file. The file is left untouched in each case.
var (
	// ErrDamaged: the file is not a readable SQLite database, or the
	// database fails its integrity check.
	ErrDamaged = errors.New("the register file is damaged")
	// ErrForeign: the file is an SQLite database of another program.
	ErrForeign = errors.New("the file is not a card register")
	// ErrNewerSchema: the file was written by a newer sscard.
	ErrNewerSchema = errors.New("the register was written by a newer sscard")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("the register is closed")
)

// Options configure a store.
type Options struct {
	// Now is the register's clock (journal times, expiry, request times);
	// default time.Now.
	Now func() time.Time
	// Sync is SQLite's synchronous setting: "full" (default: every commit
	// is on disk before it is answered) or "normal" (a commit survives a
	// crash of the process, and may be lost with the machine's power).
	Sync string
	// MaxBatch bounds the operations committed together (default 256).
	MaxBatch int
}

// Store is an open register.
type Store struct {
	path string
	now  func() time.Time
	w    *sql.DB // the writer: one connection, used by the writer goroutine only
	r    *sql.DB // readers

	mu      sync.RWMutex
	closed  bool
	ops     chan *op
	done    chan struct{}
	batches uint64
	// keys caches terminal keys for the API (see terminalKey).
	keys sync.Map
}

// DefaultPath returns the register's default file: register.db in the
// sscard directory of the user's state directory ($XDG_STATE_HOME or
// ~/.local/state on Unix, the local application data directory on Windows,
// ~/Library/Application Support on macOS).
func DefaultPath() (string, error) {
	dir, err := stateDir()
	if err != nil {
		return "", fmt.Errorf("finding the register's default file: %w", err)
	}
	return filepath.Join(dir, "sscard", "register.db"), nil
}

func stateDir() (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios":
		return os.UserConfigDir()
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state"), nil
}

// Open opens the register at path, creating it (and its directory) if it
// does not exist and migrating it to SchemaVersion. A damaged file
// (ErrDamaged), another program's database (ErrForeign) or a register of a
// newer schema (ErrNewerSchema) is refused and left as it was.
func Open(path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening the register: no file name")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	syncMode := "FULL"
	switch strings.ToLower(opt.Sync) {
	case "", "full":
	case "normal":
		syncMode = "NORMAL"
	default:
		return nil, fmt.Errorf("opening the register: sync %q: want full or normal", opt.Sync)
	}
	exists, err := checkFile(abs)
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	if !exists {
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return nil, fmt.Errorf("opening the register %s: %w", path, err)
		}
	}
	w, err := sql.Open("sqlite", dsn(abs, false, syncMode))
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(abs, true, syncMode))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	r.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	s := &Store{
		path: abs, now: opt.Now, w: w, r: r,
		ops:  make(chan *op, opt.MaxBatch),
		done: make(chan struct{}),
	}
	go s.writer(opt.MaxBatch)
	return s, nil
}

// OpenReadOnly opens an existing register for reading only (Card, Cards,
// Journal, Counts, Terminals); every change answers ErrClosed. The file is
// checked as Open checks it, and never written: not even migrated, so a
// register of an older schema is read as it is.
func OpenReadOnly(path string, now func() time.Time) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	exists, err := checkFile(abs)
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	if !exists {
		return nil, fmt.Errorf("opening the register %s: no such register", path)
	}
	if now == nil {
		now = time.Now
	}
	ro := "?mode=ro&_pragma=busy_timeout(10000)"
	if _, err := os.Stat(abs + "-wal"); errors.Is(err, os.ErrNotExist) {
		ro += "&immutable=1"
	}
	r, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()+ro)
	if err != nil {
		return nil, fmt.Errorf("opening the register %s: %w", path, err)
	}
	s := &Store{path: abs, now: now, r: r, closed: true, done: make(chan struct{})}
	close(s.done)
	return s, nil
}

// dsn is the driver's name of the file: a URI, so that a path holding '?'
// or '#' is still one path.
func dsn(abs string, reader bool, syncMode string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	q := []string{"_pragma=busy_timeout(10000)", "_pragma=foreign_keys(1)", "_pragma=temp_store(MEMORY)"}
	if reader {
		q = append(q, "_pragma=query_only(1)")
	} else {
		q = append(q, "_pragma=journal_mode(WAL)", "_pragma=synchronous("+syncMode+")", "_txlock=immediate")
	}
	return u.String() + "?" + strings.Join(q, "&")
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkFile looks at an existing register file without changing it: the
// SQLite header, then (read-only) its application id, schema version and
// integrity. It reports whether the file exists with content.
func checkFile(abs string) (bool, error) {
	f, err := os.Open(abs)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return false, err
	}
	if st.IsDir() {
		f.Close()
		return false, errors.New("is a directory")
	}
	if st.Size() == 0 {
		f.Close()
		return false, nil // an empty file is a new database to SQLite too
	}
	hdr := make([]byte, 100)
	_, err = io.ReadFull(f, hdr)
	f.Close()
	if err != nil || !bytes.HasPrefix(hdr, []byte(sqliteMagic)) {
		return true, fmt.Errorf("%w: it is not an SQLite database (no SQLite header)", ErrDamaged)
	}
	// The header's copies (offsets 60 and 68); the WAL may hold newer ones,
	// which the read-only check below sees.
	if err := checkVersions(int64(binary.BigEndian.Uint32(hdr[68:])), int64(binary.BigEndian.Uint32(hdr[60:])), true, false); err != nil {
		return true, err
	}
	// Read-only; and when no write-ahead log is there (no other process
	// has the register open, and none crashed with changes in its log),
	// immutable, so that SQLite makes no -wal or -shm file beside it.
	ro := "?mode=ro&_pragma=busy_timeout(10000)"
	if _, err := os.Stat(abs + "-wal"); errors.Is(err, os.ErrNotExist) {
		ro += "&immutable=1"
	}
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()+ro)
	if err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer db.Close()
	var appID, version int64
	if err := db.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	var tables int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if err := checkVersions(appID, version, tables > 0, true); err != nil {
		return true, err
	}
	rows, err := db.Query("PRAGMA quick_check")
	if err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return true, fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if msg != "ok" && len(problems) < 3 {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return true, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(problems) > 0 {
		return true, fmt.Errorf("%w: integrity check: %s", ErrDamaged, strings.Join(problems, "; "))
	}
	return true, nil
}

// checkVersions refuses another program's database and a newer schema.
// used says the database holds anything at all; final is false for the
// copies in the file header, which may lag behind the write-ahead log.
func checkVersions(appID, version int64, used, final bool) error {
	switch {
	case appID == applicationID:
	case appID == 0 && version == 0 && !used:
		// An empty SQLite database: it becomes a register.
	case appID == 0 && version == 0 && !final:
		return nil // the read-only check decides
	default:
		return fmt.Errorf("%w (SQLite application id %08X)", ErrForeign, appID)
	}
	if version > SchemaVersion {
		return fmt.Errorf("%w: schema %d, and this sscard reads up to %d; use the newer sscard", ErrNewerSchema, version, SchemaVersion)
	}
	return nil
}

// migrate brings the database to SchemaVersion in one transaction.
func migrate(db *sql.DB) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer tx.Rollback()
	var appID, version int64
	var tables int
	if err := tx.QueryRow("PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if err := tx.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if err := tx.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if appID != applicationID && (appID != 0 || version != 0 || tables > 0) {
		return fmt.Errorf("%w (SQLite application id %08X)", ErrForeign, appID)
	}
	if version > SchemaVersion {
		return fmt.Errorf("%w: schema %d, and this sscard reads up to %d", ErrNewerSchema, version, SchemaVersion)
	}
	if version == SchemaVersion {
		return nil
	}
	for v := version + 1; v <= SchemaVersion; v++ {
		if _, err := tx.Exec(migrations[v]); err != nil {
			return fmt.Errorf("migrating the register to schema %d: %w", v, err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("migrating the register: %w", err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		return fmt.Errorf("migrating the register: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating the register: %w", err)
	}
	return nil
}

// Path returns the register's file.
func (s *Store) Path() string { return s.path }

// Now returns the register's clock.
func (s *Store) Now() time.Time { return s.now() }

// Size returns the bytes the register takes on disk: the database file and
// its write-ahead log.
func (s *Store) Size() int64 {
	var n int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// Checkpoint copies the write-ahead log into the database file and
// truncates it, so that the file alone holds the whole register.
func (s *Store) Checkpoint(ctx context.Context) error {
	return s.exclusive(ctx, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		return err
	})
}

// Close finishes the operations under way and closes the register.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.w == nil { // read-only
		s.mu.Unlock()
		return s.r.Close()
	}
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.done
	err := s.r.Close()
	if e := s.w.Close(); err == nil {
		err = e
	}
	return err
}
