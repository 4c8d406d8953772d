// Package emv is the reference terminal kernel of the financial
// application (CARD.md §5): a contact kernel (EMV Book 3, JR/T 0025 UICS)
// and a qUICS contactless kernel (JR/T 0025.12) that drive a card through
// a terminal.Transport, and a simulated issuer host that checks the card's
// cryptograms and answers with an ARPC and issuer scripts.
//
// It talks to cards only through the transport, so the same kernel drives
// the in-process model, a virtual reader in pcscd and a real card; the
// conformance suite "pay" (package conformance/paysuite) and "sscard pay"
// run it.
//
// # Flows
//
// Contact: SELECT PSE and its directory, or the terminal's list of AIDs
// with partial selection; final SELECT; GET PROCESSING OPTIONS with the
// PDOL data; READ RECORD per AFL; offline data authentication (CDA, else
// DDA, else SDA, per the AIP and the terminal capabilities); processing
// restrictions; cardholder verification by the CVM list (plaintext offline
// PIN, online PIN, signature, no CVM); terminal risk management (exception
// file, floor limit, or the electronic cash limit and balance on the
// electronic cash path, velocity checking); terminal action analysis with
// the TACs and IACs; GENERATE AC; and for an ARQC the online step: the
// authorisation request to the Host, issuer authentication by EXTERNAL
// AUTHENTICATE, issuer scripts 71 and 72 around the second GENERATE AC.
//
// qUICS: SELECT PPSE; final SELECT; GPO with the TTQ; READ RECORD per AFL;
// the card's decision from the GPO answer: a TC is accepted only once
// fDDA verifies (and the application is not expired), an ARQC goes to the
// Host, an AAC declines.
//
// # Offline data authentication
//
// RSA: the certificate recovery and checks of EMV Book 2 §5 and §6 (issuer
// and ICC public key certificates with their remainders, signed static
// data, signed dynamic data, CDA's transaction data hash code), written
// from Book 2's tables; exponents 3 and 65537 only. SM2 (the SM path): the
// certificate chain laid out by package emulator/pay (a model of JR/T
// 0025.17), verified with github.com/emmansun/gmsm. The CA keys are the
// terminal's (Config.CAKeys); the path is the CA key's algorithm for the
// index the card names.
//
// # Outcome
//
// Kernel.Run returns a Result with the outcome (approved offline, approved
// online, online request, declined offline, declined online, terminated),
// the last cryptogram, the TVR and TSI the kernel built, the CVM results,
// the data exchanged and every command and response. Its error is nil
// exactly for approvals and online requests; otherwise it wraps the
// reason: ErrDeclined, ErrODAFailed, ErrCardBlocked, ErrAppBlocked,
// ErrCardData (malformed, missing or inconsistent card data),
// ErrTransport, ErrNoApplication, ErrTryAnotherInterface, ErrIssuer.
//
// The kernel never trusts the card's data: every length is checked before
// use, lists and loops are bounded (AFL records, GET RESPONSE chains,
// partial selections, PIN tries, script commands), RSA exponents are
// restricted, SM2 points are checked on the curve, data objects the
// terminal originates cannot be overwritten by the card, and duplicate or
// conflicting data objects end the transaction. FuzzKernelCardResponses
// puts a card answering arbitrary bytes behind the transport.
//
// # Issuer host
//
// Issuer recomputes the cryptogram from its master keys (Option A card
// keys, common session keys, EMV Book 2 Annex A; SM4 in the same structure
// on the SM path) over the DOL data the terminal sent, the AIP, the ATC and
// the CVR, as package emulator/pay lays out the input; it declines a
// cryptogram that does not verify, signs its answer with an ARPC (method
// 1), and sends issuer scripts with their MACs. Its symmetric cryptography
// is written apart from the card's (hostcrypto.go) and pinned to public
// EMV vectors, so a card that computes wrongly is caught rather than
// agreed with.
//
// # Choices of this kernel
//
// Random transaction selection is not performed (the kernel is
// deterministic given Config.Rand and Config.Now). Offline enciphered PIN
// is not offered. A qUICS card may repeat in its GPO answer data objects
// of its records (57, 5F34) with the same value; records may not repeat
// each other. Without a Host, an ARQC ends the transaction as an online
// request; with a Host that fails, the contact kernel completes with the
// default action codes (ARC Y3/Z3).
package emv
