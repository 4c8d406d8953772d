package emv_test

import (
	"fmt"

	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/paysuite"
	"github.com/sscard/sscard/emulator"
)

// A qUICS payment of 12.34 yuan with the model card: the card approves
// offline from its electronic cash and the kernel verifies the SM2 fDDA
// signature before accepting.
func ExampleKernel_Run() {
	card, err := emulator.Open("activated", emulator.WithSeed(1))
	if err != nil {
		panic(err)
	}
	keys, err := paysuite.CAKeys()
	if err != nil {
		panic(err)
	}
	cfg := emv.DefaultConfig()
	cfg.CAKeys = keys
	r, err := emv.New(cfg).Run(card, emv.Transaction{Amount: 1234, Contactless: true})
	fmt.Println(r.Outcome, r.Cryptogram, r.ODA, "SM:", r.SM, "verified:", r.ODAOK, "error:", err)
	fmt.Printf("balance left: %d.%02d\n", r.ECBalance/100, r.ECBalance%100)
	// Output:
	// approved offline TC fDDA SM: true verified: true error: <nil>
	// balance left: 87.66
}
