// Package pay is the financial application of the third-generation social
// security card (CARD.md §5): the UnionPay UICS (PBOC 3.0) debit, credit and
// electronic-cash applications that share the chip with the SSSE and the PKI
// application, with their directories PSE and PPSE, contact (EMV) and
// contactless quick payment (qUICS), offline data authentication on the
// DES/RSA path and on the SM path, electronic cash, issuer scripts and the
// transaction log.
//
// This comment is the data model the terminal side is written against.
// Everything not marked [known] is this package's choice (model choice, see
// CARD.md §5), listed here in one place; the choices marked (profile) are
// fields of the profile's pay section, so a vendor changes them by
// personalisation.
//
// # Files and selection
//
// The directories and the applications are DFs under the MF, beside the
// SSSE and the PKI DF, with no FID:
//
//	1PAY.SYS.DDF01  PSE (contact) [known name]
//	                FCI 6F{84 name, A5{88 01 01, 5F2D "zhen"}}
//	                SFI 1, one directory record per application:
//	                70{61{4F AID, 50 label, 87 priority}}
//	2PAY.SYS.DDF01  PPSE (contactless) [known name]
//	                FCI 6F{84 name, A5{BF0C{61{4F AID, 50 label, 87 priority}...}}}
//	                (the applications with contactless: true)
//	A000000333010101  debit [known]   (profile: applications)
//	A000000333010102  credit          (profile)
//	A000000333010106  electronic cash (profile)
//
// An application's FCI (SELECT by name, P2 00; partial names and "next
// occurrence" P2 02 as ISO/IEC 7816-4 allows):
//
//	6F{84 AID, A5{50 label, 87 priority, 9F38 PDOL, 5F2D "zhen",
//	   [9F11 01, 9F12 preferred name], BF0C{9F4D 0B 0A}}}
//
// An application blocked by APPLICATION BLOCK is selected with its FCI
// and 6283 (EMV Book 1 §12.3.3), and a terminal that goes on anyway gets
// AAC from GENERATE AC (see Issuer scripts), as it does when a script
// blocks the application during a transaction. Selecting an application,
// or selecting it again, starts a new transaction on that logical
// channel.
//
// # Data object lists
//
//	PDOL   9F66 04 9F02 06 9F03 06 9F1A 02 95 05 5F2A 02 9A 03 9C 01 9F37 04
//	       [known, qPBOC], then DF69 01 when the card has the SM path
//	       (profile: pdol replaces the list; DF69 01 is still appended)
//	CDOL1  9F02 06 9F03 06 9F1A 02 95 05 5F2A 02 9A 03 9C 01 9F37 04 9F21 03 9F4E 14
//	CDOL2  8A 02 95 05 9F37 04
//	DDOL   9F37 04
//	9F4A   82 (the AIP is part of the static data to be authenticated)
//	9F4F   9A 03 9F21 03 9F02 06 9F03 06 9F1A 02 5F2A 02 9F4E 14 9C 01 9F36 02
//	       (log format; 45-byte log records)
//
// # Path: contact or qUICS, DES/RSA or SM
//
// The card OS does not tell an application which door a command came
// through, so the card takes the path from the GPO data: TTQ (9F66) with
// b6 of byte 1 (20, qUICS supported) set asks for qUICS; TTQ with that bit
// clear, as a contact terminal fills it (unknown PDOL objects are zeros),
// or a PDOL without 9F66, gives the contact path.
//
// The algorithm (profile: algorithms "des", "sm" or "both"; default both on
// 3.00 cards) is the DES/RSA path (DF69 absent or 00) or the SM path (DF69
// 01, SM algorithm support indicator [known tag]). A card with only the SM
// path answers GPO with 6985 to a terminal without SM; one with only DES/RSA
// has no DF69 in its PDOL.
//
// # GET PROCESSING OPTIONS  80 A8 00 00 Lc 83 L <PDOL data> 00
//
// P1-P2 other than 0000: 6A86; CLA other than 80: 6E00. The data is 83
// with exactly the PDOL's length (6700 otherwise; 6A80 when the template is
// not 83, the TLV is malformed or followed by more, a numeric item (amount,
// currency, country, type) is not BCD, the date or time is impossible, or
// DF69 is neither 00 nor 01). A second GPO in one transaction answers 6985.
// GPO increments the ATC (9F36); once it is FFFF, GPO answers 6985 for
// good. Nothing changes in NVM on an error.
//
// Contact path: AIP and AFL, format 1 80{AIP‖AFL} [known] or format 2
// 77{82, 94} (profile: responseFormat, default 1).
//
// qUICS path: template 77 with
//
//	82 AIP, 94 AFL, 9F36 ATC, 9F27 CID, 9F26 cryptogram, 9F10 IAD,
//	57 track 2 equivalent, 5F34 PSN, 9F6C CTQ, 9F5D available offline
//	spending amount (the e-cash balance after the transaction),
//	and, offline approved with fDDA: 9F69 card authentication related data,
//	9F4B signed dynamic application data.
//
// CTQ (profile: ctq, default 0000) gets b8 of byte 1 (online PIN required)
// when the amount is above the card CVM limit (9F6B) and the reader
// supports online PIN (TTQ byte 1 b3), else b7 (signature) when it supports
// signature (TTQ byte 1 b2). "Online" below means ARQC if the reader is
// online capable (TTQ byte 1 b4, offline-only reader, clear), else AAC. The
// card decides in this order: application blocked: AAC; TTQ byte 2 b8
// (online cryptogram required) or online PIN required: online; no
// electronic cash in the application (credit), amount other (9F03) not
// zero, transaction currency not the application currency (9F51), amount
// above the single transaction limit (9F78) or above the balance (9F79):
// online; remaining balance below the reset threshold (9F6D) and the reader
// online capable: ARQC (so the issuer can reload); otherwise TC, offline
// approved: the balance is debited, the ATC and the log record are written
// in the same NVM transaction (a power loss leaves all or none).
//
// # AIP, AFL and records
//
// AIP (82), the same on both paths: byte 1 b7 SDA, b6 DDA, b1 CDA (profile:
// oda, default sda, dda, cda), b5 cardholder verification, b4 terminal risk
// management, b3 issuer authentication; byte 2 00 (profile: aip overrides;
// the known contact answer has 7C00).
//
//	AFL, DES/RSA path  08 01 02 00  10 01 04 02  18 01 05 00  20 01 01 00
//	AFL, SM path       08 01 02 00  10 01 04 02  20 01 01 00  28 01 04 00
//
// (profile: afl overrides the DES/RSA path's AFL; the records it names must
// exist). Records, each a template 70:
//
//	SFI 1 r1  57 track 2 equivalent, 5F20 cardholder name
//	SFI 1 r2  9F61 cardholder ID number (the SSSE's social security number),
//	          9F62 ID type 00
//	SFI 2 r1  5A PAN, 5F24 expiry, 5F25 effective date, 5F34 PSN,
//	          5F28 issuer country, 9F07 AUC, 9F08 version, 5F30 service code
//	SFI 2 r2  8E CVM list, 9F0D, 9F0E, 9F0F issuer action codes,
//	          9F42 application currency, 9F44 currency exponent
//	SFI 2 r3  8C CDOL1, 8D CDOL2, 9F49 DDOL, 9F4A static data tag list
//	SFI 2 r4  9F14 lower, 9F23 upper consecutive offline limit,
//	          9F51 application currency (PBOC)
//	SFI 3 r1  8F CA public key index, 9F32 issuer exponent, [92 remainder]
//	SFI 3 r2  90 issuer public key certificate (RSA)
//	SFI 3 r3  93 signed static application data (RSA)
//	SFI 3 r4  9F46 ICC public key certificate (RSA)
//	SFI 3 r5  9F47 ICC exponent, [9F48 ICC remainder]
//	SFI 4 r1  9F74 e-cash issuer authorisation code "ECC001"
//	SFI 5 r1  8F CA public key index (SM)
//	SFI 5 r2  90 issuer public key certificate (SM2)
//	SFI 5 r3  93 signed static application data (SM2)
//	SFI 5 r4  9F46 ICC public key certificate (SM2)
//	SFI 11    the transaction log, 10 records, most recent first (9F4D 0B 0A)
//
// SFI 2 records 1 and 2 (their values, without tag 70 and length) followed
// by the AIP are the static data to be authenticated on both paths.
// READ RECORD 00 B2 <n> <SFI<<3|4> 00: 6A86 for another P2 (SFI 0 or low
// bits other than 100), 6A82 for an unknown SFI, 6A83 for a missing record
// or record 0, 6700 with command data. Records are readable at any time
// after SELECT.
//
// # GENERATE AC  80 AE P1 00 Lc <CDOL data> 00
//
// P1 b8-b7: 00 AAC, 40 TC, 80 ARQC (C0, or any bit but b5: 6A86); b5 (10)
// asks for CDA; P2 other than 00: 6A86. The first GENERATE AC takes CDOL1
// data, the second CDOL2 data (6700 for another length, 6A80 for a numeric
// item that is not BCD or an impossible date or time); before GPO, after
// the last one, or on the qUICS path: 6985. GENERATE AC never changes the
// ATC. First: AAC asked or the application blocked: AAC. ARQC asked: ARQC.
// TC asked: an e-cash transaction (the GPO data had 9F7A 01, an amount
// within the balance and the single transaction limit, the application
// currency): TC debiting the balance if the CDOL1 amount equals the GPO's
// and the balance still covers it, AAC if not; otherwise TC while the consecutive offline transactions stay
// below the upper limit (9F23) and no online transaction is pending, else
// ARQC. An offline TC counts one more offline transaction. Second (after
// ARQC): TC or AAC as asked (ARQC: 6A86; blocked meanwhile: AAC); a TC
// resets the offline counter and sets the last online ATC (9F13).
//
// Answer: format 1 80{CID‖ATC‖AC‖IAD} or format 2 77{9F27, 9F36, 9F26,
// 9F10} (profile: responseFormat); with CDA asked, supported, and a TC or
// ARQC: 77{9F27, 9F36, 9F4B, 9F10}, the cryptogram inside the signature
// (EMV Book 2 §6.6); an AAC is never signed.
//
// CID (9F27): 00 AAC, 40 TC, 80 ARQC.
//
// IAD (9F10), 19 bytes: 07 DKI CVN CVR(03 c1 c2 c3) ALG ‖ 0A 01 BAL 00 00 00
// where DKI is the derivation key index (profile: dki, default 01), CVN the
// cryptogram version (01 DES, 04 SM), ALG 01 (DES) or 04 (SM), BAL the
// e-cash balance after the transaction (n12). CVR bits:
//
//	c1 b8-b7 AC of the second GENERATE AC: 00 AAC, 01 TC, 10 not asked
//	   b6-b5 AC of the first: 00 AAC, 01 TC, 10 ARQC
//	   b4 issuer authentication failed  b3 offline PIN performed
//	   b2 offline PIN failed            b1 unable to go online
//	c2 b8 last online transaction not completed  b7 PIN try limit exceeded
//	   b6 offline limits exceeded  b5 new card  b4 issuer authentication
//	   failed last time  b3 issuer authentication not performed after online
//	c3 b8-b5 issuer script commands processed in the last transaction
//	   b4 issuer script failed  b2 offline DDA/fDDA performed
//
// Cryptogram input: the DOL data as sent (CDOL1, CDOL2, or for qUICS the
// PDOL data) ‖ AIP ‖ ATC ‖ CVR (the 4 bytes 03 c1 c2 c3):
// paycrypto.CryptogramInput and paycrypto.Cryptogram.
//
// # Keys and cryptograms
//
// The profile holds three issuer master keys per algorithm (profile:
// des.keys and sm.keys: ac, mac, enc). DES/RSA path, EMV Book 2 Annex A:
//
//	card key   MK = Option A (A1.4.1): 3DES(IMK)[Y] ‖ 3DES(IMK)[Y ⊕ FF..],
//	           Y the rightmost 16 digits of PAN ‖ PSN, odd parity
//	session    SK = common session key (A1.3.1): 3DES(MK)[ATC‖F0‖00..] ‖
//	           3DES(MK)[ATC‖0F‖00..], odd parity; AC and ARPC keys from
//	           R = ATC ‖ 00..; script MAC and PIN keys from R = the AC
//	           of the first GENERATE AC (or of the qUICS GPO)
//	AC         ISO/IEC 9797-1 MAC algorithm 3 (retail MAC), 80 padding,
//	           zero IV, 8 bytes (A1.2)
//	ARPC       method 1 (§8.2.1): 3DES(SK_AC)[ARQC ⊕ (ARC‖00..)]
//	script MAC the same MAC with SK_MAC over CLA INS P1 P2 Lc ‖ ATC ‖ AC
//	           ‖ data (§9.2.1), leftmost 4 bytes
//
// SM path, the same structure with SM4 (16-byte blocks): MK =
// SM4(IMK)[Y ‖ ~Y]; SK = SM4(MK)[F1], F1 = R with its third byte set to F0,
// R = ATC ‖ 00×14 for the AC key, AC ‖ 00×8 for the script keys; AC = the
// leftmost 8 bytes of the SM4 CBC-MAC (80 padding, zero IV); ARPC = the
// leftmost 8 bytes of SM4(SK_AC)[(ARQC ⊕ ARC‖00..) ‖ 00×8]; script MAC the
// leftmost 4 bytes of the SM4 CBC-MAC. Package paycrypto computes all of
// them, for the card and for terminals.
//
// EXTERNAL AUTHENTICATE 00 82 00 00 0A <ARPC 8><ARC 2> after an ARQC is
// issuer authentication: 9000, or 6300 and the CVR bit (kept for the next
// transaction's CVR when the second GENERATE AC ends this one); one try per
// transaction, 6985 after it or without an ARQC pending; 6700 for another
// length.
//
// # Offline data authentication
//
// RSA (EMV Book 2 §5, §6): CA → issuer → ICC certificates in the formats
// of Book 2 Tables 6 and 14 (hash SHA-1, exponent 65537; test keys of 1984,
// 1152 and 1024 bits, so the ICC certificate has a 9F48 remainder and a
// qUICS answer with fDDA fits 256 bytes), SDA tag 93 (Table 7, DAC from the
// profile), DDA by INTERNAL AUTHENTICATE 00 88 00 00 Lc <DDOL data> 00
// (Table 17: ICC dynamic data = 08 ‖ an 8-byte ICC dynamic number from the
// card's random source; the DDOL data, 1 to 64 bytes, is the terminal
// dynamic data), answered 80{SDAD} (format 1) or 77{9F4B} (format 2);
// before GPO or on the qUICS path 6985, on a card without DDA 6D00. CDA per
// §6.6: ICC dynamic data 08 ‖ IDN(8) ‖ CID ‖ AC ‖ the transaction data hash
// code over PDOL data ‖ CDOL1 data [‖ CDOL2 data] ‖ the answer's 9F27, 9F36
// and 9F10 as TLVs; terminal dynamic data the UN (9F37) of the CDOL data.
// fDDA on qUICS (9F4B in the GPO answer, offline approvals only) with ICC
// dynamic data 04 ‖ IDN(4) and, as terminal dynamic data, UN ‖ amount ‖
// currency ‖ 9F69 (9F69 = 01 ‖ IDN ‖ CTQ).
//
// SM2 (the SM path) [model]: the same chain and the same dynamic data with
// SM2 signatures (GB/T 32918.2, SM3, user ID "1234567812345678"), r‖s; the
// CDA transaction data hash code is SM3 (32 bytes) instead of SHA-1:
//
//	issuer cert (90)  12 ‖ issuer id(4) ‖ MMYY ‖ serial(3) ‖ 04 ‖ 00 ‖ 40 ‖
//	                  X‖Y ‖ sig, signed by the CA over all before sig
//	ICC cert (9F46)   14 ‖ PAN(10, F-padded) ‖ MMYY ‖ serial(3) ‖ 04 ‖ 00 ‖
//	                  40 ‖ X‖Y ‖ sig, signed by the issuer over all before
//	                  sig ‖ the static data to be authenticated
//	SSAD (93)         13 ‖ DAC(2) ‖ sig over 13 ‖ DAC ‖ static data
//	SDAD (9F4B)       15 ‖ LDD ‖ ICC dynamic data ‖ sig over 15 ‖ LDD ‖
//	                  ICC dynamic data ‖ terminal dynamic data
//
// The CA public keys the terminal needs (RID A000000333, index F1 RSA and
// F2 SM2, modulus and exponent or the SM2 point) are in
// vectors/pay/capk.json and returned by testpay.CAPublicKeys (package
// vectors/pay/testpay); the keys are stored PEM files under vectors/pay,
// with manifest.json saying where each came from. The certificates are made
// from them when a card is built (deterministically: RSA certificates are
// a pure function of the keys; SM2 signatures take their nonce from a
// stream seeded by the certificate's content).
//
// Signatures made during a transaction (DDA, fDDA, CDA, SM2 nonces) and ICC
// dynamic numbers draw on the card's random source, so a card built
// WithSeed answers reproducibly.
//
// # Other commands
//
// GET DATA 80 CA P1 P2 00: 9F36 ATC, 9F13 last online ATC, 9F17 PIN try
// counter, 9F79 e-cash balance, 9F77 balance limit, 9F78 single transaction
// limit, 9F6D reset threshold, 9F6B card CVM limit, 9F4F log format; the
// answer is the data object itself (9F79 06 <n12>); others, and the e-cash
// objects of an application without electronic cash, 6A88.
//
// VERIFY 00 20 00 80 08 <PIN block 2N PP..FF> (plaintext offline PIN;
// EMV Book 3 §6.5.12): 9000 (the counter back to its maximum), 63Cx, 6983
// blocked (before the PIN data is looked at); a malformed block 6A80 and a
// wrong length 6700 with no try spent; without data, the tries left (63Cx).
// P2 88 (enciphered offline PIN, EMV Book 2 §7.2) on the DES/RSA path: the
// block is RSA-enciphered under the ICC key and holds 7F ‖ PIN block ‖ the
// 8-byte GET CHALLENGE ‖ random padding (no challenge: 6985; another
// challenge or header: 6A80; on the SM path: 6A86). The payment
// applications share one offline PIN and try counter (profile: pin),
// separate from the SSSE PIN; the CVR reports a PIN verified or failed in
// the transaction.
//
// # Issuer scripts (EMV Book 3 §6.5, PBOC)
//
//	84 1E 00 00 04 <MAC>          APPLICATION BLOCK
//	84 18 00 00 04 <MAC>          APPLICATION UNBLOCK
//	84 16 00 00 04 <MAC>          CARD BLOCK: every payment application;
//	                              the SSSE and PKI applications go on
//	84 24 00 00 04 <MAC>          PIN UNBLOCK (try counter reset)
//	84 24 00 02 Lc <enc PIN><MAC> PIN CHANGE/UNBLOCK: the new PIN block
//	                              enciphered under SK_ENC (3DES-ECB, 8 bytes;
//	                              SM4-ECB, the block FF-padded to 16)
//	04 DA P1 P2 Lc <value><MAC>   PUT DATA 9F79, 9F77, 9F78, 9F6D (n12),
//	                              9F6B; 6A80 for a value that is not BCD or
//	                              a balance above the balance limit
//
// A script needs the AC of this transaction (6985 before one); the MAC
// key is derived from that AC, the MAC input uses the ATC and that AC. CLA
// 80 answers 6982, a wrong Lc 6700, PIN CHANGE with P2 01 (current PIN)
// 6A86, PUT DATA of another tag or on an application without electronic
// cash 6A88. A wrong MAC answers 6988 and changes nothing but the script
// counters: the CVR of the next transaction carries the number of script
// commands processed and the failure bit. A value refused after the MAC
// (not BCD; a balance above its limit, a limit below the balance) answers
// 6A80, also counted as a failure. After CARD BLOCK every SELECT of a
// payment application, the PSE or the PPSE answers 6A81 (EMV Book 3
// §6.5.1), as does every command of the application still selected; the
// SSSE and PKI are untouched.
//
// # Transaction log
//
// Every transaction that ends with a TC writes a log record (format 9F4F),
// in the same NVM transaction as the ATC, the balance and the counters. The
// qUICS records have zeros for the time and the merchant name.
package pay
