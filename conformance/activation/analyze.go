package activation

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/sscard/sscard/conformance/idauth"
	"github.com/sscard/sscard/conformance/terminal"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/trace"
)

// Slots of the virtual reader (sscard emulate): the card and the PSAM.
const (
	CardSlot = 0
	PSAMSlot = 1
)

// xchg is one command and its complete answer on a slot, with the GET
// RESPONSE and resent commands of T=0 folded in.
type xchg struct {
	t      time.Time
	slot   int
	cmd    []byte
	data   []byte
	sw     iso7816.Status
	answer bool // false: the card did not answer (power lost, removed)
	events []trace.Event
}

// exchanges pairs the command and response events of one slot.
func exchanges(events []trace.Event, slot int) []*xchg {
	var out []*xchg
	var cur *xchg
	for _, e := range events {
		if e.Slot != slot {
			continue
		}
		switch e.Kind {
		case trace.APDU:
			// GET RESPONSE after 61xx, or a command resent after 6Cxx,
			// continues the exchange before it.
			if cur != nil && cur.answer && len(e.Data) >= 4 {
				sw1 := cur.sw.SW1()
				if sw1 == 0x61 && e.Data[1] == 0xC0 {
					cur.events = append(cur.events, e)
					cur.answer = false
					continue
				}
				if sw1 == 0x6C && len(cur.cmd) >= 4 && bytes.Equal(e.Data[:4], cur.cmd[:4]) {
					cur.events = append(cur.events, e)
					cur.answer = false
					cur.data = nil
					continue
				}
			}
			cur = &xchg{t: e.Time, slot: slot, cmd: append([]byte(nil), e.Data...), events: []trace.Event{e}}
			out = append(out, cur)
		case trace.Response:
			if cur == nil || cur.answer {
				continue // an answer without its command: ignored
			}
			cur.events = append(cur.events, e)
			cur.answer = true
			if len(e.Data) >= 2 {
				cur.data = append(cur.data, e.Data[:len(e.Data)-2]...)
				cur.sw = iso7816.StatusFrom(e.Data[len(e.Data)-2], e.Data[len(e.Data)-1])
			}
		case trace.PowerOn, trace.PowerOff, trace.Reset, trace.Insert, trace.Remove, trace.Disconnect:
			cur = nil
		}
	}
	return out
}

// Applications a terminal talks to.
const (
	appNone  = ""
	appSSSE  = "ssse"
	appPKI   = "pki"
	appPay   = "pay"
	appOther = "other"
)

// Operations the analysis recognises.
const (
	opSelect      = "select"
	opRead        = "read"
	opUpdate      = "update"
	opExtAuth     = "external-authenticate"
	opIntAuth     = "internal-authenticate"
	opChallenge   = "get-challenge"
	opPINQuery    = "pin-query"
	opPIN         = "pin"
	opPINReset    = "pin-reset"
	opActivate    = "activate"
	opDeactivate  = "deactivate"
	opTerminate   = "terminate"
	opAppBlock    = "app-block"
	opAppUnblock  = "app-unblock"
	opCardBlock   = "card-block"
	opSign        = "sign"
	opGetResponse = "get-response"
	opOther       = "other"
)

// ax is a card exchange with what the analysis understood of it.
type ax struct {
	*xchg
	p   *presence
	app string
	op  string
	// sfi and tag: the EF and the data item of a READ or UPDATE RECORD
	// (the record's tag, which is its identifier, CARD.md §2).
	sfi, tag byte
	key      byte // EXTERNAL AUTHENTICATE's key
	// authed: external authentication with RKSSSE (0A) held when the
	// command was sent.
	authed bool
	// pinRef names the PIN a PIN command presents; tries is how many
	// tries the terminal knew were left before it (-1 unknown).
	pinRef string
	tries  int
	secure bool
}

func (a *ax) ok() bool { return a.answer && a.sw == iso7816.SWOK }

