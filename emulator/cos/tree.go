package cos

import (
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
)

// NodeKind is the kind of a file (ISO/IEC 7816-4 §7.1).
type NodeKind uint8

// File kinds.
const (
	KindMF NodeKind = iota // master file 3F00
	KindDF                 // dedicated file (DDF or ADF)
	KindEF                 // elementary file
)

// Structure is the structure of an EF (ISO/IEC 7816-4 §7.3).
type Structure uint8

// EF structures.
const (
	Transparent Structure = iota
	LinearFixed
	LinearVariable
	Cyclic
)

func (s Structure) String() string {
	return [...]string{"transparent", "linear-fixed", "linear-variable", "cyclic"}[s]
}

// ParseStructure reads the profile name of an EF structure.
func ParseStructure(s string) (Structure, error) {
	for i, n := range []string{"transparent", "linear-fixed", "linear-variable", "cyclic"} {
		if s == n {
			return Structure(i), nil
		}
	}
	return 0, fmt.Errorf("unknown file structure %q", s)
}

// Life cycle status bytes of FCP tag 8A (ISO/IEC 7816-4 §7.4.10).
const (
	LCSActivated   byte = 0x05
	LCSDeactivated byte = 0x04
	LCSTerminated  byte = 0x0C
)

// KeyUsage says what a key may be used for; a key may have several.
type KeyUsage uint8

// Key usages [model: CARD.md §3 names the roles; the split is ours].
const (
	UseExtAuth KeyUsage = 1 << iota // EXTERNAL AUTHENTICATE
	UseIntAuth                      // INTERNAL AUTHENTICATE
	UseMaint                        // MAC of life cycle, block and SM write commands
	UseReload                       // PIN reload (84 24 00 01): MAC and PIN encipherment
	UseUnblock                      // PIN unblock (84 24 00 00): MAC
)

// ParseKeyUsage reads one usage name of the profile.
func ParseKeyUsage(s string) (KeyUsage, error) {
	switch s {
	case "extauth":
		return UseExtAuth, nil
	case "intauth":
		return UseIntAuth, nil
	case "maint":
		return UseMaint, nil
	case "reload":
		return UseReload, nil
	case "unblock":
		return UseUnblock, nil
	}
	return 0, fmt.Errorf("unknown key usage %q", s)
}

// KeySpec defines a key object of a DF.
type KeySpec struct {
	ID        byte
	Label     string
	Usage     KeyUsage
	Value     []byte // the card's own key (already diversified)
	Tries     int    // EXTERNAL AUTHENTICATE tries before blocking
	TriesLeft int    // at personalisation
}

// PINSpec defines the PIN object of a DF.
type PINSpec struct {
	Value          string // digits
	MaxTries       int
	TriesLeft      int
	MinLen, MaxLen int // digits
}

// DFSpec defines a DF.
type DFSpec struct {
	FID   uint16 // 0: none
	AID   []byte // DF name; nil: none
	Label string
	// FCIProprietary is the content of the FCI proprietary template A5.
	FCIProprietary []byte
	LifeCycle      byte // 0: activated
	Blocked        bool // APPLICATION BLOCK already applied
	// Admin is the security condition of life cycle commands, beside their MAC.
	Admin Rule
	Alg   cardcrypto.Alg // algorithm of the DF's keys and SM
	Keys  []KeySpec
	PIN   *PINSpec
	App   App // proprietary commands of this application; may be nil
}

// EFSpec defines an EF.
type EFSpec struct {
	FID       uint16
	SFI       byte // 0: none; 1..30
	Label     string
	Structure Structure
	// Transparent files.
	Size    int
	Content []byte
	// Record files.
	RecordSize int // maximum record length
	MaxRecords int
	Records    [][]byte
	// FixedSizes pins each present record to its initial length, as the
	// SSSE data items are (CARD.md §2): UPDATE RECORD must keep the length.
	FixedSizes bool
	// TLVRecords says records are SIMPLE-TLV data items whose tag is the
	// record identifier; UPDATE RECORD checks the TLV's own length.
	TLVRecords bool
	Access     Access
}

