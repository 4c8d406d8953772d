package paysuite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/emulator/iso7816"
)

// cardData is what a contact GPO and its records gave.
type cardData struct {
	sm      bool
	objects map[emv.Tag][]byte
	static  []byte
}

// readCard selects the first application, runs a contact GPO on a path
// and reads the records, collecting the static data to be authenticated.
func readCard(s *conformance.S, sm bool) *cardData {
	r := gpo(s, gpoOpts{amount: 100, sm: sm})
	if r.SW != iso7816.SWOK {
		s.Fatalf("GPO answered %04X", uint16(r.SW))
	}
	var aip, afl []byte
	if v, ok := iso7816.Find(r.Data, emv.TagRMTF1); ok && len(v) >= 2 {
		aip, afl = v[:2], v[2:]
	} else {
		aip, afl = field(s, r.Data, emv.TagRMTF2, emv.TagAIP), field(s, r.Data, emv.TagRMTF2, emv.TagAFL)
	}
	entries, err := emv.ParseAFL(afl)
	if err != nil {
		s.Fatalf("AFL: %v", err)
	}
	c := &cardData{sm: sm, objects: map[emv.Tag][]byte{emv.TagAIP: aip}}
	for _, e := range entries {
		for n := int(e.First); n <= int(e.Last); n++ {
			s.Step("READ RECORD SFI %d record %d", e.SFI, n)
			rr := s.Must([]byte{0x00, 0xB2, byte(n), e.SFI<<3 | 4, 0x00}, conformance.OK())
			v := field(s, rr.Data, emv.TagRecord)
			if n < int(e.First)+int(e.ODA) {
				c.static = append(c.static, v...)
			}
			p := iso7816.NewParser(v)
			for !p.Empty() {
				var t emv.Tag
				var val []byte
				if !p.ReadTLV(&t, &val) {
					s.Fatalf("SFI %d record %d: malformed TLV", e.SFI, n)
				}
				c.objects[t] = val
			}
		}
	}
	if bytes.Equal(c.objects[emv.TagSDATagList], []byte{0x82}) {
		c.static = append(c.static, aip...)
	}
	return c
}

func (c *cardData) get(s *conformance.S, t emv.Tag) []byte {
	v, ok := c.objects[t]
	if !ok {
		s.Fatalf("the card has no %s (%s)", t, emv.TagName(t))
	}
	return v
}

func (c *cardData) ctx(s *conformance.S) emv.RSACertContext {
	d := today()
	return emv.RSACertContext{PAN: c.get(s, emv.TagPAN), Today: d.Year()*100 + int(d.Month())}
}

// issuerKey recovers the issuer key of the card's path with the kernel's
// verification.
func (c *cardData) issuerKey(s *conformance.S) (*rsa.PublicKey, *ecdsa.PublicKey) {
	keys, err := CAKeys()
	if err != nil {
		s.Fatalf("CA keys: %v", err)
	}
	idx := c.get(s, emv.TagCAIndex)
	for _, k := range keys {
		if len(idx) != 1 || k.Index != idx[0] {
			continue
		}
		s.Step("recover the issuer key (CA %02X)", k.Index)
		if c.sm {
			if k.SM2 == nil {
				s.Fatalf("CA key %02X is not an SM2 key on the SM path", k.Index)
			}
			pub, err := emv.RecoverIssuerKeySM2(k.SM2, c.get(s, emv.TagIssuerCert), c.ctx(s))
			s.OK(err, "SM2 issuer certificate")
			return nil, pub
		}
		if k.RSA == nil {
			s.Fatalf("CA key %02X is not an RSA key on the DES/RSA path", k.Index)
		}
		pub, err := emv.RecoverIssuerKey(k.RSA, c.get(s, emv.TagIssuerCert), c.objects[emv.TagIssuerRemainder], c.get(s, emv.TagIssuerExp), c.ctx(s))
		s.OK(err, "issuer certificate")
		return pub, nil
	}
	s.Fatalf("the card names CA key % X, which vectors/pay does not have", idx)
	return nil, nil
}

