package pay

import "github.com/sscard/sscard/emulator/iso7816"

// Instructions of the application (EMV Book 3 §6.5; PBOC scripts; CARD.md §5).
const (
	INSGPO          byte = 0xA8 // GET PROCESSING OPTIONS, 80 A8
	INSGenerateAC   byte = 0xAE // GENERATE AC, 80 AE
	INSReadRecord   byte = 0xB2 // READ RECORD, 00 B2
	INSGetData      byte = 0xCA // GET DATA, 80 CA
	INSVerify       byte = 0x20 // VERIFY, 00 20
	INSInternalAuth byte = 0x88 // INTERNAL AUTHENTICATE, 00 88
	INSExternalAuth byte = 0x82 // EXTERNAL AUTHENTICATE (issuer authentication), 00 82
	INSGetChallenge byte = 0x84 // GET CHALLENGE, 00 84 (card OS)
	INSSelect       byte = 0xA4
	INSAppBlock     byte = 0x1E // APPLICATION BLOCK, 84 1E
	INSAppUnblock   byte = 0x18 // APPLICATION UNBLOCK, 84 18
	INSCardBlock    byte = 0x16 // CARD BLOCK, 84 16
	INSPINChange    byte = 0x24 // PIN CHANGE/UNBLOCK, 84 24
	INSPutData      byte = 0xDA // PUT DATA, 04 DA
)

// GENERATE AC P1 (EMV Book 3 §6.5.5.2, Table 12).
const (
	ACTypeMask byte = 0xC0
	AAC        byte = 0x00
	TC         byte = 0x40
	ARQC       byte = 0x80
	CDARequest byte = 0x10
)

// Data object tags (EMV Book 3 Annex A; PBOC/qPBOC).
const (
	TagFCI          iso7816.Tag = 0x6F
	TagDFName       iso7816.Tag = 0x84
	TagFCIProp      iso7816.Tag = 0xA5
	TagFCIIssuer    iso7816.Tag = 0xBF0C
	TagDirEntry     iso7816.Tag = 0x61
	TagAID          iso7816.Tag = 0x4F
	TagLabel        iso7816.Tag = 0x50
	TagPriority     iso7816.Tag = 0x87
	TagSFI          iso7816.Tag = 0x88
	TagLanguage     iso7816.Tag = 0x5F2D
	TagCodeTable    iso7816.Tag = 0x9F11
	TagPDOL         iso7816.Tag = 0x9F38
	TagLogEntry     iso7816.Tag = 0x9F4D
	TagRecord       iso7816.Tag = 0x70
	TagFormat1      iso7816.Tag = 0x80
	TagFormat2      iso7816.Tag = 0x77
	TagCommandData  iso7816.Tag = 0x83
	TagAIP          iso7816.Tag = 0x82
	TagAFL          iso7816.Tag = 0x94
	TagATC          iso7816.Tag = 0x9F36
	TagLastOnlineAT iso7816.Tag = 0x9F13
	TagPINTries     iso7816.Tag = 0x9F17
	TagCID          iso7816.Tag = 0x9F27
	TagAC           iso7816.Tag = 0x9F26
	TagIAD          iso7816.Tag = 0x9F10
	TagTrack2       iso7816.Tag = 0x57
	TagPAN          iso7816.Tag = 0x5A
	TagPSN          iso7816.Tag = 0x5F34
	TagExpiry       iso7816.Tag = 0x5F24
	TagEffective    iso7816.Tag = 0x5F25
	TagIssuerCtry   iso7816.Tag = 0x5F28
	TagServiceCode  iso7816.Tag = 0x5F30
	TagName         iso7816.Tag = 0x5F20
	TagAUC          iso7816.Tag = 0x9F07
	TagAppVersion   iso7816.Tag = 0x9F08
	TagCVMList      iso7816.Tag = 0x8E
	TagIACDefault   iso7816.Tag = 0x9F0D
	TagIACDenial    iso7816.Tag = 0x9F0E
	TagIACOnline    iso7816.Tag = 0x9F0F
	TagAppCurrency  iso7816.Tag = 0x9F42
	TagCurrencyExp  iso7816.Tag = 0x9F44
	TagCDOL1        iso7816.Tag = 0x8C
	TagCDOL2        iso7816.Tag = 0x8D
	TagDDOL         iso7816.Tag = 0x9F49
	TagSDATagList   iso7816.Tag = 0x9F4A
	TagLCOL         iso7816.Tag = 0x9F14
	TagUCOL         iso7816.Tag = 0x9F23
	TagPBOCCurrency iso7816.Tag = 0x9F51
	TagCAIndex      iso7816.Tag = 0x8F
	TagIssuerCert   iso7816.Tag = 0x90
	TagIssuerRem    iso7816.Tag = 0x92
	TagIssuerExp    iso7816.Tag = 0x9F32
	TagSSAD         iso7816.Tag = 0x93
	TagICCCert      iso7816.Tag = 0x9F46
	TagICCExp       iso7816.Tag = 0x9F47
	TagICCRem       iso7816.Tag = 0x9F48
	TagSDAD         iso7816.Tag = 0x9F4B
	TagCardAuthData iso7816.Tag = 0x9F69
	TagCTQ          iso7816.Tag = 0x9F6C
	TagAvailable    iso7816.Tag = 0x9F5D
	TagECashAuth    iso7816.Tag = 0x9F74
	TagIDNumber     iso7816.Tag = 0x9F61
	TagIDType       iso7816.Tag = 0x9F62
	TagBalance      iso7816.Tag = 0x9F79
	TagBalanceLimit iso7816.Tag = 0x9F77
	TagSingleLimit  iso7816.Tag = 0x9F78
	TagResetThresh  iso7816.Tag = 0x9F6D
	TagCVMLimit     iso7816.Tag = 0x9F6B
	TagLogFormat    iso7816.Tag = 0x9F4F

	// Terminal data.
	TagTTQ         iso7816.Tag = 0x9F66
	TagAmount      iso7816.Tag = 0x9F02
	TagAmountOther iso7816.Tag = 0x9F03
	TagTermCountry iso7816.Tag = 0x9F1A
	TagTVR         iso7816.Tag = 0x95
	TagTxnCurrency iso7816.Tag = 0x5F2A
	TagTxnDate     iso7816.Tag = 0x9A
	TagTxnTime     iso7816.Tag = 0x9F21
	TagTxnType     iso7816.Tag = 0x9C
	TagUN          iso7816.Tag = 0x9F37
	TagMerchant    iso7816.Tag = 0x9F4E
	TagARC         iso7816.Tag = 0x8A
	TagECashInd    iso7816.Tag = 0x9F7A // e-cash terminal support indicator
	TagSMIndicator iso7816.Tag = 0xDF69 // SM algorithm support indicator [known]
)