// presence is one card in the card slot: from its insertion (or the
// trace's start) to its removal, or to the reading of another card's
// identifier.
type presence struct {
	n       int
	start   time.Time
	x       []*ax
	id      string // card identifier (EF05 tag 01), "" if never read
	idAt    time.Time
	version string // EF05 tag 03
	ssn     string // EF06 tag 08
	ssnAt   time.Time
	name    string
	lcs     byte // FCP 8A last seen (0: not seen)
	blocked bool // SELECT SSSE answered 6283, or APPLICATION BLOCK
	// wasBlocked: the card was blocked when the terminal met it.
	wasBlocked bool
	// inferred: id was not read from the card (a blocked card) but taken
	// from the journal: the card the terminal asked the register about,
	// or from the insertion: inserted is the identifier the emulator's
	// trace gave the card when it came into the slot.
	inferred bool
	inserted string
	// until is when the card left the reader: its removal, the next
	// card's arrival, or a minute after the trace ends.
	until time.Time
}

// analysis is a trace understood.
type analysis struct {
	card      []*ax
	psam      []*xchg
	presences []*presence
	start     time.Time
	end       time.Time
}

// analyze interprets the card slot's exchanges.
func analyze(events []trace.Event) *analysis {
	a := &analysis{}
	if len(events) > 0 {
		a.start, a.end = events[0].Time, events[len(events)-1].Time
	}
	a.psam = exchanges(events, PSAMSlot)
	cx := exchanges(events, CardSlot)
	// Presence boundaries: insertions and removals of the card slot.
	var bounds []time.Time
	var boundIDs []string // the card identifier an insertion names, if any
	for _, e := range events {
		if e.Slot == CardSlot && (e.Kind == trace.Insert || e.Kind == trace.Remove) {
			bounds = append(bounds, e.Time)
			id := ""
			if e.Kind == trace.Insert {
				id = insertedID(e.Text)
			}
			boundIDs = append(boundIDs, id)
		}
	}
	st := &sessionState{}
	var p *presence
	bi := 0
	newPresence := func(t time.Time) {
		p = &presence{n: len(a.presences) + 1, start: t}
		a.presences = append(a.presences, p)
		st.reset()
		st.tries = map[string]int{}
	}
	lastReset := time.Time{}
	resets := resetTimes(events)
	ri := 0
	for _, x := range cx {
		for bi < len(bounds) && !bounds[bi].After(x.t) {
			p = nil
			bi++
		}
		if p == nil {
			newPresence(x.t)
			if bi > 0 {
				p.inserted = boundIDs[bi-1]
			}
		}
		for ri < len(resets) && !resets[ri].After(x.t) {
			if resets[ri].After(lastReset) {
				st.reset()
				lastReset = resets[ri]
			}
			ri++
		}
		v := st.interpret(x)
		// Another card's identifier read: the terminal swapped cards.
		if v.op == opRead && v.sfi == terminal.SFIEF05 && v.tag == 0x01 && v.ok() {
			id := itemValue(v)
			if p.id != "" && id != "" && id != p.id {
				newPresence(x.t)
				st.app = appSSSE
			}
		}
		v.p = p
		p.x = append(p.x, v)
		p.learn(v)
		a.card = append(a.card, v)
	}
	for i, p := range a.presences {
		p.until = a.end.Add(time.Minute)
		if i+1 < len(a.presences) {
			p.until = a.presences[i+1].start
		}
		for _, b := range removals(events) {
			if b.After(p.start) && b.Before(p.until) {
				p.until = b
				break
			}
		}
	}
	return a
}

// removals are the times the card was taken out of the card slot.
func removals(events []trace.Event) []time.Time {
	var out []time.Time
	for _, e := range events {
		if e.Slot == CardSlot && e.Kind == trace.Remove {
			out = append(out, e.Time)
		}
	}
	return out
}

// resetTimes are the card slot's power and reset events.
func resetTimes(events []trace.Event) []time.Time {
	var out []time.Time
	for _, e := range events {
		if e.Slot == CardSlot && (e.Kind == trace.PowerOn || e.Kind == trace.Reset || e.Kind == trace.PowerOff) {
			out = append(out, e.Time)
		}
	}
	return out
}