// Node is one file of the tree. Nodes are immutable after Build and shared
// by every card built from the same layout.
type Node struct {
	Kind     NodeKind
	FID      uint16
	Name     []byte // DF name (AID)
	SFI      byte
	Label    string
	parent   *Node
	children []*Node
	index    int

	// DF.
	fciProp []byte
	fci     []byte // prebuilt FCI template 6F
	admin   Rule
	alg     cardcrypto.Alg
	keys    []*keyObj
	pin     *pinObj
	app     App
	lcsCell int
	blkCell int

	// EF.
	structure  Structure
	size       int // transparent size or maximum record length
	maxRecords int
	fixedSizes []int
	tlv        bool
	access     Access
	cell       int // transparent content, or the first record slot
	countCell  int // record files: number of records (1 byte)
	headCell   int // cyclic files: slot of record 1 (1 byte)
}

type keyObj struct {
	id        byte
	label     string
	usage     KeyUsage
	value     []byte
	tries     int
	triesCell int
}

type pinObj struct {
	maxTries       int
	minLen, maxLen int
	valueCell      int
	triesCell      int
}

// Parent returns the DF holding n (nil for the MF).
func (n *Node) Parent() *Node { return n.parent }

// Children returns the files directly under a DF.
func (n *Node) Children() []*Node { return n.children }

// IsDF reports whether n is the MF or a DF.
func (n *Node) IsDF() bool { return n.Kind != KindEF }

// Structure returns the EF structure.
func (n *Node) Structure() Structure { return n.structure }

// Alg returns the DF's symmetric algorithm.
func (n *Node) Alg() cardcrypto.Alg { return n.alg }

// App returns the DF's application handler.
func (n *Node) App() App { return n.app }

// String names the node for messages: its label or FID.
func (n *Node) String() string {
	if n.Label != "" {
		return n.Label
	}
	return fmt.Sprintf("%04X", n.FID)
}

// Layout is the immutable shape of a card: its file tree and the initial
// contents of its NVM cells. Many cards share one layout.
type Layout struct {
	root      *Node
	nodes     []*Node
	initial   [][]byte
	cardCell  int // 1 byte: card blocked
	cellMax   []int
	cellFixed []bool
}

// MF returns the master file.
func (l *Layout) MF() *Node { return l.root }

// Nodes returns every file in tree order.
func (l *Layout) Nodes() []*Node { return l.nodes }

// InitialCells returns the initial NVM contents (shared; do not modify).
func (l *Layout) InitialCells() [][]byte { return l.initial }

// CheckCells verifies that cells loaded from a card image fit the layout:
// the right count, and every cell within its size bounds.
func (l *Layout) CheckCells(cells [][]byte) error {
	if len(cells) != len(l.initial) {
		return fmt.Errorf("image has %d cells, the profile's layout %d", len(cells), len(l.initial))
	}
	for i, c := range cells {
		if l.cellFixed[i] && len(c) != l.cellMax[i] || len(c) > l.cellMax[i] {
			return fmt.Errorf("cell %d is %d bytes, the layout allows %d", i, len(c), l.cellMax[i])
		}
	}
	return l.checkRecordCounts(cells)
}

func (l *Layout) checkRecordCounts(cells [][]byte) error {
	for _, n := range l.nodes {
		if n.Kind != KindEF || n.structure == Transparent {
			continue
		}
		c := cells[n.countCell]
		if len(c) != 1 || int(c[0]) > n.maxRecords {
			return fmt.Errorf("file %s: record count out of range", n)
		}
		if n.structure == Cyclic && (len(cells[n.headCell]) != 1 || int(cells[n.headCell][0]) >= n.maxRecords) {
			return fmt.Errorf("file %s: cyclic head out of range", n)
		}
		for i := 0; i < n.maxRecords; i++ {
			rec := cells[n.cell+i]
			if n.fixedSizes != nil && i < len(n.fixedSizes) && i < int(c[0]) && len(rec) != n.fixedSizes[i] {
				return fmt.Errorf("file %s: record %d has the wrong length", n, i+1)
			}
		}
	}
	for _, n := range l.nodes {
		if n.pin != nil {
			if v := cells[n.pin.triesCell]; len(v) != 1 || int(v[0]) > n.pin.maxTries {
				return fmt.Errorf("DF %s: PIN try counter out of range", n)
			}
		}
		for _, k := range n.keys {
			if v := cells[k.triesCell]; len(v) != 1 || int(v[0]) > k.tries {
				return fmt.Errorf("DF %s: key %02X try counter out of range", n, k.id)
			}
		}
	}
	return nil
}

// Builder assembles a Layout. Errors are sticky and reported by Build.
type Builder struct {
	l   *Layout
	err error
}

