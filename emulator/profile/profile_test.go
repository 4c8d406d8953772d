package profile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
	"github.com/sscard/sscard/vectors"
)

func TestEveryPersonaLoads(t *testing.T) {
	names := vectors.Personas()
	if len(names) < 5 {
		t.Fatalf("only %d personas: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, err := profile.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != name {
				t.Errorf("persona %s is named %q", name, p.Name)
			}
			if p.Kind != profile.KindCard && p.Kind != profile.KindPSAM {
				t.Errorf("kind %q", p.Kind)
			}
			if p.Extends != "" || bytes.Contains(p.JSON(), []byte(`"extends"`)) {
				t.Error("a loaded profile still names what it extends")
			}
			if p.Description == "" {
				t.Error("no description")
			}
			// The canonical JSON parses back to itself.
			q, err := profile.Parse(p.JSON(), "")
			if err != nil {
				t.Fatalf("parsing the canonical JSON: %v", err)
			}
			if !bytes.Equal(q.JSON(), p.JSON()) {
				t.Errorf("canonical JSON is not stable:\n%s\n%s", p.JSON(), q.JSON())
			}
			if _, err := emulator.New(p); err != nil {
				t.Errorf("building a card: %v", err)
			}
		})
	}
	if _, err := profile.Load("no-such-persona"); err == nil || !strings.Contains(err.Error(), "no such persona") {
		t.Errorf("an unknown persona: %v", err)
	}
}

// TestPersonaDefaults checks the defaults filled in for what a persona
// leaves out, and the overrides down the extends chain.
func TestPersonaDefaults(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	s := p.SSSE
	switch {
	case p.Algorithm != "sm4", p.Generation != "3.00":
		t.Errorf("algorithm %q generation %q", p.Algorithm, p.Generation)
	case s.AID != profile.DefaultSSSEAID, s.FID != profile.DefaultSSSEFID:
		t.Errorf("AID %s FID %s", s.AID, s.FID)
	case s.PIN.MaxTries != 3, s.PIN.TriesLeft == nil || *s.PIN.TriesLeft != 3:
		t.Errorf("PIN tries %d/%v", s.PIN.MaxTries, s.PIN.TriesLeft)
	case s.PIN.MinLength != profile.DefaultPINMinLength, s.PIN.MaxLength != profile.DefaultPINMaxLength:
		t.Errorf("PIN lengths %d..%d", s.PIN.MinLength, s.PIN.MaxLength)
	case s.FCIAlgorithm == nil || !*s.FCIAlgorithm:
		t.Error("a 3.00 card has no algorithm in its FCI")
	case s.FingerprintSize != profile.DefaultFingerprintLen, s.PhotoSize != profile.DefaultPhotoLen:
		t.Errorf("EF07/EF08 sizes %d, %d", s.FingerprintSize, s.PhotoSize)
	case s.Identity.NamePad != "00":
		t.Errorf("name pad %q", s.Identity.NamePad)
	case len(s.Diversification) != 1 || s.Diversification[0] != "card":
		t.Errorf("diversification %v", s.Diversification)
	case s.Keys[0].Tries != profile.DefaultKeyTries:
		t.Errorf("key tries %d", s.Keys[0].Tries)
	}
	b, err := profile.Load("pin-blocked")
	if err != nil {
		t.Fatal(err)
	}
	if *b.SSSE.PIN.TriesLeft != 0 || b.SSSE.LifeCycle != "activated" || b.Register.State != "enabled" {
		t.Errorf("pin-blocked: tries %d, life cycle %s, register %s", *b.SSSE.PIN.TriesLeft, b.SSSE.LifeCycle, b.Register.State)
	}
	g, err := profile.Load("gen2")
	if err != nil {
		t.Fatal(err)
	}
	if g.Algorithm != "3des" || g.Interfaces.Contactless || g.SSSE.Identity.PersonID != "" || *g.SSSE.FCIAlgorithm {
		t.Errorf("gen2: %s contactless=%v personId=%q fciAlgorithm=%v", g.Algorithm, g.Interfaces.Contactless, g.SSSE.Identity.PersonID, *g.SSSE.FCIAlgorithm)
	}
	d, err := profile.Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if d.Source == "" || d.Description == "" || d.Description == b.Description {
		t.Error("a derived persona shows its base's description or source")
	}
}