// iccKey recovers the ICC key.
func (c *cardData) iccKey(s *conformance.S) (*rsa.PublicKey, *ecdsa.PublicKey) {
	ir, is := c.issuerKey(s)
	s.Step("recover the ICC key")
	if c.sm {
		pub, err := emv.RecoverICCKeySM2(is, c.get(s, emv.TagICCCert), c.static, c.ctx(s))
		s.OK(err, "SM2 ICC certificate")
		return nil, pub
	}
	pub, err := emv.RecoverICCKey(ir, c.get(s, emv.TagICCCert), c.objects[emv.TagICCRemainder], c.get(s, emv.TagICCExp), c.static, c.ctx(s))
	s.OK(err, "ICC certificate")
	return pub, nil
}

func sdaCase(s *conformance.S, sm bool) {
	c := readCard(s, sm)
	ir, is := c.issuerKey(s)
	s.Step("verify the signed static application data")
	var dac []byte
	var err error
	if sm {
		dac, err = emv.VerifySSADSM2(is, c.get(s, emv.TagSSAD), c.static)
	} else {
		dac, err = emv.VerifySSAD(ir, c.get(s, emv.TagSSAD), c.static)
	}
	s.OK(err, "signed static application data")
	if want := mustHex(s, pay(s).DAC); !bytes.Equal(dac, want) {
		s.Errorf("data authentication code %X, the profile declares %X", dac, want)
	}
}

// internalAuth sends INTERNAL AUTHENTICATE with an unpredictable number
// and returns the ICC dynamic data the signature verifies for.
func internalAuth(s *conformance.S, c *cardData, rk *rsa.PublicKey, sk *ecdsa.PublicKey, un []byte) []byte {
	s.Step("INTERNAL AUTHENTICATE with UN %X", un)
	r := s.Exchange(iso7816.Command{INS: 0x88, Data: un, Ne: 256})
	if !s.Check(r, conformance.OK()) {
		s.Fatalf("INTERNAL AUTHENTICATE refused")
	}
	sdad, ok := iso7816.Find(r.Data, emv.TagRMTF1)
	if !ok {
		sdad = field(s, r.Data, emv.TagRMTF2, emv.TagSDAD)
	}
	var dyn []byte
	var err error
	if c.sm {
		dyn, err = emv.VerifySDADSM2(sk, sdad, un)
	} else {
		dyn, err = emv.RecoverSDAD(rk, sdad, un)
	}
	s.OK(err, "signed dynamic application data")
	if len(dyn) != 9 || dyn[0] != 0x08 {
		s.Errorf("ICC dynamic data %X, want 08 and an 8-byte ICC dynamic number", dyn)
	}
	return dyn
}

func ddaCase(s *conformance.S, sm bool) {
	c := readCard(s, sm)
	rk, sk := c.iccKey(s)
	a := internalAuth(s, c, rk, sk, []byte{0x01, 0x02, 0x03, 0x04})
	b := internalAuth(s, c, rk, sk, []byte{0x01, 0x02, 0x03, 0x04})
	if bytes.Equal(a, b) {
		s.Errorf("two INTERNAL AUTHENTICATEs gave the same ICC dynamic number %X", a)
	}
}

// kernelODA runs a transaction and checks the kernel performed and
// verified the method on the path.
func kernelODA(s *conformance.S, sm bool, tx emv.Transaction, method emv.ODAMethod, mods ...func(*emv.Config)) {
	k, _ := kernel(s, sm, mods...)
	r, err := transact(s, k, tx)
	if r.ODA != method || !r.ODAOK || r.SM != sm {
		s.Errorf("the kernel's ODA: %q verified %v SM %v, want %s verified on the %s path (outcome %s, %v)",
			r.ODA, r.ODAOK, r.SM, method, pathName(sm), r.Outcome, err)
	}
	if r.Outcome == emv.Terminated || errors.Is(err, emv.ErrODAFailed) {
		s.Errorf("outcome %s: %v", r.Outcome, err)
	}
}

