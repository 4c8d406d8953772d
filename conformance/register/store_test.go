package register

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fileState is what "untouched" compares: the bytes and the modification
// time.
type fileState struct {
	data []byte
	mod  time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{data: b, mod: st.ModTime()}
}

func (f fileState) equal(g fileState) bool { return bytes.Equal(f.data, g.data) && f.mod.Equal(g.mod) }

// makeRegister writes a register with one card and closes it.
func makeRegister(t *testing.T, path string) Enrollment {
	t.Helper()
	st, err := Open(path, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	e := enrollPersona(t, st, "default")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return e
}

// rawExec runs statements on a database file with no register logic.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestOpenCreatesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "register.db")
	e := makeRegister(t, path)
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Card(context.Background(), e.ID)
	if err != nil || c == nil || c.SSN != e.SSN {
		t.Fatalf("card after reopening: %+v %v", c, err)
	}
}

// The sqlite3 program, independent of the Go driver, reads the register
// and finds it sound, marked and at the current schema.
func TestRegisterFileReadsWithSQLite3(t *testing.T) {
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 is not installed")
	}
	path := filepath.Join(t.TempDir(), "register.db")
	e := makeRegister(t, path)
	out, err := exec.Command(sqlite3, path, "PRAGMA integrity_check; PRAGMA user_version; PRAGMA application_id; SELECT id, state, chip FROM cards; SELECT event FROM journal;").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	want := fmt.Sprintf("ok\n%d\n%d\n%s|sealed|deactivated\nenroll\n", SchemaVersion, applicationID, e.ID)
	if string(out) != want {
		t.Fatalf("sqlite3 says\n%s\nwant\n%s", out, want)
	}
}

func TestMigrationFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	// A register as schema 1 wrote it.
	rawExec(t, path, migrations[1],
		`INSERT INTO persons VALUES ('11010519491231002X', '张三', 0)`,
		`INSERT INTO cards (id, number, ssn, generation, state, issued, expiry, chip, pin_default, version, updated)
			VALUES ('110100D15600000501160185D3A5C7E9', 'B12345678', '11010519491231002X', '3.00', 'enabled', '20240315', '20340315', 'activated', 1, 1, 0)`,
		fmt.Sprintf("PRAGMA application_id = %d", applicationID), "PRAGMA user_version = 1")
	st, err := Open(path, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var v int
	if err := st.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("version %d %v, want %d", v, err, SchemaVersion)
	}
	var idx int
	if err := st.r.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('journal_card', 'nonces_ts')").Scan(&idx); err != nil || idx != 2 {
		t.Fatalf("schema 2 indexes: %d %v", idx, err)
	}
	c, err := st.Card(context.Background(), "110100D15600000501160185D3A5C7E9")
	if err != nil || c == nil || c.State != Enabled {
		t.Fatalf("card kept through the migration: %+v %v", c, err)
	}
}

func TestOpenRefusesAndLeavesTheFile(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    error
		say     string
	}{
		{"newer schema", func(t *testing.T, path string) {
			makeRegister(t, path)
			rawExec(t, path, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
		}, ErrNewerSchema, "newer sscard"},
		{"another program's database", func(t *testing.T, path string) {
			rawExec(t, path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, data BLOB)", "INSERT INTO photos (data) VALUES (x'00')")
		}, ErrForeign, "not a card register"},
		{"another program's marked database", func(t *testing.T, path string) {
			rawExec(t, path, "CREATE TABLE t (x)", "PRAGMA application_id = 1234")
		}, ErrForeign, "not a card register"},
		{"not a database", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("this is not a database "), 200), 0o644)
		}, ErrDamaged, "damaged"},
		{"damaged header", func(t *testing.T, path string) {
			makeRegister(t, path)
			b, _ := os.ReadFile(path)
			copy(b, "SQLite format 4")
			os.WriteFile(path, b, 0o644)
		}, ErrDamaged, "damaged"},
		{"truncated", func(t *testing.T, path string) {
			makeRegister(t, path)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)/2+100], 0o644)
		}, ErrDamaged, "damaged"},
		{"damaged pages", func(t *testing.T, path string) {
			makeRegister(t, path)
			b, _ := os.ReadFile(path)
			for i := 4096; i < len(b); i += 7 {
				b[i] ^= 0x5A
			}
			os.WriteFile(path, b, 0o644)
		}, ErrDamaged, "damaged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "register.db")
			tc.prepare(t, path)
			before := stateOf(t, path)
			time.Sleep(10 * time.Millisecond) // a write would show in the time
			st, err := Open(path, Options{})
			if err == nil {
				st.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.say) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q: want %v naming the file", err, tc.want)
			}
			if !stateOf(t, path).equal(before) {
				t.Fatal("the file changed")
			}
			if _, err := os.Stat(path + "-wal"); err == nil {
				t.Error("a write-ahead log was left beside the file")
			}
		})
	}
}

