package profile_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sscard/sscard/emulator/profile"
)

func TestPayDefaults(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	s := p.Pay
	if s == nil {
		t.Fatal("no pay section")
	}
	if s.Algorithms != "both" || s.PSN != "01" || s.ResponseFormat != 1 || s.PDOL != profile.DefaultPayPDOL ||
		len(s.Applications) != 1 || s.Applications[0].AID != profile.DefaultPayDebitAID || !*s.Applications[0].Contactless ||
		!*s.Applications[0].ECash || s.ExpiryDate != p.SSSE.Identity.ExpiryDate || *s.UpperOfflineLimit != 3 || s.LogRecords != 10 {
		t.Errorf("defaults: %+v", s)
	}
	g, err := profile.Load("gen2")
	if err != nil {
		t.Fatal(err)
	}
	if g.Pay == nil || g.Pay.Algorithms != "des" || *g.Pay.Applications[0].Contactless {
		t.Errorf("gen2 pay section: %+v", g.Pay)
	}
	tr, err := profile.Load("trace-1.00")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Pay != nil {
		t.Error("trace-1.00 has a payment application")
	}
}

func TestHostilePaySections(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		v     any
		field string
	}{
		{"algorithms", "pay.algorithms", "rsa", "pay.algorithms"},
		{"pan letters", "pay.pan", "62312300000000000A5", "pay.pan"},
		{"pan short", "pay.pan", "62312300001", "pay.pan"},
		{"pan Luhn", "pay.pan", "6231230000000000016", "pay.pan"},
		{"psn", "pay.psn", "1", "pay.psn"},
		{"expiry", "pay.expiryDate", "20341332", "pay.expiryDate"},
		{"name control", "pay.cardholderName", "A\tB", "pay.cardholderName"},
		{"currency", "pay.currency", "15", "pay.currency"},
		{"pdol not hex", "pay.pdol", "9F66G4", "pay.pdol"},
		{"pdol truncated", "pay.pdol", "9F6604 9F02", "pay.pdol"},
		{"pdol tag without length", "pay.pdol", "9F02069F", "pay.pdol"},
		{"pdol zero length", "pay.pdol", "9F6600", "pay.pdol"},
		{"pdol too much data", "pay.pdol", "9F0E7F9F0F7F9F107F", "pay.pdol"},
		{"aip", "pay.aip", "7C", "pay.aip"},
		{"afl partial entry", "pay.afl", "080102", "pay.afl"},
		{"afl sfi 0", "pay.afl", "00010100", "pay.afl"},
		{"afl last before first", "pay.afl", "08020100", "pay.afl"},
		{"afl oda count", "pay.afl", "08010103", "pay.afl"},
		{"afl sfi bits", "pay.afl", "09010100", "pay.afl"},
		{"response format", "pay.responseFormat", 3, "pay.responseFormat"},
		{"oda", "pay.oda", []any{"fdda"}, "pay.oda[0]"},
		{"dki", "pay.dki", "0102", "pay.dki"},
		{"ctq", "pay.ctq", "zz00", "pay.ctq"},
		{"cvm list odd", "pay.cvmList", "000000000000000042", "pay.cvmList"},
		{"offline limits", "pay.lowerOfflineLimit", 5, "pay.lowerOfflineLimit"},
		{"upper offline limit", "pay.upperOfflineLimit", 256, "pay.upperOfflineLimit"},
		{"pin letters", "pay.pin.value", "12a4", "pay.pin.value"},
		{"pin short", "pay.pin.value", "123", "pay.pin.value"},
		{"pin tries", "pay.pin.triesLeft", 4, "pay.pin.triesLeft"},
		{"balance above limit", "pay.ecash.balance", 200000, "pay.ecash.balance"},
		{"balance negative", "pay.ecash.balance", -1, "pay.ecash.balance"},
		{"limit beyond n12", "pay.ecash.singleLimit", 1000000000000, "pay.ecash.singleLimit"},
		{"des keys missing", "pay.des", nil, "pay.des"},
		{"des key short", "pay.des.ac", "0011", "pay.des.ac"},
		{"sm key not hex", "pay.sm.enc", "XX", "pay.sm.enc"},
		{"rsa chain missing", "pay.rsa", nil, "pay.rsa"},
		{"unknown ca", "pay.rsa.ca", "ca-nobody", "pay.rsa.ca"},
		{"path as key", "pay.sm2.icc", "../pki/root-ca", "pay.sm2.icc"},
		{"app type", "pay.applications", []any{map[string]any{"type": "prepaid"}}, "pay.applications[0].type"},
		{"app aid", "pay.applications", []any{map[string]any{"type": "debit", "aid": "A0"}}, "pay.applications[0].aid"},
		{"app twice", "pay.applications", []any{map[string]any{"type": "debit"}, map[string]any{"type": "debit"}}, "pay.applications[1].aid"},
		{"app priority", "pay.applications", []any{map[string]any{"type": "debit", "priority": 16}}, "pay.applications[0].priority"},
		{"log records", "pay.logRecords", 31, "pay.logRecords"},
		{"atc", "pay.atc", 65536, "pay.atc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := base(t, "activated")
			set(t, m, tc.path, tc.v)
			raw, _ := json.Marshal(m)
			_, err := profile.Parse(raw, "")
			var fe *profile.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("error %v, want one naming %s", err, tc.field)
			}
		})
	}
	t.Run("sm on a 2.00 card", func(t *testing.T) {
		m := base(t, "gen2")
		set(t, m, "pay.algorithms", "both")
		raw, _ := json.Marshal(m)
		var fe *profile.FieldError
		if _, err := profile.Parse(raw, ""); !errors.As(err, &fe) || fe.Field != "pay.algorithms" {
			t.Errorf("error %v, want one naming pay.algorithms", err)
		}
	})
	t.Run("contactless application on a contact card", func(t *testing.T) {
		m := base(t, "gen2")
		set(t, m, "pay.applications", []any{map[string]any{"type": "debit", "contactless": true}})
		raw, _ := json.Marshal(m)
		var fe *profile.FieldError
		if _, err := profile.Parse(raw, ""); !errors.As(err, &fe) || fe.Field != "pay.applications[0].contactless" {
			t.Errorf("error %v, want one naming pay.applications[0].contactless", err)
		}
	})
	t.Run("psam with pay", func(t *testing.T) {
		m := base(t, "psam")
		m["pay"] = map[string]any{}
		raw, _ := json.Marshal(m)
		var fe *profile.FieldError
		if _, err := profile.Parse(raw, ""); !errors.As(err, &fe) || fe.Field != "pay" {
			t.Errorf("error %v, want one naming pay", err)
		}
	})
}
