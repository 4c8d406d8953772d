package paycrypto_test

import (
	"encoding/asn1"
	"math/big"
	"testing"
)

func derSig(t testing.TB, rs []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