// AIP byte 1 (EMV Book 3 Annex C1).
const (
	AIPSDA        byte = 0x40
	AIPDDA        byte = 0x20
	AIPCVM        byte = 0x10
	AIPTRM        byte = 0x08
	AIPIssuerAuth byte = 0x04
	AIPCDA        byte = 0x01
)

// TTQ bits (qPBOC, byte 1 and 2).
const (
	TTQQUICS        byte = 0x20 // byte 1: qUICS supported
	TTQOfflineOnly  byte = 0x08 // byte 1: offline-only reader
	TTQOnlinePIN    byte = 0x04 // byte 1: online PIN supported
	TTQSignature    byte = 0x02 // byte 1: signature supported
	TTQOnlineNeeded byte = 0x80 // byte 2: online cryptogram required
)

// CTQ byte 1 bits set by the card.
const (
	CTQOnlinePIN byte = 0x80
	CTQSignature byte = 0x40
)

// Cryptogram version numbers and algorithm identifiers of the IAD [model].
const (
	CVNDES byte = 0x01
	CVNSM  byte = 0x04
	AlgDES byte = 0x01
	AlgSM  byte = 0x04
)

// Well-known SFIs of the data model.
const (
	SFITrack  byte = 1
	SFIApp    byte = 2
	SFIRSA    byte = 3
	SFIECash  byte = 4
	SFISM     byte = 5
	SFILog    byte = 11
	SFIDirPSE byte = 1
)

// Directory names [known].
const (
	PSEName  = "1PAY.SYS.DDF01"
	PPSEName = "2PAY.SYS.DDF01"
)

// DOLs of the data model [model, see the package documentation].
var (
	DefaultCDOL1     = mustHex("9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14")
	DefaultCDOL2     = mustHex("8A0295059F3704")
	DefaultDDOL      = mustHex("9F3704")
	LogFormat        = mustHex("9A039F21039F02069F03069F1A025F2A029F4E149C019F3602")
	ECashAuthCode    = []byte("ECC001")
	SMIndicatorEntry = mustHex("DF6901")
)
