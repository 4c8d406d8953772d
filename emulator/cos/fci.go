package cos

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

// buildFCI makes the FCI template of a DF (ISO/IEC 7816-4 §7.4.1, tag 6F):
// the DF name (84) or, without one, the FID (83), then the proprietary
// template A5. The real 1.00 SSSE answers 6F 16 84 0F <AID> A5 03 88 01 0B
// (CARD.md §2).
func buildFCI(n *Node) ([]byte, error) {
	var b iso7816.Builder
	b.AddConstructed(0x6F, func(b *iso7816.Builder) {
		if n.Name != nil {
			b.AddTLV(0x84, n.Name)
		} else {
			b.AddTLV(0x83, []byte{byte(n.FID >> 8), byte(n.FID)})
		}
		if n.fciProp != nil {
			b.AddTLV(0xA5, n.fciProp)
		}
	})
	return b.Bytes()
}

// File descriptor bytes (ISO/IEC 7816-4 §7.4.5, Table 12).
const (
	fdbDF             = 0x38
	fdbTransparent    = 0x01
	fdbLinearFixed    = 0x02
	fdbLinearVariable = 0x04
	fdbCyclic         = 0x06
	dataCodingByte    = 0x21
)

// fcp builds the FCP template (tag 62) of a file, with its current life
// cycle status (8A).
func (o *OS) fcp(n *Node) []byte {
	var b iso7816.Builder
	b.AddConstructed(0x62, func(b *iso7816.Builder) {
		switch {
		case n.IsDF():
			b.AddTLV(0x82, []byte{fdbDF})
		case n.structure == Transparent:
			b.AddTLV(0x80, []byte{byte(n.size >> 8), byte(n.size)})
			b.AddTLV(0x82, []byte{fdbTransparent, dataCodingByte})
		default:
			fdb := map[Structure]byte{LinearFixed: fdbLinearFixed, LinearVariable: fdbLinearVariable, Cyclic: fdbCyclic}[n.structure]
			b.AddTLV(0x82, []byte{fdb, dataCodingByte, 0, byte(n.size), byte(n.maxRecords)})
		}
		if n.FID != 0 {
			b.AddTLV(0x83, []byte{byte(n.FID >> 8), byte(n.FID)})
		}
		if n.Name != nil {
			b.AddTLV(0x84, n.Name)
		}
		if n.Kind == KindEF && n.SFI != 0 {
			b.AddTLV(0x88, []byte{n.SFI << 3})
		}
		b.AddTLV(0x8A, []byte{o.lcs(o.dfOf(n))})
	})
	out, _ := b.Bytes() // cannot fail: every value is short
	return out
}
