package nvm

import "testing"

func BenchmarkGet(b *testing.B) {
	m := New(initial(32))
	m.Begin()
	m.Set(7, []byte("staged"))
	b.ReportAllocs()
	var sink []byte
	for i := 0; b.Loop(); i++ {
		sink = m.Get(i & 31)
	}
	_ = sink
}

func BenchmarkCommit1(b *testing.B) {
	m := New(initial(32))
	v := []byte{0x03}
	b.ReportAllocs()
	for b.Loop() {
		m.Begin()
		m.Set(5, v)
		if err := m.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
