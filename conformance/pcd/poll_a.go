package pcd

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/contactless"
)

// activateA polls Type A with WUPA, resolves collisions, selects a card
// (the one of uid when given) and activates it with RATS and, when
// MaxRate allows, PPS. A failed attempt is retried after a field reset:
// a card past RATS hears nothing but blocks.
func (r *PCD) activateA(uid []byte) error {
	r.typ = contactless.TypeA
	var last error = ErrNoCard
	for try := 0; try <= r.opt.Retries; try++ {
		if try > 0 {
			r.reset()
		}
		atqa, err := r.wakeA(contactless.WUPA)
		if err != nil {
			if !errors.Is(err, ErrNoCard) || errors.Is(last, ErrNoCard) {
				last = err // a card seen before stays the better explanation
			}
			continue
		}
		got, sak, err := r.selectA(uid)
		if err != nil {
			last = err
			continue
		}
		if sak&contactless.SAK14443_4 == 0 {
			return fmt.Errorf("%w: SAK %02X: the card does not speak ISO/IEC 14443-4", ErrActivation, sak)
		}
		ats, err := r.rats()
		if err != nil {
			last = err
			continue
		}
		r.act = &Activation{Type: contactless.TypeA, UID: got, ATQA: atqa, SAK: sak, ATS: ats}
		r.pps()
		return nil
	}
	return last
}

// wakeA sends REQA or WUPA and returns the ATQA (several cards may
// answer at once: their ATQAs may collide, which still says a card is
// there).
func (r *PCD) wakeA(cmd byte) ([]byte, error) {
	rx, err := r.send([]byte{cmd}, 7, false, shortTimeout)
	if err != nil {
		return nil, ErrNoCard
	}
	if len(rx.Data) != 2 {
		return nil, fmt.Errorf("%w: ATQA of %d bytes", ErrActivation, len(rx.Data))
	}
	return bytes.Clone(rx.Data), nil
}

// selectA runs anticollision and select over the cascade levels
// (ISO/IEC 14443-3 §6.5). With uid it selects that card; without, it
// takes the 1 branch at every collision.
func (r *PCD) selectA(uid []byte) ([]byte, byte, error) {
	var want [][5]byte
	if uid != nil {
		want = contactless.CascadeLevels(uid)
	}
	var got []byte
	for level := 1; level <= 3; level++ {
		var known [5]byte
		var err error
		if want != nil {
			if level > len(want) {
				return nil, 0, fmt.Errorf("%w: the card needs more cascade levels than UID % X has", ErrActivation, uid)
			}
			known = want[level-1]
		} else if known, err = r.anticollision(level); err != nil {
			return nil, 0, err
		}
		if contactless.BCC(known[:4]) != known[4] {
			return nil, 0, fmt.Errorf("%w: BCC of UID CL%d % X is wrong", ErrActivation, level, known)
		}
		body, ok := r.frame(r.send(append([]byte{contactless.SelCode(level), 0x70}, known[:]...), 0, true, shortTimeout))
		if !ok || len(body) != 1 {
			return nil, 0, fmt.Errorf("%w: no SAK at cascade level %d", ErrActivation, level)
		}
		sak := body[0]
		if sak&contactless.SAKCascade == 0 {
			return append(got, known[:4]...), sak, nil
		}
		if known[0] != contactless.CT {
			return nil, 0, fmt.Errorf("%w: SAK %02X asks for another cascade level after a UID CLn without CT", ErrActivation, sak)
		}
		got = append(got, known[1:4]...)
	}
	return nil, 0, fmt.Errorf("%w: more than 3 cascade levels", ErrActivation)
}

// anticollision finds the UID CLn of one card at a cascade level: it
// sends the bits it knows, takes the cards' answer up to the first
// collision, chooses 1 for the colliding bit and goes on (§6.5.2).
func (r *PCD) anticollision(level int) ([5]byte, error) {
	var known [5]byte
	k := 0
	for k < 40 {
		n := (k + 7) / 8
		frame := append([]byte{contactless.SelCode(level), byte((2+k/8)<<4 | k%8)}, known[:n]...)
		rx, err := r.send(frame, k%8, false, shortTimeout)
		if err != nil {
			return known, ErrNoCard
		}
		if rx.Align != k%8 {
			return known, fmt.Errorf("%w: anticollision answer aligned at bit %d, not %d", ErrActivation, rx.Align, k%8)
		}
		base := k / 8 * 8
		progressed := false
		for pos := k; pos < 40; pos++ {
			rel := pos - base
			if rel/8 >= len(rx.Data) || rx.LastBits != 0 && rel >= 8*(len(rx.Data)-1)+rx.LastBits {
				break
			}
			if rx.Collided && rel == rx.CollisionBit {
				known[pos/8] |= 1 << (pos % 8)
				k, progressed = pos+1, true
				break
			}
			known[pos/8] |= (rx.Data[rel/8] >> (rel % 8) & 1) << (pos % 8)
			k, progressed = pos+1, true
		}
		if !progressed {
			return known, fmt.Errorf("%w: empty anticollision answer", ErrActivation)
		}
	}
	return known, nil
}

