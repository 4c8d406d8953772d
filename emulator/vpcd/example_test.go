package vpcd_test

import (
	"context"
	"fmt"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/vpcd"
	"github.com/sscard/sscard/emulator/vpcd/vpcdtest"
)

// A card in slot 0, connected to a stand-in for vpcd; with pcscd running,
// Dial to "127.0.0.1:35963" instead and the card is in "Virtual PCD 00 00".
func ExampleSlot() {
	card, err := emulator.Open("activated", emulator.WithSeed(1))
	if err != nil {
		panic(err)
	}
	reader, err := vpcdtest.Listen("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer reader.Close()

	ctx, cancel := context.WithCancel(context.Background())
	slot := vpcd.NewSlot(card, vpcd.Options{})
	done := make(chan error)
	go func() { done <- slot.Dial(ctx, reader.Addr()) }()

	conn, err := reader.Accept(ctx)
	if err != nil {
		panic(err)
	}
	conn.PowerOn()
	atr, _ := conn.ATR()
	fmt.Printf("ATR % X\n", atr)
	conn.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68, 0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF})
	r, _ := conn.Transmit([]byte{0x00, 0xB2, 0x03, 0x28, 0x06}) // EF05 specification version
	fmt.Printf("% X\n", r)
	fmt.Println(slot.Status().APDUs, "APDUs")

	slot.Remove() // pcscd would see the card taken out
	cancel()
	fmt.Println(<-done)
	// Output:
	// ATR 3B 6D 00 00 00 8C 54 4C B3 86 84 41 16 01 85 93 CA
	// 03 04 33 2E 30 30 90 00
	// 2 APDUs
	// context canceled
}
