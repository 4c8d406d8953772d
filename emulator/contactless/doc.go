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
//
// # Faults
//
// A PICC given a link.Injector (WithFaults, SetFaults) draws the faults
// scoped contactless or any once per frame it is about to send, and
// applies those that mean something for that frame:
//
//   - edc: one bit of the frame's EDC flipped: the CRC of a frame that has
//     one, the BCC of an anticollision answer (an ATQA has none);
//   - drop: the frame is not sent (the reader times out);
//   - truncate[=N]: the frame is cut to N bytes (default half);
//   - wtx: on the answer to a command, an S(WTX) with WTXM 1 first (once
//     per command);
//   - tiny-frame: on the ATS or ATQB, FSC 16 announced (and enforced); on
//     the answer to a command, the answer chained in 16-byte frames;
//   - sw=XXXX, wrong-61xx, wrong-6cxx: on the answer to a command, the
//     status word replaced, a 61xx one more than the bytes waiting, a 6Cxx
//     one more than the data;
//   - power-loss[=N]: on the answer to a command, the power goes after N
//     NVM writes of the command (torn, recovered at the next power-up) or,
//     with N = 0, before the command runs; no answer, and the card is back
//     in IDLE at the next frame, as a card that left the field and came
//     back.
//
// The frame count is per interface; a seeded injector replays the same
// faults on the same frames.
package contactless
