package nvm

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func FuzzDecodeImage(f *testing.F) {
	_, _, good := sampleImage()
	f.Add(good)
	f.Add(EncodeImage(nil, nil))
	f.Add(EncodeImage(b("{}"), [][]byte{{}, b("x")}))
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Add([]byte(ImageMagic))
	f.Add(sealed(cat(u32(0), u32(0xFFFFFFFF))))
	f.Add(sealed(cat(u32(0), u32(1), u32(1), b("xyz"))))
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		meta, cells, err := DecodeImage(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("DecodeImage modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrImage) {
				t.Fatalf("error %v does not wrap ErrImage", err)
			}
			return
		}
		if again := EncodeImage(meta, cells); !bytes.Equal(again, in) {
			t.Fatalf("decoded image re-encodes differently:\n got % x\nwant % x", again, in)
		}
	})
}

// FuzzParseBody reaches the structural parser directly, which DecodeImage
// only runs behind a valid checksum.
func FuzzParseBody(f *testing.F) {
	f.Add(cat(u32(0), u32(0)))
	f.Add(cat(u32(2), b("{}"), u32(2), u32(1), b("a"), u32(0)))
	f.Add(cat(u32(0), u32(MaxCells+1)))
	f.Add(cat(u32(0), u32(3), u32(0xFFFFFFF0)))
	f.Add(cat(u32(0), u32(1), u32(1), b("xy")))
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		meta, cells, err := parseBody(bytes.Clone(in))
		if err != nil {
			if !errors.Is(err, ErrImage) {
				t.Fatalf("error %v does not wrap ErrImage", err)
			}
			if meta != nil || cells != nil {
				t.Fatal("error with non-nil results")
			}
			return
		}
		if again := appendBody(nil, meta, cells); !bytes.Equal(again, in) {
			t.Fatalf("parsed body re-encodes differently:\n got % x\nwant % x", again, in)
		}
		if _, _, err := DecodeImage(sealed(in)); err != nil {
			t.Fatalf("sealed valid body does not decode: %v", err)
		}
	})
}

// memModel is the reference the fuzzed Memory is compared with.
type memModel struct {
	committed [][]byte
	staged    map[int][]byte
	inTx      bool
	// want is the committed state recovery must produce after a tear.
	want [][]byte
}

// get returns the model's view of cell id.
func (mm *memModel) get(id int) []byte {
	if v, ok := mm.staged[id]; ok && mm.inTx {
		return v
	}
	return mm.committed[id]
}

// FuzzMemory drives a Memory with a random op sequence and checks it against
// a map model, including the exact state recovery yields after each tear.
func FuzzMemory(f *testing.F) {
	f.Add([]byte{0, 1, 1, 3, 'a', 'b', 'c', 3})
	f.Add([]byte{5, 3, 0, 1, 0, 2, 'x', 'y', 1, 2, 1, 'z', 3, 6, 7})
	f.Add([]byte{5, 1, 1, 2, 1, 'q', 6, 7, 2, 1, 0, 9, 7})
	f.Add([]byte{0, 1, 3, 1, 'k', 4, 7, 5, 6, 0, 1, 1, 0, 1, 2, 0, 3, 6, 7})
	// Set outside a transaction torn after the journal write, then after
	// the marker write; each followed by PowerUp.
	f.Add([]byte{5, 1, 1, 1, 1, 'x', 0, 0, 6, 7})
	f.Add([]byte{5, 2, 1, 1, 1, 'x', 0, 0, 6, 7})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const n = 4
		shared := [][]byte{b("zero"), b("one"), {}, b("three")}
		pristine := New(shared).Cells()
		m := New(shared)
		mm := &memModel{committed: New(shared).Cells(), staged: map[int][]byte{}}

		next := func() byte {
			if len(ops) == 0 {
				return 0
			}
			c := ops[0]
			ops = ops[1:]
			return c
		}
		// commit applies the model's staged writes the way m just did,
		// given the writes m performed.
		commit := func(writes uint64) {
			k := uint64(len(mm.staged))
			after := slices.Clone(mm.committed)
			for id, v := range mm.staged {
				after[id] = v
			}
			clear(mm.staged)
			mm.inTx = false
			if m.Powered() {
				if want := 2*k + 2; k > 0 && writes != want || k == 0 && writes != 0 {
					t.Fatalf("commit of %d entries performed %d writes", k, writes)
				}
				mm.committed = after
				return
			}
			if writes == 0 || writes > 2*k+2 {
				t.Fatalf("torn commit of %d entries performed %d writes", k, writes)
			}
			mm.want = mm.committed
			if writes > k {
				mm.want = after
			}
		}
		for len(ops) > 0 {
			powered := m.Powered()
			switch op := next() % 8; op {
			case 0:
				m.Begin()
				if powered {
					mm.inTx = true
				}
			case 1, 2:
				id := int(next()%(n+2)) - 1
				var v []byte
				if op == 1 {
					v = make([]byte, next()%5)
					for i := range v {
						v[i] = next()
					}
				}
				off, bv := int(next()%6)-1, next()
				w0 := m.Writes()
				if op == 1 {
					m.Set(id, v)
					mine := v
					v = slices.Clone(v)
					for i := range mine {
						mine[i] ^= 0xFF // the memory must hold its own copy
					}
				} else {
					m.SetByte(id, off, bv)
				}
				if !powered || id < 0 || id >= n {
					break
				}
				if op == 2 {
					cur := mm.get(id)
					if off < 0 || off >= len(cur) {
						break
					}
					v = slices.Clone(cur)
					v[off] = bv
				}
				mm.staged[id] = v
				if !mm.inTx {
					commit(m.Writes() - w0)
				}
			case 3:
				w0 := m.Writes()
				err := m.Commit()
				if !powered {
					if !errors.Is(err, ErrPowerLost) {
						t.Fatalf("Commit() without power = %v", err)
					}
					break
				}
				if mm.inTx {
					commit(m.Writes() - w0)
				}
				if m.Powered() != (err == nil) {
					t.Fatalf("Commit() = %v with Powered() = %v", err, m.Powered())
				}
			case 4:
				m.Rollback()
				clear(mm.staged)
				mm.inTx = false
			case 5:
				m.TearAfter(int(next() % 8))
			case 6:
				m.PowerUp()
				clear(mm.staged)
				mm.inTx = false
				if !powered {
					if got := m.Cells(); !equalCells(got, mm.want) {
						t.Fatalf("after recovery cells = %q, want %q", got, mm.want)
					}
					mm.committed = mm.want
				}
			case 7:
				// Checked below for every op.
			}
			if !m.Powered() {
				continue
			}
			if m.InTx() != mm.inTx {
				t.Fatalf("InTx() = %v, model %v", m.InTx(), mm.inTx)
			}
			for id := range n {
				if got, want := m.Get(id), mm.get(id); !bytes.Equal(got, want) {
					t.Fatalf("Get(%d) = %q, model %q", id, got, want)
				}
			}
			if got := m.Cells(); !equalCells(got, mm.committed) {
				t.Fatalf("Cells() = %q, model %q", got, mm.committed)
			}
		}
		if !equalCells(shared, pristine) {
			t.Fatalf("initial slices modified: %q", shared)
		}
	})
}
