package ssse

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/emulator/profile"
)

// Record tags: the tag of each data item doubles as its record identifier
// (CARD.md §2).
const (
	TagCardID      = 0x01 // 卡识别码
	TagCardType    = 0x02 // 卡类别
	TagVersion     = 0x03 // 规范版本
	TagInitOrg     = 0x04 // 初始化机构编号
	TagIssueDate   = 0x05 // 发卡日期
	TagExpiryDate  = 0x06 // 有效期
	TagCardNumber  = 0x07 // 卡号
	TagSSN         = 0x08 // 社会保障号码
	TagName        = 0x09 // 姓名
	TagSex         = 0x0A // 性别
	TagEthnic      = 0x0B // 民族
	TagBirthplace  = 0x0C // 出生地
	TagBirthDate   = 0x0D // 出生日期
	TagNameExt     = 0x4E // 姓名扩展
	TagPersonID    = 0xEA // 人员识别号
	TagFirstPlace  = 0xEB // 初次申领地
	CardIDMidfix   = "D156000005"
	NameLen        = 30
	NameExtLen     = 20
	BirthplaceLen  = 3
	InitOrgLen     = 12
	CardNumberLen  = 9
	SSNLen         = 18
	PersonIDLen    = 12
	FirstPlaceLen  = 3
	CardIDLen      = 16
	DateLen        = 4
	VersionLen     = 4
	CardTypeLen    = 1
	SexLen         = 1
	EthnicLen      = 1
	nameExtPadByte = 0xFF
)

// CardIdentifier is the 16-byte 卡识别码: 3 bytes BCD region code,
// D156000005, then the 8-byte unique part (CARD.md §2).
func CardIdentifier(id *profile.Identity) []byte {
	out := bcd(id.Region, 3)
	out = append(out, mustHex(CardIDMidfix)...)
	return append(out, mustHex(id.CardSerial)...)
}

// Records returns the SSSE records by file name (EF05, EF06 and, on 3.00
// cards, EF0D), each a SIMPLE-TLV data item, in record order.
func Records(p *profile.Profile) (map[string][][]byte, error) {
	id := &p.SSSE.Identity
	name, err := padded(id.Name, NameLen, pad(id.NamePad))
	if err != nil {
		return nil, fmt.Errorf("ssse.identity.name: %w", err)
	}
	out := map[string][][]byte{
		"EF05": {
			tlv(TagCardID, CardIdentifier(id)),
			tlv(TagCardType, []byte(id.CardType)),
			tlv(TagVersion, []byte(p.Generation)),
			tlv(TagInitOrg, mustHex(id.InitOrg)),
			tlv(TagIssueDate, bcd(id.IssueDate, DateLen)),
			tlv(TagExpiryDate, bcd(id.ExpiryDate, DateLen)),
			tlv(TagCardNumber, []byte(id.CardNumber)),
		},
	}
	ef06 := [][]byte{tlv(TagSSN, []byte(id.SSN)), tlv(TagName, name)}
	if p.Generation != "1.00" {
		ext, err := padded(id.NameExt, NameExtLen, nameExtPadByte)
		if err != nil {
			return nil, fmt.Errorf("ssse.identity.nameExt: %w", err)
		}
		ef06 = append(ef06, tlv(TagNameExt, ext))
	}
	ef06 = append(ef06,
		tlv(TagSex, []byte(id.Sex)),
		tlv(TagEthnic, []byte{byte(id.Ethnic)}),
		tlv(TagBirthplace, bcd(id.Birthplace, BirthplaceLen)),
		tlv(TagBirthDate, bcd(id.BirthDate, DateLen)),
	)
	out["EF06"] = ef06
	if p.Generation == "3.00" {
		out["EF0D"] = [][]byte{
			tlv(TagPersonID, []byte(id.PersonID)),
			tlv(TagFirstPlace, bcd(id.FirstPlace, FirstPlaceLen)),
		}
	}
	return out, nil
}

func pad(s string) byte {
	if s == "20" {
		return 0x20
	}
	return 0x00
}

func tlv(tag byte, v []byte) []byte {
	return append([]byte{tag, byte(len(v))}, v...)
}

// bcd packs digits into n bytes, right-padded with F (cn format).
func bcd(digits string, n int) []byte {
	s := digits
	for len(s) < 2*n {
		s += "F"
	}
	b, _ := hex.DecodeString(s[:2*n])
	return b
}

// padded encodes s in GBK and pads it to n bytes with p.
func padded(s string, n int, p byte) ([]byte, error) {
	g, err := profile.GBK(s)
	if err != nil {
		return nil, err
	}
	if len(g) > n {
		return nil, fmt.Errorf("%d bytes in GBK, more than %d", len(g), n)
	}
	return append(g, bytes.Repeat([]byte{p}, n-len(g))...), nil
}
