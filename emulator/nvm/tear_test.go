package nvm

import (
	"errors"
	"fmt"
	"testing"
)

// TestTearSweep tears a commit of k entries after every one of its 2k+2
// physical writes and checks that recovery yields exactly the before-state
// (tear in the journal writes) or the after-state (marker set).
func TestTearSweep(t *testing.T) {
	const cells = 7
	for k := 1; k <= 5; k++ {
		for n := 1; n <= 2*k+2; n++ {
			t.Run(fmt.Sprintf("k=%d/n=%d", k, n), func(t *testing.T) {
				m := New(initial(cells))
				m.Set(6, []byte("earlier commit"))
				before := m.Cells()

				m.Begin()
				for i := range k {
					// Cells k-1.. are written in a mixed order and
					// one cell twice, to catch ordering slips.
					m.Set((i*3)%cells, []byte(fmt.Sprintf("new%d", i)))
				}
				m.Set(0, []byte("new0 again"))
				after := m.Clone()
				if err := after.Commit(); err != nil {
					t.Fatal(err)
				}
				want := after.Cells()

				start := m.Writes()
				m.TearAfter(n)
				if err := m.Commit(); !errors.Is(err, ErrPowerLost) {
					t.Fatalf("Commit() = %v, want ErrPowerLost", err)
				}
				if got := m.Writes() - start; got != uint64(n) {
					t.Errorf("%d writes before the tear, want %d", got, n)
				}
				if m.Powered() || m.InTx() {
					t.Fatalf("after tear Powered=%v InTx=%v", m.Powered(), m.InTx())
				}
				m.PowerUp()
				got := m.Cells()
				switch {
				case n <= k:
					if !equalCells(got, before) {
						t.Errorf("tear in journal: cells %q, want before-state %q", got, before)
					}
				default:
					if !equalCells(got, want) {
						t.Errorf("tear after marker: cells %q, want after-state %q", got, want)
					}
				}

				// The memory works normally again and the tear is disarmed.
				m.Set(1, []byte("later"))
				if !m.Powered() {
					t.Fatal("tear fired again after PowerUp")
				}
				if string(m.Get(1)) != "later" {
					t.Errorf("Get(1) = %q after a later Set", m.Get(1))
				}
			})
		}
	}
}

// TestTearBeyondCommit checks that a tear armed past a commit's writes fires
// in a later commit, at the right write.
func TestTearBeyondCommit(t *testing.T) {
	tests := []struct {
		n          int
		firstTorn  bool
		secondTorn bool
		wantCell0  string
		wantCell1  string
	}{
		{n: 3, firstTorn: true, wantCell0: "a", wantCell1: "cell1"},     // marker set: after
		{n: 4, firstTorn: true, wantCell0: "a", wantCell1: "cell1"},     // last write of the first commit
		{n: 5, secondTorn: true, wantCell0: "a", wantCell1: "cell1"},    // first journal write of the second
		{n: 7, secondTorn: true, wantCell0: "a", wantCell1: "b"},        // second's marker
		{n: 9, wantCell0: "a", wantCell1: "b"},                          // beyond both: never fires here
		{n: 0, wantCell0: "a", wantCell1: "b"},                          // disarmed
		{n: -1, wantCell0: "a", wantCell1: "b"},                         // disarmed
		{n: 1, firstTorn: true, wantCell0: "cell0", wantCell1: "cell1"}, // first journal write
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			m := New(initial(2))
			m.TearAfter(tt.n)
			m.Begin()
			m.Set(0, []byte("a"))
			err1 := m.Commit()
			if torn := errors.Is(err1, ErrPowerLost); torn != tt.firstTorn {
				t.Fatalf("first Commit() = %v, torn want %v", err1, tt.firstTorn)
			}
			if tt.firstTorn {
				m.PowerUp()
			} else {
				m.Begin()
				m.Set(1, []byte("b"))
				err2 := m.Commit()
				if torn := errors.Is(err2, ErrPowerLost); torn != tt.secondTorn {
					t.Fatalf("second Commit() = %v, torn want %v", err2, tt.secondTorn)
				}
				m.PowerUp()
			}
			if got := string(m.Get(0)); got != tt.wantCell0 {
				t.Errorf("cell 0 = %q, want %q", got, tt.wantCell0)
			}
			if got := string(m.Get(1)); got != tt.wantCell1 {
				t.Errorf("cell 1 = %q, want %q", got, tt.wantCell1)
			}
			if tt.n == 9 {
				// Armed 9 writes out, 8 done: the next write tears.
				m.Set(0, []byte("c"))
				if m.Powered() {
					t.Error("tear armed beyond two commits did not fire in the third")
				}
			}
		})
	}
}

// TestTearCounterDecrement models a try counter: one command decrements it
// (commit 1), a later one restores it (commit 2). Whatever write the power is
// lost after, the counter must never exceed its initial value and must hold
// one of the values the two commits move between.
func TestTearCounterDecrement(t *testing.T) {
	const initialTries = 3
	run := func(m *Memory) error {
		// Command 1: decrement, with a second cell updated alongside.
		m.Begin()
		m.SetByte(0, 0, m.Get(0)[0]-1)
		m.Set(1, []byte("attempt logged"))
		if err := m.Commit(); err != nil {
			return err
		}
		// Command 2: the check succeeded, restore the counter.
		m.Begin()
		m.SetByte(0, 0, initialTries)
		return m.Commit()
	}
	newMem := func() *Memory { return New([][]byte{{initialTries}, []byte("log")}) }

	ref := newMem()
	if err := run(ref); err != nil {
		t.Fatal(err)
	}
	total := int(ref.Writes())
	if total != 6+4 {
		t.Fatalf("scenario performs %d writes, want 10", total)
	}
	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := newMem()
			m.TearAfter(n)
			if err := run(m); !errors.Is(err, ErrPowerLost) {
				t.Fatalf("run = %v, want ErrPowerLost", err)
			}
			m.PowerUp()
			got := m.Get(0)[0]
			if got > initialTries {
				t.Fatalf("counter %d exceeds initial %d", got, initialTries)
			}
			var want byte = initialTries - 1
			if n <= 2 || n > 6+1 { // commit 1 not applied, or commit 2 applied
				want = initialTries
			}
			if got != want {
				t.Errorf("counter = %d, want %d", got, want)
			}
			if log := string(m.Get(1)); (log == "log") != (n <= 2) {
				t.Errorf("second cell %q inconsistent with counter after tear at %d", log, n)
			}
		})
	}
}
