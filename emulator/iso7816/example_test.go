package iso7816_test

import (
	"errors"
	"fmt"

	"github.com/sscard/sscard/emulator/iso7816"
)

func ExampleParseCommand() {
	// READ RECORD 3 by identifier in SFI 5, Le=06 (CARD.md §2).
	c, err := iso7816.ParseCommand([]byte{0x00, 0xB2, 0x03, 0x28, 0x06})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("case %d, INS %02X, P1 %02X, P2 %02X, Ne %d\n", c.Case(), c.INS, c.P1, c.P2, c.Ne)
	// Output: case 2, INS B2, P1 03, P2 28, Ne 6
}

func ExampleCommand_Bytes() {
	sel := iso7816.Command{INS: 0xA4, P1: 0x04, Data: []byte("1PAY.SYS.DDF01"), Ne: 256}
	b, err := sel.Bytes()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% X\n", b)
	// Output: 00 A4 04 00 0E 31 50 41 59 2E 53 59 53 2E 44 44 46 30 31 00
}

func ExampleStatus() {
	r, _ := iso7816.ParseResponse([]byte{0x63, 0xC2})
	err := fmt.Errorf("verifying PIN: %w", r.Err())
	fmt.Println(err)
	if errors.Is(err, iso7816.SWVerifyFailed) {
		sw, _ := iso7816.StatusOf(err)
		n, _ := sw.Retries()
		fmt.Println("tries left:", n)
	}
	// Output:
	// verifying PIN: 63C2: verification failed, 2 tries left
	// tries left: 2
}

func ExampleFind() {
	// The FCI a real card returns for SELECT SSSE (CARD.md §2).
	fci := []byte{
		0x6F, 0x16, 0x84, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9,
		0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF, 0xA5, 0x03, 0x88, 0x01, 0x0B,
	}
	sfi, ok := iso7816.Find(fci, 0x6F, 0xA5, 0x88)
	fmt.Printf("%X %v\n", sfi, ok)
	// Output: 0B true
}

func ExampleBuilder() {
	var b iso7816.Builder
	b.AddConstructed(0x77, func(b *iso7816.Builder) {
		b.AddTLV(0x9F36, []byte{0x00, 0x01})
		b.AddTLV(0x9F26, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	})
	out, err := b.Bytes()
	fmt.Printf("% X %v\n", out, err)
	// Output: 77 10 9F 36 02 00 01 9F 26 08 01 02 03 04 05 06 07 08 <nil>
}

func ExampleBuildATR() {
	zero := byte(0)
	atr, err := iso7816.BuildATR(iso7816.ATRSpec{
		TB1: &zero, TC1: &zero,
		Historical: []byte{0x00, 0x81, 0x00, 0x88, 0x43, 0x86, 0x65, 0x33, 0x01, 0x01, 0x14, 0xF1, 0x99},
	})
	fmt.Printf("% X %v\n", atr, err)
	a, err := iso7816.ParseATR(atr)
	fmt.Println(a.Protocols, a.Fi, a.Di, err)
	// Output:
	// 3B 6D 00 00 00 81 00 88 43 86 65 33 01 01 14 F1 99 <nil>
	// [0] 372 1 <nil>
}
