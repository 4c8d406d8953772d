package nvm

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// equalCells reports whether a and b hold the same byte strings.
func equalCells(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// b returns the bytes of s, for terse tables.
func b(s string) []byte { return []byte(s) }

// initial returns fresh initial contents for a memory of n cells.
func initial(n int) [][]byte {
	cells := make([][]byte, n)
	for i := range cells {
		cells[i] = []byte(fmt.Sprintf("cell%d", i))
	}
	return cells
}

func TestGetSetCommitRollback(t *testing.T) {
	type op struct {
		name string
		do   func(m *Memory)
	}
	begin := op{"begin", func(m *Memory) { m.Begin() }}
	set := func(id int, s string) op {
		return op{fmt.Sprintf("set %d %q", id, s), func(m *Memory) { m.Set(id, b(s)) }}
	}
	setByte := func(id, off int, v byte) op {
		return op{fmt.Sprintf("setbyte %d %d %#x", id, off, v), func(m *Memory) { m.SetByte(id, off, v) }}
	}
	commit := op{"commit", func(m *Memory) {
		if err := m.Commit(); err != nil {
			panic(err)
		}
	}}
	rollback := op{"rollback", func(m *Memory) { m.Rollback() }}

	tests := []struct {
		name  string
		ops   []op
		inTx  bool
		want  []string // Get(0..2) after ops
		cells []string // committed cells after ops
	}{
		{"nothing", nil, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"set outside tx commits", []op{set(1, "B")}, false, []string{"a", "B", "c"}, []string{"a", "B", "c"}},
		{"staged visible in tx", []op{begin, set(0, "A")}, true, []string{"A", "b", "c"}, []string{"a", "b", "c"}},
		{"last set wins", []op{begin, set(0, "A"), set(0, "AA")}, true, []string{"AA", "b", "c"}, []string{"a", "b", "c"}},
		{"commit", []op{begin, set(0, "A"), set(2, "C"), commit}, false, []string{"A", "b", "C"}, []string{"A", "b", "C"}},
		{"rollback", []op{begin, set(0, "A"), set(2, "C"), rollback}, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"rollback then commit nothing", []op{begin, set(0, "A"), rollback, commit}, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"nested begin keeps staging", []op{begin, set(1, "X"), begin, commit}, false, []string{"a", "X", "c"}, []string{"a", "X", "c"}},
		{"out of range ignored", []op{set(-1, "x"), set(3, "x"), begin, set(99, "y"), commit}, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"empty value", []op{set(2, "")}, false, []string{"a", "b", ""}, []string{"a", "b", ""}},
		{"setbyte outside tx", []op{setByte(0, 0, 'z')}, false, []string{"z", "b", "c"}, []string{"z", "b", "c"}},
		{"setbyte on staged", []op{begin, set(1, "xyz"), setByte(1, 2, 'Q')}, true, []string{"a", "xyQ", "c"}, []string{"a", "b", "c"}},
		{"setbyte bad offset", []op{setByte(0, 1, 'z'), setByte(0, -1, 'z'), setByte(7, 0, 'z')}, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{"setbyte rollback", []op{begin, setByte(2, 0, 'Z'), rollback}, false, []string{"a", "b", "c"}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New([][]byte{b("a"), b("b"), b("c")})
			for _, o := range tt.ops {
				o.do(m)
			}
			if m.InTx() != tt.inTx {
				t.Errorf("InTx() = %v, want %v", m.InTx(), tt.inTx)
			}
			for i, w := range tt.want {
				if got := m.Get(i); string(got) != w {
					t.Errorf("Get(%d) = %q, want %q", i, got, w)
				}
			}
			var cells [][]byte
			for _, c := range tt.cells {
				cells = append(cells, b(c))
			}
			if got := m.Cells(); !equalCells(got, cells) {
				t.Errorf("Cells() = %q, want %q", got, cells)
			}
		})
	}
}

func TestGetOutOfRange(t *testing.T) {
	m := New(initial(2))
	for _, id := range []int{-1, 2, 1 << 30} {
		if got := m.Get(id); got != nil {
			t.Errorf("Get(%d) = %q, want nil", id, got)
		}
	}
	if m.Len() != 2 {
		t.Errorf("Len() = %d, want 2", m.Len())
	}
}

func TestCopyOnWrite(t *testing.T) {
	shared := initial(3)
	orig := New(shared).Cells() // deep copy of the initial state

	m1 := New(shared)
	m2 := New(shared)

	data := b("new value")
	m1.Set(0, data)
	data[0] = 'X' // the caller reuses its buffer
	if got := m1.Get(0); string(got) != "new value" {
		t.Errorf("after caller mutation Get(0) = %q, want %q", got, "new value")
	}

	m1.Begin()
	staged := b("staged")
	m1.Set(1, staged)
	staged[0] = 'X'
	if got := m1.Get(1); string(got) != "staged" {
		t.Errorf("staged value changed with caller's slice: %q", got)
	}
	if err := m1.Commit(); err != nil {
		t.Fatal(err)
	}
	m1.SetByte(2, 0, 'Z')

	if !equalCells(shared, orig) {
		t.Errorf("initial slices modified: %q, want %q", shared, orig)
	}
	if got := m2.Cells(); !equalCells(got, orig) {
		t.Errorf("second memory changed: %q, want %q", got, orig)
	}

	// Cells returns copies: modifying them changes nothing.
	snap := m1.Cells()
	snap[0][0] = '!'
	if got := m1.Get(0); string(got) != "new value" {
		t.Errorf("Cells() aliases memory: Get(0) = %q", got)
	}

	// A value handed out by Get stays as it was after later writes.
	before := m1.Get(2)
	keep := slices.Clone(before)
	m1.SetByte(2, 1, 'Y')
	if !bytes.Equal(before, keep) {
		t.Errorf("slice returned by Get was modified: %q, want %q", before, keep)
	}
}

func TestWriteCounting(t *testing.T) {
	tests := []struct {
		name string
		ids  []int // cells set in one transaction
		want uint64
	}{
		{"empty", nil, 0},
		{"one", []int{0}, 4},
		{"two", []int{0, 1}, 6},
		{"same cell twice is one entry", []int{2, 2}, 4},
		{"five", []int{0, 1, 2, 3, 4}, 12},
		{"out of range not staged", []int{9}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(initial(5))
			m.Begin()
			for _, id := range tt.ids {
				m.Set(id, b("v"))
			}
			if w := m.Writes(); w != 0 {
				t.Fatalf("staging performed %d physical writes", w)
			}
			if err := m.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := m.Writes(); got != tt.want {
				t.Errorf("Writes() = %d, want %d", got, tt.want)
			}
		})
	}
	m := New(initial(1))
	m.Set(0, b("x"))
	m.Set(0, b("y"))
	if got := m.Writes(); got != 8 {
		t.Errorf("two Sets outside a transaction: Writes() = %d, want 8", got)
	}
}

