package nvm

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrPowerLost is returned by [Memory.Commit] when an armed tear cut the
// power during the commit's physical writes.
var ErrPowerLost = errors.New("power lost during NVM write")

// entry is one cell value, staged in RAM or written to the journal area.
type entry struct {
	id   int
	data []byte
}

// Memory is the card's non-volatile memory. The zero value is a memory with
// no cells that is powered off; use [New].
//
// A Memory is not safe for concurrent use: the card serialises access.
type Memory struct {
	// cells are the main cells. The outer slice is owned by this Memory;
	// the byte slices are immutable and may be shared.
	cells [][]byte

	// RAM: the open transaction.
	inTx   bool
	staged []entry
	index  map[int]int // cell id -> position in staged

	// Physical journal area and commit marker.
	journal []entry
	marker  bool

	powered bool
	writes  uint64 // physical writes since creation
	tearAt  uint64 // power is lost when writes reaches tearAt; 0 = disarmed
}

// New returns a powered memory whose cells are initial. The cell count is
// fixed at len(initial). The byte slices of initial are kept and shared, never
// modified; the caller must not modify them either.
func New(initial [][]byte) *Memory {
	return &Memory{
		cells:   slices.Clone(initial),
		powered: true,
	}
}

// Len returns the number of cells.
func (m *Memory) Len() int { return len(m.cells) }

// Get returns the value of cell id: inside a transaction the staged value if
// there is one, otherwise the committed value. The caller must not modify the
// returned slice. Get returns nil for an out-of-range id. While the memory is
// not powered Get returns the raw main cell. Get does not allocate.
func (m *Memory) Get(id int) []byte {
	if id < 0 || id >= len(m.cells) {
		return nil
	}
	if m.inTx && len(m.staged) > 0 {
		if i, ok := m.index[id]; ok {
			return m.staged[i].data
		}
	}
	return m.cells[id]
}

// Begin starts a transaction. Begin while a transaction is open returns
// without change (transactions do not nest). Begin does nothing while the
// memory is not powered.
func (m *Memory) Begin() {
	if !m.powered || m.inTx {
		return
	}
	m.inTx = true
}

// InTx reports whether a transaction is open.
func (m *Memory) InTx() bool { return m.inTx }

// Set stages a copy of data as the new value of cell id; data may be reused
// by the caller afterwards. Outside a transaction Set behaves as
// Begin+Set+Commit, an atomic transaction of its own; if that commit is torn,
// [Memory.Powered] reports false. Out-of-range ids are ignored, and so is Set
// while the memory is not powered.
func (m *Memory) Set(id int, data []byte) {
	if !m.powered || id < 0 || id >= len(m.cells) {
		return
	}
	m.stage(id, append(make([]byte, 0, len(data)), data...))
}

// SetByte stages cell id with the byte at offset off replaced by v, as
// [Memory.Set] would stage it (a fresh copy; the current value is not
// modified). An out-of-range id or offset is ignored.
func (m *Memory) SetByte(id, off int, v byte) {
	if !m.powered {
		return
	}
	cur := m.Get(id)
	if off < 0 || off >= len(cur) {
		return
	}
	data := slices.Clone(cur)
	data[off] = v
	m.stage(id, data)
}

// stage records data, which the memory now owns, as the new value of cell id.
func (m *Memory) stage(id int, data []byte) {
	if !m.inTx {
		m.Begin()
		m.stage(id, data)
		_ = m.Commit() // a tear shows as Powered() == false
		return
	}
	if i, ok := m.index[id]; ok {
		m.staged[i].data = data
		return
	}
	if m.index == nil {
		m.index = make(map[int]int)
	}
	m.index[id] = len(m.staged)
	m.staged = append(m.staged, entry{id: id, data: data})
}

// Commit ends the open transaction and writes the staged values to the
// cells in the journaled order described in the package documentation. It
// returns [ErrPowerLost] if an armed tear fired during the commit (even on the
// last write); the cells then hold the before- or after-state once
// [Memory.PowerUp] has run recovery. Commit of an empty transaction, or with
// no transaction open, performs no writes and returns nil. Commit while the
// memory is not powered discards the transaction and returns ErrPowerLost.
func (m *Memory) Commit() error {
	if !m.powered {
		m.discard()
		return ErrPowerLost
	}
	if !m.inTx {
		return nil
	}
	err := m.writeJournaled()
	m.discard()
	return err
}

