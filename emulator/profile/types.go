package profile

// SSSE is the social security application (CARD.md §1–§3).
type SSSE struct {
	// AID defaults to 7378312E73682EC9E7BBE1B1A3D5CF ("sx1.sh." + GBK 社会保障) [known].
	AID string `json:"aid,omitempty"`
	// FID of the SSSE ADF under the MF [model: not public; default DDF1].
	FID string `json:"fid,omitempty"`
	// LifeCycle of the SSSE ADF: "activated" (FCP 8A=05), "deactivated"
	// (8A=04, a sealed card) or "terminated" (8A=0C) [model, CARD.md §6].
	LifeCycle string `json:"lifeCycle,omitempty"`
	// Blocked says the application was blocked by APPLICATION BLOCK.
	Blocked bool `json:"blocked,omitempty"`
	// CardBlocked says the whole card was blocked by CARD BLOCK.
	CardBlocked bool `json:"cardBlocked,omitempty"`
	// FCIAlgorithm adds 9F0C 03 86 01 <alg> to the FCI. Default true for
	// 3.00, false before (the real 1.00 card has none) [known: some cards].
	FCIAlgorithm *bool    `json:"fciAlgorithm,omitempty"`
	Identity     Identity `json:"identity"`
	PIN          PIN      `json:"pin"`
	Keys         []Key    `json:"keys,omitempty"`
	// Diversification lists the factors the card keys are derived from the
	// issuer keys with, one level each: "card" (the 8-byte unique part of
	// the card identifier) or 16 hex digits. Default ["card"] [model].
	Diversification []string `json:"diversification,omitempty"`
	// Access overrides the access rules of the SSSE files, by file name
	// (EF05, EF06, EF07, EF08, EF0D) and "admin" (life cycle commands).
	// Rules: free, never, pin, key:XX, pin|key:XX, pin+key:XX.
	Access map[string]Access `json:"access,omitempty"`
	// FingerprintSize and PhotoSize are the sizes of EF07 and EF08
	// [model: defaults 1024 and 4096 bytes].
	FingerprintSize int `json:"fingerprintSize,omitempty"`
	PhotoSize       int `json:"photoSize,omitempty"`
	// SubApps are DF01..DF04 (public, employment, social insurance 1 and 2).
	// Their record layouts are not public: they are profile data [model].
	SubApps []SubApp `json:"subApps,omitempty"`
}

// Access is the read and update rule of one file.
type Access struct {
	Read   string `json:"read,omitempty"`
	Update string `json:"update,omitempty"`
}

// Identity holds the data items of EF05, EF06 and EF0D (CARD.md §2).
type Identity struct {
	Region     string `json:"region"`     // 6 digits, BCD in the card identifier
	CardSerial string `json:"cardSerial"` // 16 hex digits: the identifier's unique part
	CardType   string `json:"cardType"`   // ASCII, 1 byte [len: model]
	InitOrg    string `json:"initOrg"`    // 24 hex digits (12 bytes binary)
	IssueDate  string `json:"issueDate"`  // YYYYMMDD
	ExpiryDate string `json:"expiryDate"` // YYYYMMDD
	CardNumber string `json:"cardNumber"` // 9 ASCII characters
	SSN        string `json:"ssn"`        // 18 ASCII characters
	Name       string `json:"name"`       // stored GBK, 30 bytes
	// NamePad is the pad byte after the name: "00" by rule, "20" on one real card.
	NamePad    string `json:"namePad,omitempty"`
	NameExt    string `json:"nameExt,omitempty"`    // GBK, 20 bytes FF-padded (2.00/3.00)
	Sex        string `json:"sex"`                  // "1" male, "2" female
	Ethnic     int    `json:"ethnic"`               // binary code
	Birthplace string `json:"birthplace"`           // up to 6 digits, BCD F-padded
	BirthDate  string `json:"birthDate"`            // YYYYMMDD
	PersonID   string `json:"personId,omitempty"`   // 3.00 EF0D: 12 ASCII characters
	FirstPlace string `json:"firstPlace,omitempty"` // 3.00 EF0D: 6 digits BCD
}

// PIN is the SSSE PIN (CARD.md §3).
type PIN struct {
	Value string `json:"value"`
	// MaxTries before blocking [model: 3 or 6 by region, default 3].
	MaxTries int `json:"maxTries,omitempty"`
	// TriesLeft at personalisation; default MaxTries. 0 is a blocked PIN.
	TriesLeft *int `json:"triesLeft,omitempty"`
	// MinLength and MaxLength in digits [model: 2 and 6].
	MinLength int `json:"minLength,omitempty"`
	MaxLength int `json:"maxLength,omitempty"`
}

// Key is one symmetric key of an application.
type Key struct {
	ID   string `json:"id"` // key identifier, 2 hex digits (P2 of EXTERNAL AUTHENTICATE)
	Name string `json:"name,omitempty"`
	// Usage: any of extauth, intauth, maint, reload, unblock.
	Usage []string `json:"usage"`
	// Master is the issuer key; the card holds Master diversified by the
	// card's factors. Value, if given instead, is the card key itself.
	Master string `json:"master,omitempty"`
	Value  string `json:"value,omitempty"`
	// Tries before the key is blocked for EXTERNAL AUTHENTICATE [model: 3].
	Tries int `json:"tries,omitempty"`
}

// SubApp is one DF under SSSE.
type SubApp struct {
	Name  string `json:"name"`
	AID   string `json:"aid"`
	FID   string `json:"fid"`
	Files []File `json:"files,omitempty"`
}

// File is an elementary file given as data.
type File struct {
	Name string `json:"name,omitempty"`
	FID  string `json:"fid"`
	SFI  int    `json:"sfi,omitempty"`
	// Type: transparent, linear-fixed, linear-variable or cyclic.
	Type       string   `json:"type"`
	RecordSize int      `json:"recordSize,omitempty"`
	MaxRecords int      `json:"maxRecords,omitempty"`
	Records    []string `json:"records,omitempty"` // hex
	Size       int      `json:"size,omitempty"`
	Content    string   `json:"content,omitempty"` // hex
	Read       string   `json:"read,omitempty"`
	Update     string   `json:"update,omitempty"`
}

// PSAM is the terminal security module (CARD.md §3).
type PSAM struct {
	// AID of DF01, default D15600000590 [known].
	AID string `json:"aid,omitempty"`
	// TerminalNumber is the 终端机编号, 12 digits (6 bytes BCD) in EF16.
	TerminalNumber string `json:"terminalNumber"`
	// Serial is the PSAM serial number, 20 digits (10 bytes BCD) in EF15.
	Serial string    `json:"serial,omitempty"`
	Keys   []PSAMKey `json:"keys"`
}

// PSAMKey is an issuer-level key held by the PSAM.
type PSAMKey struct {
	ID string `json:"id"` // the card key identifier it serves, 2 hex digits
	// Usage is the key usage byte, 2 hex digits: low 5 bits the type
	// (0 master, 1 maintenance, 2 purchase, 3 PIN unblock, 4 PIN reload,
	// 5 application maintenance, 6 MAC, 7 encryption, 8 MAC+encryption),
	// high 3 bits the number of diversification levels [known].
	Usage string `json:"usage"`
	// Algorithm restricts the key to sm4 or 3des; empty: usable with both.
	Algorithm string `json:"algorithm,omitempty"`
	Value     string `json:"value"`
	Name      string `json:"name,omitempty"`
}
