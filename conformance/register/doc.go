// Package register is the card register: the issuing side's record of
// persons and their social security cards (CARD.md §6). It keeps each
// card's back-end state (sealed 封存, enabled 启用, temporary loss 临时挂失,
// formal loss 正式挂失, cancelled 注销), its expiry, the arrears on the
// holder's medical account, the reissue link from a new card to the card it
// replaces, the last on-chip state a terminal reported, and a journal of
// every event with its route, terminal and time.
//
// The register lives in one SQLite file (modernc.org/sqlite, pure Go),
// migrated to the current schema when opened. A damaged file, a file of
// another program, or a file written by a newer sscard is refused with a
// clear error and left untouched. Writes go through one writer that commits
// the operations waiting at that moment together (group commit), so that a
// busy register still commits every operation durably; an operation that
// fails undoes only itself (a refusal is not a failure: it is journaled).
//
// Terminals reach the register through a loopback HTTP+JSON API (Server,
// Client). Every request is authenticated with the terminal's own key: an
// HMAC-SHA256 over the method, path, terminal, time, a fresh nonce and the
// body. A request that is malformed, unauthenticated, forged, stale or
// replayed changes nothing. The register is authoritative: terminals change
// a card's chip to follow it (CARD.md §6 [model]).
package register