// writeJournaled performs the physical writes of the staged entries.
func (m *Memory) writeJournaled() error {
	if len(m.staged) == 0 {
		return nil
	}
	for _, e := range m.staged {
		if !m.powered {
			return ErrPowerLost
		}
		m.journal = append(m.journal, e)
		m.wrote()
	}
	if !m.powered {
		return ErrPowerLost
	}
	m.marker = true
	m.wrote()
	for _, e := range m.staged {
		if !m.powered {
			return ErrPowerLost
		}
		m.cells[e.id] = e.data
		m.wrote()
	}
	if !m.powered {
		return ErrPowerLost
	}
	m.clearJournal()
	m.wrote()
	if !m.powered {
		return ErrPowerLost
	}
	return nil
}

// wrote accounts for one completed physical write and cuts the power if an
// armed tear is due.
func (m *Memory) wrote() {
	m.writes++
	if m.tearAt != 0 && m.writes >= m.tearAt {
		m.tearAt = 0
		m.powered = false
	}
}

// Rollback discards the staged writes and closes the transaction.
func (m *Memory) Rollback() { m.discard() }

// discard drops the open transaction, keeping the staging buffers' capacity.
func (m *Memory) discard() {
	clear(m.staged)
	m.staged = m.staged[:0]
	clear(m.index)
	m.inTx = false
}

// clearJournal empties the journal area and clears the commit marker.
func (m *Memory) clearJournal() {
	clear(m.journal)
	m.journal = m.journal[:0]
	m.marker = false
}

// TearAfter arms a power loss after n more physical writes: the n-th write
// completes and then the memory is off until [Memory.PowerUp]. n <= 0
// disarms. A tear that has fired is disarmed.
func (m *Memory) TearAfter(n int) {
	if n <= 0 {
		m.tearAt = 0
		return
	}
	m.tearAt = m.writes + uint64(n)
}

// Writes returns the number of physical writes performed since creation.
// It only grows; the difference across a command is that command's cost.
// Recovery at power-up is not counted.
func (m *Memory) Writes() uint64 { return m.writes }

// Powered reports whether the memory has power: false after a tear until
// [Memory.PowerUp].
func (m *Memory) Powered() bool { return m.powered }

// PowerUp restores power and runs recovery: if the commit marker is set the
// journal is replayed into the main cells (the interrupted commit completes),
// otherwise the journal is discarded (the interrupted commit never happened);
// then both are cleared. It also rolls back an open transaction. PowerUp is
// idempotent. Recovery is modelled as uninterruptible and its writes are not
// counted by [Memory.Writes].
func (m *Memory) PowerUp() {
	m.discard()
	if m.marker {
		for _, e := range m.journal {
			m.cells[e.id] = e.data
		}
	}
	m.clearJournal()
	m.powered = true
}

// Cells returns a deep copy of the committed cells; the caller may modify it.
func (m *Memory) Cells() [][]byte {
	out := make([][]byte, len(m.cells))
	for i, c := range m.cells {
		out[i] = slices.Clone(c)
	}
	return out
}

// Restore replaces all cells with copies of cells, whose count must equal
// [Memory.Len]. It discards any open transaction and clears the journal and
// marker; the power state and an armed tear are left as they are.
func (m *Memory) Restore(cells [][]byte) error {
	if len(cells) != len(m.cells) {
		return fmt.Errorf("restoring cells: got %d cells, memory has %d", len(cells), len(m.cells))
	}
	for i, c := range cells {
		m.cells[i] = append(make([]byte, 0, len(c)), c...)
	}
	m.discard()
	m.clearJournal()
	return nil
}

// Clone returns an independent copy of m: the same cells, open transaction,
// journal, power state, write count and armed tear. The copies share the
// immutable cell values; changes to one never show in the other.
func (m *Memory) Clone() *Memory {
	c := *m
	c.cells = slices.Clone(m.cells)
	c.staged = slices.Clone(m.staged)
	c.index = maps.Clone(m.index)
	c.journal = slices.Clone(m.journal)
	return &c
}
