package profile

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sscard/sscard/emulator/cos"
)

// Defaults that CARD.md marks [model].
const (
	DefaultSSSEAID        = "7378312E73682EC9E7BBE1B1A3D5CF"
	DefaultSSSEFID        = "DDF1"
	DefaultPSAMAID        = "D15600000590"
	DefaultPINTries       = 3
	DefaultPINMinLength   = 2
	DefaultPINMaxLength   = 6
	DefaultKeyTries       = 3
	DefaultFingerprintLen = 1024
	DefaultPhotoLen       = 4096
)

// Generations the model knows.
var Generations = []string{"1.00", "2.00", "3.00"}

// KeyUsages are the usages a key may have.
var KeyUsages = []string{"extauth", "intauth", "maint", "reload", "unblock"}

// LifeCycles are the SSSE ADF life cycle states.
var LifeCycles = []string{"activated", "deactivated", "terminated"}

func (p *Profile) validate() error {
	if p.Schema != SchemaVersion {
		return fieldErr("schema", "is %d, this program reads schema %d", p.Schema, SchemaVersion)
	}
	if p.Name == "" {
		return fieldErr("name", "missing")
	}
	switch p.Kind {
	case KindCard:
		return p.validateCard()
	case KindPSAM:
		return p.validatePSAM()
	case "":
		return fieldErr("kind", "missing (card or psam)")
	default:
		return fieldErr("kind", "%q is neither card nor psam", p.Kind)
	}
}

func (p *Profile) validateCommon(defaultAlg string) error {
	if p.Algorithm == "" {
		p.Algorithm = defaultAlg
	}
	if p.Algorithm != "sm4" && p.Algorithm != "3des" {
		return fieldErr("algorithm", "%q is neither sm4 nor 3des", p.Algorithm)
	}
	if !p.Interfaces.Contact && !p.Interfaces.Contactless {
		return fieldErr("interfaces", "the card has neither a contact nor a contactless interface")
	}
	if p.Interfaces.Contactless {
		if p.Interfaces.Type == "" {
			p.Interfaces.Type = "A"
		}
		if p.Interfaces.Type != "A" && p.Interfaces.Type != "B" {
			return fieldErr("interfaces.type", "%q is neither A nor B", p.Interfaces.Type)
		}
	}
	if c := p.Interfaces.ISO14443; c != nil {
		if err := c.validate(); err != nil {
			return err
		}
	}
	if p.Timing != nil {
		if err := p.Timing.validate(); err != nil {
			return err
		}
	}
	return p.validateATR()
}

func (p *Profile) validateATR() error {
	a := &p.ATR
	if a.Hex != "" {
		if a.Historical != "" || len(a.Protocols) > 0 || a.TB1 != "" || a.TC1 != "" || a.TA1 != "" || a.T1 != nil {
			return fieldErr("atr", "give either hex or the parts (historical, protocols, ta1, tb1, tc1, t1), not both")
		}
		if _, err := hexField("atr.hex", a.Hex, 2, 33); err != nil {
			return err
		}
		return nil
	}
	if _, err := hexField("atr.historical", a.Historical, 0, 15); err != nil {
		return err
	}
	for i, t := range a.Protocols {
		if t != 0 && t != 1 {
			return fieldErr(fmt.Sprintf("atr.protocols[%d]", i), "T=%d: the card speaks T=0 and T=1 only", t)
		}
	}
	for f, v := range map[string]string{"atr.tb1": a.TB1, "atr.tc1": a.TC1} {
		if v != "" {
			if _, err := hexField(f, v, 1, 1); err != nil {
				return err
			}
		}
	}
	return a.validateLink()
}

