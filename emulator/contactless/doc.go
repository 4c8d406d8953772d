// Package contactless is the card side of ISO/IEC 14443: the PICC of the
// social security card's contactless door, and the RF field several cards
// share.
//
// A PICC wraps an emulator.Card, the same card the contact door drives, so
// a PIN try on one door is seen on the other. It answers ISO/IEC 14443-3
// Type A (REQA/WUPA, anticollision and select over cascade levels 1–3,
// HLTA) or Type B (REQB/WUPB with AFI and slots, ATTRIB, HLTB), then the
// ISO/IEC 14443-4 block protocol (RATS/ATS, PPS, I/R/S blocks with
// chaining, WTX, DESELECT, CID and NAD within the FSC/FSD limits).
//
// A Field holds the cards and carries frames between them and a reader
// (a PCD) through the Air interface: frames collide bit by bit when
// several cards answer at once, every frame is traced with its start and
// duration in model time (computed from the bit rate, never slept), and
// seeded faults from emulator/link break the cards' frames on demand.
//
// The parameters that are not public for the social security card (UID
// size, FWI, FSCI, bit rates...) come from the profile's
// interfaces.iso14443 section; the defaults are the constants of
// params.go [model, CARD.md §1].
package contactless
