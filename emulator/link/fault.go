package link

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// FaultKind is what an injected fault does to the link.
type FaultKind uint8

// Fault kinds.
const (
	CorruptEDC     FaultKind = iota + 1 // flip a bit of the card's EDC/CRC
	Drop                                // the card does not answer (timeout)
	UnsolicitedWTX                      // the card asks for more time though it needs none
	TinyFrameSize                       // the card announces the smallest IFSC/FSC, forcing chaining
	Wrong61xx                           // a 61xx announcing the wrong number of bytes
	Wrong6Cxx                           // a 6Cxx with the wrong length
	ReplaceSW                           // the status word is replaced by Arg
	Truncate                            // the card's frame is cut short
	PowerLoss                           // power is lost in the middle of the exchange
)

var kindNames = map[FaultKind]string{
	CorruptEDC: "edc", Drop: "drop", UnsolicitedWTX: "wtx", TinyFrameSize: "tiny-frame",
	Wrong61xx: "wrong-61xx", Wrong6Cxx: "wrong-6cxx", ReplaceSW: "sw", Truncate: "truncate", PowerLoss: "power-loss",
}

func (k FaultKind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("fault(%d)", k)
}

// TriggerMode says when a fault fires.
type TriggerMode uint8

// Trigger modes.
const (
	Always   TriggerMode = iota + 1
	OnNth                // on the N-th frame of its scope only
	EveryNth             // on every N-th frame
	OneInN               // with probability 1/N, from the seeded generator
)

// Fault is one fault to inject.
type Fault struct {
	Kind  FaultKind
	Scope Interface // Contact, Contactless or Any
	Mode  TriggerMode
	N     int
	// Arg is the kind's parameter: the status word of ReplaceSW, the kept
	// length of Truncate (0: half), the write count of PowerLoss.
	Arg int
}

// String gives the fault in the syntax ParseFault reads.
func (f Fault) String() string {
	var sb strings.Builder
	sb.WriteString(f.Scope.String())
	sb.WriteString(":")
	sb.WriteString(f.Kind.String())
	if f.Kind == ReplaceSW {
		fmt.Fprintf(&sb, "=%04X", f.Arg)
	} else if f.Arg != 0 {
		fmt.Fprintf(&sb, "=%d", f.Arg)
	}
	switch f.Mode {
	case Always:
		sb.WriteString(":always")
	case OnNth:
		fmt.Fprintf(&sb, ":nth=%d", f.N)
	case EveryNth:
		fmt.Fprintf(&sb, ":every=%d", f.N)
	case OneInN:
		fmt.Fprintf(&sb, ":p=1/%d", f.N)
	}
	return sb.String()
}

// ParseFault reads "SCOPE:KIND[=ARG]:TRIGGER": scope contact, contactless
// or any; kind edc, drop, wtx, tiny-frame, wrong-61xx, wrong-6cxx, sw=XXXX,
// truncate[=N], power-loss[=N]; trigger always, nth=N, every=N or p=1/N.
// Example: "contactless:edc:every=3".
func ParseFault(s string) (Fault, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return Fault{}, fmt.Errorf("fault %q: want SCOPE:KIND[=ARG]:TRIGGER", s)
	}
	var f Fault
	switch parts[0] {
	case "contact":
		f.Scope = Contact
	case "contactless":
		f.Scope = Contactless
	case "any":
		f.Scope = Any
	default:
		return Fault{}, fmt.Errorf("fault %q: scope %q is not contact, contactless or any", s, parts[0])
	}
	name, arg, hasArg := strings.Cut(parts[1], "=")
	for k, n := range kindNames {
		if n == name {
			f.Kind = k
		}
	}
	if f.Kind == 0 {
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q", s, name)
	}
	if hasArg {
		base := 10
		if f.Kind == ReplaceSW {
			base = 16
		}
		v, err := strconv.ParseUint(arg, base, 16)
		if err != nil {
			return Fault{}, fmt.Errorf("fault %q: argument %q: %v", s, arg, err)
		}
		f.Arg = int(v)
	} else if f.Kind == ReplaceSW {
		return Fault{}, fmt.Errorf("fault %q: sw needs a status word, e.g. sw=6A82", s)
	}
	trig, val, _ := strings.Cut(parts[2], "=")
	switch trig {
	case "always":
		f.Mode = Always
	case "nth", "every":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return Fault{}, fmt.Errorf("fault %q: %s needs a count >= 1", s, trig)
		}
		f.Mode, f.N = OnNth, n
		if trig == "every" {
			f.Mode = EveryNth
		}
	case "p":
		d, ok := strings.CutPrefix(val, "1/")
		n, err := strconv.Atoi(d)
		if !ok || err != nil || n < 1 {
			return Fault{}, fmt.Errorf("fault %q: p wants 1/N with N >= 1", s)
		}
		f.Mode, f.N = OneInN, n
	default:
		return Fault{}, fmt.Errorf("fault %q: trigger %q is not always, nth=N, every=N or p=1/N", s, trig)
	}
	return f, nil
}

// Injector decides, frame by frame, which faults fire. Its decisions depend
// only on its seed and the sequence of frames, so a faulty run replays
// exactly. It is safe for concurrent use.
type Injector struct {
	mu     sync.Mutex
	faults []Fault
	rng    *rand.Rand
	count  map[Interface]int
}

// NewInjector returns an injector of faults seeded with seed.
func NewInjector(seed uint64, faults ...Fault) *Injector {
	var s [32]byte
	binary.BigEndian.PutUint64(s[:], seed)
	copy(s[8:], "sscard link faults")
	return &Injector{faults: faults, rng: rand.New(rand.NewChaCha8(s)), count: map[Interface]int{}}
}

// Frame counts one frame the card is about to send on iface and returns the
// faults that fire on it, in the order given.
func (in *Injector) Frame(iface Interface) []Fault {
	if in == nil {
		return nil
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.count[iface]++
	n := in.count[iface]
	var out []Fault
	for _, f := range in.faults {
		if f.Scope != Any && f.Scope != iface {
			continue
		}
		fire := false
		switch f.Mode {
		case Always:
			fire = true
		case OnNth:
			fire = n == f.N
		case EveryNth:
			fire = n%f.N == 0
		case OneInN:
			fire = in.rng.IntN(f.N) == 0
		}
		if fire {
			out = append(out, f)
		}
	}
	return out
}

// Has reports whether fs holds a fault of kind k, and returns it.
func Has(fs []Fault, k FaultKind) (Fault, bool) {
	for _, f := range fs {
		if f.Kind == k {
			return f, true
		}
	}
	return Fault{}, false
}
