package pay

import (
	"github.com/sscard/sscard/emulator/cos"
	"github.com/sscard/sscard/emulator/iso7816"
)

// READ RECORD 00 B2 <record> <SFI<<3|4> 00 (EMV Book 3 §6.5.11): the
// records of the data model and the transaction log (SFI 11, most recent
// first).
func (d *adf) readRecord(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if len(cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	sfi := cmd.P2 >> 3
	if cmd.P2&7 != 4 || sfi == 0 {
		return nil, iso7816.SWWrongP1P2
	}
	n := int(cmd.P1)
	if sfi == SFILog {
		rec := d.logRecord(x, n)
		if rec == nil {
			return nil, iso7816.SWRecordNotFound
		}
		return rec, iso7816.SWOK
	}
	recs, ok := d.c.records[sfi]
	if !ok {
		return nil, iso7816.SWFileNotFound
	}
	if n < 1 || n > len(recs) {
		return nil, iso7816.SWRecordNotFound
	}
	return recs[n-1], iso7816.SWOK
}

// logRecord returns log record n (1 = the most recent), nil if none.
func (d *adf) logRecord(x *cos.Context, n int) []byte {
	h := x.Memory().Get(d.logHeadCell)
	size := len(d.logCells)
	if len(h) != 2 || n < 1 || n > int(h[1]) || n > size {
		return nil
	}
	slot := (int(h[0]) - (n - 1) + size) % size
	rec := x.Memory().Get(d.logCells[slot])
	if len(rec) == 0 {
		return nil
	}
	return rec
}

// writeLog stages a log record of the transaction (format 9F4F) from its
// DOL data; the caller commits.
func (d *adf) writeLog(x *cos.Context, src *dol, data []byte, atc uint16) {
	size := len(d.logCells)
	if size == 0 {
		return
	}
	mem := x.Memory()
	h := mem.Get(d.logHeadCell)
	head, count := 0, 0
	if len(h) == 2 {
		head, count = int(h[0]), int(h[1])
	}
	if count > 0 {
		head = (head + 1) % size
	}
	count = min(count+1, size)
	rec := d.c.logFormat.fill(make([]byte, 0, d.c.logFormat.size), func(t iso7816.Tag) []byte {
		if t == TagATC {
			return atcBytes(atc)
		}
		v, _ := src.get(data, t)
		return v
	})
	mem.Set(d.logCells[head], rec)
	mem.Set(d.logHeadCell, []byte{byte(head), byte(count)})
}

// GET DATA 80 CA P1 P2 00 (EMV Book 3 §6.5.7): the data object itself.
func (d *adf) getData(x *cos.Context, s *session) ([]byte, iso7816.Status) {
	cmd := &x.Cmd
	if len(cmd.Data) != 0 {
		return nil, iso7816.SWWrongLength
	}
	t := iso7816.Tag(cmd.P1)<<8 | iso7816.Tag(cmd.P2)
	mem := x.Memory()
	var v []byte
	switch t {
	case TagATC:
		v = mem.Get(d.atcCell)
	case TagLastOnlineAT:
		v = mem.Get(d.lastOnlineCell)
	case TagPINTries:
		v = mem.Get(d.c.triesCell)
	case TagLogFormat:
		v = LogFormat
	case TagBalance, TagBalanceLimit, TagSingleLimit, TagResetThresh, TagCVMLimit:
		if !d.ecash {
			return nil, iso7816.SWRefDataNotFound
		}
		if t == TagBalance {
			v = mem.Get(d.balanceCell)
		} else {
			off := limitOffset(t)
			v = mem.Get(d.limitsCell)[off : off+6]
		}
	default:
		return nil, iso7816.SWRefDataNotFound
	}
	return tlvs(func(b *iso7816.Builder) { b.AddTLV(t, v) }), iso7816.SWOK
}

func limitOffset(t iso7816.Tag) int {
	switch t {
	case TagBalanceLimit:
		return limBalance
	case TagSingleLimit:
		return limSingle
	case TagResetThresh:
		return limReset
	}
	return limCVM
}
