package profile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/profile"
)

func TestISO14443Parameters(t *testing.T) {
	parse := func(iso string) (*profile.Profile, error) {
		return profile.Parse([]byte(`{"extends": "default", "name": "rf",
			"interfaces": {"contact": true, "contactless": true, "type": "A", "iso14443": `+iso+`}}`), "")
	}
	good := `{"uid": "04A1B2C3D4E5F6", "atqa": "4400", "sak": "20", "fsci": 0, "fwi": 14, "sfgi": 2,
		"bitRates": [106, 848], "cid": false, "nad": true, "historical": "", "afi": "00", "pupi": "01020304", "appData": "00000000"}`
	p, err := parse(good)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Interfaces.ISO14443
	if c == nil || c.UID != "04A1B2C3D4E5F6" || *c.FSCI != 0 || *c.FWI != 14 || *c.CID || !*c.NAD || *c.Historical != "" {
		t.Errorf("parsed %+v", c)
	}
	// Nothing is filled in: the canonical JSON keeps only what was given.
	q, err := parse(`{}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(q.JSON()), `"iso14443":{}`) {
		t.Errorf("canonical JSON %s", q.JSON())
	}

	for _, c := range []struct{ iso, field string }{
		{`{"uidSize": 5}`, "uidSize"},
		{`{"uid": "0102"}`, "uid"},
		{`{"uid": "0102030405"}`, "uid"},
		{`{"uid": "88010203"}`, "uid"},
		{`{"uid": "01020304", "uidSize": 7}`, "uid"},
		{`{"uid": "zz"}`, "uid"},
		{`{"atqa": "04"}`, "atqa"},
		{`{"sak": "2020"}`, "sak"},
		{`{"afi": "1"}`, "afi"},
		{`{"pupi": "010203"}`, "pupi"},
		{`{"appData": "0102030405"}`, "appData"},
		{`{"fsci": 13}`, "fsci"},
		{`{"fwi": 15}`, "fwi"},
		{`{"sfgi": -1}`, "sfgi"},
		{`{"bitRates": [106, 300]}`, "bitRates[1]"},
		{`{"historical": "000102030405060708090A0B0C0D0E0F"}`, "historical"},
	} {
		_, err := parse(c.iso)
		var fe *profile.FieldError
		if !errors.As(err, &fe) || fe.Field != "interfaces.iso14443."+c.field {
			t.Errorf("%s: got %v, want an error on interfaces.iso14443.%s", c.iso, err, c.field)
		}
	}
	if _, err := parse(`{"unknown": 1}`); err == nil {
		t.Error("an unknown field is accepted")
	}
}
