package cos

import (
	"bytes"

	"github.com/sscard/sscard/emulator/iso7816"
)

// SELECT (ISO/IEC 7816-4 §11.2.2). P1: 00 MF/DF/EF by FID (no data: the
// MF), 01 child DF, 02 EF under the current DF, 03 parent DF, 04 DF name,
// 08 path from the MF, 09 path from the current DF. P2 b4-b3: 00 FCI,
// 04 FCP, 0C no data; b2-b1: first (00) or next (02) occurrence of a DF name.
//
// Selecting an EF answers no data unless the FCP is asked for (the real
// cards answer 00 A4 02 00 02 EF05 with a plain 9000, CARD.md §2).
//
// A deactivated application (a sealed card, CARD.md §6) is selected with
// 9000 and its FCI [model: ISO/IEC 7816-4 allows 6283, but over T=0 a
// warning loses the FCI, and the terminals of the activation routes must
// read the identity of a sealed card]; its FCP shows life cycle 04. An
// application blocked by APPLICATION BLOCK is selected with 6283 (EMV
// Book 1 §12.3.3); a terminated one is not selected (9303). An App may
// add its own state to its selection (SelectHook).
func (o *OS) selectFile(x *Context) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if cmd.P2&0xF0 != 0 {
		return nil, iso7816.SWWrongP1P2
	}
	answer := cmd.P2 & 0x0C
	occurrence := cmd.P2 & 0x03
	if answer == 0x08 || occurrence != 0 && (cmd.P1 != 0x04 || occurrence != 0x02) {
		return nil, iso7816.SWWrongP1P2
	}
	ch := x.ch
	data := cmd.Data
	var n *Node
	switch cmd.P1 {
	case 0x00:
		switch {
		case len(data) == 0:
			n = o.layout.root
		case len(data) != 2:
			return nil, iso7816.SWWrongLength
		default:
			n = o.findFID(ch.df, fid(data), true, true)
		}
	case 0x01, 0x02:
		if len(data) != 2 {
			return nil, iso7816.SWWrongLength
		}
		n = o.findChild(ch.df, fid(data), cmd.P1 == 0x01)
	case 0x03:
		if len(data) != 0 {
			return nil, iso7816.SWWrongLength
		}
		n = ch.df.parent
	case 0x04:
		if len(data) < 1 || len(data) > 16 {
			return nil, iso7816.SWWrongLength
		}
		var after *Node
		if occurrence == 0x02 {
			after = ch.df
		}
		n = o.findName(data, after)
	case 0x08, 0x09:
		if len(data) < 2 || len(data)%2 != 0 {
			return nil, iso7816.SWWrongLength
		}
		start := o.layout.root
		if cmd.P1 == 0x09 {
			start = ch.df
		}
		n = o.walkPath(start, data)
	default:
		return nil, iso7816.SWWrongP1P2
	}
	if n == nil {
		return nil, iso7816.SWFileNotFound
	}
	df := o.dfOf(n)
	sw := iso7816.SWOK
	switch st := o.stateOf(df); {
	case st == stateTerminated:
		return nil, iso7816.SWAppPermanentlyLocked
	case st == stateBlocked:
		// EMV Book 1 §12.3.3: a blocked application is selected with 6283.
		sw = iso7816.SWWarnDeactivated
	case n == df:
		if h, ok := n.app.(SelectHook); ok {
			if hs := h.SelectStatus(x); hs != 0 {
				if !hs.Warning() {
					return nil, hs
				}
				sw = hs
			}
		}
	}
	o.setCurrent(ch, df)
	if n.Kind == KindEF {
		ch.ef = n
	}
	var resp []byte
	switch {
	case answer == 0x04:
		resp = o.fcp(n)
	case answer == 0x00 && n.IsDF():
		resp = n.fci
	}
	return resp, sw
}

func fid(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// setCurrent makes df the current DF of ch. Leaving a DF clears the part of
// the security state obtained in it, the current EF and record, and the
// challenge; changing application clears the application's volatile state.
func (o *OS) setCurrent(ch *channel, df *Node) {
	if ch.df == df {
		ch.ef, ch.rec = nil, 0
		return
	}
	oldApp := ch.app()
	ch.df, ch.ef, ch.rec = df, nil, 0
	ch.chalLen = 0
	if ch.app() != oldApp {
		ch.volatile = nil
	}
	if o.has(DefectStateKeptOnSelect) {
		return
	}
	k := 0
	for i := 0; i < ch.nsec; i++ {
		if isAncestorOrSelf(ch.sec[i].df, df) {
			ch.sec[k] = ch.sec[i]
			k++
		}
	}
	for i := k; i < ch.nsec; i++ {
		ch.sec[i] = secEntry{}
	}
	ch.nsec = k
}

func isAncestorOrSelf(a, n *Node) bool {
	for ; n != nil; n = n.parent {
		if n == a {
			return true
		}
	}
	return false
}

// findFID looks for a FID among the MF, the current DF, its children, its
// parent and the parent's children (ISO/IEC 7816-4 §7.2.1).
func (o *OS) findFID(cur *Node, id uint16, dfs, efs bool) *Node {
	if id == 0x3F00 {
		return o.layout.root
	}
	if cur.FID == id && dfs {
		return cur
	}
	if n := o.findChild2(cur, id, dfs, efs); n != nil {
		return n
	}
	if p := cur.parent; p != nil {
		if p.FID == id && dfs {
			return p
		}
		return o.findChild2(p, id, dfs, efs)
	}
	return nil
}

func (o *OS) findChild(df *Node, id uint16, wantDF bool) *Node {
	return o.findChild2(df, id, wantDF, !wantDF)
}

func (o *OS) findChild2(df *Node, id uint16, dfs, efs bool) *Node {
	for _, c := range df.children {
		if c.FID == id && (c.IsDF() && dfs || !c.IsDF() && efs) {
			return c
		}
	}
	return nil
}

// findName finds the first DF, in tree order, whose name starts with
// prefix; after a given DF for "next occurrence".
func (o *OS) findName(prefix []byte, after *Node) *Node {
	start := 0
	if after != nil {
		start = after.index + 1
	}
	for _, n := range o.layout.nodes[start:] {
		if n.Name != nil && bytes.HasPrefix(n.Name, prefix) {
			return n
		}
	}
	return nil
}

func (o *OS) walkPath(start *Node, path []byte) *Node {
	n := start
	for i := 0; i < len(path); i += 2 {
		id := fid(path[i:])
		if i == 0 && id == 0x3F00 && start == o.layout.root {
			continue
		}
		if !n.IsDF() {
			return nil
		}
		last := i+2 == len(path)
		n = o.findChild2(n, id, true, last)
		if n == nil {
			return nil
		}
	}
	return n
}

// efBySFI finds an EF by short identifier under df.
func efBySFI(df *Node, sfi byte) *Node {
	for _, c := range df.children {
		if c.Kind == KindEF && c.SFI == sfi {
			return c
		}
	}
	return nil
}
