package cardcrypto_test

import (
	"fmt"

	"github.com/sscard/sscard/emulator/cardcrypto"
)

func ExampleEncodePINBCD() {
	even, _ := cardcrypto.EncodePINBCD("123456")
	odd, _ := cardcrypto.EncodePINBCD("12345")
	fmt.Printf("% X\n% X\n", even, odd)
	// Output:
	// 12 34 56
	// 12 34 5F
}

func ExamplePKIPINKey() {
	k := cardcrypto.PKIPINKey("123456")
	fmt.Printf("%X\n", k)
	// Output: 3DE741F445DD357BEA4E6C3FE6437036
}

func ExampleVerifyMAC() {
	key := []byte("0123456789abcdef")
	challenge := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	apdu := []byte{0x84, 0x24, 0x00, 0x01, 0x14}
	mac, err := cardcrypto.MAC(cardcrypto.AlgSM4, key, challenge, apdu)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(mac), cardcrypto.VerifyMAC(cardcrypto.AlgSM4, key, challenge, apdu, mac))
	// Output: 4 true
}
