package main

import (
	"bytes"
	"fmt"
	"hash/fnv"

	"github.com/sscard/sscard/conformance/pcd"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contactless"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/nvm"
)

// "sscard script --interface contactless" runs the script over the air:
// the card's contactless door (emulator/contactless) in an RF field with
// the reference PCD (conformance/pcd), seen as a PC/SC reader shows a
// contactless card — a pseudo-ATR for "reset", and the reader's own
// FF CA GET DATA. --pcapng FILE writes the frames for Wireshark.
func init() {
	linkRunners["contactless"] = openContactless
	traceOutputs = append(traceOutputs, traceOutput{
		flag:  "pcapng",
		usage: "with --interface contactless: write the frames to `FILE` as pcapng (link type ISO 14443, for Wireshark and tshark)",
		write: writePcapng,
	})
	traceDecoders = append(traceDecoders, decodePcapng)
}

// decodePcapng reads a pcapng file of ISO 14443 frames for "sscard
// trace" (ours, or another tool's), naming the frames it can.
func decodePcapng(data []byte) (*link.Trace, bool, error) {
	if !link.IsPcapng(data) {
		return nil, false, nil
	}
	t, err := link.ReadPcapng(data)
	if err != nil {
		return nil, true, err
	}
	for i := range t.Frames {
		f := &t.Frames[i]
		if len(f.Data) == 0 || f.Note != "" {
			continue
		}
		toCard := f.Dir == link.ToCard
		if toCard && len(f.Data) == 1 && (f.Data[0] == contactless.REQA || f.Data[0] == contactless.WUPA) {
			f.Bits = 7
		}
		typ := contactless.TypeA
		if _, ok := contactless.CheckCRC(contactless.TypeA, f.Data); !ok {
			if _, ok := contactless.CheckCRC(contactless.TypeB, f.Data); ok {
				typ = contactless.TypeB
			}
		}
		f.Note = contactless.Describe(typ, f.Data, f.Bits%8, toCard)
	}
	return t, true, nil
}

// contactlessSession is the card behind the reference PCD.
type contactlessSession struct {
	slot  *pcd.Slot
	field *contactless.Field
}

// openContactless puts the card's contactless door in a field, the
// reference PCD activates it. The door's random UID (or PUPI) follows a
// sequence seeded from the card's profile, so that the same script gives
// the same trace.
func openContactless(c *emulator.Card, opt linkOptions) (linkSession, error) {
	h := fnv.New64a()
	h.Write(c.Profile().JSON())
	picc, err := contactless.New(c, contactless.WithSeed(h.Sum64()), contactless.WithFaults(opt.Faults))
	if err != nil {
		return nil, err
	}
	field := contactless.NewField(contactless.WithTrace(opt.Trace))
	field.Add(picc)
	slot, err := pcd.Connect(pcd.New(pcd.Options{}), field)
	if err != nil {
		field.SetField(false)
		return nil, err
	}
	return &contactlessSession{slot: slot, field: field}, nil
}

func (s *contactlessSession) Transmit(capdu []byte) ([]byte, error) { return s.slot.Transmit(capdu) }

// Reset resets the field and activates the card again; the answer is the
// pseudo-ATR (CARD.md §7).
func (s *contactlessSession) Reset() ([]byte, error) { return s.slot.Reconnect() }

// Close switches the field off, as a reader does when the card goes: the
// card powers down. (The session ends without S(DESELECT): Wireshark up to
// 4.x reads an INF byte into every S-block and calls S(DESELECT)
// malformed; the reference PCD's Disconnect does send it.)
func (s *contactlessSession) Close() error {
	s.field.SetField(false)
	return nil
}

// writePcapng writes the trace's contactless frames to path, atomically.
func writePcapng(path string, t *link.Trace) error {
	n := 0
	for _, f := range t.Frames {
		if f.Interface == link.Contactless && len(f.Data) > 0 {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("writing %s: the trace has no contactless frames (pcapng needs --interface contactless)", path)
	}
	var b bytes.Buffer
	if err := t.WritePcapng(&b, link.PcapngOptions{}); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := nvm.WriteFileAtomic(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
