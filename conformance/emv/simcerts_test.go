package emv

import "github.com/sscard/sscard/emulator/pay/paycrypto"

// The sim card's certificates and signatures, made with the card side's
// code (paycrypto) from the test keys of vectors/pay.

var (
	expiry = [2]byte{0x12, 0x30}
	serial = [3]byte{0x00, 0x00, 0x01}
)

func (c *simCard) rsaIssuerCert() ([]byte, []byte) {
	cert, rem, err := paycrypto.IssuerCertificate(c.keys.caRSA, paycrypto.IssuerCert{
		IssuerID: [4]byte{0x62, 0x12, 0x34, 0xFF}, Expiry: expiry, Serial: serial, Key: paycrypto.PublicOf(&c.keys.issuerRSA.PublicKey)})
	if err != nil {
		c.t.Fatal(err)
	}
	return cert, rem
}

func panField() [10]byte {
	var p [10]byte
	for i := range p {
		p[i] = 0xFF
	}
	copy(p[:], mustHex(simPAN))
	return p
}

func (c *simCard) rsaICCCert() ([]byte, []byte) {
	cert, rem, err := paycrypto.ICCCertificate(c.keys.issuerRSA, paycrypto.ICCCert{
		PAN: panField(), Expiry: expiry, Serial: serial, Key: paycrypto.PublicOf(&c.keys.iccRSA.PublicKey)}, c.staticData())
	if err != nil {
		c.t.Fatal(err)
	}
	return cert, rem
}

func (c *simCard) rsaSSAD() []byte {
	s, err := paycrypto.SignStatic(c.keys.issuerRSA, [2]byte{0xDA, 0xC1}, c.staticData())
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

func (c *simCard) smIssuerCert() []byte {
	cert, err := paycrypto.SMIssuerCertificate(c.rng, c.keys.caSM2, paycrypto.SMCert{
		ID: []byte{0x62, 0x12, 0x34, 0xFF}, Expiry: expiry, Serial: serial, Key: &c.keys.issuerSM2.PublicKey})
	if err != nil {
		c.t.Fatal(err)
	}
	return cert
}

func (c *simCard) smICCCert() []byte {
	p := panField()
	cert, err := paycrypto.SMICCCertificate(c.rng, c.keys.issuerSM2, paycrypto.SMCert{
		ID: p[:], Expiry: expiry, Serial: serial, Key: &c.keys.iccSM2.PublicKey}, c.staticData())
	if err != nil {
		c.t.Fatal(err)
	}
	return cert
}

func (c *simCard) smSSAD() []byte {
	s, err := paycrypto.SMSignStatic(c.rng, c.keys.issuerSM2, [2]byte{0xDA, 0xC1}, c.staticData())
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

func (c *simCard) signDynamic(iccDD, termDD []byte) []byte {
	var s []byte
	var err error
	if c.sm {
		s, err = paycrypto.SMSignDynamic(c.rng, c.keys.iccSM2, iccDD, termDD)
	} else {
		s, err = paycrypto.SignDynamic(c.keys.iccRSA, iccDD, termDD)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}
