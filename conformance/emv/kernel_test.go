package emv

import (
	"errors"
	"strings"
	"testing"
)

// TestTransactionsOnSimCard runs whole transactions through both kernels
// against the test card, one knob at a time.
func TestTransactionsOnSimCard(t *testing.T) {
	type want struct {
		outcome Outcome
		err     error // errors.Is target; nil: no error
		oda     ODAMethod
		odaOK   bool
		sm      bool
		tvr     []TVRBit
		tsi     []TSIBit
	}
	tests := []struct {
		name  string
		card  func(c *simCard)
		cfg   func(c *Config)
		tx    Transaction
		want  want
		check func(t *testing.T, c *simCard, r *Result, is *Issuer)
	}{
		{name: "qUICS SM offline approval with fDDA",
			tx:   Transaction{Amount: 1234, Contactless: true},
			want: want{outcome: ApprovedOffline, oda: FDDA, odaOK: true, sm: true, tsi: []TSIBit{TSIODA}},
			check: func(t *testing.T, c *simCard, r *Result, _ *Issuer) {
				if c.balance != 50000-1234 || r.ECBalance != int64(c.balance) {
					t.Errorf("balance %d, result says %d", c.balance, r.ECBalance)
				}
				if r.Cryptogram != TC {
					t.Errorf("cryptogram %s", r.Cryptogram)
				}
			}},
		{name: "qUICS RSA offline approval on a DES/RSA card",
			card: func(c *simCard) { c.rsaOnly = true },
			tx:   Transaction{Amount: 100, Contactless: true},
			want: want{outcome: ApprovedOffline, oda: FDDA, odaOK: true}},
		{name: "qUICS RSA path from a terminal without SM",
			cfg:  func(c *Config) { c.SM = false },
			tx:   Transaction{Amount: 100, Contactless: true},
			want: want{outcome: ApprovedOffline, oda: FDDA, odaOK: true}},
		{name: "qUICS balance too low goes online and the issuer approves",
			tx:   Transaction{Amount: 60000, Contactless: true},
			want: want{outcome: ApprovedOnline},
			check: func(t *testing.T, _ *simCard, r *Result, is *Issuer) {
				ch := is.Checks()
				if len(ch) != 1 || !ch[0].OK || ch[0].Alg != AlgSM4 {
					t.Errorf("issuer checks %+v", ch)
				}
				if r.Cryptogram != ARQC {
					t.Errorf("cryptogram %s", r.Cryptogram)
				}
			}},
		{name: "qUICS online without a host is an online request",
			cfg:  func(c *Config) { c.Host = nil },
			tx:   Transaction{Amount: 60000, Contactless: true},
			want: want{outcome: OnlineRequest}},
		{name: "qUICS wrong cryptogram is declined by the issuer",
			card: func(c *simCard) { c.badAC = true },
			tx:   Transaction{Amount: 60000, Contactless: true},
			want: want{outcome: DeclinedOnline, err: ErrDeclined},
			check: func(t *testing.T, _ *simCard, _ *Result, is *Issuer) {
				if ch := is.Checks(); len(ch) != 1 || ch[0].OK || !errors.Is(ch[0].Err, ErrCryptogram) {
					t.Errorf("issuer checks %+v", ch)
				}
			}},
		{name: "qUICS corrupt fDDA signature is caught",
			card: func(c *simCard) { c.badFDDA = true },
			tx:   Transaction{Amount: 100, Contactless: true},
			want: want{outcome: DeclinedOffline, err: ErrODAFailed, oda: FDDA, sm: true, tvr: []TVRBit{TVRDDAFailed}}},
		{name: "qUICS blocked application declines",
			card: func(c *simCard) { c.appBlocked = true },
			tx:   Transaction{Amount: 100, Contactless: true},
			want: want{outcome: DeclinedOffline, err: ErrDeclined}},
		{name: "blocked card declines",
			card: func(c *simCard) { c.cardBlock = true },
			tx:   Transaction{Amount: 100, Contactless: true},
			want: want{outcome: DeclinedOffline, err: ErrCardBlocked}},
		{name: "contact e-cash offline approval with CDA",
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, oda: CDA, odaOK: true, sm: true, tsi: []TSIBit{TSIODA, TSICVM, TSICardRisk, TSITerminalRisk}},
			check: func(t *testing.T, c *simCard, r *Result, _ *Issuer) {
				if !r.ECash || r.ECBalance != 50000 || c.balance != 49000 {
					t.Errorf("e-cash %v balance before %d, card now %d", r.ECash, r.ECBalance, c.balance)
				}
			}},
		{name: "contact RSA CDA",
			card: func(c *simCard) { c.rsaOnly = true },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, oda: CDA, odaOK: true}},
		{name: "contact DDA when the terminal has no CDA",
			cfg:  func(c *Config) { c.Capabilities[2] &^= capCDA },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, oda: DDA, odaOK: true, sm: true}},
		{name: "contact SDA only",
			cfg:  func(c *Config) { c.Capabilities[2] = capSDA },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, oda: SDA, odaOK: true, sm: true, tvr: []TVRBit{TVRSDASelected}}},
		{name: "contact balance too low goes online with issuer authentication",
			tx:   Transaction{Amount: 90000},
			want: want{outcome: ApprovedOnline, oda: CDA, odaOK: true, sm: true, tvr: []TVRBit{TVRFloorLimitExceeded}, tsi: []TSIBit{TSIIssuerAuth}},
			check: func(t *testing.T, _ *simCard, r *Result, is *Issuer) {
				if r.Online == nil || r.Online.IssuerAuth == nil || !*r.Online.IssuerAuth {
					t.Errorf("issuer authentication not accepted: %+v", r.Online)
				}
				if ch := is.Checks(); len(ch) != 1 || !ch[0].OK {
					t.Errorf("issuer checks %+v", ch)
				}
			}},
		{name: "contact DES path online without CDA, format 2",
			card: func(c *simCard) { c.rsaOnly, c.format2 = true, true },
			cfg:  func(c *Config) { c.Capabilities[2] = capDDA },
			tx:   Transaction{Amount: 90000},
			want: want{outcome: ApprovedOnline, oda: DDA, odaOK: true},
			check: func(t *testing.T, _ *simCard, _ *Result, is *Issuer) {
				if ch := is.Checks(); len(ch) != 1 || !ch[0].OK || ch[0].Alg != AlgDES {
					t.Errorf("issuer checks %+v", ch)
				}
			}},
		{name: "contact issuer script blocks the application",
			tx:   Transaction{Amount: 90000},
			want: want{outcome: ApprovedOnline, oda: CDA, odaOK: true, sm: true, tsi: []TSIBit{TSIScriptProcess}},
			check: func(t *testing.T, c *simCard, r *Result, _ *Issuer) {
				if string(c.scriptRun) != "\x1E" || !c.appBlocked {
					t.Errorf("scripts run %X, blocked %v", c.scriptRun, c.appBlocked)
				}
				if len(r.Online.Scripts) != 1 || r.Online.Scripts[0].Failed {
					t.Errorf("script results %+v", r.Online.Scripts)
				}
			}},
		{name: "contact wrong cryptogram declined online",
			card: func(c *simCard) { c.badAC = true },
			tx:   Transaction{Amount: 90000},
			want: want{outcome: DeclinedOnline, err: ErrDeclined}},
		{name: "contact right offline PIN",
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline},
			check: func(t *testing.T, c *simCard, r *Result, _ *Issuer) {
				if r.CVMResults != [3]byte{0x41, 0x03, 0x02} || c.tries != 3 {
					t.Errorf("CVM results %X, card tries %d", r.CVMResults, c.tries)
				}
			}},
		{name: "contact wrong offline PIN is counted and falls back to signature",
			cfg: func(c *Config) {
				n := 0
				c.PIN = func(tries int) (string, bool) {
					n++
					if n > 1 || tries != 3 {
						return "", false
					}
					return "9999", true
				}
			},
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline},
			check: func(t *testing.T, c *simCard, r *Result, _ *Issuer) {
				if c.tries != 2 || r.PINTriesLeft != 2 {
					t.Errorf("card tries %d, result says %d", c.tries, r.PINTriesLeft)
				}
				if r.CVMResults != [3]byte{0x1E, 0x03, 0x00} || !r.TVR.Has(TVRPINNotEntered) {
					t.Errorf("CVM results %X TVR %s", r.CVMResults, describeBits(r.TVR.Bits()))
				}
			}},
		{name: "contact PIN tries exhausted",
			card: func(c *simCard) { c.tries = 0 },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, tvr: []TVRBit{TVRPINTryLimitExceeded}}},
		{name: "contact without PSE selects from the list of AIDs",
			card: func(c *simCard) { c.noPSE = true },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: ApprovedOffline, oda: CDA, odaOK: true, sm: true}},
		{name: "contact application answering 6283 is blocked",
			card: func(c *simCard) { c.sw6283 = true },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: DeclinedOffline, err: ErrAppBlocked}},
		{name: "contact blocked application returns AAC",
			card: func(c *simCard) { c.appBlocked = true },
			tx:   Transaction{Amount: 1000},
			want: want{outcome: DeclinedOffline, err: ErrDeclined, oda: CDA, sm: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := newSimCard(t)
			card.aip = [2]byte{0x7D, 0x00}
			if tc.card != nil {
				tc.card(card)
			}
			cfg, is := simConfig(t)
			cfg.PIN = func(int) (string, bool) { return "1234", true }
			if tc.name == "contact issuer script blocks the application" {
				is.Scripts = func(*AuthRequest) []Script {
					return []Script{{Template: TagScript72, ID: []byte{1, 2, 3, 4}, Commands: []ScriptCommand{{CLA: 0x84, INS: 0x1E}}}}
				}
			}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r, err := New(cfg).Run(card, tc.tx)
			w := tc.want
			if r.Outcome != w.outcome {
				t.Fatalf("outcome %s (%v), want %s; TVR %s: %s\n%s", r.Outcome, err, w.outcome, r.TVR, describeBits(r.TVR.Bits()), logText(r))
			}
			switch {
			case w.err == nil && err != nil:
				t.Errorf("error %v", err)
			case w.err != nil && !errors.Is(err, w.err):
				t.Errorf("error %v, want %v", err, w.err)
			}
			if r.Err != err {
				t.Errorf("result error %v, returned %v", r.Err, err)
			}
			if w.oda != "" && (r.ODA != w.oda || r.ODAOK != w.odaOK) {
				t.Errorf("ODA %q ok %v, want %q ok %v (TVR %s)", r.ODA, r.ODAOK, w.oda, w.odaOK, describeBits(r.TVR.Bits()))
			}
			if w.oda != "" && r.SM != w.sm {
				t.Errorf("SM path %v, want %v", r.SM, w.sm)
			}
			for _, b := range w.tvr {
				if !r.TVR.Has(b) {
					t.Errorf("TVR %s lacks %q (has %s)", r.TVR, b, describeBits(r.TVR.Bits()))
				}
			}
			for _, b := range w.tsi {
				if !r.TSI.Has(b) {
					t.Errorf("TSI %s lacks bit %02X", r.TSI, byte(b))
				}
			}
			if tc.check != nil {
				tc.check(t, card, r, is)
			}
		})
	}
}

func logText(r *Result) string {
	var sb strings.Builder
	for _, e := range r.Log {
		sb.WriteString(e.Step)
		sb.WriteString(": ")
		sb.WriteString(strings.ToUpper(hexString(e.Command)))
		sb.WriteString(" -> ")
		sb.WriteString(strings.ToUpper(hexString(e.Response)))
		sb.WriteString("\n")
	}
	return sb.String()
}
