package emv

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/sscard/sscard/emulator/iso7816"
)

// WriteTLV writes BER-TLV data decoded, one data object a line with its
// EMV name, constructed objects indented with their contents. Data that
// does not parse is written in hex after what did.
func WriteTLV(w io.Writer, data []byte, indent string) error {
	p := iso7816.NewParser(data)
	for !p.Empty() {
		var t Tag
		var v []byte
		if !p.ReadTLV(&t, &v) {
			_, err := fmt.Fprintf(w, "%s(not TLV) %X\n", indent, p.Rest())
			return err
		}
		name := TagName(t)
		if t.Constructed() {
			if _, err := fmt.Fprintf(w, "%s%s %s\n", indent, t, name); err != nil {
				return err
			}
			if err := WriteTLV(w, v, indent+"  "); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintf(w, "%s%s %s: %s\n", indent, t, name, valueText(t, v)); err != nil {
			return err
		}
	}
	return nil
}

// valueText shows a value in hex, with its text when it is printable
// (labels, names) and a reading of the data elements people look at.
func valueText(t Tag, v []byte) string {
	h := fmt.Sprintf("%X", v)
	switch {
	case len(v) == 0:
		return "(empty)"
	case (tagFormat(t) == fmtAN || t == TagDFName) && printable(v):
		return fmt.Sprintf("%s %q", h, string(v))
	case t == TagCID && len(v) == 1:
		return h + " (" + Cryptogram(v[0]&0xC0).String() + ")"
	case t == TagTVR && len(v) == 5:
		var tv TVR
		copy(tv[:], v)
		return h + " (" + describeBits(tv.Bits()) + ")"
	case (t == TagAmount || t == TagAmountOther || t == TagOfflineAmount || t == TagECBalance ||
		t == TagECBalanceLimit || t == TagECSingleLimit || t == TagECResetThresh) && len(v) == 6:
		if n, ok := decodeBCD(v); ok {
			return fmt.Sprintf("%s (%d.%02d)", h, n/100, n%100)
		}
	case t == TagPAN:
		return h + " (" + cnDigits(v) + ")"
	}
	return h
}

func printable(b []byte) bool {
	for _, c := range b {
		if c > unicode.MaxASCII || !unicode.IsPrint(rune(c)) {
			return false
		}
	}
	return true
}

// WriteText writes the outcome of a transaction for people: outcome and
// reason, application, cryptogram, offline data authentication, TVR and
// TSI bit by bit, CVM results, electronic cash, the online step.
func (r *Result) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "outcome:     %s\n", r.Outcome)
	if r.Err != nil {
		fmt.Fprintf(&sb, "reason:      %v\n", r.Err)
	}
	iface := "contact"
	if r.Contactless {
		iface = "contactless (qUICS)"
	}
	fmt.Fprintf(&sb, "interface:   %s\n", iface)
	if r.AID != nil {
		fmt.Fprintf(&sb, "application: %X %s\n", r.AID, r.Label)
	}
	if r.AC != nil {
		fmt.Fprintf(&sb, "cryptogram:  %s %X\n", r.Cryptogram, r.AC)
	}
	if r.ODA != ODANone {
		path := "DES/RSA"
		if r.SM {
			path = "SM (SM2)"
		}
		verdict := "failed"
		if r.ODAOK {
			verdict = "verified"
		}
		fmt.Fprintf(&sb, "ODA:         %s on the %s path, %s\n", r.ODA, path, verdict)
	}
	fmt.Fprintf(&sb, "TVR:         %s (%s)\n", r.TVR, describeBits(r.TVR.Bits()))
	fmt.Fprintf(&sb, "TSI:         %s (%s)\n", r.TSI, describeBits(r.TSI.Bits()))
	fmt.Fprintf(&sb, "CVM results: %X\n", r.CVMResults[:])
	if r.PINTriesLeft >= 0 {
		fmt.Fprintf(&sb, "PIN tries:   %d left\n", r.PINTriesLeft)
	}
	if r.ECBalance >= 0 {
		fmt.Fprintf(&sb, "e-cash:      %d.%02d\n", r.ECBalance/100, r.ECBalance%100)
	}
	if o := r.Online; o != nil && o.Response != nil {
		fmt.Fprintf(&sb, "issuer:      ARC %q, issuer authentication data %X\n", o.Response.ARC[:], o.Response.IssuerAuthData)
		if o.IssuerAuth != nil {
			fmt.Fprintf(&sb, "issuer auth: accepted by the card: %v\n", *o.IssuerAuth)
		}
		for _, s := range o.Scripts {
			fmt.Fprintf(&sb, "script:      %s ID %X, %d commands, failed %v, last SW %04X\n", s.Template, s.ID, s.Commands, s.Failed, s.SW)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// WriteLog writes the exchanges of a transaction, each response's data
// decoded.
func (r *Result) WriteLog(w io.Writer) error {
	for _, e := range r.Log {
		if _, err := fmt.Fprintf(w, "%s\n  > %X\n", e.Step, e.Command); err != nil {
			return err
		}
		if e.Err != nil {
			if _, err := fmt.Fprintf(w, "  ! %v\n", e.Err); err != nil {
				return err
			}
			continue
		}
		resp, err := iso7816.ParseResponse(e.Response)
		if err != nil {
			continue
		}
		if _, err := fmt.Fprintf(w, "  < %04X %s\n", uint16(resp.SW), resp.SW.Meaning()); err != nil {
			return err
		}
		if err := WriteTLV(w, resp.Data, "    "); err != nil {
			return err
		}
	}
	return nil
}
