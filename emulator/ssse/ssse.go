// Package ssse builds the social security application (SSSE) of a card from
// its profile: the ADF selected by AID "sx1.sh." + GBK 社会保障, its data
// files EF05, EF06, EF07, EF08 and (on 3.00 cards) EF0D, the sub-
// applications DF01..DF04, the PIN and the keys (CARD.md §1–§3).
//
// The SSSE needs no commands beyond the card OS; this package is its data
// model: which records, in which files, with which access rules, for each
// generation.
package ssse

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/profile"
)

// SFIs of the SSSE data files (CARD.md §2).
const (
	SFIEF05 = 5
	SFIEF06 = 6
	SFIEF07 = 7
	SFIEF08 = 8
	SFIEF0D = 13
)

// DirectorySFI is the value of tag 88 in the SSSE FCI proprietary template
// (A5 03 88 01 0B on the real 1.00 card, CARD.md §2).
const DirectorySFI = 0x0B

// DefaultAccess returns the access rules of the SSSE files for a generation
// [model, CARD.md §2: on 3.00 cards EF06 needs external authentication with
// RKSSSE (key 0A); writing EF05 needs key 04, EF06/EF0D key 0D].
func DefaultAccess(gen string) map[string]profile.Access {
	if gen == "3.00" {
		return map[string]profile.Access{
			"EF05":  {Read: "free", Update: "key:04"},
			"EF06":  {Read: "key:0A", Update: "key:0D"},
			"EF07":  {Read: "key:0A", Update: "key:0D"},
			"EF08":  {Read: "key:0A", Update: "key:0D"},
			"EF0D":  {Read: "key:0A", Update: "key:0D"},
			"admin": {Read: "key:0B"},
		}
	}
	return map[string]profile.Access{
		"EF05":  {Read: "free", Update: "key:04"},
		"EF06":  {Read: "free", Update: "key:0D"},
		"EF07":  {Read: "pin", Update: "key:0D"},
		"EF08":  {Read: "pin", Update: "key:0D"},
		"admin": {Read: "key:0B"},
	}
}

// Build adds the SSSE application under the MF of b.
func Build(b *cos.Builder, p *profile.Profile) error {
	s := p.SSSE
	alg, err := cardcrypto.ParseAlg(p.Algorithm)
	if err != nil {
		return err
	}
	access := DefaultAccess(p.Generation)
	for name, a := range s.Access {
		cur := access[name]
		if a.Read != "" {
			cur.Read = a.Read
		}
		if a.Update != "" {
			cur.Update = a.Update
		}
		access[name] = cur
	}
	rule := func(name string) (cos.Access, error) {
		a := access[name]
		r, err := cos.ParseRule(a.Read)
		if err != nil {
			return cos.Access{}, err
		}
		u, err := cos.ParseRule(a.Update)
		if err != nil {
			return cos.Access{}, err
		}
		if a.Update == "" {
			u = cos.Rule{Kind: cos.Never}
		}
		return cos.Access{Read: r, Update: u}, nil
	}
	admin, err := rule("admin")
	if err != nil {
		return err
	}
	keys, err := cardKeys(alg, s)
	if err != nil {
		return err
	}
	aid := mustHex(s.AID)
	prop := []byte{0x88, 0x01, DirectorySFI}
	if *s.FCIAlgorithm {
		prop = append(prop, 0x9F, 0x0C, 0x03, 0x86, 0x01, byte(alg))
	}
	lcs := map[string]byte{"activated": cos.LCSActivated, "deactivated": cos.LCSDeactivated, "terminated": cos.LCSTerminated}[s.LifeCycle]
	tries := *s.PIN.TriesLeft
	df := b.DF(b.MF(), cos.DFSpec{
		FID: fidOf(s.FID), AID: aid, Label: "SSSE",
		FCIProprietary: prop, LifeCycle: lcs, Blocked: s.Blocked,
		Admin: admin.Read, Alg: alg, Keys: keys,
		PIN: &cos.PINSpec{Value: s.PIN.Value, MaxTries: s.PIN.MaxTries, TriesLeft: tries, MinLen: s.PIN.MinLength, MaxLen: s.PIN.MaxLength},
	})
	if s.CardBlocked {
		b.SetCardBlocked()
	}
	recs, err := Records(p)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		fid  uint16
		sfi  byte
	}{{"EF05", 0xEF05, SFIEF05}, {"EF06", 0xEF06, SFIEF06}, {"EF0D", 0xEF0D, SFIEF0D}} {
		r, ok := recs[f.name]
		if !ok {
			continue
		}
		acc, err := rule(f.name)
		if err != nil {
			return err
		}
		b.EF(df, cos.EFSpec{FID: f.fid, SFI: f.sfi, Label: f.name, Structure: cos.LinearVariable,
			RecordSize: maxLen(r), MaxRecords: len(r), Records: r, FixedSizes: true, TLVRecords: true, Access: acc})
	}
	for _, f := range []struct {
		name string
		fid  uint16
		sfi  byte
		size int
	}{{"EF07", 0xEF07, SFIEF07, s.FingerprintSize}, {"EF08", 0xEF08, SFIEF08, s.PhotoSize}} {
		acc, err := rule(f.name)
		if err != nil {
			return err
		}
		b.EF(df, cos.EFSpec{FID: f.fid, SFI: f.sfi, Label: f.name, Structure: cos.Transparent, Size: f.size, Access: acc})
	}
	for _, sa := range s.SubApps {
		if err := buildSubApp(b, df, alg, admin.Read, sa); err != nil {
			return err
		}
	}
	return nil
}