func TestRestore(t *testing.T) {
	m := New(initial(2))
	m.Begin()
	m.Set(0, b("staged"))
	src := [][]byte{b("r0"), b("r1")}
	if err := m.Restore(src); err != nil {
		t.Fatal(err)
	}
	src[0][0] = 'X'
	if m.InTx() {
		t.Error("Restore left the transaction open")
	}
	if got := m.Cells(); !equalCells(got, [][]byte{b("r0"), b("r1")}) {
		t.Errorf("Cells() = %q after Restore", got)
	}
	for _, n := range []int{0, 1, 3} {
		if err := m.Restore(initial(n)); err == nil {
			t.Errorf("Restore with %d cells into 2: no error", n)
		}
	}
	if got := m.Get(1); string(got) != "r1" {
		t.Errorf("failed Restore changed cells: Get(1) = %q", got)
	}
}

func TestClone(t *testing.T) {
	m := New(initial(3))
	m.Set(0, b("committed"))
	m.Begin()
	m.Set(1, b("staged"))
	c := m.Clone()

	if !c.InTx() || string(c.Get(1)) != "staged" || string(c.Get(0)) != "committed" {
		t.Fatalf("clone lost state: InTx=%v Get(0)=%q Get(1)=%q", c.InTx(), c.Get(0), c.Get(1))
	}
	if c.Writes() != m.Writes() {
		t.Errorf("clone Writes() = %d, want %d", c.Writes(), m.Writes())
	}
	c.Set(2, b("clone only"))
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	m.Rollback()

	if got := m.Cells(); !equalCells(got, [][]byte{b("committed"), b("cell1"), b("cell2")}) {
		t.Errorf("original changed by clone: %q", got)
	}
	if got := c.Cells(); !equalCells(got, [][]byte{b("committed"), b("staged"), b("clone only")}) {
		t.Errorf("clone cells = %q", got)
	}
}

func TestUnpowered(t *testing.T) {
	m := New(initial(2))
	m.TearAfter(1)
	m.Set(0, b("x"))
	if m.Powered() {
		t.Fatal("tear did not fire")
	}
	w := m.Writes()
	m.Begin()
	if m.InTx() {
		t.Error("Begin opened a transaction without power")
	}
	m.Set(1, b("y"))
	m.SetByte(1, 0, 'y')
	if err := m.Commit(); err != ErrPowerLost {
		t.Errorf("Commit() without power = %v, want ErrPowerLost", err)
	}
	if m.Writes() != w {
		t.Errorf("writes happened without power: %d -> %d", w, m.Writes())
	}
	if err := SaveImage(t.TempDir()+"/card.img", nil, m); err == nil {
		t.Error("SaveImage of an unpowered memory succeeded")
	}
	m.PowerUp()
	m.PowerUp() // idempotent
	if !m.Powered() {
		t.Fatal("PowerUp did not restore power")
	}
	if got := m.Cells(); !equalCells(got, initial(2)) {
		t.Errorf("after tear at journal write: %q, want before-state", got)
	}
}

func TestPowerUpRollsBack(t *testing.T) {
	m := New(initial(1))
	m.Begin()
	m.Set(0, b("staged"))
	m.PowerUp()
	if m.InTx() {
		t.Error("PowerUp left a transaction open")
	}
	if got := m.Get(0); string(got) != "cell0" {
		t.Errorf("Get(0) = %q after PowerUp, want cell0", got)
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	m := New(initial(8))
	m.Begin()
	m.Set(3, b("staged"))
	var sink []byte
	allocs := testing.AllocsPerRun(100, func() {
		sink = m.Get(3)
		sink = m.Get(4)
	})
	if allocs != 0 {
		t.Errorf("Get allocates: %v allocs per run", allocs)
	}
	_ = sink
}
