package cos

import (
	"github.com/sscard/sscard/emulator/iso7816"
)

// efForBinary resolves the EF of READ/UPDATE BINARY: P1 b8=1 names it by SFI
// (P1 b5-b1) with the offset in P2; otherwise the current EF, offset P1-P2.
func (o *OS) efForBinary(x *Context) (*Node, int, iso7816.Status) {
	cmd := &x.Cmd
	ch := x.ch
	var n *Node
	var off int
	if cmd.P1&0x80 != 0 {
		if cmd.P1&0x60 != 0 {
			return nil, 0, iso7816.SWWrongP1P2
		}
		sfi := cmd.P1 & 0x1F
		if sfi == 0 || sfi > 30 {
			return nil, 0, iso7816.SWWrongP1P2
		}
		if n = efBySFI(ch.df, sfi); n == nil {
			return nil, 0, iso7816.SWFileNotFound
		}
		off = int(cmd.P2)
	} else {
		if n = ch.ef; n == nil {
			return nil, 0, iso7816.SWCommandNotAllowedNoEF
		}
		off = int(cmd.P1)<<8 | int(cmd.P2)
	}
	if n.structure != Transparent {
		return nil, 0, iso7816.SWCommandIncompatible
	}
	return n, off, iso7816.SWOK
}

// setEF makes n the current EF of ch. The current record belongs to the
// current EF: it is kept only while the EF stays the same; another EF
// becomes current with no current record (ISO/IEC 7816-4 §7.3).
func (ch *channel) setEF(n *Node) {
	if ch.ef != n {
		ch.ef, ch.rec = n, 0
	}
}

// setRecordEF makes n current for a record command; naming it by SFI
// resets the record pointer even when it was current already (ISO/IEC
// 7816-4 §7.3.1).
func (ch *channel) setRecordEF(n *Node, p2 byte) {
	ch.setEF(n)
	if p2>>3 != 0 {
		ch.rec = 0
	}
}

// moveRecordPointer sets the current record after a record was addressed:
// addressing by record identifier moves the pointer to it; addressing by
// record number leaves it where it was (ISO/IEC 7816-4 Annex C).
func (ch *channel) moveRecordPointer(num int, p2 byte) {
	if p2&0x07 != recNumber {
		ch.rec = num
	}
}