// sessionState is the card's volatile state as the terminal built it.
type sessionState struct {
	app    string
	ef     byte // SFI of the current EF (SELECT by FID)
	authed map[byte]bool
	tries  map[string]int
}

func (s *sessionState) reset() {
	s.app, s.ef, s.authed = appNone, 0, map[byte]bool{}
}

var (
	ssseAID = terminal.SSSEAID
	pkiAID  = idauth.AID
	payRID  = []byte{0xA0, 0x00, 0x00, 0x03, 0x33}
)

// interpret annotates one exchange and updates the state.
func (s *sessionState) interpret(x *xchg) *ax {
	v := &ax{xchg: x, app: s.app, op: opOther, tries: -1}
	c := x.cmd
	if len(c) < 4 {
		return v
	}
	if s.authed == nil {
		s.reset()
	}
	if s.tries == nil {
		s.tries = map[string]int{}
	}
	cla, ins, p1, p2 := c[0], c[1], c[2], c[3]
	body := commandData(c)
	v.secure = cla&0x0C == 0x04 // secure messaging (CLA 04, 84)
	switch {
	case ins == 0xA4 && p1 == 0x04:
		v.op = opSelect
		switch {
		case bytes.Equal(body, ssseAID):
			s.app = appSSSE
		case bytes.Equal(body, pkiAID) || bytes.Equal(body, idauth.ADFName):
			s.app = appPKI
		case bytes.HasPrefix(body, payRID) || bytes.HasPrefix(body, []byte("1PAY")) || bytes.HasPrefix(body, []byte("2PAY")):
			s.app = appPay
		default:
			s.app = appOther
		}
		v.app = s.app
		s.ef = 0
		s.authed = map[byte]bool{}
	case ins == 0xA4 && (p1 == 0x00 || p1 == 0x02) && len(body) == 2:
		v.op = opSelect
		s.ef = 0
		if body[0] == 0xEF {
			s.ef = body[1]
		}
	case ins == 0xB2:
		v.op = opRead
		v.sfi = p2 >> 3
		if v.sfi == 0 {
			v.sfi = s.ef
		}
		if p2&0x07 == 0 {
			v.tag = p1
		}
		if len(x.data) >= 2 {
			v.tag = x.data[0]
		}
	case ins == 0xB0:
		v.op = opRead
		if p1&0x80 != 0 {
			v.sfi = p1 & 0x1F
		} else {
			v.sfi = s.ef
		}
	case ins == 0xDC:
		v.op = opUpdate
		v.sfi = p2 >> 3
		if v.sfi == 0 {
			v.sfi = s.ef
		}
		if len(body) >= 1 {
			v.tag = body[0]
		}
	case ins == 0x82:
		v.op = opExtAuth
		v.key = p2
		if x.answer && x.sw == iso7816.SWOK {
			s.authed[p2] = true
		}
	case ins == 0x88:
		v.op = opIntAuth
	case ins == 0x84 && cla&0x80 == 0:
		v.op = opChallenge
	case ins == 0xC0:
		v.op = opGetResponse
	case ins == 0x20:
		v.pinRef = fmt.Sprintf("%s/%02X%02X", s.app, p1, p2)
		v.op = opPIN
		if len(body) == 0 {
			v.op = opPINQuery
		}
	case ins == 0x5E && cla&0x80 != 0 && s.app == appSSSE:
		v.op, v.pinRef = opPIN, fmt.Sprintf("%s/0000", s.app)
	case ins == 0x24 && s.app == appSSSE:
		v.op, v.pinRef = opPINReset, fmt.Sprintf("%s/0000", s.app)
	case ins == 0x24 && s.app == appPay && p2 == 0x02:
		v.op, v.pinRef = opPINReset, fmt.Sprintf("%s/0080", s.app)
	case ins == 0x44:
		v.op = opActivate
	case ins == 0x04 && cla&0x80 != 0:
		v.op = opDeactivate
	case ins == 0xE6:
		v.op = opTerminate
	case ins == 0x1E:
		v.op = opAppBlock
	case ins == 0x18:
		v.op = opAppUnblock
	case ins == 0x16:
		v.op = opCardBlock
	case ins == 0x2A && p1 == 0x9E && p2 == 0x9A:
		v.op = opSign
	}
	v.authed = s.authed[terminal.KeyRKSSSE]
	if v.pinRef != "" {
		if n, ok := s.tries[v.pinRef]; ok {
			v.tries = n
		}
		if x.answer {
			switch sw := x.sw; {
			case sw == iso7816.SWAuthBlocked:
				s.tries[v.pinRef] = 0
			case sw.SW1() == 0x63 && sw.SW2()&0xF0 == 0xC0:
				s.tries[v.pinRef] = int(sw.SW2() & 0x0F)
			case sw == iso7816.SWOK && (v.op == opPIN || v.op == opPINReset):
				delete(s.tries, v.pinRef) // back to the maximum
			}
		}
	}
	return v
}

