// Package pki is the identity-authentication (PKI) application of the
// third-generation social security card (CARD.md §4): the DF selected by AID
// "PKI." + GBK 社会保障 (504B492EC9E7BBE1B1A3D5CF) and under it the ADF
// "SS.CERT.ADF1" (FID DF01) with the key and certificate files
//
//	0012 signing public key      READ BINARY: 2-byte header + X‖Y (66 bytes)
//	0013 signing private key     never readable, never writable
//	0014 encryption public key   as 0012
//	0015 encryption private key  as 0013
//	0018 signing certificate     DER, zero-padded; UPDATE BINARY in chunks
//	0019 encryption certificate  as 0018
//
// and its commands:
//
//	00 84 00 00 10                  GET CHALLENGE (card OS)
//	00 20 01 81 10 <cryptogram>     VERIFY the user PIN [known]
//	00 20 01 00 10 <cryptogram>     VERIFY the admin PIN [known]
//	84 5E 01 P2 14 <new><MAC>       CHANGE PIN, admin (P2 00) [known] or user (81)
//	84 2C 02 81 14 <new><MAC>       RESET RETRY COUNTER of the user PIN, new PIN [model]
//	84 2C 03 81 04 <MAC>            RESET RETRY COUNTER of the user PIN, tries only [model]
//	80 40 00 00 08 C0020012 C2020013  GENERATE KEY PAIR [known]
//	80 C9 82 00 [04 C002<FID>] Le   EXPORT PUBLIC KEY [known INS and P1]
//	80 4E 00 00 28 C002<pub>C202<priv><SM4(d)>  IMPORT KEY PAIR [known INS]
//	80 4A 00 00 44 C002<pub><X‖Y>   IMPORT PUBLIC KEY [known INS]
//	80 C2 P1 P2 Lc <chunk>          IMPORT CERTIFICATE [known INS]
//	00 82 00 00 10 <SM4(challenge)> EXTERNAL AUTHENTICATE [known]
//	00 2A 9E 9A Lc <e or M> Le      PSO COMPUTE DIGITAL SIGNATURE [model]
//	00 2A 80 86 Lc <ciphertext> Le  PSO DECIPHER [model]
//
// The user PIN cryptogram is SM4 under the first 16 bytes of SM3 over the
// PIN's BCD bytes (cardcrypto.PKIPINKey) of the card's challenge; the card
// keeps only that derived key, never the PIN. No command returns a private
// key: the private key files are never readable, export gives public keys
// only, and the signature and the decipherment (whose answer is the
// plaintext of a ciphertext that checks) are the only things computed with
// them.
//
// # Model choices
//
// What is not public is this package's choice (model choice, see CARD.md
// §4), all listed here; the ones marked (profile) are fields of the
// profile's pki section, so a vendor changes them by personalisation.
//
//   - The PKI DF has no FID; the ADF has FID DF01 and name SS.CERT.ADF1
//     (profile: aid, adfName, adfFid). The key and certificate files have
//     short identifiers equal to the low byte of their FID (0012: SFI 18).
//   - Public key files: header (profile: publicKeyHeader, default 01 00, the
//     key length in bits) + X‖Y; a file of zeros is an empty key slot, as is
//     a private key file of zeros (0 is no SM2 private key). Certificate
//     files: the DER certificate padded with zeros to the file size
//     (profile: certificateSize, default 2048).
//   - VERIFY: the cryptogram is SM4-ECB under the PIN key of the challenge
//     right-padded with 00 to 16 bytes (cardcrypto.ExternalAuthCryptogram);
//     the challenge is the card's last GET CHALLENGE on the channel (4, 8
//     or 16 bytes) and serves one VERIFY. A wrong cryptogram costs a try,
//     committed before the comparison: 63Cx, then 6983 when blocked; no
//     challenge: 6984. VERIFY without data reports the state (9000, 63Cx,
//     6983). Tries (profile: userPin/adminPin.maxTries, default 3).
//   - CHANGE PIN: the 16 data bytes are the new PIN's key enciphered
//     (SM4-ECB) under the old PIN's key; the 4-byte MAC (cardcrypto.MAC,
//     SM4, IV the challenge) is computed with the old PIN's key over
//     84 5E 01 P2 14 and the 16 bytes. The MAC proves knowledge of the old
//     PIN, so a wrong MAC costs a PIN try (63Cx) like a wrong VERIFY; a
//     missing challenge answers 6988. CLA 80 answers 6982.
//   - RESET RETRY COUNTER (ISO/IEC 7816-4 INS 2C), in the style of CHANGE
//     PIN: the admin unblocks the user PIN. P1 02: the 16 data bytes are the
//     new user PIN's key enciphered (SM4-ECB) under the admin PIN's key,
//     then the MAC; P1 03: the MAC only, the user PIN stays. The 4-byte MAC
//     (cardcrypto.MAC, SM4, IV the challenge) is computed with the admin
//     PIN's key over 84 2C P1 81 Lc and the data before it. A wrong MAC
//     costs an admin PIN try, committed before the comparison (63Cx, then
//     6983 when the admin PIN is blocked), and ends the admin PIN's
//     verification; a right one restores the user PIN's tries and the admin
//     PIN's, and writes the new key, in one NVM transaction. It verifies
//     neither PIN; a new user PIN ends the verification of the old one. P2
//     is 81, the user PIN, only (6A86 otherwise: the admin PIN has no
//     resetter); P1 other than 02 and 03 answers 6A86; a missing challenge
//     6988; CLA 00, 04 and 80 answer 6982.
//   - Security state: a verified PIN holds on its channel until a reset or
//     until the application is left; PSO COMPUTE DIGITAL SIGNATURE and PSO
//     DECIPHER need the user PIN (6982); key generation and the imports need the admin PIN
//     (6982); UPDATE BINARY of the certificate files needs external
//     authentication with the ADF's key (00 82 00 00 uses it).
//   - GENERATE KEY PAIR draws the key from the card's random source and
//     answers 9000 without data; it clears the pair's certificate, which
//     certified the old key. Data: exactly C0 02 <public FID> C2 02 <private
//     FID> of one pair (0012/0013 or 0014/0015).
//   - EXPORT PUBLIC KEY: P1 82, P2 00; without data the signing key, with
//     C0 02 <FID> the key of that public key file; it answers X‖Y (64
//     bytes), 6A88 for an empty slot, 6A80 for a private key file's FID.
//   - IMPORT KEY PAIR: the private key d enciphered SM4-ECB under the key
//     import key (profile: keyImportKey); the card computes the public key,
//     refuses d outside [1, n-2] (6A80), and clears the certificate when the
//     key changes. IMPORT PUBLIC KEY: a point not on the SM2 curve, or one
//     that is not the pair's private key's, is refused with 6A80.
//   - IMPORT CERTIFICATE: P2 = the low byte of the certificate file's FID
//     (18, 19); P1 b1 = 0 starts an import, 1 continues it; P1 b8 = 1 marks
//     the last chunk, after which the card parses the certificate and
//     writes it in one atomic update only if it is a well-formed X.509
//     certificate of an SM2 key equal to the pair's public key (6A80
//     otherwise; 6A84 beyond the file size; 6985 without a key pair).
//   - PSO COMPUTE DIGITAL SIGNATURE: P1-P2 9E 9A; the data is the 32-byte
//     digest e = SM3(Z‖M) (profile: signInput "digest", the default) or the
//     message M itself, the card computing Z with the user ID (profile:
//     userId, default "1234567812345678" of GB/T 35276) and its public key
//     ("message"). The answer is r‖s, 64 bytes (DERSignature converts it).
//     The signing nonce comes from the card's random source, so a card with
//     a fixed seed signs reproducibly.
//   - PSO DECIPHER: P1-P2 80 86 (ISO/IEC 7816-8: a plain value out of a
//     cryptogram), without a padding indicator byte: the data is an SM2
//     ciphertext (GB/T 32918.4) for the encryption key pair (0014/0015),
//     C1‖C3‖C2 with C1 uncompressed (04‖X‖Y), or the DER form of GM/T 0009
//     that OpenSSL 3 makes (SEQUENCE {x, y, hash, ciphertext}); the answer
//     is the plaintext. It needs the user PIN (6982); an empty encryption
//     key slot answers 6A88; data shorter than any ciphertext (98 bytes in
//     C1‖C3‖C2, 45 in DER) 6700; a ciphertext that does not decipher (C1
//     compressed, hybrid or off the curve, C3 not SM3(x2‖M‖y2), the order
//     C1‖C2‖C3, DER that is not strict or has bytes after it) 6A80, with
//     no data. Lc and Le are extended when the card takes extended APDUs
//     (profile: extendedLength); without Le the plaintext waits for GET
//     RESPONSE (61xx).
//   - Status words follow the card OS: 6A86 wrong P1-P2, 6700 wrong length,
//     6A80 wrong data, 6A82 unknown file, 6A88 no such key or PIN.
package pki
