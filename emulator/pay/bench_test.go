package pay_test

import (
	"testing"

	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/profile"
)

// BenchmarkQUICS is the card side of a qUICS transaction: SELECT PPSE,
// SELECT the application, GPO (offline approval with fDDA and the e-cash
// debit committed to NVM), and READ RECORD of every record the AFL names.
func BenchmarkQUICS(b *testing.B) {
	for _, path := range []struct {
		name string
		sm   byte
	}{{"DES-RSA", 0}, {"SM", 1}} {
		b.Run(path.name, func(b *testing.B) {
			p, err := profile.Parse([]byte(`{"schema":1,"name":"bench","extends":"activated",
				"pay":{"ecash":{"balance":999999999999,"balanceLimit":999999999999,"singleLimit":999999999999}}}`), "")
			if err != nil {
				b.Fatal(err)
			}
			x := quicsTxn(1)
			x.sm = path.sm
			gpo := gpoAPDU(x.pdolData())
			ppse, aid := selectAID([]byte("2PAY.SYS.DDF01")), selectAID(debitAID)
			var card *emulator.Card
			var reads [][]byte
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for i := range b.N {
				if i%60000 == 0 { // a fresh card before the ATC runs out
					b.StopTimer()
					if card, err = emulator.New(p, emulator.WithSeed(1)); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				buf, _ = card.TransmitAppend(buf[:0], ppse)
				buf, _ = card.TransmitAppend(buf[:0], aid)
				buf, _ = card.TransmitAppend(buf[:0], gpo)
				if len(buf) < 2 || buf[len(buf)-2] != 0x90 {
					b.Fatalf("GPO: %X", buf)
				}
				if reads == nil {
					afl, _ := iso7816.Find(buf[:len(buf)-2], 0x77, 0x94)
					for j := 0; j+4 <= len(afl); j += 4 {
						for r := afl[j+1]; r <= afl[j+2]; r++ {
							reads = append(reads, apdu(0, 0xB2, r, afl[j]|4, nil, true))
						}
					}
				}
				for _, rr := range reads {
					buf, _ = card.TransmitAppend(buf[:0], rr)
				}
			}
		})
	}
}
