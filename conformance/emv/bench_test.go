package emv_test

import (
	"testing"

	"github.com/sscard/sscard/conformance/emv"
	"github.com/sscard/sscard/conformance/paysuite"
	"github.com/sscard/sscard/emulator"
)

// BenchmarkQUICSTransaction is a whole in-process qUICS transaction on the
// SM path against the model card: SELECT PPSE, SELECT AID, GPO (the card
// signs fDDA with SM2), the records, and the kernel's verification of the
// SM2 issuer and ICC certificates and of the fDDA signature.
func BenchmarkQUICSTransaction(b *testing.B) {
	keys, err := paysuite.CAKeys()
	if err != nil {
		b.Fatal(err)
	}
	cfg := emv.DefaultConfig()
	cfg.CAKeys = keys
	k := emv.New(cfg)
	newCard := func() *emulator.Card {
		c, err := emulator.Open("activated", emulator.WithSeed(1))
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	card := newCard()
	tx := emv.Transaction{Amount: 1, Contactless: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := k.Run(card, tx)
		if err != nil || r.Outcome != emv.ApprovedOffline || !r.SM || r.ODA != emv.FDDA {
			b.Fatalf("outcome %s, SM %v, ODA %s: %v", r.Outcome, r.SM, r.ODA, err)
		}
		if r.ECBalance < 100 {
			b.StopTimer()
			card = newCard()
			b.StartTimer()
		}
	}
}