// commandData returns the data field of a short command APDU.
func commandData(c []byte) []byte {
	if len(c) <= 5 {
		return nil
	}
	lc := int(c[4])
	if lc == 0 || 5+lc > len(c) {
		return nil
	}
	return c[5 : 5+lc]
}

// itemValue returns the value of the TLV record an exchange read, as the
// register writes it: hex for the card identifier and dates, text for the
// rest.
func itemValue(v *ax) string {
	d := v.data
	if len(d) < 2 || int(d[1]) > len(d)-2 {
		return ""
	}
	val := d[2 : 2+int(d[1])]
	switch {
	case v.sfi == terminal.SFIEF05 && (v.tag == 0x01 || v.tag == 0x05 || v.tag == 0x06):
		return strings.ToUpper(hex.EncodeToString(val))
	}
	return string(bytes.TrimRight(val, "\x00\x20"))
}

// insertedID returns the card identifier an insert event names in its
// text ("id=<32 hex digits> ...", as sscard emulate writes it), or "".
func insertedID(text string) string {
	for _, f := range strings.Fields(text) {
		if v, ok := strings.CutPrefix(f, "id="); ok && len(v) == 32 {
			if _, err := hex.DecodeString(v); err == nil {
				return strings.ToUpper(v)
			}
		}
	}
	return ""
}

// learn records what an exchange tells of the card.
func (p *presence) learn(v *ax) {
	switch {
	case v.op == opSelect && v.app == appSSSE && v.answer:
		switch v.sw {
		case iso7816.SWWarnDeactivated:
			if !p.blocked && p.id == "" && p.lcs == 0 {
				p.wasBlocked = true
			}
			p.blocked = true
		case iso7816.SWOK:
			if fcp, ok := iso7816.Find(v.data, 0x62, 0x8A); ok && len(fcp) == 1 {
				p.lcs = fcp[0]
			}
		}
	case v.op == opRead && v.ok() && v.app == appSSSE:
		switch {
		case v.sfi == terminal.SFIEF05 && v.tag == 0x01:
			if p.id == "" {
				p.id, p.idAt = itemValue(v), v.t
			}
		case v.sfi == terminal.SFIEF05 && v.tag == 0x03:
			p.version = itemValue(v)
		case v.sfi == terminal.SFIEF06 && v.tag == 0x08:
			if p.ssn == "" {
				p.ssn, p.ssnAt = itemValue(v), v.t
			}
		case v.sfi == terminal.SFIEF06 && v.tag == 0x09:
			p.name = itemValue(v)
		}
	case v.op == opActivate && v.ok() && v.app == appSSSE:
		p.lcs = lcsActivated
	case v.op == opAppBlock && v.ok() && v.app == appSSSE:
		p.blocked = true
	case v.op == opAppUnblock && v.ok() && v.app == appSSSE:
		p.blocked = false
	}
}