// rats sends RATS and returns the ATS; it then waits the SFGT the ATS
// asks for, and takes the card's FSC and FWT.
func (r *PCD) rats() ([]byte, error) {
	cid := byte(0)
	if r.opt.UseCID {
		cid = r.opt.CID & 0x0F
	}
	for range 2 { // RATS may be sent again once (ISO/IEC 14443-4 §5.6.1.2)
		body, ok := r.frame(r.send([]byte{contactless.RATS, byte(r.opt.FSDI)<<4 | cid}, 0, true, contactless.FWTActivation+r.opt.Margin))
		if !ok {
			continue
		}
		ats, err := contactless.ParseATS(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrActivation, err)
		}
		r.air.Wait(contactless.SFGT(ats.SFGI))
		r.fsc, r.fwt = contactless.FrameSize(ats.FSCI), contactless.FWT(ats.FWI)
		r.cid = r.opt.UseCID && ats.CID
		r.bn = 0
		return bytes.Clone(body), nil
	}
	return nil, fmt.Errorf("%w: no ATS", ErrActivation)
}

// pps raises the bit rates to the highest both sides support, up to
// MaxRate. Without an answer the reader stays at 106 kbit/s, as the card
// does when it did not take the PPS.
func (r *PCD) pps() {
	ats, err := contactless.ParseATS(r.act.ATS)
	if err != nil || r.opt.MaxRate == contactless.Rate106 {
		return
	}
	ds, dr := best(ats.DS, r.opt.MaxRate), best(ats.DR, r.opt.MaxRate)
	if ats.SameD {
		ds = min(ds, dr)
		dr = ds
	}
	if ds == contactless.Rate106 && dr == contactless.Rate106 {
		return
	}
	cid := byte(0)
	if r.cid {
		cid = r.opt.CID & 0x0F
	}
	ppss := contactless.PPSS | cid
	body, ok := r.frame(r.send([]byte{ppss, 0x11, byte(ds.Code())<<2 | byte(dr.Code())}, 0, true, r.fwt+r.opt.Margin))
	if ok && bytes.Equal(body, []byte{ppss}) {
		r.rate = contactless.Rates{ToCard: dr, FromCard: ds}
	}
}

// best returns the highest of rates at most max (106 if none).
func best(rates []contactless.BitRate, max contactless.BitRate) contactless.BitRate {
	b := contactless.Rate106
	for _, x := range rates {
		if x <= max && x > b {
			b = x
		}
	}
	return b
}

// hlta halts the selected card.
func (r *PCD) hlta() {
	_, _ = r.send([]byte{contactless.HLTA, 0x00}, 0, true, shortTimeout)
}

// InventoryA lists the UIDs of every Type A card in the field: it selects
// one card, halts it, and polls again until no card answers REQA. The
// cards are left halted.
func (r *PCD) InventoryA(air contactless.Air) ([][]byte, error) {
	if air != r.air {
		r.fieldOn = false
	}
	r.air, r.act = air, nil
	r.reset()
	r.typ = contactless.TypeA
	var uids [][]byte
	for len(uids) < 64 {
		if _, err := r.wakeA(contactless.REQA); err != nil {
			if errors.Is(err, ErrNoCard) {
				return uids, nil
			}
			return uids, err
		}
		uid, _, err := r.selectA(nil)
		if err != nil {
			return uids, err
		}
		uids = append(uids, uid)
		r.hlta()
	}
	return uids, fmt.Errorf("%w: more than 64 cards", ErrActivation)
}

// ConnectUID activates the Type A card of uid, halted by an inventory or
// not: it wakes every card with WUPA and selects that UID.
func (r *PCD) ConnectUID(air contactless.Air, uid []byte) (*Activation, error) {
	if air != r.air {
		r.fieldOn = false
	}
	r.air, r.act = air, nil
	r.air.SetField(true)
	r.fieldOn = true
	r.rate = contactless.Rates{ToCard: contactless.Rate106, FromCard: contactless.Rate106}
	if err := r.activateA(uid); err != nil {
		return nil, err
	}
	return r.act, nil
}
