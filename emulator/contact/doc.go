// Package contact is the card side of the contact interface (ISO/IEC
// 7816-3) of an emulated card: the answer-to-reset on cold and warm reset
// (the card's ATR, built from its profile: T=0 only like the real cards of
// CARD.md §2 unless the profile offers T=1), the PPS exchange, T=0 with its
// procedure bytes (ACK, INS xor FF, NULL, SW1 SW2, 61xx, 6Cxx) and T=1 with
// I-, R- and S-blocks, LRC or CRC, IFSC and IFSD, chaining both ways, WTX,
// ABORT, RESYNCH and the error handling of §11.6.3.
//
// An ICC stands in front of one emulator.Card and implements Line, the
// contact wire as a reader sees it. Nothing sleeps: every frame has a start
// and a duration in model time, computed from the clock frequency, F and D
// and the guard times; waiting times (WT, BWT, CWT, WTX) are given by the
// reader to Receive, and the ICC notes every wait a reader cut short
// (Violations). Frames and events go to a link.Trace; seeded faults from a
// link.Injector break the card's frames (EDC, drop, truncation, WTX, tiny
// IFSC, wrong 61xx and 6Cxx, replaced status word, power loss), and a power
// loss tears the card's NVM writes so that the card image stays consistent.
//
// The contact and contactless interfaces are two doors into the same
// emulator.Card: a PIN try through one is seen through the other.
//
// # Model choices
//
// What ISO/IEC 7816-3 leaves to the card is chosen here (model choice, see
// CARD.md) and can be changed through Config: the clock frequency
// (DefaultClockHz), the time the card computes a command (DefaultWork), the
// direction of a T=0 command (DefaultOutgoing), the ATR delay (10 000 clock
// cycles) and the NULL byte sent after 9/10 of WT while the card computes.
package contact
