package emulator_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator"
)

// ExampleOpen opens the persona of the real 1.00 card of CARD.md §2 and
// reads it as a T=0 terminal does: SELECT of the social security
// application by name (61 18: the FCI waits for GET RESPONSE), then READ
// RECORD of the card identifier (record identifier 01 in SFI 5).
func ExampleOpen() {
	card, err := emulator.Open("trace-1.00")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("ATR %X\n", card.ATR())
	for _, capdu := range []string{
		"00A404000F7378312E73682EC9E7BBE1B1A3D5CF", // SELECT SSSE
		"00C0000018", // GET RESPONSE
		"00B2012812", // READ RECORD 01, SFI 5
		"00B2032806", // READ RECORD 03 (spec version)
	} {
		cmd, _ := hex.DecodeString(capdu)
		resp, err := card.Transmit(cmd)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s -> %X\n", capdu, resp)
	}
	// Output:
	// ATR 3B6D00000081008843866533010114F199
	// 00A404000F7378312E73682EC9E7BBE1B1A3D5CF -> 6118
	// 00C0000018 -> 6F16840F7378312E73682EC9E7BBE1B1A3D5CFA50388010B9000
	// 00B2012812 -> 0110330100D1560000050114F199D286DF7E9000
	// 00B2032806 -> 0304312E30309000
}

// ExampleCard_TearAfter cuts the power in the middle of a wrong PIN: the
// terminal gets no answer, and at the next power-up the card has either
// kept its tries (the decrement never committed) or lost one, never a
// half-written state.
func ExampleCard_TearAfter() {
	card, err := emulator.Open("activated", emulator.WithSeed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	send := func(h string) string {
		cmd, _ := hex.DecodeString(h)
		resp, err := card.Transmit(cmd)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%X", resp)
	}
	send("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00") // SELECT SSSE
	card.TearAfter(2)                                  // after the decrement's commit marker
	resp, err := card.Transmit([]byte{0x00, 0x20, 0x00, 0x00, 0x03, 0x65, 0x43, 0x21})
	fmt.Println(resp == nil, errors.Is(err, emulator.ErrPowerLost))
	card.PowerOn()
	send("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00")
	fmt.Println("tries:", send("0020000000")) // empty VERIFY: 63Cx, x tries left
	// Output:
	// true true
	// tries: 63C2
}
