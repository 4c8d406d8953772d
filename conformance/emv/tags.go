package emv

import "github.com/sscard/sscard/emulator/iso7816"

// Tag is a BER-TLV tag, as iso7816.Tag.
type Tag = iso7816.Tag

// Data objects of EMV Book 3 Annex A, the contactless and electronic cash
// data of JR/T 0025 (PBOC 3.0) and the SM algorithm indicator (CARD.md §5).
const (
	TagAID             Tag = 0x4F   // application identifier (ADF name) in a directory entry
	TagLabel           Tag = 0x50   // application label
	TagTrack2          Tag = 0x57   // track 2 equivalent data
	TagPAN             Tag = 0x5A   // application primary account number
	TagDirEntry        Tag = 0x61   // application template (directory entry)
	TagFCI             Tag = 0x6F   // file control information template
	TagRecord          Tag = 0x70   // READ RECORD response template
	TagScript71        Tag = 0x71   // issuer script template 1 (before the final GENERATE AC)
	TagScript72        Tag = 0x72   // issuer script template 2 (after it)
	TagRMTF2           Tag = 0x77   // response message template format 2
	TagRMTF1           Tag = 0x80   // response message template format 1
	TagAmountBinary    Tag = 0x81   // amount, authorised (binary)
	TagAIP             Tag = 0x82   // application interchange profile
	TagCommandTemplate Tag = 0x83   // command template (GPO data)
	TagDFName          Tag = 0x84   // dedicated file name
	TagScriptCommand   Tag = 0x86   // issuer script command
	TagPriority        Tag = 0x87   // application priority indicator
	TagSFI             Tag = 0x88   // short file identifier of a directory
	TagARC             Tag = 0x8A   // authorisation response code
	TagCDOL1           Tag = 0x8C   // card risk management data object list 1
	TagCDOL2           Tag = 0x8D   // card risk management data object list 2
	TagCVMList         Tag = 0x8E   // cardholder verification method list
	TagCAIndex         Tag = 0x8F   // certification authority public key index
	TagIssuerCert      Tag = 0x90   // issuer public key certificate
	TagIssuerAuthData  Tag = 0x91   // issuer authentication data
	TagIssuerRemainder Tag = 0x92   // issuer public key remainder
	TagSSAD            Tag = 0x93   // signed static application data
	TagAFL             Tag = 0x94   // application file locator
	TagTVR             Tag = 0x95   // terminal verification results
	TagTDOL            Tag = 0x97   // transaction certificate data object list
	TagTCHash          Tag = 0x98   // transaction certificate hash value
	TagTxDate          Tag = 0x9A   // transaction date YYMMDD
	TagTSI             Tag = 0x9B   // transaction status information
	TagTxType          Tag = 0x9C   // transaction type
	TagFCIProp         Tag = 0xA5   // FCI proprietary template
	TagExpiry          Tag = 0x5F24 // application expiration date YYMMDD
	TagEffective       Tag = 0x5F25 // application effective date YYMMDD
	TagIssuerCountry   Tag = 0x5F28 // issuer country code
	TagCurrency        Tag = 0x5F2A // transaction currency code
	TagLanguage        Tag = 0x5F2D // language preference
	TagServiceCode     Tag = 0x5F30 // service code
	TagPSN             Tag = 0x5F34 // PAN sequence number
	TagCurrencyExp     Tag = 0x5F36 // transaction currency exponent
	TagFCIDiscret      Tag = 0xBF0C // FCI issuer discretionary data
	TagAmount          Tag = 0x9F02 // amount, authorised (numeric)
	TagAmountOther     Tag = 0x9F03 // amount, other (numeric)
	TagAUC             Tag = 0x9F07 // application usage control
	TagAppVersion      Tag = 0x9F08 // application version number (card)
	TagTermAppVersion  Tag = 0x9F09 // application version number (terminal)
	TagIACDefault      Tag = 0x9F0D // issuer action code, default
	TagIACDenial       Tag = 0x9F0E // issuer action code, denial
	TagIACOnline       Tag = 0x9F0F // issuer action code, online
	TagIAD             Tag = 0x9F10 // issuer application data
	TagCodeTable       Tag = 0x9F11 // issuer code table index
	TagPreferredName   Tag = 0x9F12 // application preferred name
	TagLastOnlineATC   Tag = 0x9F13 // last online ATC register
	TagLCOL            Tag = 0x9F14 // lower consecutive offline limit
	TagPINTry          Tag = 0x9F17 // PIN try counter
	TagScriptID        Tag = 0x9F18 // issuer script identifier
	TagTermCountry     Tag = 0x9F1A // terminal country code
	TagFloorLimit      Tag = 0x9F1B // terminal floor limit
	TagTerminalID      Tag = 0x9F1C // terminal identification
	TagIFDSerial       Tag = 0x9F1E // interface device serial number
	TagTxTime          Tag = 0x9F21 // transaction time HHMMSS
	TagUCOL            Tag = 0x9F23 // upper consecutive offline limit
	TagAC              Tag = 0x9F26 // application cryptogram
	TagCID             Tag = 0x9F27 // cryptogram information data
	TagIssuerExp       Tag = 0x9F32 // issuer public key exponent
	TagTermCaps        Tag = 0x9F33 // terminal capabilities
	TagCVMResults      Tag = 0x9F34 // cardholder verification method results
	TagTermType        Tag = 0x9F35 // terminal type
	TagATC             Tag = 0x9F36 // application transaction counter
	TagUN              Tag = 0x9F37 // unpredictable number
	TagPDOL            Tag = 0x9F38 // processing options data object list
	TagAddTermCaps     Tag = 0x9F40 // additional terminal capabilities
	TagTxSeq           Tag = 0x9F41 // transaction sequence counter
	TagAppCurrency     Tag = 0x9F42 // application currency code
	TagDAC             Tag = 0x9F45 // data authentication code
	TagICCCert         Tag = 0x9F46 // ICC public key certificate
	TagICCExp          Tag = 0x9F47 // ICC public key exponent
	TagICCRemainder    Tag = 0x9F48 // ICC public key remainder
	TagDDOL            Tag = 0x9F49 // dynamic data authentication data object list
	TagSDATagList      Tag = 0x9F4A // static data authentication tag list
	TagSDAD            Tag = 0x9F4B // signed dynamic application data
	TagICCDynNumber    Tag = 0x9F4C // ICC dynamic number
	TagLogEntry        Tag = 0x9F4D // log entry
	TagScriptResults   Tag = 0x9F5B // issuer script results (terminal)
	TagOfflineAmount   Tag = 0x9F5D // available offline spending amount
	TagTTQ             Tag = 0x9F66 // terminal transaction qualifiers
	TagCardAuthData    Tag = 0x9F69 // card authentication related data (fDDA 01)
	TagCTQ             Tag = 0x9F6C // card transaction qualifiers
	TagECResetThresh   Tag = 0x9F6D // electronic cash reset threshold
	TagECIssuerAuth    Tag = 0x9F74 // electronic cash issuer authorisation code
	TagECBalanceLimit  Tag = 0x9F77 // electronic cash balance limit
	TagECSingleLimit   Tag = 0x9F78 // electronic cash single transaction limit
	TagECBalance       Tag = 0x9F79 // electronic cash balance
	TagECTermSupport   Tag = 0x9F7A // electronic cash terminal support indicator
	TagECTermLimit     Tag = 0x9F7B // electronic cash terminal transaction limit
	TagCAPP            Tag = 0xDF60 // CAPP transaction indicator
	TagSMSupport       Tag = 0xDF69 // SM algorithm support indicator (00 DES/RSA, 01 SM)
)