func TestLoadUserFile(t *testing.T) {
	p, err := profile.Load("testdata/user.json")
	if err != nil {
		t.Fatal(err)
	}
	id := p.SSSE.Identity
	if p.Name != "user-hangzhou" || id.Region != "330100" || id.Name != "李四" || id.Sex != "2" {
		t.Errorf("the user's values did not win: %s %s %s %s", p.Name, id.Region, id.Name, id.Sex)
	}
	// Inherited from activated and base-3.00.
	if id.SSN != "11010519491231002X" || p.SSSE.LifeCycle != "activated" || len(p.SSSE.Keys) != 7 {
		t.Errorf("inherited values lost: %s %s %d keys", id.SSN, p.SSSE.LifeCycle, len(p.SSSE.Keys))
	}
	if pin := p.SSSE.PIN; pin.Value != "13579" || pin.MaxTries != 6 || *pin.TriesLeft != 6 || pin.MinLength != 4 {
		t.Errorf("PIN %+v", pin)
	}
	if p.Source != "" {
		t.Errorf("the user's profile inherited the source %q", p.Source)
	}
	if _, err := emulator.New(p); err != nil {
		t.Fatal(err)
	}
	// The same file through Parse, with its directory.
	data, err := os.ReadFile("testdata/user.json")
	if err != nil {
		t.Fatal(err)
	}
	q, err := profile.Parse(data, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.JSON(), p.JSON()) {
		t.Error("Parse and Load of the same file differ")
	}
}

func TestExtendsRelativePath(t *testing.T) {
	for _, tt := range []struct {
		path, name, lifeCycle string
		tries                 int
	}{
		{"testdata/chain/base.json", "regional-base", "activated", 5},
		{"testdata/chain/child.json", "regional-card", "deactivated", 5},
		{"testdata/chain/grandchild.json", "regional-card-blocked-pin", "deactivated", 0},
		// From another working directory's point of view.
		{filepath.Join("testdata", "chain", "..", "chain", "grandchild.json"), "regional-card-blocked-pin", "deactivated", 0},
	} {
		p, err := profile.Load(tt.path)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if p.Name != tt.name || p.SSSE.LifeCycle != tt.lifeCycle || *p.SSSE.PIN.TriesLeft != tt.tries ||
			p.SSSE.PIN.MaxTries != 5 || p.SSSE.Identity.Region != "440300" {
			t.Errorf("%s: %s %s tries %d/%d region %s", tt.path, p.Name, p.SSSE.LifeCycle,
				*p.SSSE.PIN.TriesLeft, p.SSSE.PIN.MaxTries, p.SSSE.Identity.Region)
		}
	}
	abs, err := filepath.Abs("testdata/chain/grandchild.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Load(abs); err != nil {
		t.Errorf("absolute path: %v", err)
	}
	// Parse resolves a relative extends against the directory it is given.
	child := []byte(`{"schema":1,"name":"x","extends":"base.json"}`)
	if _, err := profile.Parse(child, "testdata/chain"); err != nil {
		t.Errorf("Parse with a directory: %v", err)
	}
	if _, err := profile.Parse(child, t.TempDir()); err == nil {
		t.Error("Parse found base.json in a directory without it")
	}
}

func TestExtendsCycle(t *testing.T) {
	for _, path := range []string{"testdata/cycle/a.json", "testdata/cycle/self.json"} {
		_, err := profile.Load(path)
		if err == nil || !strings.Contains(err.Error(), "extends chain deeper than") || !strings.Contains(err.Error(), "cycle") {
			t.Errorf("%s: %v, want the extends chain refused as a cycle", path, err)
		}
	}
}

func TestExtendsDepth(t *testing.T) {
	dir := t.TempDir()
	// level0 extends a persona; level i extends level i-1.
	write := func(i int) string {
		ext := "activated"
		if i > 0 {
			ext = fmt.Sprintf("level%d.json", i-1)
		}
		path := filepath.Join(dir, fmt.Sprintf("level%d.json", i))
		body := fmt.Sprintf(`{"schema":1,"name":"level%d","extends":%q,"ssse":{"identity":{"cardType":"%d"}}}`, i, ext, i%10)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var paths []string
	for i := range 12 {
		paths = append(paths, write(i))
	}
	p, err := profile.Load(paths[3])
	if err != nil {
		t.Fatalf("a chain of 4 files and 2 personas: %v", err)
	}
	if p.Name != "level3" || p.SSSE.Identity.CardType != "3" {
		t.Errorf("got %s cardType %s", p.Name, p.SSSE.Identity.CardType)
	}
	if _, err := profile.Load(paths[11]); err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("a chain of 12 files and 2 personas: %v, want it refused", err)
	}
}

func TestLoadFileLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	pad := strings.Repeat(" ", 1<<20)
	if err := os.WriteFile(big, []byte(`{"schema":1,`+pad+`"name":"big"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := profile.Load(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a profile over 1 MiB: %v", err)
	}
	if _, err := profile.Load(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	if _, err := profile.Load(dir + "/"); err == nil {
		t.Error("a directory loaded as a profile")
	}
	if runtime.GOOS == "linux" {
		// A device reports no size and never ends: the read is bounded.
		if _, err := profile.Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "more than") {
			t.Errorf("/dev/zero: %v", err)
		}
		ext := []byte(`{"schema":1,"name":"z","extends":"/dev/zero"}`)
		if _, err := profile.Parse(ext, ""); err == nil || !strings.Contains(err.Error(), "more than") {
			t.Errorf("extends /dev/zero: %v", err)
		}
	}
}

// base returns the canonical JSON of a persona as a generic object.
func base(t testing.TB, name string) map[string]any {
	t.Helper()
	p, err := profile.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(p.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// del is the value that removes a field in set.
type del struct{}

// set replaces (or with del{} removes) the value at a dotted path; a
// segment "name[i]" indexes an array.
func set(t testing.TB, m map[string]any, path string, v any) {
	t.Helper()
	parts := strings.Split(path, ".")
	var cur any = m
	for i, part := range parts {
		last := i == len(parts)-1
		name, idx := part, -1
		if j := strings.IndexByte(part, '['); j >= 0 {
			name = part[:j]
			fmt.Sscanf(part[j:], "[%d]", &idx)
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("set %s: %s is not an object", path, name)
		}
		if idx < 0 {
			if last {
				if _, d := v.(del); d {
					delete(obj, name)
				} else {
					obj[name] = v
				}
				return
			}
			next, ok := obj[name]
			if !ok {
				next = map[string]any{}
				obj[name] = next
			}
			cur = next
			continue
		}
		arr, ok := obj[name].([]any)
		if !ok || idx >= len(arr) {
			t.Fatalf("set %s: no element %d", path, idx)
		}
		if last {
			arr[idx] = v
			return
		}
		cur = arr[idx]
	}
}

func TestHostileProfiles(t *testing.T) {
	type edit struct {
		path string
		v    any
	}
	tests := []struct {
		name    string
		persona string
		edits   []edit
		want    string // the error names this field (or says this)
	}{
		{"schema newer", "activated", []edit{{"schema", 2}}, "schema"},
		{"schema missing", "activated", []edit{{"schema", del{}}}, "schema"},
		{"name missing", "activated", []edit{{"name", ""}}, "name"},
		{"kind missing", "activated", []edit{{"kind", del{}}}, "kind"},
		{"kind unknown", "activated", []edit{{"kind", "reader"}}, "kind"},
		{"generation", "activated", []edit{{"generation", "4.00"}}, "generation"},
		{"algorithm", "activated", []edit{{"algorithm", "aes"}}, "algorithm"},
		{"no interface", "activated", []edit{{"interfaces", map[string]any{"contact": false, "contactless": false}}}, "interfaces"},
		{"interface type", "activated", []edit{{"interfaces.type", "C"}}, "interfaces.type"},
		{"contactless 2.00", "gen2", []edit{{"interfaces.contactless", true}}, "interfaces.contactless"},
		{"historical not hex", "activated", []edit{{"atr.historical", "XYZ"}}, "atr.historical"},
		{"historical too long", "activated", []edit{{"atr.historical", strings.Repeat("00", 16)}}, "atr.historical"},
		{"atr hex and parts", "activated", []edit{{"atr.hex", "3B00"}}, "atr"},
		{"atr hex too long", "trace-1.00", []edit{{"atr.hex", strings.Repeat("3B", 34)}}, "atr.hex"},
		{"atr protocol", "activated", []edit{{"atr.protocols", []any{0, 2}}}, "atr.protocols[1]"},
		{"atr tb1", "activated", []edit{{"atr.tb1", "0000"}}, "atr.tb1"},
		{"ssse missing", "activated", []edit{{"ssse", del{}}}, "ssse"},
		{"psam in a card", "activated", []edit{{"psam", map[string]any{"terminalNumber": "110100000001"}}}, "psam"},
		{"ssse aid", "activated", []edit{{"ssse.aid", "00"}}, "ssse.aid"},
		{"ssse fid reserved", "activated", []edit{{"ssse.fid", "3F00"}}, "ssse.fid"},
		{"life cycle", "activated", []edit{{"ssse.lifeCycle", "sealed"}}, "ssse.lifeCycle"},
		{"issue date month 13", "activated", []edit{{"ssse.identity.issueDate", "20241301"}}, "ssse.identity.issueDate"},
		{"issue date short", "activated", []edit{{"ssse.identity.issueDate", "2024"}}, "ssse.identity.issueDate"},
		{"expiry date letters", "activated", []edit{{"ssse.identity.expiryDate", "2034O315"}}, "ssse.identity.expiryDate"},
		{"birth date 30 Feb", "activated", []edit{{"ssse.identity.birthDate", "19490230"}}, "ssse.identity.birthDate"},
		{"region", "activated", []edit{{"ssse.identity.region", "11010"}}, "ssse.identity.region"},
		{"card serial", "activated", []edit{{"ssse.identity.cardSerial", "0116"}}, "ssse.identity.cardSerial"},
		{"card type", "activated", []edit{{"ssse.identity.cardType", "33"}}, "ssse.identity.cardType"},
		{"init org", "activated", []edit{{"ssse.identity.initOrg", "11"}}, "ssse.identity.initOrg"},
		{"card number", "activated", []edit{{"ssse.identity.cardNumber", "B1234567"}}, "ssse.identity.cardNumber"},
		{"ssn control char", "activated", []edit{{"ssse.identity.ssn", "11010519491231002\n"}}, "ssse.identity.ssn"},
		{"name too long", "activated", []edit{{"ssse.identity.name", strings.Repeat("张", 16)}}, "ssse.identity.name"},
		{"name not GBK", "activated", []edit{{"ssse.identity.name", "😀"}}, "ssse.identity.name"},
		{"name pad", "activated", []edit{{"ssse.identity.namePad", "FF"}}, "ssse.identity.namePad"},
		{"name extension 1.00", "trace-1.00", []edit{{"ssse.identity.nameExt", "x"}}, "ssse.identity.nameExt"},
		{"sex", "activated", []edit{{"ssse.identity.sex", "3"}}, "ssse.identity.sex"},
		{"ethnic", "activated", []edit{{"ssse.identity.ethnic", 300}}, "ssse.identity.ethnic"},
		{"birthplace", "activated", []edit{{"ssse.identity.birthplace", "1101050"}}, "ssse.identity.birthplace"},
		{"person id missing", "activated", []edit{{"ssse.identity.personId", del{}}}, "ssse.identity.personId"},
		{"person id on 2.00", "gen2", []edit{{"ssse.identity.personId", "110100000001"}}, "ssse.identity.personId"},
		{"first place", "activated", []edit{{"ssse.identity.firstPlace", "11"}}, "ssse.identity.firstPlace"},
		{"PIN max tries high", "activated", []edit{{"ssse.pin.maxTries", 16}}, "ssse.pin.maxTries"},
		{"PIN max tries negative", "activated", []edit{{"ssse.pin.maxTries", -1}}, "ssse.pin.maxTries"},
		{"PIN tries left", "activated", []edit{{"ssse.pin.triesLeft", 4}}, "ssse.pin.triesLeft"},
		{"PIN value letters", "activated", []edit{{"ssse.pin.value", "12a456"}}, "ssse.pin.value"},
		{"PIN value too long", "activated", []edit{{"ssse.pin.value", "1234567"}}, "ssse.pin.value"},
		{"PIN lengths", "activated", []edit{{"ssse.pin.minLength", 8}}, "ssse.pin.minLength"},
		{"key id", "activated", []edit{{"ssse.keys[0].id", "ZZ"}}, "ssse.keys[0].id"},
		{"key id twice", "activated", []edit{{"ssse.keys[1].id", "01"}}, "ssse.keys[1].id"},
		{"key usage", "activated", []edit{{"ssse.keys[1].usage", []any{"fly"}}}, "ssse.keys[1].usage"},
		{"key usage missing", "activated", []edit{{"ssse.keys[1].usage", []any{}}}, "ssse.keys[1].usage"},
		{"key master short", "activated", []edit{{"ssse.keys[0].master", "00"}}, "ssse.keys[0].master"},
		{"key master and value", "activated", []edit{{"ssse.keys[0].value", strings.Repeat("00", 16)}}, "ssse.keys[0]"},
		{"key tries", "activated", []edit{{"ssse.keys[2].tries", 20}}, "ssse.keys[2].tries"},
		{"diversification", "activated", []edit{{"ssse.diversification", []any{"card", "12"}}}, "ssse.diversification[1]"},
		{"access file", "activated", []edit{{"ssse.access", map[string]any{"EF09": map[string]any{"read": "free"}}}}, "ssse.access"},
		{"access rule", "activated", []edit{{"ssse.access", map[string]any{"EF05": map[string]any{"read": "sometimes"}}}}, "ssse.access.EF05.read"},
		{"fingerprint size", "activated", []edit{{"ssse.fingerprintSize", 40000}}, "ssse.fingerprintSize"},
		{"photo size", "activated", []edit{{"ssse.photoSize", -5}}, "ssse.photoSize"},
		{"sub-app name", "activated", []edit{{"ssse.subApps[1].name", ""}}, "ssse.subApps[1].name"},
		{"sub-app aid", "activated", []edit{{"ssse.subApps[1].aid", "D1"}}, "ssse.subApps[1].aid"},
		{"file type", "activated", []edit{{"ssse.subApps[0].files[0].type", "tree"}}, "ssse.subApps[0].files[0].type"},
		{"file sfi", "activated", []edit{{"ssse.subApps[0].files[1].sfi", 31}}, "ssse.subApps[0].files[1].sfi"},
		{"file record hex", "activated", []edit{{"ssse.subApps[0].files[1].records", []any{"31010", "320101"}}}, "ssse.subApps[0].files[1].records[0]"},
		{"file record short", "activated", []edit{{"ssse.subApps[0].files[1].records", []any{"3101", "320101"}}}, "ssse.subApps[0].files[1].records[0]"},
		{"file too many records", "activated", []edit{{"ssse.subApps[0].files[1].maxRecords", 1}}, "ssse.subApps[0].files[1].records"},
		{"file read rule", "activated", []edit{{"ssse.subApps[3].files[1].read", "key:XYZ"}}, "ssse.subApps[3].files[1].read"},
		{"register state", "activated", []edit{{"register.state", "stolen"}}, "register.state"},
		{"unknown field", "activated", []edit{{"colour", "red"}}, `unknown field "colour"`},
		{"unknown nested field", "activated", []edit{{"ssse.pin.colour", "red"}}, `unknown field "colour"`},
		{"wrong type number", "activated", []edit{{"ssse.pin.maxTries", "3"}}, "ssse.pin.maxTries"},
		{"wrong type object", "activated", []edit{{"interfaces", "yes"}}, "interfaces"},
		{"wrong type array", "activated", []edit{{"atr.protocols", "0"}}, "atr.protocols"},
		{"wrong type bool", "activated", []edit{{"ssse.blocked", 1}}, "ssse.blocked"},
		{"extends not a string", "activated", []edit{{"extends", 5}}, "extends"},
		{"extends empty", "activated", []edit{{"extends", ""}}, "extends"},
		{"extends unknown persona", "activated", []edit{{"extends", "nobody"}}, "no such persona"},
		{"psam terminal number", "psam", []edit{{"psam.terminalNumber", "12"}}, "psam.terminalNumber"},
		{"psam serial", "psam", []edit{{"psam.serial", "1x"}}, "psam.serial"},
		{"psam keys missing", "psam", []edit{{"psam.keys", []any{}}}, "psam.keys"},
		{"psam key usage type", "psam", []edit{{"psam.keys[0].usage", "3F"}}, "psam.keys[0].usage"},
		{"psam key algorithm", "psam", []edit{{"psam.keys[0].algorithm", "des"}}, "psam.keys[0].algorithm"},
		{"psam key value", "psam", []edit{{"psam.keys[2].value", "00"}}, "psam.keys[2].value"},
		{"psam aid", "psam", []edit{{"psam.aid", "D156"}}, "psam.aid"},
		{"ssse in a psam", "psam", []edit{{"ssse", map[string]any{}}}, "ssse"},
		{"psam missing", "psam", []edit{{"psam", del{}}}, "psam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base(t, tt.persona)
			for _, e := range tt.edits {
				set(t, m, e.path, e.v)
			}
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			p, err := profile.Parse(data, "")
			if err == nil {
				t.Fatalf("accepted (name %q)", p.Name)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v\ndoes not name %q", err, tt.want)
			}
			var fe *profile.FieldError
			if errors.As(err, &fe) && !strings.HasPrefix(fe.Field, strings.SplitN(tt.want, "[", 2)[0]) {
				t.Errorf("FieldError.Field = %q, want %q", fe.Field, tt.want)
			}
		})
	}
}

func TestHostileProfileText(t *testing.T) {
	valid, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not valid JSON"},
		{"not JSON", []byte("schema = 1"), "not valid JSON"},
		{"truncated", valid.JSON()[:len(valid.JSON())/2], "not valid JSON"},
		{"array", []byte(`[{"schema":1}]`), "not a JSON object"},
		{"string", []byte(`"activated"`), "not a JSON object"},
		{"null", []byte(`null`), "not a JSON object"},
		{"trailing garbage", append(append([]byte{}, valid.JSON()...), " x"...), "trailing data"},
		{"two objects", append(append([]byte{}, valid.JSON()...), valid.JSON()...), "trailing data"},
		{"over 1 MiB", append(append([]byte(`{"schema":1,`), bytes.Repeat([]byte(" "), 1<<20)...), `"name":"x"}`...), "more than"},
		{"duplicate unknown", []byte(`{"schema":1,"name":"x","kind":"card","Schema":1,"nope":{}}`), `unknown field "nope"`},
		{"deep nesting", append(bytes.Repeat([]byte(`{"a":`), 20000), bytes.Repeat([]byte(`}`), 20000)...), "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Parse(tt.data, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	// Trailing white space is no garbage.
	if _, err := profile.Parse(append(append([]byte{}, valid.JSON()...), " \n\t"...), ""); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
}

// TestFieldErrorMessage checks the whole message of a field error.
func TestFieldErrorMessage(t *testing.T) {
	m := base(t, "activated")
	set(t, m, "ssse.identity.issueDate", "20240230")
	data, _ := json.Marshal(m)
	_, err := profile.Parse(data, "")
	want := `profile "activated": ssse.identity.issueDate: "20240230" is not a valid date`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	var fe *profile.FieldError
	if !errors.As(err, &fe) || fe.Field != "ssse.identity.issueDate" {
		t.Errorf("errors.As FieldError: %+v", fe)
	}
}

// FuzzProfileParse: Parse never panics; what it accepts has a canonical
// JSON that parses to the same JSON, and builds a card without panicking.
func FuzzProfileParse(f *testing.F) {
	for _, name := range vectors.Personas() {
		raw, err := vectors.Persona(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		if p, err := profile.Load(name); err == nil {
			f.Add(p.JSON())
		}
	}
	for _, path := range []string{"testdata/user.json", "testdata/chain/base.json", "testdata/chain/child.json"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"schema":1,"name":"x","extends":"psam","psam":{"keys":[{"id":"01","usage":"E7","value":"00000000000000000000000000000000"}]}}`))
	f.Add([]byte(`{"schema":1,"name":"x","extends":"activated","ssse":{"subApps":[{"name":"a","aid":"D156000005","fid":"DF01","files":[{"fid":"EF01","type":"cyclic","recordSize":1,"maxRecords":254}]}]}}`))
	f.Add([]byte(`{"schema":1,"name":"x","extends":"gen2","atr":{"hex":"3B00","historical":"","tb1":"","tc1":"","protocols":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep the target hermetic: extends may name personas, not files.
		var probe struct {
			Extends any `json:"extends"`
		}
		if json.Unmarshal(data, &probe) == nil {
			if s, ok := probe.Extends.(string); ok && (strings.ContainsAny(s, `/\`) || strings.HasSuffix(s, ".json")) {
				t.Skip("extends a file")
			}
		}
		p, err := profile.Parse(data, "")
		if err != nil {
			return
		}
		q, err := profile.Parse(p.JSON(), "")
		if err != nil {
			t.Fatalf("the canonical JSON of an accepted profile is refused: %v\n%s", err, p.JSON())
		}
		if !bytes.Equal(q.JSON(), p.JSON()) {
			t.Fatalf("canonical JSON not stable:\n%s\n%s", p.JSON(), q.JSON())
		}
		if c, err := emulator.New(p); err == nil {
			c.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x00})
		}
	})
}
