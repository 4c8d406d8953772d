package pcd

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/contactless"
)

// activateB polls Type B with WUPB over 2^SlotsCode slots, takes the
// first ATQB received without collision (the one of pupi when given) and
// activates that card with ATTRIB. Slots where cards collided make it
// poll again (the cards pick new slots); a lost ATQB or ATTRIB answer
// makes it start over after a field reset.
func (r *PCD) activateB(pupi []byte) error {
	r.typ = contactless.TypeB
	var last error = ErrNoCard
	for try := 0; try <= r.opt.Retries; try++ {
		if try > 0 && !errors.Is(last, errCollided) {
			r.reset()
		}
		atqbs, collided, err := r.pollB(true)
		if err != nil {
			return err
		}
		var q []byte
		for _, a := range atqbs {
			if pupi == nil || bytes.Equal(a[1:5], pupi) {
				q = a
				break
			}
		}
		if q == nil {
			if collided {
				last = errCollided
			}
			continue
		}
		if err := r.attrib(q); err != nil {
			last = err
			continue
		}
		return nil
	}
	return last
}

var errCollided = fmt.Errorf("%w: Type B cards collided", ErrActivation)

// pollB sends REQB or WUPB and the slot markers, and returns the ATQBs
// received whole (without CRC) and whether any slot had a collision or a
// damaged answer.
func (r *PCD) pollB(wake bool) (atqbs [][]byte, collided bool, err error) {
	param := byte(0x10 | r.opt.SlotsCode) // extended ATQB supported
	if wake {
		param |= 0x08
	}
	timeout := contactless.FWTATQB + r.opt.Margin
	collect := func(rx contactless.Rx, err error) {
		if errors.Is(err, contactless.ErrTimeout) {
			return
		}
		body, ok := r.frame(rx, err)
		if !ok {
			collided = true
			return
		}
		if _, perr := contactless.ParseATQB(body); perr != nil {
			collided = true
			return
		}
		atqbs = append(atqbs, bytes.Clone(body))
	}
	collect(r.send([]byte{contactless.APf, r.opt.AFI, param}, 0, true, timeout))
	for n := 2; n <= 1<<r.opt.SlotsCode; n++ {
		collect(r.send([]byte{byte(n-1)<<4 | contactless.APf}, 0, true, timeout))
	}
	return atqbs, collided, nil
}

// attrib activates the card of an ATQB (ISO/IEC 14443-3 §7.10) at the
// best bit rates up to MaxRate, then waits the SFGT the extended ATQB
// gave.
func (r *PCD) attrib(atqb []byte) error {
	q, err := contactless.ParseATQB(atqb)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrActivation, err)
	}
	if !q.ISO14443_4 {
		return fmt.Errorf("%w: the card does not speak ISO/IEC 14443-4", ErrActivation)
	}
	ds, dr := best(q.DS, r.opt.MaxRate), best(q.DR, r.opt.MaxRate)
	if q.SameD {
		ds = min(ds, dr)
		dr = ds
	}
	r.cid = r.opt.UseCID && q.CID
	cid := 0
	if r.cid {
		cid = int(r.opt.CID & 0x0F)
	}
	a := contactless.Attrib{PUPI: q.PUPI, FromCard: ds, ToCard: dr, FSDI: r.opt.FSDI, Param3: 0x01, CID: cid}
	r.fwt, r.fsc = contactless.FWT(q.FWI), contactless.FrameSize(q.FSCI)
	body, ok := r.frame(r.send(a.Bytes(), 0, true, r.fwt+r.opt.Margin))
	if !ok || len(body) < 1 || int(body[0]&0x0F) != cid {
		return fmt.Errorf("%w: no answer to ATTRIB", ErrActivation)
	}
	r.rate = contactless.Rates{ToCard: dr, FromCard: ds}
	if q.Extended {
		r.air.Wait(contactless.SFGT(q.SFGI))
	}
	r.bn = 0
	r.act = &Activation{Type: contactless.TypeB, UID: q.PUPI[:], ATQB: atqb, AttribResp: bytes.Clone(body)}
	return nil
}

// InventoryB lists the PUPIs of every Type B card in the field, halting
// each found with HLTB, polling again while slots collide.
func (r *PCD) InventoryB(air contactless.Air) ([][]byte, error) {
	if air != r.air {
		r.fieldOn = false
	}
	r.air, r.act = air, nil
	r.reset()
	r.typ = contactless.TypeB
	var pupis [][]byte
	for round := 0; round < 64; round++ {
		atqbs, collided, err := r.pollB(false)
		if err != nil {
			return pupis, err
		}
		for _, q := range atqbs {
			pupis = append(pupis, append([]byte(nil), q[1:5]...))
			body, ok := r.frame(r.send(append([]byte{contactless.HLTBCmd}, q[1:5]...), 0, true, contactless.FWTATQB+r.opt.Margin))
			if !ok || !bytes.Equal(body, []byte{0}) {
				return pupis, fmt.Errorf("%w: no answer to HLTB", ErrActivation)
			}
		}
		if len(atqbs) == 0 && !collided {
			return pupis, nil
		}
	}
	return pupis, fmt.Errorf("%w: Type B collisions do not resolve", ErrActivation)
}
