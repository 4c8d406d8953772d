package ifd_test

import (
	"fmt"

	"github.com/sscard/sscard/conformance/ifd"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/contact"
	"github.com/sscard/sscard/emulator/link"
	"github.com/sscard/sscard/emulator/profile"
)

// The reference reader in front of an emulated T=1 card, through the
// contact link layer with a fault injected: the card's third frame (after
// the ATR and the S(IFS response)) comes with a wrong EDC, and the reader
// asks for it again with an R-block.
func Example() {
	p, err := profile.Parse([]byte(`{"schema":1,"name":"t1","extends":"activated","atr":{"protocols":[1]}}`), "")
	if err != nil {
		panic(err)
	}
	card, err := emulator.New(p, emulator.WithSeed(1))
	if err != nil {
		panic(err)
	}
	trace := &link.Trace{}
	faults := link.NewInjector(1, link.Fault{Kind: link.CorruptEDC, Scope: link.Contact, Mode: link.OnNth, N: 3})
	icc, err := contact.New(card, contact.Config{Trace: trace, Faults: faults})
	if err != nil {
		panic(err)
	}
	r := ifd.New(icc, ifd.Config{})
	if _, err := r.Activate(); err != nil {
		panic(err)
	}
	resp, err := r.Transmit([]byte{0x00, 0x20, 0x00, 0x00}) // VERIFY: PIN tries left
	fmt.Printf("response %X %v\n", resp, err)
	for _, f := range trace.Frames[4:] {
		line := fmt.Sprintf("%-9s %-12X %s", f.Dir, f.Data, f.Note)
		if f.Fault != "" {
			line += "  [fault: " + f.Fault + "]"
		}
		fmt.Println(line)
	}
	// Output:
	// response 6A88 <nil>
	// to card   0000040020000024 I(0)
	// from card 0000026A88E1 I(0)  [fault: contact:edc:nth=3]
	// to card   00810081     R(0) EDC error
	// from card 0000026A88E0 I(0)
}
