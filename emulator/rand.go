package emulator

import (
	crand "crypto/rand"
	"encoding/binary"
	"io"
	mrand "math/rand/v2"
	"sync"
)

func defaultRand() io.Reader { return crand.Reader }

// seededRand is a deterministic ChaCha8 stream from a seed.
func seededRand(seed uint64) io.Reader {
	var s [32]byte
	binary.BigEndian.PutUint64(s[:], seed)
	copy(s[8:], "sscard fixed-seed randomness")
	return &lockedReader{r: mrand.NewChaCha8(s)}
}

type lockedReader struct {
	mu sync.Mutex
	r  *mrand.ChaCha8
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
