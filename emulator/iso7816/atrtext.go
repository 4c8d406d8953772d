package iso7816

import (
	"fmt"
	"strings"
)

// String describes the answer-to-reset over several lines, one per byte of
// the interface, in the manner of the ATR_analysis tool.
func (a *ATR) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "ATR: % X\n", a.Raw)
	conv := "direct convention"
	if a.TS == TSInverse {
		conv = "inverse convention"
	}
	fmt.Fprintf(&sb, "+ TS = %02X: %s\n", a.TS, conv)
	fmt.Fprintf(&sb, "+ T0 = %02X: Y1 = %04b, K = %d historical bytes\n", a.T0, a.T0>>4, a.T0&0x0F)
	proto := -1 // protocol the current group is specific to; -1 for global
	for i := range a.Interface {
		g := a.Interface[i]
		for _, f := range []struct {
			name string
			v    *byte
		}{{"TA", g.TA}, {"TB", g.TB}, {"TC", g.TC}, {"TD", g.TD}} {
			if f.v != nil {
				fmt.Fprintf(&sb, "  %s%d = %02X: %s\n", f.name, i+1, *f.v, a.describe(f.name, i+1, proto, f.v))
			}
		}
		if g.TD != nil && i >= 1 {
			proto = int(*g.TD & 0x0F)
		}
	}
	fmt.Fprintf(&sb, "+ Historical bytes (%d): % X\n", len(a.Historical), a.Historical)
	if a.TCK != nil {
		fmt.Fprintf(&sb, "+ TCK = %02X\n", *a.TCK)
	}
	ps := make([]string, len(a.Protocols))
	for i, p := range a.Protocols {
		ps[i] = fmt.Sprintf("T=%d", p)
	}
	fmt.Fprintf(&sb, "+ Protocols: %s\n", strings.Join(ps, ", "))
	fmt.Fprintf(&sb, "+ Fi = %d, Di = %d, f max = %s MHz", a.Fi, a.Di, mhz(a.FMaxKHz))
	return sb.String()
}

// describe explains the interface byte name (TA, TB, TC or TD) of group i,
// specific to protocol proto (-1 for global bytes).
func (a *ATR) describe(name string, i, proto int, v *byte) string {
	b := *v
	switch {
	case name == "TD":
		return fmt.Sprintf("Y%d = %04b, T=%d", i+1, b>>4, b&0x0F)
	case i == 1:
		return describeGroup1(name, b)
	case i == 2:
		return describeGroup2(name, b)
	case proto == 1:
		return a.describeT1(name, v)
	case proto == 15:
		return describeT15(name, b)
	}
	return fmt.Sprintf("specific to T=%d", proto)
}

func describeGroup1(name string, b byte) string {
	switch name {
	case "TA":
		fi, di := fiTable[b>>4], diTable[b&0x0F]
		if fi == 0 || di == 0 {
			return "Fi/Di reserved"
		}
		return fmt.Sprintf("Fi = %d, Di = %d, f max = %s MHz", fi, di, mhz(fMaxTable[b>>4]))
	case "TB":
		return "VPP (deprecated)"
	default:
		if b == 0xFF {
			return "extra guard time N = 255 (minimum guard time)"
		}
		return fmt.Sprintf("extra guard time N = %d", b)
	}
}

func describeGroup2(name string, b byte) string {
	switch name {
	case "TA":
		change, params := "possible", "from TA1"
		if b&0x80 != 0 {
			change = "impossible"
		}
		if b&0x10 != 0 {
			params = "implicit"
		}
		return fmt.Sprintf("specific mode T=%d, change %s, parameters %s", b&0x0F, change, params)
	case "TB":
		return "VPP (deprecated)"
	default:
		return fmt.Sprintf("T=0 waiting time integer WI = %d", b)
	}
}

func (a *ATR) describeT1(name string, v *byte) string {
	first := a.Specific(1)
	b := *v
	switch {
	case name == "TA" && v == first.TA:
		return fmt.Sprintf("T=1 IFSC = %d", b)
	case name == "TB" && v == first.TB:
		return fmt.Sprintf("T=1 BWI = %d, CWI = %d", b>>4, b&0x0F)
	case name == "TC" && v == first.TC:
		if b&0x01 != 0 {
			return "T=1 error detection code CRC"
		}
		return "T=1 error detection code LRC"
	}
	return "specific to T=1"
}

func describeT15(name string, b byte) string {
	if name != "TA" {
		return "global"
	}
	stops := [4]string{"not supported", "state L", "state H", "no preference"}
	var classes []string
	for bit, c := range []string{"A (5 V)", "B (3 V)", "C (1.8 V)"} {
		if b&(1<<bit) != 0 {
			classes = append(classes, c)
		}
	}
	if len(classes) == 0 {
		classes = []string{"none"}
	}
	return fmt.Sprintf("clock stop %s, classes %s", stops[b>>6], strings.Join(classes, " "))
}

// mhz formats a frequency in kHz as MHz.
func mhz(khz int) string {
	if khz%1000 == 0 {
		return fmt.Sprint(khz / 1000)
	}
	return fmt.Sprintf("%.1f", float64(khz)/1000)
}
