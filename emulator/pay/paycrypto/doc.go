// Package paycrypto is the cryptography of the financial application (CARD.md
// §5), shared by the card model and by terminals so both sides compute the
// same bytes: EMV Book 2 Annex A key derivation (Option A card master keys,
// the common session key), application cryptograms, ARPC method 1, issuer
// script MACs and PIN encipherment on the DES path and on the SM4 path; the
// RSA certificate chain of offline data authentication (Book 2 §5, §6: issuer
// and ICC public key certificates, signed static and dynamic application
// data) with its recovery; and the SM2 chain of the SM path.
//
// The block ciphers and hashes come from crypto/des, crypto/sha1 and
// github.com/emmansun/gmsm (sm3, sm4), RSA arithmetic from math/big with the
// keys of crypto/rsa, SM2 signatures from github.com/emmansun/gmsm/sm2;
// this package only formats, pads and chains.
//
// What the public texts fix is marked with its clause; the SM path's formats
// are this project's choice (model choice, see CARD.md §5), documented on
// each function and in package pay.
package paycrypto
