package idauth_test

import (
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pki"
)

func extAuthKey(t testing.TB) []byte {
	t.Helper()
	p := load(t, "activated")
	k, err := pki.CardKey(p, p.PKI.ExternalAuthKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writeFile writes a whole certificate file with UPDATE BINARY in chunks
// (external authentication done).
func writeFile(t testing.TB, tr terminal.Transport, fid uint16, der []byte) {
	t.Helper()
	file := make([]byte, load(t, "activated").PKI.CertificateSize)
	copy(file, der)
	if _, err := terminal.Do(tr, iso7816.Command{INS: 0xA4, P1: 0x02, P2: 0x0C, Data: []byte{byte(fid >> 8), byte(fid)}}); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(file); off += 240 {
		end := min(off+240, len(file))
		if _, err := terminal.Do(tr, iso7816.Command{INS: 0xD6, P1: byte(off >> 8), P2: byte(off), Data: file[off:end]}); err != nil {
			t.Fatal(err)
		}
	}
}
