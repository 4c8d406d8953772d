package pay_test

import (
	"fmt"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
)

// A qUICS purchase of 12.34 on the activated persona: the card approves
// offline (CID 40), debits the electronic cash and tells the reader what
// is left.
func Example_qUICS() {
	card, err := emulator.Open("activated", emulator.WithSeed(1))
	if err != nil {
		panic(err)
	}
	send := func(hexAPDU string) []byte {
		r, err := card.Transmit(h(hexAPDU))
		if err != nil {
			panic(err)
		}
		return r[:len(r)-2]
	}
	send("00A404000E325041592E5359532E444446303100") // SELECT 2PAY.SYS.DDF01
	send("00A4040008A00000033301010100")             // SELECT the debit application
	r := send("80A800002483" + "22" +                // GPO, PDOL data:
		"26000000" + "000000001234" + "000000000000" + // TTQ, amount, amount other
		"0156" + "0000000000" + "0156" + "250601" + // country, TVR, currency, date
		"00" + "12345678" + "01" + "00") // type, unpredictable number, DF69 (SM); Le
	cid, _ := iso7816.Find(r, 0x77, 0x9F27)
	left, _ := iso7816.Find(r, 0x77, 0x9F5D)
	fmt.Printf("CID %X, balance left %X\n", cid, left)
	fmt.Printf("GET DATA 9F79: %X\n", send("80CA9F7900"))
	// Output:
	// CID 40, balance left 000000008766
	// GET DATA 9F79: 9F7906000000008766
}