// NewBuilder starts a layout with an MF.
func NewBuilder() *Builder {
	b := &Builder{l: &Layout{}}
	mf := &Node{Kind: KindMF, FID: 0x3F00, Label: "MF"}
	b.addNode(mf, nil)
	b.initDF(mf, DFSpec{})
	b.l.root = mf
	b.l.cardCell = b.cell([]byte{0}, 1, true)
	return b
}

// MF returns the master file, to add files under.
func (b *Builder) MF() *Node { return b.l.root }

func (b *Builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

func (b *Builder) cell(initial []byte, max int, fixed bool) int {
	b.l.initial = append(b.l.initial, initial)
	b.l.cellMax = append(b.l.cellMax, max)
	b.l.cellFixed = append(b.l.cellFixed, fixed)
	return len(b.l.initial) - 1
}

func (b *Builder) addNode(n *Node, parent *Node) {
	n.parent = parent
	n.index = len(b.l.nodes)
	b.l.nodes = append(b.l.nodes, n)
	if parent != nil {
		parent.children = append(parent.children, n)
	}
}

func (b *Builder) checkFID(parent *Node, fid uint16, label string) {
	if fid == 0 {
		return
	}
	if fid == 0x3F00 || fid == 0xFFFF || fid == 0x3FFF {
		b.fail("file %s: FID %04X is reserved", label, fid)
	}
	for _, c := range parent.children {
		if c.FID == fid {
			b.fail("file %s: FID %04X already used under %s", label, fid, parent)
		}
	}
}

// DF adds a DF under parent and returns it.
func (b *Builder) DF(parent *Node, s DFSpec) *Node {
	if parent == nil || !parent.IsDF() {
		b.fail("DF %s: parent is not a DF", s.Label)
		return &Node{Kind: KindDF}
	}
	b.checkFID(parent, s.FID, s.Label)
	if len(s.AID) > 16 || s.AID != nil && len(s.AID) < 1 {
		b.fail("DF %s: DF name of %d bytes (1..16)", s.Label, len(s.AID))
	}
	n := &Node{Kind: KindDF, FID: s.FID, Name: s.AID, Label: s.Label}
	b.addNode(n, parent)
	b.initDF(n, s)
	return n
}

func (b *Builder) initDF(n *Node, s DFSpec) {
	n.fciProp = s.FCIProprietary
	n.admin = s.Admin
	n.alg = s.Alg
	if n.alg == 0 {
		n.alg = cardcrypto.AlgSM4
	}
	if !n.alg.Valid() {
		b.fail("DF %s: invalid algorithm %02X", n, byte(n.alg))
	}
	n.app = s.App
	lcs := s.LifeCycle
	if lcs == 0 {
		lcs = LCSActivated
	}
	if lcs != LCSActivated && lcs != LCSDeactivated && lcs != LCSTerminated {
		b.fail("DF %s: life cycle %02X is not 04, 05 or 0C", n, lcs)
	}
	n.lcsCell = b.cell([]byte{lcs}, 1, true)
	blk := byte(0)
	if s.Blocked {
		blk = 1
	}
	n.blkCell = b.cell([]byte{blk}, 1, true)
	fci, err := buildFCI(n)
	if err != nil {
		b.fail("DF %s: %v", n, err)
	}
	n.fci = fci
	seen := map[byte]bool{}
	for _, k := range s.Keys {
		if seen[k.ID] {
			b.fail("DF %s: key %02X defined twice", n, k.ID)
		}
		seen[k.ID] = true
		if len(k.Value) != n.alg.KeySize() {
			b.fail("DF %s: key %02X is %d bytes, %s wants %d", n, k.ID, len(k.Value), n.alg, n.alg.KeySize())
		}
		if k.Tries < 1 || k.Tries > 15 || k.TriesLeft < 0 || k.TriesLeft > k.Tries {
			b.fail("DF %s: key %02X tries %d/%d out of range", n, k.ID, k.TriesLeft, k.Tries)
		}
		n.keys = append(n.keys, &keyObj{
			id: k.ID, label: k.Label, usage: k.Usage, value: k.Value, tries: k.Tries,
			triesCell: b.cell([]byte{byte(k.TriesLeft)}, 1, true),
		})
	}
	if p := s.PIN; p != nil {
		bcd, err := cardcrypto.EncodePINBCD(p.Value)
		if err != nil {
			b.fail("DF %s: PIN: %v", n, err)
		}
		if p.MaxTries < 1 || p.MaxTries > 15 || p.TriesLeft < 0 || p.TriesLeft > p.MaxTries {
			b.fail("DF %s: PIN tries %d/%d out of range", n, p.TriesLeft, p.MaxTries)
		}
		n.pin = &pinObj{
			maxTries: p.MaxTries, minLen: p.MinLen, maxLen: p.MaxLen,
			valueCell: b.cell(bcd, (p.MaxLen+1)/2, false),
			triesCell: b.cell([]byte{byte(p.TriesLeft)}, 1, true),
		}
	}
}

// EF adds an EF under df and returns it.
func (b *Builder) EF(df *Node, s EFSpec) *Node {
	if df == nil || !df.IsDF() {
		b.fail("EF %s: parent is not a DF", s.Label)
		return &Node{Kind: KindEF}
	}
	b.checkFID(df, s.FID, s.Label)
	if s.SFI > 30 {
		b.fail("EF %s: SFI %d is outside 1..30", s.Label, s.SFI)
	}
	if s.SFI != 0 {
		for _, c := range df.children {
			if c.Kind == KindEF && c.SFI == s.SFI {
				b.fail("EF %s: SFI %d already used under %s", s.Label, s.SFI, df)
			}
		}
	}
	n := &Node{Kind: KindEF, FID: s.FID, SFI: s.SFI, Label: s.Label, structure: s.Structure, access: s.Access, tlv: s.TLVRecords}
	b.addNode(n, df)
	if s.Structure == Transparent {
		if s.Size < 1 || s.Size > 32767 || len(s.Content) > s.Size {
			b.fail("EF %s: size %d / content %d out of range", n, s.Size, len(s.Content))
			return n
		}
		content := s.Content
		if len(content) < s.Size {
			content = make([]byte, s.Size)
			copy(content, s.Content)
		}
		n.size = s.Size
		n.cell = b.cell(content, s.Size, true)
		return n
	}
	if s.RecordSize < 1 || s.RecordSize > 255 || s.MaxRecords < 1 || s.MaxRecords > 254 || len(s.Records) > s.MaxRecords {
		b.fail("EF %s: record size %d, %d/%d records out of range", n, s.RecordSize, len(s.Records), s.MaxRecords)
		return n
	}
	n.size, n.maxRecords = s.RecordSize, s.MaxRecords
	for i := 0; i < s.MaxRecords; i++ {
		var rec []byte
		if i < len(s.Records) {
			rec = s.Records[i]
			if len(rec) < 1 || len(rec) > s.RecordSize || s.Structure != LinearVariable && len(rec) != s.RecordSize && !s.FixedSizes {
				b.fail("EF %s: record %d is %d bytes (record size %d)", n, i+1, len(rec), s.RecordSize)
			}
			if s.TLVRecords && (len(rec) < 2 || int(rec[1]) != len(rec)-2) {
				b.fail("EF %s: record %d is not a SIMPLE-TLV data item", n, i+1)
			}
		}
		c := b.cell(rec, s.RecordSize, false)
		if i == 0 {
			n.cell = c
		}
	}
	if s.FixedSizes {
		for _, r := range s.Records {
			n.fixedSizes = append(n.fixedSizes, len(r))
		}
	}
	n.countCell = b.cell([]byte{byte(len(s.Records))}, 1, true)
	if s.Structure == Cyclic {
		head := 0
		if len(s.Records) > 0 {
			head = len(s.Records) - 1
		}
		// Initial records are given most recent first: record 1 = Records[0].
		// Store them so that slot head holds record 1.
		if len(s.Records) > 1 {
			for i := range s.Records {
				b.l.initial[n.cell+head-i] = s.Records[i]
			}
		}
		n.headCell = b.cell([]byte{byte(head)}, 1, true)
	}
	return n
}

// Build finishes the layout.
func (b *Builder) Build() (*Layout, error) {
	if b.err != nil {
		return nil, fmt.Errorf("building card layout: %w", b.err)
	}
	if len(b.l.nodes) > 1<<15 {
		return nil, errors.New("building card layout: too many files")
	}
	return b.l, nil
}

// SetCardBlocked personalises a card on which CARD BLOCK was applied.
func (b *Builder) SetCardBlocked() { b.l.initial[b.l.cardCell] = []byte{1} }
