// Package psam is the model of the terminal's PSAM (CARD.md §3): a card of
// its own, with DF01 (AID D15600000590) holding the issuer-level keys. The
// terminal asks it to diversify a key for one card and then to compute what
// the card expects: the external-authentication cryptogram, the MAC of a
// CLA 84 command, the enciphered PIN of a reload, the expected internal-
// authentication response.
//
// Commands [model: the PSAM commands of this card family are not public;
// these follow the PBOC PSAM pattern]:
//
//	80 1A <key id> <alg> Lc <factors>   DELIVER KEY: diversify the issuer key
//	                                    for one card, one 8-byte factor per
//	                                    level (usage byte b8-b6); alg 01 3DES,
//	                                    03 SM4. Kept until reset or until another
//	                                    application is selected.
//	80 FA 00 00 Lc <data> Le            CIPHER DATA, encrypt: ECB with the
//	                                    delivered key; data a whole number of
//	                                    blocks.
//	80 FA 05 00 Lc <IV><message> Le     CIPHER DATA, MAC: the 4-byte MAC of the
//	                                    message (CARD.md §3), IV one block.
//
// EF15 (SFI 21) holds the PSAM serial number and EF16 (SFI 22) the
// terminal number (终端机编号), both readable freely.
package psam

import (
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// Instruction and P1 codes of the PSAM commands.
const (
	CLA          = 0x80
	INSDeliver   = 0x1A
	INSCipher    = 0xFA
	CipherECB    = 0x00
	CipherMAC    = 0x05
	SFISerial    = 0x15
	SFITerminal  = 0x16
	levelShift   = 5
	typeMask     = 0x1F
	maxKeyLevels = 3
)

type key struct {
	id     byte
	usage  byte
	alg    cardcrypto.Alg // 0: any
	value  []byte
	levels int
}

// app is the PSAM's DF01 application.
type app struct {
	keys []key
}

// session is the volatile state: the key delivered for one card.
type session struct {
	alg cardcrypto.Alg
	key []byte
}

// Build adds the PSAM's DF01 under the MF of b.
func Build(b *cos.Builder, p *profile.Profile) error {
	s := p.PSAM
	a := &app{}
	for _, k := range s.Keys {
		id, _ := hex.DecodeString(k.ID)
		u, _ := hex.DecodeString(k.Usage)
		v, _ := hex.DecodeString(k.Value)
		var alg cardcrypto.Alg
		if k.Algorithm != "" {
			var err error
			if alg, err = cardcrypto.ParseAlg(k.Algorithm); err != nil {
				return err
			}
		}
		levels := int(u[0] >> levelShift)
		if levels > maxKeyLevels {
			return fmt.Errorf("psam key %s: %d diversification levels, at most %d", k.ID, levels, maxKeyLevels)
		}
		a.keys = append(a.keys, key{id: id[0], usage: u[0], alg: alg, value: v, levels: levels})
	}
	aid, _ := hex.DecodeString(s.AID)
	df := b.DF(b.MF(), cos.DFSpec{FID: 0xDF01, AID: aid, Label: "PSAM DF01", App: a})
	serial := make([]byte, 10)
	if s.Serial != "" {
		serial, _ = hex.DecodeString(s.Serial)
	}
	term, _ := hex.DecodeString(s.TerminalNumber)
	free := cos.Access{Read: cos.Rule{Kind: cos.Free}, Update: cos.Rule{Kind: cos.Never}}
	b.EF(df, cos.EFSpec{FID: 0x0015, SFI: SFISerial, Label: "PSAM EF15 serial", Structure: cos.Transparent, Size: len(serial), Content: serial, Access: free})
	b.EF(df, cos.EFSpec{FID: 0x0016, SFI: SFITerminal, Label: "PSAM EF16 terminal number", Structure: cos.Transparent, Size: len(term), Content: term, Access: free})
	return nil
}

// Handle runs the PSAM's proprietary commands.
func (a *app) Handle(x *cos.Context) ([]byte, iso7816.Status, bool) {
	cmd := &x.Cmd
	if cmd.CLA&0xFC != CLA {
		return nil, 0, false
	}
	switch cmd.INS {
	case INSDeliver:
		d, sw := a.deliver(x)
		return d, sw, true
	case INSCipher:
		d, sw := a.cipher(x)
		return d, sw, true
	}
	return nil, 0, false
}

func (a *app) deliver(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	alg := cardcrypto.Alg(cmd.P2)
	if !alg.Valid() {
		return nil, iso7816.SWWrongP1P2
	}
	var k *key
	for i := range a.keys {
		if a.keys[i].id == cmd.P1 && (a.keys[i].alg == 0 || a.keys[i].alg == alg) {
			k = &a.keys[i]
			break
		}
	}
	if k == nil {
		return nil, iso7816.SWRefDataNotFound
	}
	if len(cmd.Data) != k.levels*cardcrypto.FactorSize || cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	var factors [][]byte
	for i := 0; i < k.levels; i++ {
		factors = append(factors, cmd.Data[i*8:i*8+8])
	}
	v, err := cardcrypto.DiversifyLevels(alg, k.value, factors...)
	if err != nil {
		return nil, iso7816.SWWrongData
	}
	x.SetVolatile(&session{alg: alg, key: v})
	return nil, iso7816.SWOK
}

func (a *app) cipher(x *cos.Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	s, ok := x.Volatile().(*session)
	if !ok {
		return nil, iso7816.SWConditionsNotSatisfied
	}
	if cmd.P2 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	bs := s.alg.BlockSize()
	switch cmd.P1 {
	case CipherECB:
		if len(cmd.Data) == 0 || len(cmd.Data)%bs != 0 {
			return nil, iso7816.SWWrongLength
		}
		out, err := cardcrypto.EncryptECB(s.alg, s.key, cmd.Data)
		if err != nil {
			return nil, iso7816.SWWrongData
		}
		return out, iso7816.SWOK
	case CipherMAC:
		if len(cmd.Data) < bs {
			return nil, iso7816.SWWrongLength
		}
		out, err := cardcrypto.MAC(s.alg, s.key, cmd.Data[:bs], cmd.Data[bs:])
		if err != nil {
			return nil, iso7816.SWWrongData
		}
		return out, iso7816.SWOK
	}
	return nil, iso7816.SWWrongP1P2
}