// buildSubApp adds one sub-application; its life cycle commands need the
// SSSE's admin condition (CARD.md §6: after PSAM external authentication).
func buildSubApp(b *cos.Builder, parent *cos.Node, alg cardcrypto.Alg, admin cos.Rule, sa profile.SubApp) error {
	df := b.DF(parent, cos.DFSpec{FID: fidOf(sa.FID), AID: mustHex(sa.AID), Label: sa.Name, Alg: alg, Admin: admin})
	for _, f := range sa.Files {
		st, err := cos.ParseStructure(f.Type)
		if err != nil {
			return err
		}
		r, err := cos.ParseRule(f.Read)
		if err != nil {
			return err
		}
		u, err := cos.ParseRule(f.Update)
		if err != nil {
			return err
		}
		if f.Update == "" {
			u = cos.Rule{Kind: cos.Never}
		}
		var records [][]byte
		for _, h := range f.Records {
			records = append(records, mustHex(h))
		}
		label := f.Name
		if label == "" {
			label = sa.FID + "/" + f.FID
		}
		b.EF(df, cos.EFSpec{FID: fidOf(f.FID), SFI: byte(f.SFI), Label: label, Structure: st,
			Size: f.Size, Content: mustHex(f.Content), RecordSize: f.RecordSize, MaxRecords: f.MaxRecords,
			Records: records, Access: cos.Access{Read: r, Update: u}})
	}
	return nil
}

// cardKeys derives the card's keys from the issuer keys of the profile.
func cardKeys(alg cardcrypto.Alg, s *profile.SSSE) ([]cos.KeySpec, error) {
	factors, err := Factors(s)
	if err != nil {
		return nil, err
	}
	var out []cos.KeySpec
	for _, k := range s.Keys {
		var usage cos.KeyUsage
		for _, u := range k.Usage {
			v, err := cos.ParseKeyUsage(u)
			if err != nil {
				return nil, err
			}
			usage |= v
		}
		var value []byte
		if k.Value != "" {
			value = mustHex(k.Value)
		} else {
			value, err = cardcrypto.DiversifyLevels(alg, mustHex(k.Master), factors...)
			if err != nil {
				return nil, fmt.Errorf("deriving key %s: %w", k.ID, err)
			}
		}
		id, _ := hex.DecodeString(k.ID)
		out = append(out, cos.KeySpec{ID: id[0], Label: k.Name, Usage: usage, Value: value, Tries: k.Tries, TriesLeft: k.Tries})
	}
	return out, nil
}

// Factors returns the diversification factors of the card's keys, one per
// level (CARD.md §3: by default the 8-byte unique part of the card
// identifier).
func Factors(s *profile.SSSE) ([][]byte, error) {
	var out [][]byte
	for _, f := range s.Diversification {
		if f == "card" {
			f = s.Identity.CardSerial
		}
		b, err := hex.DecodeString(f)
		if err != nil || len(b) != 8 {
			return nil, fmt.Errorf("diversification factor %q is not 8 bytes of hex", f)
		}
		out = append(out, b)
	}
	return out, nil
}

func fidOf(s string) uint16 {
	b := mustHex(s)
	if len(b) != 2 {
		return 0
	}
	return uint16(b[0])<<8 | uint16(b[1])
}

// mustHex decodes hex the profile has already validated.
func mustHex(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return b
}

func maxLen(recs [][]byte) int {
	m := 0
	for _, r := range recs {
		m = max(m, len(r))
	}
	return m
}
