// Package iso7816 encodes and decodes the byte strings both sides of an
// ISO/IEC 7816 card interface exchange: command and response APDUs (short and
// extended, cases 1 to 4), status words as error values, BER-TLV data
// objects, and the answer-to-reset.
//
// It is shared by the card model (which parses commands and builds responses)
// and the terminal side (which builds commands and parses responses), so both
// agree on every byte. Every parser treats its input as hostile: malformed
// input yields an error or a false result, never a panic or an out-of-range
// read, and parsed slices alias the input instead of copying it.
//
// References: ISO/IEC 7816-3:2006 §8 (ATR), ISO/IEC 7816-4 §5.1 (command
// and response pairs), §5.2.2 (BER-TLV data objects), §5.6 (status bytes),
// ISO/IEC 8825-1 (BER), EMV Book 3 Annex B (tag and length coding).
package iso7816