// READ BINARY (ISO/IEC 7816-4 §11.2.3). Le is a maximum; reading past the
// end returns what there is with 6282.
func (o *OS) readBinary(x *Context) ([]byte, iso7816.Status) {
	if len(x.Cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	n, off, sw := o.efForBinary(x)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if sw := o.checkAccess(x.ch, n, n.access.Read); sw != iso7816.SWOK {
		return nil, sw
	}
	x.ch.setEF(n)
	if off >= n.size {
		// No byte at the offset: 6B00, not an empty 6282 (nor 6C00,
		// which would announce 256 bytes).
		return nil, iso7816.SWWrongP1P2NoInfo
	}
	content := o.mem.Get(n.cell)
	rest := content[off:]
	ne := x.Cmd.Ne
	if ne == 0 {
		return nil, iso7816.SWWrongLe | iso7816.Status(min(len(rest), 255))
	}
	if len(rest) < ne {
		return rest, iso7816.SWWarnEOF
	}
	return rest[:ne], iso7816.SWOK
}

// UPDATE BINARY (ISO/IEC 7816-4 §11.2.5).
func (o *OS) updateBinary(x *Context) ([]byte, iso7816.Status) {
	n, off, sw := o.efForBinary(x)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	data, sw := o.checkWrite(x, n)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if len(data) == 0 || x.Cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	x.ch.setEF(n)
	if off > n.size {
		return nil, iso7816.SWWrongP1P2NoInfo
	}
	if off+len(data) > n.size {
		return nil, iso7816.SWWrongLength
	}
	content := o.mem.Get(n.cell)
	buf := make([]byte, len(content))
	copy(buf, content)
	copy(buf[off:], data)
	o.mem.Begin()
	o.mem.Set(n.cell, buf)
	if !o.commit() {
		return nil, 0
	}
	return nil, iso7816.SWOK
}

// checkWrite applies the update rule of an EF: with CLA 04/84 the MAC is
// verified with the rule's key (or the DF's maintenance key) and stands for
// that key's authentication for this one command only (no lasting security
// state). It returns the command data without the MAC.
func (o *OS) checkWrite(x *Context, n *Node) ([]byte, iso7816.Status) {
	rule := n.access.Update
	if !x.cla.sm {
		if sw := o.checkAccess(x.ch, n, rule); sw != iso7816.SWOK {
			return nil, sw
		}
		return x.Cmd.Data, iso7816.SWOK
	}
	if rule.Kind == Never {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	var k *keyObj
	if rule.usesKey() {
		k = o.findKey(n.parent, rule.Key, 0)
	} else {
		k = o.findKey(n.parent, 0, UseMaint)
	}
	if k == nil {
		x.ch.takeChallenge()
		return nil, iso7816.SWRefDataNotFound
	}
	body, sw := o.verifyMAC(x, k)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if (rule.Kind == NeedPIN || rule.Kind == PINAndKey) && !o.pinOK(x.ch, n.parent) {
		return nil, iso7816.SWSecurityNotSatisfied
	}
	return body, iso7816.SWOK
}

// record addressing modes of P2 b3-b1 (ISO/IEC 7816-4 §11.3.3 Table 49).
const (
	recFirst    = 0 // first occurrence of record identifier P1
	recLast     = 1
	recNext     = 2
	recPrevious = 3
	recNumber   = 4 // record number P1 (00: current record)
)

// efForRecord resolves the EF of a record command from P2 b8-b4 (SFI, 0:
// current EF).
func (o *OS) efForRecord(x *Context) (*Node, iso7816.Status) {
	ch := x.ch
	sfi := x.Cmd.P2 >> 3
	var n *Node
	switch {
	case sfi == 0:
		if n = ch.ef; n == nil {
			return nil, iso7816.SWCommandNotAllowedNoEF
		}
	case sfi == 31:
		return nil, iso7816.SWWrongP1P2
	default:
		if n = efBySFI(ch.df, sfi); n == nil {
			return nil, iso7816.SWFileNotFound
		}
		if o.has(DefectIgnoreSFI) {
			n = firstRecordEF(ch.df, n)
		}
	}
	if n.structure == Transparent {
		return nil, iso7816.SWCommandIncompatible
	}
	return n, iso7816.SWOK
}

func (o *OS) recordCount(n *Node) int {
	c := o.mem.Get(n.countCell)
	if len(c) != 1 {
		return 0
	}
	return int(c[0])
}

// slot maps a record number (1-based) to its NVM cell.
func (o *OS) slot(n *Node, num int) int {
	if n.structure != Cyclic {
		return n.cell + num - 1
	}
	head := 0
	if c := o.mem.Get(n.headCell); len(c) == 1 {
		head = int(c[0])
	}
	return n.cell + (head-(num-1)+n.maxRecords)%n.maxRecords
}

// findRecord resolves the record a READ or UPDATE RECORD addresses; it
// returns the record number. A command naming the EF by SFI starts from a
// reset record pointer (ISO/IEC 7816-4 §7.3.1).
func (o *OS) findRecord(ch *channel, n *Node, p1, p2 byte) (int, iso7816.Status) {
	mode := p2 & 0x07
	count := o.recordCount(n)
	cur := 0
	if ch.ef == n && p2>>3 == 0 {
		cur = ch.rec
	}
	switch mode {
	case recNumber:
		num := int(p1)
		if num == 0 {
			num = cur
		}
		if num == 0 || num > count {
			return 0, iso7816.SWRecordNotFound
		}
		return num, iso7816.SWOK
	case recFirst, recLast, recNext, recPrevious:
		from, to, step := 1, count, 1
		switch mode {
		case recLast:
			from, to, step = count, 1, -1
		case recNext:
			from = cur + 1
		case recPrevious:
			from, to, step = count, 1, -1
			if cur != 0 {
				from = cur - 1
			}
		}
		for i := from; i >= 1 && i <= count && (step > 0 && i <= to || step < 0 && i >= to); i += step {
			rec := o.mem.Get(o.slot(n, i))
			if len(rec) > 0 && (p1 == 0 || rec[0] == p1) {
				return i, iso7816.SWOK
			}
		}
		return 0, iso7816.SWRecordNotFound
	}
	return 0, iso7816.SWWrongP1P2
}

// READ RECORD (ISO/IEC 7816-4 §11.3.3), in all four forms readers use
// (CARD.md §2): by number or by record identifier, in the current EF or by
// SFI. Le is a maximum: a shorter record comes whole with 9000; an Le short
// of the record answers 6Cxx with its length.
func (o *OS) readRecord(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if len(cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	n, sw := o.efForRecord(x)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if sw := o.checkAccess(x.ch, n, n.access.Read); sw != iso7816.SWOK {
		return nil, sw
	}
	num, sw := o.findRecord(x.ch, n, cmd.P1, cmd.P2)
	x.ch.setRecordEF(n, cmd.P2)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	rec := o.mem.Get(o.slot(n, num))
	x.ch.moveRecordPointer(num, cmd.P2)
	if cmd.Ne < len(rec) {
		if o.has(DefectLeIgnored) && cmd.Ne > 0 {
			return rec[:cmd.Ne], iso7816.SWOK
		}
		return nil, iso7816.SWWrongLe | iso7816.Status(len(rec))
	}
	return rec, iso7816.SWOK
}

// checkRecordData checks a new record's length and SIMPLE-TLV shape.
func checkRecordData(n *Node, num int, data []byte, p1 byte, byID bool) iso7816.Status {
	switch {
	case len(data) == 0 || len(data) > n.size:
		return iso7816.SWWrongLength
	case n.fixedSizes != nil && num <= len(n.fixedSizes) && len(data) != n.fixedSizes[num-1]:
		return iso7816.SWWrongLength
	case n.fixedSizes == nil && n.structure != LinearVariable && len(data) != n.size:
		return iso7816.SWWrongLength
	}
	if n.tlv {
		if len(data) < 2 || int(data[1]) != len(data)-2 {
			return iso7816.SWWrongData
		}
	}
	if byID && p1 != 0 && data[0] != p1 {
		return iso7816.SWWrongData
	}
	return iso7816.SWOK
}

// UPDATE RECORD (ISO/IEC 7816-4 §11.3.5): by number (P2 b3-b1 = 100) or by
// record identifier; the whole record is replaced. Cyclic files take new
// records through APPEND RECORD only.
func (o *OS) updateRecord(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	n, sw := o.efForRecord(x)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	data, sw := o.checkWrite(x, n)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	if n.structure == Cyclic {
		return nil, iso7816.SWCommandIncompatible
	}
	mode := cmd.P2 & 0x07
	num, sw := o.findRecord(x.ch, n, cmd.P1, cmd.P2)
	x.ch.setRecordEF(n, cmd.P2)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if sw := checkRecordData(n, num, data, cmd.P1, mode != recNumber); sw != iso7816.SWOK && !o.has(DefectUpdateAnyLength) {
		return nil, sw
	}
	if old := o.mem.Get(o.slot(n, num)); n.tlv && len(old) > 0 && data[0] != old[0] && !o.has(DefectUpdateAnyLength) {
		// A data item keeps its tag: the tag is the record's identifier.
		return nil, iso7816.SWWrongData
	}
	o.mem.Begin()
	o.mem.Set(o.slot(n, num), data)
	if !o.commit() {
		return nil, 0
	}
	x.ch.moveRecordPointer(num, cmd.P2)
	return nil, iso7816.SWOK
}

// APPEND RECORD (ISO/IEC 7816-4 §11.3.6): a new last record in a linear
// file (6A84 when full); in a cyclic file the new record 1, overwriting the
// oldest when full.
func (o *OS) appendRecord(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P1 != 0 || cmd.P2&0x07 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	n, sw := o.efForRecord(x)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	data, sw := o.checkWrite(x, n)
	if sw != iso7816.SWOK {
		return nil, sw
	}
	if cmd.Ne != 0 {
		return nil, iso7816.SWWrongLength
	}
	count := o.recordCount(n)
	num := 1
	if n.structure != Cyclic {
		if count >= n.maxRecords {
			return nil, iso7816.SWNotEnoughMemory
		}
		num = count + 1
	}
	if sw := checkRecordData(n, num, data, 0, false); sw != iso7816.SWOK {
		return nil, sw
	}
	x.ch.setEF(n)
	o.mem.Begin()
	if n.structure == Cyclic {
		head := 0
		if c := o.mem.Get(n.headCell); len(c) == 1 {
			head = int(c[0])
		}
		if count > 0 {
			head = (head + 1) % n.maxRecords
		}
		o.mem.Set(n.headCell, []byte{byte(head)})
		o.mem.Set(n.cell+head, data)
	} else {
		o.mem.Set(n.cell+num-1, data)
	}
	if count < n.maxRecords {
		o.mem.Set(n.countCell, []byte{byte(count + 1)})
	}
	if !o.commit() {
		return nil, 0
	}
	x.ch.rec = num
	return nil, iso7816.SWOK
}

// firstRecordEF is the first record EF under df (DefectIgnoreSFI).
func firstRecordEF(df, fallback *Node) *Node {
	for _, c := range df.children {
		if c.Kind == KindEF && c.structure != Transparent {
			return c
		}
	}
	return fallback
}
