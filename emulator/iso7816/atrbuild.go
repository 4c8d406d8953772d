package iso7816

import "fmt"

// ATRSpec describes an answer-to-reset for BuildATR (ISO/IEC 7816-3 §8.2).
// Nil pointers and zero values leave the corresponding bytes out.
type ATRSpec struct {
	// TS is the initial character; 0 means TSDirect.
	TS byte
	// TA1 (Fi and Di), TB1 (deprecated VPP) and TC1 (extra guard time N).
	TA1, TB1, TC1 *byte
	// Protocols lists the offered protocols (0 to 14) in increasing order,
	// for example []int{0} or []int{0, 1}; empty means T=0 only.
	Protocols []int
	// TA2 is the specific mode byte.
	TA2 *byte
	// TC2 is the T=0 waiting time integer WI (01 to FF).
	TC2 *byte
	// IFSC is the T=1 information field size for the card (1 to 254), sent
	// as the first TA for T=1; 0 leaves it out.
	IFSC int
	// BWICWI is the first TB for T=1: BWI (0 to 9) in the high nibble, CWI
	// in the low nibble.
	BWICWI *byte
	// CRC selects the CRC error detection code for T=1: the first TC for
	// T=1 is 01.
	CRC bool
	// GlobalTA is the first TA for T=15: clock stop and class indicators.
	GlobalTA *byte
	// Historical holds at most 15 historical bytes.
	Historical []byte
}

// atrGroup is one TDi with the TA, TB and TC bytes of the group it
// introduces.
type atrGroup struct {
	t          int
	ta, tb, tc *byte
}

func (g atrGroup) y(moreTD bool) byte {
	var y byte
	for bit, v := range [3]*byte{g.ta, g.tb, g.tc} {
		if v != nil {
			y |= 1 << bit
		}
	}
	if moreTD {
		y |= 0x8
	}
	return y
}

func (g atrGroup) append(dst []byte) []byte {
	for _, v := range [3]*byte{g.ta, g.tb, g.tc} {
		if v != nil {
			dst = append(dst, *v)
		}
	}
	return dst
}

func buildError(format string, args ...any) error {
	return fmt.Errorf("building ATR: %w: "+format, append([]any{ErrMalformedATR}, args...)...)
}

// BuildATR encodes an answer-to-reset (ISO/IEC 7816-3 §8.2). TD1 names the
// first protocol; T=1 bytes follow a TDi (i >= 2) naming T=1; the global
// T=15 byte comes last. TCK is emitted if and only if a protocol other than
// T=0 is indicated. It fails, wrapping ErrMalformedATR, on more than 15
// historical bytes, protocols outside 0..14 or not in increasing order, T=1
// parameters without T=1, reserved values, or more than MaxATRLen bytes.
func BuildATR(s ATRSpec) ([]byte, error) {
	ts := s.TS
	if ts == 0 {
		ts = TSDirect
	}
	if ts != TSDirect && ts != TSInverse {
		return nil, buildError("TS %02X is neither 3B nor 3F", ts)
	}
	if len(s.Historical) > 15 {
		return nil, buildError("%d historical bytes exceed 15", len(s.Historical))
	}
	chain, first, err := s.chain()
	if err != nil {
		return nil, err
	}
	g1 := atrGroup{ta: s.TA1, tb: s.TB1, tc: s.TC1}
	g2 := atrGroup{t: first, ta: s.TA2, tc: s.TC2}
	needTD1 := len(chain) > 0 || g2.y(false) != 0 || first != 0

	out := []byte{ts, g1.y(needTD1)<<4 | byte(len(s.Historical))}
	out = g1.append(out)
	tck := false
	if needTD1 {
		out = append(out, g2.y(len(chain) > 0)<<4|byte(first))
		out = g2.append(out)
		tck = first != 0
	}
	for i, g := range chain {
		out = append(out, g.y(i+1 < len(chain))<<4|byte(g.t))
		out = g.append(out)
		tck = tck || g.t != 0
	}
	out = append(out, s.Historical...)
	if tck {
		out = append(out, xorAll(out[1:]))
	}
	if len(out) > MaxATRLen {
		return nil, buildError("%d bytes exceed %d", len(out), MaxATRLen)
	}
	return out, nil
}

// chain checks the spec and returns the groups introduced by TD2 onwards and
// the protocol TD1 names.
func (s ATRSpec) chain() ([]atrGroup, int, error) {
	protos := s.Protocols
	if len(protos) == 0 {
		protos = []int{0}
	}
	for i, p := range protos {
		if p < 0 || p > 14 {
			return nil, 0, buildError("protocol T=%d outside 0..14", p)
		}
		if i > 0 && p <= protos[i-1] {
			return nil, 0, buildError("protocols %v not in increasing order", protos)
		}
	}
	if err := s.checkValues(); err != nil {
		return nil, 0, err
	}
	t1 := atrGroup{t: 1, tb: s.BWICWI}
	if s.IFSC != 0 {
		ifsc := byte(s.IFSC)
		t1.ta = &ifsc
	}
	if s.CRC {
		crc := byte(0x01)
		t1.tc = &crc
	}
	hasT1 := t1.y(false) != 0
	if hasT1 && !containsInt(protos, 1) {
		return nil, 0, buildError("T=1 parameters without T=1")
	}
	var chain []atrGroup
	for i, p := range protos {
		switch {
		case p == 1 && hasT1:
			chain = append(chain, t1)
		case i > 0:
			chain = append(chain, atrGroup{t: p})
		}
	}
	if s.GlobalTA != nil {
		chain = append(chain, atrGroup{t: 15, ta: s.GlobalTA})
	}
	return chain, protos[0], nil
}

// checkValues rejects the reserved values ParseATR would refuse.
func (s ATRSpec) checkValues() error {
	if s.TA1 != nil && (fiTable[*s.TA1>>4] == 0 || diTable[*s.TA1&0x0F] == 0) {
		return buildError("TA1 %02X uses a reserved Fi or Di", *s.TA1)
	}
	if s.TC2 != nil && *s.TC2 == 0 {
		return buildError("TC2 00 is reserved")
	}
	if s.IFSC < 0 || s.IFSC > 254 {
		return buildError("IFSC %d outside 1..254", s.IFSC)
	}
	if s.BWICWI != nil && *s.BWICWI>>4 > 9 {
		return buildError("BWI %X is reserved", *s.BWICWI>>4)
	}
	return nil
}