func TestOpenEmptyFileMakesARegister(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func TestOpenDirectory(t *testing.T) {
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Fatal("opened a directory")
	}
}

func TestClosedStore(t *testing.T) {
	st, _ := newStore(t)
	st.Close()
	if _, err := st.Enroll(context.Background(), Enrollment{}); err == nil {
		t.Fatal("enrolled into a closed register")
	}
	if _, err := st.Lookup(context.Background(), IssuerActor, strings.Repeat("0", 32)); !errors.Is(err, ErrClosed) {
		t.Fatalf("lookup on a closed register: %v", err)
	}
}

func TestCheckpointLeavesOneFile(t *testing.T) {
	st, _ := newStore(t)
	enrollPersona(t, st, "default")
	if err := st.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.Size() == 0 {
		t.Fatal("size 0")
	}
	if fi, err := os.Stat(st.Path() + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("write-ahead log of %d bytes after a checkpoint", fi.Size())
	}
}

// crashImage copies a register that is open, with its write-ahead log, as a
// crash of the process would leave it.
func crashImage(t *testing.T, st *Store) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(st.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// A crash keeps every committed operation: the log is replayed on opening.
func TestCrashKeepsCommittedOperations(t *testing.T) {
	a := newAPI(t)
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "bank-01", Bank)
	if _, err := c.Activate(context.Background(), e.ID, ActivateRequest{SSN: e.SSN}); err != nil {
		t.Fatal(err)
	}
	path := crashImage(t, a.st)
	st, err := Open(path, Options{Now: a.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	card, err := st.Card(context.Background(), e.ID)
	if err != nil || card.State != Enabled {
		t.Fatalf("after the crash: %+v %v", card, err)
	}
}

// A newer schema recorded only in the log (the header still says the old
// one) is refused too.
func TestNewerSchemaInTheLogIsRefused(t *testing.T) {
	st, _ := newStore(t)
	enrollPersona(t, st, "default")
	if err := st.exclusive(context.Background(), func(db *sql.DB) error {
		_, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	path := crashImage(t, st)
	before := stateOf(t, path)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("opened a register of a newer schema: %v", err)
	}
	if !stateOf(t, path).equal(before) {
		t.Fatal("the file changed")
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "register.db")
	e := makeRegister(t, path)
	before := stateOf(t, path)
	st, err := OpenReadOnly(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Card(context.Background(), e.ID)
	if err != nil || c == nil {
		t.Fatalf("card: %v %v", c, err)
	}
	js, err := st.Journal(context.Background(), JournalQuery{})
	if err != nil || len(js) != 1 {
		t.Fatalf("journal: %v %v", js, err)
	}
	if _, err := st.Enroll(context.Background(), e); !errors.Is(err, ErrClosed) {
		t.Errorf("a read-only register enrolled: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !stateOf(t, path).equal(before) {
		t.Error("reading changed the file")
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "none.db"), nil); err == nil {
		t.Error("opened a register that does not exist")
	}
}