func (p *Profile) validateCard() error {
	if !slices.Contains(Generations, p.Generation) {
		return fieldErr("generation", "%q is not one of %s", p.Generation, strings.Join(Generations, ", "))
	}
	defAlg := "3des"
	if p.Generation == "3.00" {
		defAlg = "sm4"
	}
	if err := p.validateCommon(defAlg); err != nil {
		return err
	}
	if p.Generation != "3.00" && p.Interfaces.Contactless {
		return fieldErr("interfaces.contactless", "a %s card has no contactless interface", p.Generation)
	}
	if p.PSAM != nil {
		return fieldErr("psam", "a card profile has no psam section")
	}
	if p.SSSE == nil {
		return fieldErr("ssse", "missing")
	}
	if err := p.SSSE.validate(p.Generation); err != nil {
		return err
	}
	if p.PKI != nil && p.Generation != "3.00" {
		p.PKI = nil // the PKI application exists on 3.00 cards only (CARD.md §1)
	}
	if p.PKI != nil {
		if err := p.PKI.validate(); err != nil {
			return err
		}
	}
	if p.Pay != nil {
		if err := p.Pay.validate(p); err != nil {
			return err
		}
	}
	if p.Register != nil && !slices.Contains(RegisterStates, p.Register.State) {
		return fieldErr("register.state", "%q is not one of %s", p.Register.State, strings.Join(RegisterStates, ", "))
	}
	return nil
}

