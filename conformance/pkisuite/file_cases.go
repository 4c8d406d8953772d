package pkisuite

import (
	"bytes"
	"fmt"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/emulator/iso7816"
)

var fileCases = []*conformance.Case{
	{
		ID: "PKI-SEL-001", Title: "SELECT the PKI DF by AID, then its ADF by name SS.CERT.ADF1 and by FID DF01",
		Clause: cardPKI + "; " + iso4 + " §11.2.2", Requires: needPKI,
		Run: func(s *conformance.S) {
			s.Step("select the PKI DF")
			s.Check(s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: idauth.AID}), conformance.OK())
			s.Step("select the ADF by name")
			s.Check(s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x04, Data: idauth.ADFName}), conformance.OK(),
				conformance.TLVValue(idauth.ADFName, 0x6F, 0x84))
			s.Step("back to the PKI DF, then the ADF by FID")
			s.Expect(cmd(0x00, 0xA4, 0x03, 0x0C, nil, -1), conformance.OK())
			s.Check(s.Exchange(iso7816.Command{INS: 0xA4, P1: 0x01, P2: 0x0C, Data: []byte{0xDF, 0x01}}), conformance.OK())
			s.Expect(cmd(0x00, 0xA4, 0x02, 0x0C, []byte{0x00, 0x12}, -1), conformance.OK())
		},
	},
	{
		ID: "PKI-FILE-001", Title: "READ BINARY of 0012 and 0014 answers the 2-byte header and X‖Y of the declared keys (0x42 bytes)",
		Clause: cardPKI, Requires: needPKI,
		Run: func(s *conformance.S) {
			selectPKI(s)
			p := s.Profile().PKI
			for _, f := range []struct {
				fid uint16
				key string
			}{{idauth.FileSignPublicKey, p.Signing.Key}, {idauth.FileEncPublicKey, p.Encryption.Key}} {
				s.Step("read %04X", f.fid)
				want := make([]byte, 66)
				if f.key != "" {
					want = append(append([]byte(nil), header(s)...), xy(&declaredKey(s, f.key).PublicKey)...)
				}
				s.Expect(cmd(0x00, 0xB0, 0x80|byte(f.fid), 0, nil, 0x42), conformance.OK(), conformance.Data(want))
			}
		},
	},
	{
		ID: "PKI-FILE-002", Title: "The certificate files 0018 and 0019 hold the declared certificates, zero-padded",
		Clause: cardPKI + " [model: padding]", Model: true, Requires: needPKI,
		Run: func(s *conformance.S) {
			selectPKI(s)
			p := s.Profile().PKI
			for _, f := range []struct {
				fid  uint16
				cert string
			}{{idauth.FileSignCert, p.Signing.Certificate}, {idauth.FileEncCert, p.Encryption.Certificate}} {
				s.Step("read %04X", f.fid)
				got := certFile(s, f.fid)
				var want []byte
				if f.cert != "" {
					want = declaredCert(s, f.cert)
				}
				if !equalPadded(got, want) {
					s.Errorf("%04X does not hold the declared certificate %q (%d bytes read)", f.fid, f.cert, len(got))
				}
			}
		},
	},
	{
		ID: "PKI-FILE-003", Title: "The private key files 0013 and 0015 refuse READ BINARY (by FID and SFI) and UPDATE BINARY with 6982, even with both PINs verified",
		Clause: cardPKI + "; " + iso4 + " §11.2.3", Requires: conformance.RequireAll(needUserTries(1), needAdminTries(1)),
		Run: func(s *conformance.S) {
			selectPKI(s)
			verifyUser(s)
			verifyAdmin(s)
			for _, fid := range []uint16{0x0013, 0x0015} {
				s.Step("read %04X", fid)
				selectEF(s, fid)
				s.Expect(cmd(0x00, 0xB0, 0, 0, nil, 32), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
				s.Expect(cmd(0x00, 0xB0, 0x80|byte(fid), 0, nil, 0), conformance.SW(iso7816.SWSecurityNotSatisfied), conformance.NoData())
				s.Step("write %04X", fid)
				s.Expect(cmd(0x00, 0xD6, 0, 0, make([]byte, 32), -1), conformance.SW(iso7816.SWSecurityNotSatisfied))
			}
		},
	},
	{
		ID: "PKI-AUTH-001", Title: "EXTERNAL AUTHENTICATE 00 82 00 00 with the ADF's key answers 9000; a wrong cryptogram 63Cx",
		Clause: cardPKI, Requires: needPKI, Restores: true,
		Run: func(s *conformance.S) {
			selectPKI(s)
			key := extAuthKey(s)
			tries := s.Profile().PKI.ExternalAuthKey.Tries
			s.Step("wrong key")
			wrong := bytes.Clone(key)
			wrong[0] ^= 0xFF
			checkSW(s, client(s).ExternalAuthenticate(wrong), iso7816.SWVerifyFailed|iso7816.Status(tries-1), "wrong cryptogram")
			s.Step("right key")
			checkSW(s, client(s).ExternalAuthenticate(key), iso7816.SWOK, "right cryptogram")
		},
	},
}

var _ = fmt.Sprint