// format is the EMV data format of a data element (EMV Book 1 §4.3): it
// decides how a DOL entry of another length is padded or truncated.
type format byte

const (
	fmtB  format = iota // binary: truncate/pad on the right
	fmtN                // numeric BCD: truncate/pad on the left
	fmtCN               // compressed numeric: pad on the right with F
	fmtAN               // alphanumeric: truncate/pad on the right with 00
)

// tagInfo names a data element and gives its format.
type tagInfo struct {
	name string
	f    format
}

var tagInfos = map[Tag]tagInfo{
	TagAID: {"Application Identifier (AID)", fmtB}, TagLabel: {"Application Label", fmtAN},
	TagTrack2: {"Track 2 Equivalent Data", fmtB}, TagPAN: {"Application PAN", fmtCN},
	TagDirEntry: {"Application Template", fmtB}, TagFCI: {"FCI Template", fmtB},
	TagRecord: {"Record Template", fmtB}, TagScript71: {"Issuer Script Template 1", fmtB},
	TagScript72: {"Issuer Script Template 2", fmtB}, TagRMTF2: {"Response Message Template Format 2", fmtB},
	TagRMTF1: {"Response Message Template Format 1", fmtB}, TagAmountBinary: {"Amount, Authorised (Binary)", fmtB},
	TagAIP: {"Application Interchange Profile", fmtB}, TagCommandTemplate: {"Command Template", fmtB},
	TagDFName: {"DF Name", fmtB}, TagScriptCommand: {"Issuer Script Command", fmtB},
	TagPriority: {"Application Priority Indicator", fmtB}, TagSFI: {"Short File Identifier", fmtB},
	TagARC: {"Authorisation Response Code", fmtAN}, TagCDOL1: {"CDOL1", fmtB}, TagCDOL2: {"CDOL2", fmtB},
	TagCVMList: {"CVM List", fmtB}, TagCAIndex: {"CA Public Key Index", fmtB},
	TagIssuerCert: {"Issuer Public Key Certificate", fmtB}, TagIssuerAuthData: {"Issuer Authentication Data", fmtB},
	TagIssuerRemainder: {"Issuer Public Key Remainder", fmtB}, TagSSAD: {"Signed Static Application Data", fmtB},
	TagAFL: {"Application File Locator", fmtB}, TagTVR: {"Terminal Verification Results", fmtB},
	TagTDOL: {"TDOL", fmtB}, TagTCHash: {"TC Hash Value", fmtB}, TagTxDate: {"Transaction Date", fmtN},
	TagTSI: {"Transaction Status Information", fmtB}, TagTxType: {"Transaction Type", fmtN},
	TagFCIProp: {"FCI Proprietary Template", fmtB}, TagExpiry: {"Application Expiration Date", fmtN},
	TagEffective: {"Application Effective Date", fmtN}, TagIssuerCountry: {"Issuer Country Code", fmtN},
	TagCurrency: {"Transaction Currency Code", fmtN}, TagLanguage: {"Language Preference", fmtAN},
	TagServiceCode: {"Service Code", fmtN}, TagPSN: {"PAN Sequence Number", fmtN},
	TagCurrencyExp: {"Transaction Currency Exponent", fmtN}, TagFCIDiscret: {"FCI Issuer Discretionary Data", fmtB},
	TagAmount: {"Amount, Authorised", fmtN}, TagAmountOther: {"Amount, Other", fmtN},
	TagAUC: {"Application Usage Control", fmtB}, TagAppVersion: {"Application Version Number (card)", fmtB},
	TagTermAppVersion: {"Application Version Number (terminal)", fmtB},
	TagIACDefault:     {"Issuer Action Code - Default", fmtB}, TagIACDenial: {"Issuer Action Code - Denial", fmtB},
	TagIACOnline: {"Issuer Action Code - Online", fmtB}, TagIAD: {"Issuer Application Data", fmtB},
	TagCodeTable: {"Issuer Code Table Index", fmtN}, TagPreferredName: {"Application Preferred Name", fmtAN},
	TagLastOnlineATC: {"Last Online ATC Register", fmtB}, TagLCOL: {"Lower Consecutive Offline Limit", fmtB},
	TagPINTry: {"PIN Try Counter", fmtB}, TagScriptID: {"Issuer Script Identifier", fmtB},
	TagTermCountry: {"Terminal Country Code", fmtN}, TagFloorLimit: {"Terminal Floor Limit", fmtB},
	TagTerminalID: {"Terminal Identification", fmtAN}, TagIFDSerial: {"IFD Serial Number", fmtAN},
	TagTxTime: {"Transaction Time", fmtN}, TagUCOL: {"Upper Consecutive Offline Limit", fmtB},
	TagAC: {"Application Cryptogram", fmtB}, TagCID: {"Cryptogram Information Data", fmtB},
	TagIssuerExp: {"Issuer Public Key Exponent", fmtB}, TagTermCaps: {"Terminal Capabilities", fmtB},
	TagCVMResults: {"CVM Results", fmtB}, TagTermType: {"Terminal Type", fmtN},
	TagATC: {"Application Transaction Counter", fmtB}, TagUN: {"Unpredictable Number", fmtB},
	TagPDOL: {"PDOL", fmtB}, TagAddTermCaps: {"Additional Terminal Capabilities", fmtB},
	TagTxSeq: {"Transaction Sequence Counter", fmtN}, TagAppCurrency: {"Application Currency Code", fmtN},
	TagDAC: {"Data Authentication Code", fmtB}, TagICCCert: {"ICC Public Key Certificate", fmtB},
	TagICCExp: {"ICC Public Key Exponent", fmtB}, TagICCRemainder: {"ICC Public Key Remainder", fmtB},
	TagDDOL: {"DDOL", fmtB}, TagSDATagList: {"Static Data Authentication Tag List", fmtB},
	TagSDAD: {"Signed Dynamic Application Data", fmtB}, TagICCDynNumber: {"ICC Dynamic Number", fmtB},
	TagLogEntry: {"Log Entry", fmtB}, TagScriptResults: {"Issuer Script Results", fmtB},
	TagOfflineAmount: {"Available Offline Spending Amount", fmtN}, TagTTQ: {"Terminal Transaction Qualifiers", fmtB},
	TagCardAuthData: {"Card Authentication Related Data", fmtB}, TagCTQ: {"Card Transaction Qualifiers", fmtB},
	TagECResetThresh: {"EC Reset Threshold", fmtN}, TagECIssuerAuth: {"EC Issuer Authorisation Code", fmtAN},
	TagECBalanceLimit: {"EC Balance Limit", fmtN}, TagECSingleLimit: {"EC Single Transaction Limit", fmtN},
	TagECBalance: {"EC Balance", fmtN}, TagECTermSupport: {"EC Terminal Support Indicator", fmtB},
	TagECTermLimit: {"EC Terminal Transaction Limit", fmtN}, TagCAPP: {"CAPP Transaction Indicator", fmtB},
	TagSMSupport: {"SM Algorithm Support Indicator", fmtB},
	0x9F1F:       {"Track 1 Discretionary Data", fmtAN}, 0x9F20: {"Track 2 Discretionary Data", fmtCN},
	0x5F20: {"Cardholder Name", fmtAN}, 0x9F0B: {"Cardholder Name Extended", fmtAN},
	0x9F61: {"Cardholder ID Number", fmtAN}, 0x9F62: {"Cardholder ID Type", fmtB},
	0x9F63: {"Product Identification", fmtB}, 0x9F51: {"Application Currency Code (PBOC)", fmtN},
	0x9F52: {"Application Default Action", fmtB}, 0x9F4E: {"Merchant Name and Location", fmtAN},
	0x9F15: {"Merchant Category Code", fmtN}, 0x9F16: {"Merchant Identifier", fmtAN},
	0x9F01: {"Acquirer Identifier", fmtN}, 0x9F39: {"POS Entry Mode", fmtN},
	0x9F4F: {"Log Format", fmtB}, 0xDF4F: {"Load Log Format", fmtB}, 0x9F0C: {"Algorithm Identifier", fmtB},
	0x9F2A: {"Kernel Identifier", fmtB}, 0x9F6E: {"Form Factor Indicator", fmtB},
	0x5F2C: {"Cardholder Nationality", fmtN}, 0x9F44: {"Application Currency Exponent", fmtN},
	0x9F53: {"Consecutive Transaction Limit (International)", fmtB},
	0x9F1D: {"Terminal Risk Management Data", fmtB},
}

// TagName returns the EMV name of a data element, or "" when unknown.
func TagName(t Tag) string { return tagInfos[t].name }

func tagFormat(t Tag) format { return tagInfos[t].f }