func (s *SSSE) validate(gen string) error {
	if s.AID == "" {
		s.AID = DefaultSSSEAID
	}
	if _, err := hexField("ssse.aid", s.AID, 5, 16); err != nil {
		return err
	}
	if s.FID == "" {
		s.FID = DefaultSSSEFID
	}
	if err := fidField("ssse.fid", s.FID); err != nil {
		return err
	}
	if s.LifeCycle == "" {
		s.LifeCycle = "activated"
	}
	if !slices.Contains(LifeCycles, s.LifeCycle) {
		return fieldErr("ssse.lifeCycle", "%q is not one of %s", s.LifeCycle, strings.Join(LifeCycles, ", "))
	}
	if s.FCIAlgorithm == nil {
		v := gen == "3.00"
		s.FCIAlgorithm = &v
	}
	if err := s.Identity.validate(gen); err != nil {
		return err
	}
	if err := s.PIN.validate(); err != nil {
		return err
	}
	if s.FingerprintSize == 0 {
		s.FingerprintSize = DefaultFingerprintLen
	}
	if s.PhotoSize == 0 {
		s.PhotoSize = DefaultPhotoLen
	}
	if s.FingerprintSize < 1 || s.FingerprintSize > 32767 {
		return fieldErr("ssse.fingerprintSize", "%d is outside 1..32767", s.FingerprintSize)
	}
	if s.PhotoSize < 1 || s.PhotoSize > 32767 {
		return fieldErr("ssse.photoSize", "%d is outside 1..32767", s.PhotoSize)
	}
	if len(s.Diversification) == 0 {
		s.Diversification = []string{"card"}
	}
	for i, f := range s.Diversification {
		if f != "card" {
			if _, err := hexField(fmt.Sprintf("ssse.diversification[%d]", i), f, 8, 8); err != nil {
				return err
			}
		}
	}
	if err := validateKeys(s.Keys); err != nil {
		return err
	}
	for name, a := range s.Access {
		if !slices.Contains([]string{"EF05", "EF06", "EF07", "EF08", "EF0D", "admin"}, name) {
			return fieldErr("ssse.access", "unknown file %q (EF05, EF06, EF07, EF08, EF0D, admin)", name)
		}
		for op, r := range map[string]string{"read": a.Read, "update": a.Update} {
			if _, err := cos.ParseRule(r); err != nil {
				return fieldErr("ssse.access."+name+"."+op, "%v", err)
			}
		}
	}
	for i, sa := range s.SubApps {
		if err := sa.validate(fmt.Sprintf("ssse.subApps[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func validateKeys(keys []Key) error {
	seen := map[string]bool{}
	for i := range keys {
		k := &keys[i]
		f := fmt.Sprintf("ssse.keys[%d]", i)
		if _, err := hexField(f+".id", k.ID, 1, 1); err != nil {
			return err
		}
		id := strings.ToUpper(k.ID)
		if seen[id] {
			return fieldErr(f+".id", "key %s defined twice", id)
		}
		seen[id] = true
		if len(k.Usage) == 0 {
			return fieldErr(f+".usage", "missing (any of %s)", strings.Join(KeyUsages, ", "))
		}
		for _, u := range k.Usage {
			if !slices.Contains(KeyUsages, u) {
				return fieldErr(f+".usage", "%q is not one of %s", u, strings.Join(KeyUsages, ", "))
			}
		}
		if err := keyMaterial(f, k.Master, k.Value, &k.Tries); err != nil {
			return err
		}
	}
	return nil
}

func (id *Identity) validate(gen string) error {
	const f = "ssse.identity."
	if err := digitsField(f+"region", id.Region, 6, 6); err != nil {
		return err
	}
	if _, err := hexField(f+"cardSerial", id.CardSerial, 8, 8); err != nil {
		return err
	}
	if err := asciiField(f+"cardType", id.CardType, 1, 1); err != nil {
		return err
	}
	if _, err := hexField(f+"initOrg", id.InitOrg, 12, 12); err != nil {
		return err
	}
	for name, v := range map[string]string{"issueDate": id.IssueDate, "expiryDate": id.ExpiryDate, "birthDate": id.BirthDate} {
		if err := dateField(f+name, v); err != nil {
			return err
		}
	}
	if err := asciiField(f+"cardNumber", id.CardNumber, 9, 9); err != nil {
		return err
	}
	if err := asciiField(f+"ssn", id.SSN, 18, 18); err != nil {
		return err
	}
	if err := gbkField(f+"name", id.Name, 30); err != nil {
		return err
	}
	if id.NamePad == "" {
		id.NamePad = "00"
	}
	if id.NamePad != "00" && id.NamePad != "20" {
		return fieldErr(f+"namePad", "%q is neither 00 nor 20", id.NamePad)
	}
	if id.NameExt != "" {
		if gen == "1.00" {
			return fieldErr(f+"nameExt", "a 1.00 card has no name extension")
		}
		if err := gbkField(f+"nameExt", id.NameExt, 20); err != nil {
			return err
		}
	}
	if id.Sex != "1" && id.Sex != "2" {
		return fieldErr(f+"sex", "%q is neither \"1\" (male) nor \"2\" (female)", id.Sex)
	}
	if id.Ethnic < 0 || id.Ethnic > 255 {
		return fieldErr(f+"ethnic", "%d is outside 0..255", id.Ethnic)
	}
	if err := digitsField(f+"birthplace", id.Birthplace, 1, 6); err != nil {
		return err
	}
	if gen == "3.00" {
		if err := asciiField(f+"personId", id.PersonID, 12, 12); err != nil {
			return err
		}
		if err := digitsField(f+"firstPlace", id.FirstPlace, 6, 6); err != nil {
			return err
		}
	} else if id.PersonID != "" || id.FirstPlace != "" {
		return fieldErr(f+"personId", "EF0D (personId, firstPlace) exists on 3.00 cards only")
	}
	return nil
}

func (pin *PIN) validate() error {
	const f = "ssse.pin."
	if pin.MaxTries == 0 {
		pin.MaxTries = DefaultPINTries
	}
	if pin.MinLength == 0 {
		pin.MinLength = DefaultPINMinLength
	}
	if pin.MaxLength == 0 {
		pin.MaxLength = DefaultPINMaxLength
	}
	if pin.MaxTries < 1 || pin.MaxTries > 15 {
		return fieldErr(f+"maxTries", "%d is outside 1..15", pin.MaxTries)
	}
	if pin.MinLength < 1 || pin.MaxLength > 12 || pin.MinLength > pin.MaxLength {
		return fieldErr(f+"minLength", "lengths %d..%d are not within 1..12", pin.MinLength, pin.MaxLength)
	}
	if err := digitsField(f+"value", pin.Value, pin.MinLength, pin.MaxLength); err != nil {
		return err
	}
	if pin.TriesLeft == nil {
		t := pin.MaxTries
		pin.TriesLeft = &t
	}
	if *pin.TriesLeft < 0 || *pin.TriesLeft > pin.MaxTries {
		return fieldErr(f+"triesLeft", "%d is outside 0..maxTries (%d)", *pin.TriesLeft, pin.MaxTries)
	}
	return nil
}

// FileTypes are the EF structures a profile may give.
var FileTypes = []string{"transparent", "linear-fixed", "linear-variable", "cyclic"}

func (sa *SubApp) validate(f string) error {
	if sa.Name == "" {
		return fieldErr(f+".name", "missing")
	}
	if _, err := hexField(f+".aid", sa.AID, 5, 16); err != nil {
		return err
	}
	if err := fidField(f+".fid", sa.FID); err != nil {
		return err
	}
	for i := range sa.Files {
		if err := sa.Files[i].validate(fmt.Sprintf("%s.files[%d]", f, i)); err != nil {
			return err
		}
	}
	return nil
}

func (fl *File) validate(f string) error {
	if err := fidField(f+".fid", fl.FID); err != nil {
		return err
	}
	if fl.SFI < 0 || fl.SFI > 30 {
		return fieldErr(f+".sfi", "%d is outside 0..30", fl.SFI)
	}
	for op, r := range map[string]string{"read": fl.Read, "update": fl.Update} {
		if _, err := cos.ParseRule(r); err != nil {
			return fieldErr(f+"."+op, "%v", err)
		}
	}
	switch fl.Type {
	case "transparent":
		if fl.Size < 1 || fl.Size > 32767 {
			return fieldErr(f+".size", "%d is outside 1..32767", fl.Size)
		}
		if len(fl.Records) > 0 {
			return fieldErr(f+".records", "a transparent file has no records")
		}
		if _, err := hexField(f+".content", fl.Content, 0, fl.Size); err != nil {
			return err
		}
	case "linear-fixed", "linear-variable", "cyclic":
		if fl.RecordSize < 1 || fl.RecordSize > 255 {
			return fieldErr(f+".recordSize", "%d is outside 1..255", fl.RecordSize)
		}
		if fl.MaxRecords == 0 {
			fl.MaxRecords = len(fl.Records)
		}
		if fl.MaxRecords < 1 || fl.MaxRecords > 254 {
			return fieldErr(f+".maxRecords", "%d is outside 1..254", fl.MaxRecords)
		}
		if len(fl.Records) > fl.MaxRecords {
			return fieldErr(f+".records", "%d records, more than maxRecords %d", len(fl.Records), fl.MaxRecords)
		}
		for i, r := range fl.Records {
			min := 1
			if fl.Type == "linear-fixed" || fl.Type == "cyclic" {
				min = fl.RecordSize
			}
			if _, err := hexField(fmt.Sprintf("%s.records[%d]", f, i), r, min, fl.RecordSize); err != nil {
				return err
			}
		}
		if fl.Content != "" {
			return fieldErr(f+".content", "a record file has records, not content")
		}
	default:
		return fieldErr(f+".type", "%q is not one of %s", fl.Type, strings.Join(FileTypes, ", "))
	}
	return nil
}

func (p *Profile) validatePSAM() error {
	if err := p.validateCommon("sm4"); err != nil {
		return err
	}
	if p.SSSE != nil {
		return fieldErr("ssse", "a psam profile has no ssse section")
	}
	if p.PSAM == nil {
		return fieldErr("psam", "missing")
	}
	if p.PKI != nil {
		return fieldErr("pki", "a psam profile has no pki section")
	}
	if p.Pay != nil {
		return fieldErr("pay", "a psam profile has no pay section")
	}
	s := p.PSAM
	if s.AID == "" {
		s.AID = DefaultPSAMAID
	}
	if _, err := hexField("psam.aid", s.AID, 5, 16); err != nil {
		return err
	}
	if err := digitsField("psam.terminalNumber", s.TerminalNumber, 12, 12); err != nil {
		return err
	}
	if s.Serial != "" {
		if err := digitsField("psam.serial", s.Serial, 20, 20); err != nil {
			return err
		}
	}
	if len(s.Keys) == 0 {
		return fieldErr("psam.keys", "missing")
	}
	for i := range s.Keys {
		k := &s.Keys[i]
		f := fmt.Sprintf("psam.keys[%d]", i)
		if _, err := hexField(f+".id", k.ID, 1, 1); err != nil {
			return err
		}
		u, err := hexField(f+".usage", k.Usage, 1, 1)
		if err != nil {
			return err
		}
		if u[0]&0x1F > 8 {
			return fieldErr(f+".usage", "key type %d is not 0..8", u[0]&0x1F)
		}
		if k.Algorithm != "" && k.Algorithm != "sm4" && k.Algorithm != "3des" {
			return fieldErr(f+".algorithm", "%q is neither sm4 nor 3des (or empty: both)", k.Algorithm)
		}
		if _, err := hexField(f+".value", k.Value, 16, 16); err != nil {
			return err
		}
	}
	return nil
}

// --- field checks ---

// hexField decodes s and checks its length in bytes.
func hexField(field, s string, min, max int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fieldErr(field, "%q is not hex", s)
	}
	if len(b) < min || len(b) > max {
		if min == max {
			return nil, fieldErr(field, "is %d bytes, want %d", len(b), min)
		}
		return nil, fieldErr(field, "is %d bytes, want %d..%d", len(b), min, max)
	}
	return b, nil
}

func fidField(field, s string) error {
	b, err := hexField(field, s, 2, 2)
	if err != nil {
		return err
	}
	if b[0] == 0x3F && b[1] == 0x00 || b[0] == 0xFF && b[1] == 0xFF {
		return fieldErr(field, "%s is reserved", strings.ToUpper(s))
	}
	return nil
}

func digitsField(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return fieldErr(field, "%q has %d digits, want %d..%d", s, len(s), min, max)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return fieldErr(field, "%q is not all digits", s)
		}
	}
	return nil
}