func pathName(sm bool) string {
	if sm {
		return "SM"
	}
	return "DES/RSA"
}

var odaCases = []*conformance.Case{
	{
		ID: "PAY-ODA-001", Title: "SDA on the DES/RSA path: the issuer certificate and signed static data verify (EMV Book 2 §5)",
		Clause: book2 + " §5", Requires: conformance.RequireAll(needPath(false), needODA("sda")),
		Run: func(s *conformance.S) { sdaCase(s, false) },
	},
	{
		ID: "PAY-ODA-002", Title: "SDA on the SM path: the SM2 issuer certificate and signed static data verify",
		Clause: modelPay + ", GB/T 32918.2", Requires: conformance.RequireAll(needPath(true), needODA("sda")),
		Run: func(s *conformance.S) { sdaCase(s, true) },
	},
	{
		ID: "PAY-ODA-003", Title: "DDA on the DES/RSA path: INTERNAL AUTHENTICATE signs a fresh ICC dynamic number (EMV Book 2 §6.5)",
		Clause: book2 + " §6.5", Requires: conformance.RequireAll(needPath(false), needODA("dda")),
		Run: func(s *conformance.S) { ddaCase(s, false) },
	},
	{
		ID: "PAY-ODA-004", Title: "DDA on the SM path: INTERNAL AUTHENTICATE signs with SM2",
		Clause: modelPay + ", GB/T 32918.2", Requires: conformance.RequireAll(needPath(true), needODA("dda")),
		Run: func(s *conformance.S) { ddaCase(s, true) },
	},
	{
		ID: "PAY-ODA-005", Title: "fDDA on the SM path verifies in the kernel",
		Clause: quics + ", " + modelPay, Requires: conformance.RequireAll(needECash, needPath(true), needODA("dda")),
		Restores: true,
		Run: func(s *conformance.S) {
			kernelODA(s, true, emv.Transaction{Amount: 1, Contactless: true}, emv.FDDA)
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-ODA-006", Title: "fDDA on the DES/RSA path verifies in the kernel",
		Clause: quics + ", " + book2 + " §6.5", Requires: conformance.RequireAll(needECash, needPath(false), needODA("dda")),
		Restores: true,
		Run: func(s *conformance.S) {
			kernelODA(s, false, emv.Transaction{Amount: 1, Contactless: true}, emv.FDDA)
			restoreBalance(s)
		},
	},
	{
		ID: "PAY-ODA-007", Title: "CDA on the DES/RSA path: the GENERATE AC signature verifies in the kernel (EMV Book 2 §6.6)",
		Clause: book2 + " §6.6", Requires: conformance.RequireAll(needPath(false), needODA("cda")),
		Run: func(s *conformance.S) {
			kernelODA(s, false, emv.Transaction{Amount: 100, ForceOnline: true}, emv.CDA)
		},
	},
	{
		ID: "PAY-ODA-008", Title: "CDA on the SM path: the SM2 GENERATE AC signature and SM3 hash verify in the kernel",
		Clause: book2 + " §6.6, " + modelPay, Requires: conformance.RequireAll(needPath(true), needODA("cda")),
		Run: func(s *conformance.S) {
			kernelODA(s, true, emv.Transaction{Amount: 100, ForceOnline: true}, emv.CDA)
		},
	},
	{
		ID: "PAY-ODA-009", Title: "The terminal without CDA gets DDA; without DDA, SDA",
		Clause: book3 + " §10.3", Requires: conformance.RequireAll(needPay, needODA("dda"), needODA("sda")),
		Run: func(s *conformance.S) {
			sm := pay(s).HasSM()
			kernelODA(s, sm, emv.Transaction{Amount: 100, ForceOnline: true}, emv.DDA,
				func(c *emv.Config) { c.Capabilities[2] = 0x80 | 0x40 })
			kernelODA(s, sm, emv.Transaction{Amount: 100, ForceOnline: true}, emv.SDA,
				func(c *emv.Config) { c.Capabilities[2] = 0x80 })
		},
	},
}
