// Package activation holds the reference terminals of the activation
// routes of CARD.md §6, the scenarios that run them against every persona,
// the check of a third-party terminal's trace against a route's rules, and
// fleet runs.
//
// # Routes
//
// A Terminal belongs to one route and drives a card (and the PSAM beside
// it) through a terminal.Transport and the card register through its API
// (register.Client):
//
//   - bank outlet (route 1): read and check the holder's identity, activate,
//     set the social security PIN if it is still the default (or reset a
//     blocked one with the PSAM), set the bank card PIN with an issuer
//     script on the financial application, invalidate the original card of
//     a reissue;
//   - designated hospital (route 2): the first registration for outpatient
//     or inpatient service activates a sealed card;
//   - designated pharmacy (route 3): the original card first, then the new
//     card; the same social security number on both or refusal; the new
//     card enabled and the old cancelled in one register transaction; the
//     old card blocked on-chip when it is next seen;
//   - social security bureau (route 4): reactivation of a stopped card for
//     each cause (expired: renewed, with the new expiry date written to the
//     chip; cancelled; temporary or formal loss; arrears: paid first), or a
//     reissue;
//   - online (route 5): a phone reads the card contactlessly, the PKI
//     verifier (package idauth) authenticates it, the register enables it.
//
// The register is authoritative: a terminal asks the register first, then
// makes the chip follow (CARD.md §6 [model]): ACTIVATE FILE for an enabled
// card whose SSSE is still deactivated (life cycle 04), APPLICATION BLOCK
// for a cancelled or formally lost card, APPLICATION UNBLOCK when the
// bureau reactivates a blocked card; and it reports the chip's state to the
// register. Every terminal with a PSAM does this for every card it sees, so
// a chip left behind by a power loss, a pulled card or an online
// activation (a phone has no PSAM) is brought in line the next time a
// terminal sees it. Activation is idempotent: a retry finds the register
// already enabled and completes what is left.
//
// # Checks
//
// Check evaluates the APDU trace of a third-party terminal (the trace file
// "sscard emulate --trace" writes) together with the register's journal
// against the rules of a route, and returns a conformance.Report (text,
// JSON, JUnit). Each rule names the step of the route it comes from.
package activation
