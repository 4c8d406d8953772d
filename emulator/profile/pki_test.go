package profile_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator/profile"
)

func TestPKIDefaults(t *testing.T) {
	p, err := profile.Load("activated")
	if err != nil {
		t.Fatal(err)
	}
	s := p.PKI
	if s == nil {
		t.Fatal("no pki section")
	}
	if s.AID != profile.DefaultPKIAID || s.ADFName != "SS.CERT.ADF1" || s.ADFFID != "DF01" || s.SignInput != "digest" ||
		s.UserID != "1234567812345678" || s.CertificateSize != 2048 || s.PublicKeyHeader != "0100" || *s.UserPIN.TriesLeft != 3 {
		t.Errorf("defaults: %+v", s)
	}
	for _, name := range []string{"gen2", "trace-1.00"} {
		p, err := profile.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.PKI != nil {
			t.Errorf("%s (a %s card) has a PKI application", name, p.Generation)
		}
	}
}

func TestHostilePKISections(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		v     any
		field string
	}{
		{"aid not hex", "pki.aid", "PKI", "pki.aid"},
		{"aid short", "pki.aid", "5049", "pki.aid"},
		{"adf name too long", "pki.adfName", strings.Repeat("A", 17), "pki.adfName"},
		{"adf fid reserved", "pki.adfFid", "3F00", "pki.adfFid"},
		{"user PIN letters", "pki.userPin.value", "12ab56", "pki.userPin.value"},
		{"user PIN short", "pki.userPin.value", "123", "pki.userPin.value"},
		{"user PIN missing", "pki.userPin", map[string]any{}, "pki.userPin.value"},
		{"admin PIN tries", "pki.adminPin.maxTries", 16, "pki.adminPin.maxTries"},
		{"tries left above max", "pki.userPin.triesLeft", 4, "pki.userPin.triesLeft"},
		{"tries left negative", "pki.userPin.triesLeft", -1, "pki.userPin.triesLeft"},
		{"key id 00", "pki.externalAuthKey.id", "00", "pki.externalAuthKey.id"},
		{"key both", "pki.externalAuthKey.value", "00112233445566778899AABBCCDDEEFF", "pki.externalAuthKey"},
		{"key short", "pki.keyImportKey.master", "0011", "pki.keyImportKey.master"},
		{"same key ids", "pki.keyImportKey.id", "01", "pki.keyImportKey.id"},
		{"certificate size", "pki.certificateSize", 100, "pki.certificateSize"},
		{"header empty-like", "pki.publicKeyHeader", "0000", "pki.publicKeyHeader"},
		{"header long", "pki.publicKeyHeader", "010000", "pki.publicKeyHeader"},
		{"sign input", "pki.signInput", "hash", "pki.signInput"},
		{"user id control", "pki.userId", "a\nb", "pki.userId"},
		{"unknown key", "pki.signing.key", "card-nobody-sign", "pki.signing.key"},
		{"unknown certificate", "pki.encryption.certificate", "nobody", "pki.encryption.certificate"},
		{"certificate without key", "pki.signing.key", "", "pki.signing.certificate"},
		{"path as key name", "pki.signing.key", "../personas/default", "pki.signing.key"},
		{"unknown defect", "pki.defects", []any{"sign-twice"}, "pki.defects[0]"},
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
	t.Run("psam with pki", func(t *testing.T) {
		m := base(t, "psam")
		m["pki"] = map[string]any{}
		raw, _ := json.Marshal(m)
		var fe *profile.FieldError
		if _, err := profile.Parse(raw, ""); !errors.As(err, &fe) || fe.Field != "pki" {
			t.Errorf("error %v, want one naming pki", err)
		}
	})
}
