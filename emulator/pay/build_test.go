package pay_test

import (
	"strings"
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

func TestBuildRefusesImpossibleAFL(t *testing.T) {
	for _, tc := range []struct{ afl, want string }{
		{"08010300", "afl"},         // SFI 1 has two records
		{"30010100", "afl"},         // no SFI 6
		{"18010101", "ODA record"},  // ODA data in a certificate record
		{"10010402 18010500", "ok"}, // a valid override
	} {
		p, err := profile.Parse([]byte(`{"schema":1,"name":"afl","extends":"activated","pay":{"afl":"`+strings.ReplaceAll(tc.afl, " ", "")+`"}}`), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = emulator.New(p)
		switch {
		case tc.want == "ok" && err != nil:
			t.Errorf("AFL %s: %v", tc.afl, err)
		case tc.want != "ok" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("AFL %s: error %v, want one about %s", tc.afl, err, tc.want)
		}
	}
}

func TestBuildRefusesANonCAKey(t *testing.T) {
	p, err := profile.Parse([]byte(`{"schema":1,"name":"ca","extends":"activated","pay":{"rsa":{"ca":"issuer-rsa"}}}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.New(p); err == nil || !strings.Contains(err.Error(), "not a CA key") {
		t.Errorf("error %v", err)
	}
}

// TestCertificatesReproducible: two builds of one profile make the same
// records, certificates included.
func TestCertificatesReproducible(t *testing.T) {
	read := func() string {
		c := newCard(t, "activated")
		c.ok(selectAID(debitAID))
		var all string
		for _, sfi := range []byte{3, 5} {
			for n := byte(1); n <= 4; n++ {
				all += hexs(record(t, c, sfi, n))
			}
		}
		return all
	}
	if read() != read() {
		t.Fatal("two builds of the persona have different certificates")
	}
}
