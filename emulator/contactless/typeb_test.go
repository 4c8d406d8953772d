package contactless

import (
	"bytes"
	"testing"
)

func reqb(afi, param byte) []byte { return []byte{APf, afi, param} }

func TestTypeBActivation(t *testing.T) {
	p := newPICC(t, `{"pupi": "A1B2C3D4", "appData": "11223344", "fwi": 6, "sfgi": 2, "fsci": 5}`, WithType(TypeB))
	r := newRig(t, p)
	if !bytes.Equal(p.UID(), []byte{0xA1, 0xB2, 0xC3, 0xD4}) {
		t.Fatalf("PUPI % X", p.UID())
	}
	// REQB, one slot, extended ATQB asked for.
	atqb := []byte{0x50, 0xA1, 0xB2, 0xC3, 0xD4, 0x11, 0x22, 0x33, 0x44, 0x77, 0x51, 0x61, 0x20}
	r.want(TypeB, reqb(0, 0x10), 0, true, atqb)
	// Without the extended ATQB: 3 bytes of protocol info.
	r.want(TypeB, reqb(0, 0x00), 0, true, atqb[:12])
	// ATTRIB: 848 both ways, FSDI 8, CID 2.
	attrib := Attrib{PUPI: [4]byte{0xA1, 0xB2, 0xC3, 0xD4}, FromCard: Rate848, ToCard: Rate848, FSDI: 8, Param3: 1, CID: 2}
	r.want(TypeB, attrib.Bytes(), 0, true, []byte{0x02})
	if p.State() != "PROTOCOL" {
		t.Fatalf("state %s", p.State())
	}
	r.rates = Rates{Rate848, Rate848}
	got := mustBlock(t, r, TypeB, Block{Type: IBlock, HasCID: true, CID: 2, INF: []byte{0x00, 0x84, 0x00, 0x00, 0x08}}.Append(nil), "")
	if got.Type != IBlock || got.CID != 2 || len(got.INF) != 10 {
		t.Fatalf("%s", got)
	}
	// HLTB: answered 00, the card halts; REQB does not wake it, WUPB does.
	r.rates = Rates{}
	r.silent(TypeB, []byte{HLTBCmd, 0xA1, 0xB2, 0xC3, 0xD4}, 0, true) // at 106 it does not hear
	r.rates = Rates{Rate848, Rate848}
	r.want(TypeB, []byte{HLTBCmd, 0xA1, 0xB2, 0xC3, 0xD4}, 0, true, []byte{0x00})
	r.rates = Rates{}
	r.silent(TypeB, reqb(0, 0), 0, true)
	r.want(TypeB, reqb(0, 0x08), 0, true, atqb[:12])
	// An ATTRIB for another PUPI, with CID 15, with protocol type 0, at a
	// rate the card lacks: ignored.
	for _, a := range []Attrib{
		{PUPI: [4]byte{1, 2, 3, 4}, FSDI: 8, Param3: 1},
		{PUPI: attrib.PUPI, FSDI: 8, Param3: 1, CID: 15},
		{PUPI: attrib.PUPI, FSDI: 8, Param3: 0},
	} {
		r.silent(TypeB, a.Bytes(), 0, true)
	}
	// Type A frames are not heard.
	r.silent(TypeA, []byte{WUPA}, 7, false)
}

// AFI selection (ISO/IEC 14443-3 §7.7.2).
func TestAFI(t *testing.T) {
	p := newPICC(t, `{"afi": "35"}`, WithType(TypeB))
	r := newRig(t, p)
	for _, c := range []struct {
		afi    byte
		answer bool
	}{{0x00, true}, {0x35, true}, {0x30, true}, {0x05, true}, {0x36, false}, {0x45, false}, {0x40, false}} {
		rx, err := r.tx(TypeB, reqb(c.afi, 0), 0, true)
		if (err == nil) != c.answer {
			t.Errorf("AFI %02X: % X %v", c.afi, rx.Data, err)
		}
	}
}

// Slots: with N slots the card answers REQB or the slot marker of the
// slot it drew; RFU N values are ignored.
func TestSlots(t *testing.T) {
	p := newPICC(t, `{}`, WithType(TypeB))
	r := newRig(t, p)
	seen := map[int]bool{}
	for round := 0; round < 40; round++ {
		answered := 0
		if _, err := r.tx(TypeB, reqb(0, 0x04), 0, true); err == nil {
			answered, seen[1] = 1, true
		}
		for n := 2; n <= 16; n++ {
			if _, err := r.tx(TypeB, []byte{byte(n-1)<<4 | APf}, 0, true); err == nil {
				if answered != 0 {
					t.Fatalf("answered twice in one round")
				}
				answered, seen[n] = n, true
			}
		}
		if answered == 0 {
			t.Fatalf("round %d: no answer in 16 slots", round)
		}
	}
	if len(seen) < 8 {
		t.Errorf("40 rounds of 16 slots used only slots %v", seen)
	}
	r.silent(TypeB, reqb(0, 0x05), 0, true) // N = 32: RFU
	r.silent(TypeB, reqb(0, 0x07), 0, true)
}
