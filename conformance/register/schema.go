package register

// SchemaVersion is the newest schema this program reads and writes; the
// register file keeps its version in the SQLite header (PRAGMA user_version).
const SchemaVersion = 2

// applicationID marks an SQLite file as a card register (PRAGMA
// application_id, the ASCII text "SSCR").
const applicationID = 0x53534352

// migrations[v] takes a register from schema v-1 to schema v. Each runs in
// the transaction that also sets the new version, so a register is always
// at one version or the next, never between.
var migrations = [SchemaVersion + 1]string{
	1: `
CREATE TABLE persons (
	ssn     TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	arrears INTEGER NOT NULL DEFAULT 0 CHECK (arrears >= 0)
) WITHOUT ROWID;

CREATE TABLE cards (
	id          TEXT PRIMARY KEY CHECK (length(id) = 32),
	number      TEXT NOT NULL,
	ssn         TEXT NOT NULL REFERENCES persons (ssn),
	generation  TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('sealed', 'enabled', 'temporary-loss', 'formal-loss', 'cancelled')),
	prior_state TEXT,
	issued      TEXT NOT NULL,
	expiry      TEXT NOT NULL,
	chip        TEXT NOT NULL CHECK (chip IN ('deactivated', 'activated', 'blocked', 'terminated')),
	pin_default INTEGER NOT NULL,
	replaces    TEXT REFERENCES cards (id),
	version     INTEGER NOT NULL,
	updated     INTEGER NOT NULL
);
-- One enabled card per person: a new card cancels the old one when it is
-- activated (CARD.md §6).
CREATE UNIQUE INDEX cards_one_enabled ON cards (ssn) WHERE state = 'enabled';
CREATE INDEX cards_ssn ON cards (ssn);
CREATE INDEX cards_number ON cards (number);
CREATE INDEX cards_replaces ON cards (replaces);

CREATE TABLE terminals (
	id      TEXT PRIMARY KEY,
	route   TEXT NOT NULL,
	key     BLOB NOT NULL,
	created INTEGER NOT NULL,
	revoked INTEGER
) WITHOUT ROWID;

-- Nonces of authenticated requests inside the time window: a request
-- seen once is refused the second time.
CREATE TABLE nonces (
	terminal TEXT NOT NULL,
	nonce    TEXT NOT NULL,
	ts       INTEGER NOT NULL,
	PRIMARY KEY (terminal, nonce)
) WITHOUT ROWID;

CREATE TABLE journal (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	ts         INTEGER NOT NULL,
	terminal   TEXT NOT NULL,
	route      TEXT NOT NULL,
	event      TEXT NOT NULL,
	card       TEXT,
	ssn        TEXT,
	outcome    TEXT NOT NULL,
	code       TEXT,
	from_state TEXT,
	to_state   TEXT,
	detail     TEXT
);
`,
	// 2: the journal read by card and the nonces pruned by time without a
	// full scan.
	2: `
CREATE INDEX journal_card ON journal (card, seq);
CREATE INDEX nonces_ts ON nonces (ts);
`,
}
