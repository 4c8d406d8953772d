package pay

import (
	"bytes"
	"io"

	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/pay/paycrypto"
)

// swIssuerAuthFailed is the answer to a wrong ARPC (EMV Book 3 §6.5.4).
const swIssuerAuthFailed iso7816.Status = 0x6300

// maxDDOLData bounds the terminal dynamic data of INTERNAL AUTHENTICATE.
const maxDDOLData = 64

// INTERNAL AUTHENTICATE 00 88 00 00 Lc <DDOL data> 00 (EMV Book 3 §6.5.9,
// Book 2 §6.5): DDA on the path chosen at GPO.
func (d *adf) internalAuth(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	c := d.c
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	if !c.dda {
		return nil, iso7816.SWINSNotSupported
	}
	if len(cmd.Data) < 1 || len(cmd.Data) > maxDDOLData {
		return nil, iso7816.SWWrongLength
	}
	if s.path == nil || s.quics {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	var idn [8]byte
	if _, err := io.ReadFull(x.Rand(), idn[:]); err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	sdad, err := s.path.signDynamic(x.Rand(), append([]byte{8}, idn[:]...), cmd.Data)
	if err != nil {
		return nil, iso7816.SWNoPreciseDiagnosis
	}
	s.ddaDone = true
	if c.format == 1 {
		return tlvs(func(b *iso7816.Builder) { b.AddTLV(TagFormat1, sdad) }), iso7816.SWOK
	}
	return tlvs(func(b *iso7816.Builder) {
		b.AddConstructed(TagFormat2, func(b *iso7816.Builder) { b.AddTLV(TagSDAD, sdad) })
	}), iso7816.SWOK
}

// VERIFY 00 20 00 P2 Lc <PIN data> (EMV Book 3 §6.5.12): P2 80 the
// plaintext PIN block, P2 88 the PIN block enciphered under the ICC RSA key
// with the card's challenge (EMV Book 2 §7.2). A wrong PIN costs a try,
// committed before the answer.
func (d *adf) verify(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	c := d.c
	if cmd.P1 != 0 || cmd.P2 != 0x80 && cmd.P2 != 0x88 {
		return nil, iso7816.SWWrongP1P2
	}
	tries := d.tries(x)
	if len(cmd.Data) == 0 {
		if tries == 0 {
			return nil, iso7816.SWAuthBlocked
		}
		return nil, iso7816.SWVerifyFailed | iso7816.Status(tries)
	}
	if tries == 0 {
		return nil, iso7816.SWAuthBlocked
	}
	var block []byte
	if cmd.P2 == 0x80 {
		if len(cmd.Data) != paycrypto.PINBlock {
			return nil, iso7816.SWWrongLength
		}
		block = cmd.Data
	} else {
		pa := s.path
		if pa == nil {
			pa = c.des
		}
		if pa == nil || pa.rsaICC == nil {
			return nil, iso7816.SWWrongP1P2
		}
		if len(cmd.Data) != pa.rsaICC.Size() {
			return nil, iso7816.SWWrongLength
		}
		chal := x.TakeChallenge()
		if len(chal) != 8 {
			return nil, iso7816.SWConditionsNotSatisfied
		}
		m, err := paycrypto.RSASign(pa.rsaICC, cmd.Data)
		if err != nil || m[0] != 0x7F || !bytes.Equal(m[9:17], chal) {
			return nil, iso7816.SWWrongData
		}
		block = m[1:9]
	}
	pin, ok := paycrypto.ParsePINBlock(block)
	if !ok {
		return nil, iso7816.SWWrongData
	}
	s.pinTried = true
	want, _ := paycrypto.ParsePINBlock(x.Memory().Get(c.pinCell))
	mem := x.Memory()
	if pin == want {
		s.pinFailed = false
		if tries != c.pinMax {
			mem.Begin()
			mem.Set(c.triesCell, []byte{byte(c.pinMax)})
			if !x.Commit() {
				return nil, iso7816.SWOK
			}
		}
		return nil, iso7816.SWOK
	}
	s.pinFailed = true
	mem.Begin()
	mem.Set(c.triesCell, []byte{byte(tries - 1)})
	if !x.Commit() {
		return nil, iso7816.SWOK
	}
	if tries == 1 {
		return nil, iso7816.SWAuthBlocked
	}
	return nil, iso7816.SWVerifyFailed | iso7816.Status(tries-1)
}
