// Package nvm models the card's non-volatile memory: cells that change only
// through journaled transactions, power loss injected between physical
// writes, recovery at power-up, and the card image file that stores the
// memory on disk.
//
// # Cells and sharing
//
// A [Memory] is a fixed number of cells, each a variable-length byte string,
// indexed 0..Len()-1. Cells are immutable once stored: every write stores a
// fresh copy, so the initial contents given to [New] can be shared by any
// number of memories (ten thousand cards personalised from one profile hold
// one copy of the profile's data).
//
// # Transactions and tearing
//
// A state-changing command runs in a transaction: [Memory.Set] stages a copy
// of the new value in RAM and [Memory.Commit] performs the physical writes in
// the classic journaled order, each counted as one physical write:
//
//  1. one write per staged entry into the journal area;
//  2. one write setting the commit marker;
//  3. one write per staged entry into the main cells;
//  4. one write clearing the marker and the journal.
//
// A commit of k entries therefore costs 2k+2 physical writes. [Memory.TearAfter]
// arms a power loss after the n-th physical write from now: that write
// completes and then the memory is off until [Memory.PowerUp], which replays
// the journal if the marker was set and discards it otherwise. After any tear
// and power-up the cells hold exactly the state before or after the
// interrupted commit, never a mix.
//
// # Card image format
//
// A card image is one file, all integers big-endian:
//
//	magic     8 bytes  "SSCARDIM"
//	version   uint16   1
//	meta      uint32 length, then that many bytes (opaque to this package)
//	count     uint32   number of cells
//	cells     count times: uint32 length, then that many bytes
//	checksum  32 bytes SHA-256 over everything before it
//
// An image is at most [MaxImageSize] bytes and holds at most [MaxCells]
// cells. [DecodeImage] checks every length against the bytes that remain
// before allocating, and every decoding error wraps [ErrImage]. Images are
// written with [WriteFileAtomic], so a crash while saving leaves either the
// old file or the new one.
package nvm
