// Package cardcrypto is the symmetric cryptography of the social security
// card, its PSAM and the terminal: block ciphers, key diversification, the
// secure-messaging MAC, PIN blocks and authentication cryptograms (CARD.md §3),
// plus the SM3 helpers of the PKI application (CARD.md §4).
//
// Card and terminal both call this one implementation, so both sides compute
// the same bytes. The block ciphers come from crypto/des and
// github.com/emmansun/gmsm/sm4, the hash from github.com/emmansun/gmsm/sm3;
// nothing here is a hand-written cipher or hash. This package only chains and
// pads blocks around those primitives.
//
// Constructions marked [model] in the doc comments are this project's
// documented choice where the LD/T 32 texts are not public (model choice, see
// CARD.md); constructions marked [known] follow public traces of real cards.
package cardcrypto