func asciiField(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		if min == max {
			return fieldErr(field, "%q has %d characters, want %d", s, len(s), min)
		}
		return fieldErr(field, "%q has %d characters, want %d..%d", s, len(s), min, max)
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7E {
			return fieldErr(field, "%q is not printable ASCII", s)
		}
	}
	return nil
}

func dateField(field, s string) error {
	if len(s) != 8 {
		return fieldErr(field, "%q is not a date YYYYMMDD", s)
	}
	if _, err := strconv.Atoi(s); err != nil {
		return fieldErr(field, "%q is not a date YYYYMMDD", s)
	}
	if _, err := time.Parse("20060102", s); err != nil {
		return fieldErr(field, "%q is not a valid date", s)
	}
	return nil
}

// GBK encodes s in GBK, the character set of the card's name fields.
func GBK(s string) ([]byte, error) {
	return simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
}

// FromGBK decodes GBK bytes (stopping at the first 00 or FF pad).
func FromGBK(b []byte) (string, error) {
	for i, c := range b {
		if c == 0x00 || c == 0xFF {
			b = b[:i]
			break
		}
	}
	out, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	return string(out), err
}

func gbkField(field, s string, max int) error {
	b, err := GBK(s)
	if err != nil {
		return fieldErr(field, "%q cannot be written in GBK", s)
	}
	if len(b) > max {
		return fieldErr(field, "%q is %d bytes in GBK, more than %d", s, len(b), max)
	}
	return nil
}
