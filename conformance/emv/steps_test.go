package emv

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// stepTxn is a transaction state with a database, for the unit tests of
// single steps.
func stepTxn(tx Transaction, objs map[Tag][]byte) *txn {
	cfg := DefaultConfig()
	cfg.Now = fixedNow
	x := &txn{k: New(cfg), cfg: &cfg, tx: tx, res: &Result{PINTriesLeft: -1, ECBalance: -1}}
	x.un = [4]byte{1, 2, 3, 4}
	if err := x.initDB(); err != nil {
		panic(err)
	}
	for t, v := range objs {
		x.db.put(t, v, FromCard)
	}
	return x
}

func TestProcessingRestrictions(t *testing.T) {
	tests := []struct {
		name string
		tx   Transaction
		objs map[Tag][]byte
		want []TVRBit
	}{
		{"all fine", Transaction{}, map[Tag][]byte{TagAppVersion: {0x00, 0x30}, TagAUC: {0xFF, 0x00}, TagIssuerCountry: {0x01, 0x56},
			TagEffective: mustHex("200101"), TagExpiry: mustHex("301231")}, nil},
		{"other version", Transaction{}, map[Tag][]byte{TagAppVersion: {0x00, 0x20}}, []TVRBit{TVRVersionsDiffer}},
		{"expired yesterday", Transaction{}, map[Tag][]byte{TagExpiry: mustHex("261121")}, []TVRBit{TVRExpired}},
		{"expires today", Transaction{}, map[Tag][]byte{TagExpiry: mustHex("261122")}, nil},
		{"malformed expiry", Transaction{}, map[Tag][]byte{TagExpiry: mustHex("26AA22")}, []TVRBit{TVRExpired}},
		{"effective tomorrow", Transaction{}, map[Tag][]byte{TagEffective: mustHex("261123")}, []TVRBit{TVRNotYetEffective}},
		{"domestic goods not allowed", Transaction{}, map[Tag][]byte{TagAUC: {0xDF, 0x00}, TagIssuerCountry: {0x01, 0x56}}, nil},
		{"neither goods nor services at home", Transaction{}, map[Tag][]byte{TagAUC: {0xD7, 0x00}, TagIssuerCountry: {0x01, 0x56}}, []TVRBit{TVRServiceNotAllowed}},
		{"international card, domestic only", Transaction{}, map[Tag][]byte{TagAUC: {0xA9, 0x00}, TagIssuerCountry: {0x08, 0x40}}, []TVRBit{TVRServiceNotAllowed}},
		{"cash not allowed", Transaction{Type: TxCash}, map[Tag][]byte{TagAUC: {0x3F, 0x00}, TagIssuerCountry: {0x01, 0x56}}, []TVRBit{TVRServiceNotAllowed}},
		{"ATM only", Transaction{}, map[Tag][]byte{TagAUC: {0xFE, 0x00}}, []TVRBit{TVRServiceNotAllowed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := stepTxn(tc.tx, tc.objs)
			x.restrictions()
			var want TVR
			for _, b := range tc.want {
				want.Set(b)
			}
			if x.res.TVR != want {
				t.Errorf("TVR %s (%s), want %s", x.res.TVR, describeBits(x.res.TVR.Bits()), want)
			}
		})
	}
}

func TestCVMConditionsAndMethods(t *testing.T) {
	list := func(rules string) map[Tag][]byte {
		return map[Tag][]byte{TagCVMList: mustHex("000003E8" + "00001388" + rules), TagAppCurrency: {0x01, 0x56}}
	}
	tests := []struct {
		name   string
		tx     Transaction
		objs   map[Tag][]byte
		pin    PINEntry
		host   bool
		want   [3]byte
		tvr    []TVRBit
		noList bool
	}{
		{name: "no CVM required always", objs: list("1F00"), want: [3]byte{0x1F, 0x00, 0x02}},
		{name: "signature if supported", objs: list("1E03"), want: [3]byte{0x1E, 0x03, 0x00}},
		{name: "under X gets signature, over X does not apply", tx: Transaction{Amount: 999}, objs: list("1E061F00"), want: [3]byte{0x1E, 0x06, 0x00}},
		{name: "over X", tx: Transaction{Amount: 1001}, objs: list("1E061F07"), want: [3]byte{0x1F, 0x07, 0x02}},
		{name: "under Y", tx: Transaction{Amount: 4999}, objs: list("1E08"), want: [3]byte{0x1E, 0x08, 0x00}},
		{name: "over Y", tx: Transaction{Amount: 5001}, objs: list("1E08" + "1F09"), want: [3]byte{0x1F, 0x09, 0x02}},
		{name: "cashback rule on a purchase does not apply", objs: list("1E05"), want: [3]byte{0x3F, 0x00, 0x01}, tvr: []TVRBit{TVRCVMFailed}},
		{name: "purchase rule", objs: list("1E02"), want: [3]byte{0x1E, 0x02, 0x00}},
		{name: "unattended cash never here", objs: list("1E01" + "1E04"), want: [3]byte{0x3F, 0x00, 0x01}, tvr: []TVRBit{TVRCVMFailed}},
		{name: "fail CVM", objs: list("0000"), want: [3]byte{0x00, 0x00, 0x01}, tvr: []TVRBit{TVRCVMFailed}},
		{name: "unrecognised method, next applies", objs: list("5500" + "1F00"), want: [3]byte{0x1F, 0x00, 0x02}, tvr: []TVRBit{TVRUnrecognisedCVM}},
		{name: "online PIN needs a host", objs: list("4203" + "1E03"), want: [3]byte{0x1E, 0x03, 0x00}},
		{name: "online PIN with a host", objs: list("4203"), host: true, want: [3]byte{0x42, 0x03, 0x00}, tvr: []TVRBit{TVROnlinePINEntered}},
		{name: "enciphered offline PIN not offered", objs: list("4400" + "1F00"), want: [3]byte{0x1F, 0x00, 0x02}},
		{name: "offline PIN without a PIN pad", objs: list("0100"), want: [3]byte{0x01, 0x00, 0x01}, tvr: []TVRBit{TVRCVMFailed, TVRPINPadMissing}},
		{name: "no CVM list", objs: map[Tag][]byte{}, want: [3]byte{0x3F, 0x00, 0x00}, tvr: []TVRBit{TVRICCDataMissing}},
		{name: "CVM list of odd length", objs: map[Tag][]byte{TagCVMList: mustHex("000000000000000001")}, want: [3]byte{0x3F, 0x00, 0x00}, tvr: []TVRBit{TVRICCDataMissing}},
		{name: "other currency: amount rules do not apply", objs: map[Tag][]byte{TagCVMList: mustHex("0000000000000000" + "1E06" + "1F00"), TagAppCurrency: {0x08, 0x40}},
			want: [3]byte{0x1F, 0x00, 0x02}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := stepTxn(tc.tx, tc.objs)
			x.aip = [2]byte{aipCVM, 0}
			x.cfg.PIN = tc.pin
			if tc.host {
				x.cfg.Host = &Issuer{}
			}
			if err := x.cardholderVerification(); err != nil {
				t.Fatal(err)
			}
			if x.res.CVMResults != tc.want {
				t.Errorf("CVM results %X, want %X", x.res.CVMResults, tc.want)
			}
			for _, b := range tc.tvr {
				if !x.res.TVR.Has(b) {
					t.Errorf("TVR lacks %q: %s", b, describeBits(x.res.TVR.Bits()))
				}
			}
			if !x.res.TSI.Has(TSICVM) {
				t.Error("TSI lacks cardholder verification")
			}
		})
	}
	x := stepTxn(Transaction{}, list("1F00"))
	if err := x.cardholderVerification(); err != nil || x.res.CVMResults != [3]byte{0x3F, 0, 0} || x.res.TSI.Has(TSICVM) {
		t.Errorf("AIP without CVM: %X %v", x.res.CVMResults, x.res.TSI)
	}
}

func TestActionAnalysis(t *testing.T) {
	tests := []struct {
		name string
		tvr  TVR
		objs map[Tag][]byte
		host bool
		want Cryptogram
	}{
		{"clean TVR online capable", TVR{}, nil, true, TC},
		{"clean TVR offline", TVR{}, nil, false, TC},
		{"floor limit goes online", TVR{0, 0, 0, 0x80, 0}, nil, true, ARQC},
		{"no IAC-online: any bit goes online", TVR{0, 0, 0x08, 0, 0}, nil, true, ARQC},
		{"IAC-online zero, TAC silent: TC", TVR{0, 0, 0x08, 0, 0}, map[Tag][]byte{TagIACOnline: make([]byte, 5)}, true, TC},
		{"TAC denial: service not allowed", TVR{0, 0x10, 0, 0, 0}, nil, true, AAC},
		{"IAC denial", TVR{0, 0, 0x80, 0, 0}, map[Tag][]byte{TagIACDenial: {0, 0, 0x80, 0, 0}}, true, AAC},
		{"offline terminal, default codes decline", TVR{0, 0, 0, 0x80, 0}, nil, false, AAC},
		{"offline terminal, IAC default zero", TVR{0, 0, 0x08, 0, 0}, map[Tag][]byte{TagIACDefault: make([]byte, 5)}, false, TC},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := stepTxn(Transaction{}, tc.objs)
			if tc.host {
				x.cfg.Host = &Issuer{}
			}
			x.res.TVR = tc.tvr
			if got := x.actionAnalysis(); got != tc.want {
				t.Errorf("asked %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRiskManagement(t *testing.T) {
	x := stepTxn(Transaction{Amount: 100, ForceOnline: true}, map[Tag][]byte{TagPAN: mustHex(simPAN)})
	x.cfg.ExceptionFile = [][]byte{mustHex(simPAN)}
	x.cfg.FloorLimit = 1000
	x.aip = [2]byte{aipTermRisk, 0}
	x.t = newSimCard(t)
	if err := x.riskManagement(); err != nil {
		t.Fatal(err)
	}
	for _, b := range []TVRBit{TVRMerchantForced, TVRExceptionFile} {
		if !x.res.TVR.Has(b) {
			t.Errorf("TVR lacks %q", b)
		}
	}
	if x.res.TVR.Has(TVRFloorLimitExceeded) {
		t.Error("100 below a floor limit of 1000 exceeds it")
	}

	// Velocity checking against the sim card's counters (ATC 0, last
	// online 1: no offline transactions) and limits.
	x = stepTxn(Transaction{Amount: 100}, map[Tag][]byte{TagLCOL: {0}, TagUCOL: {0}})
	x.aip = [2]byte{aipTermRisk, 0}
	card := newSimCard(t)
	card.atc = 5
	x.t = card
	if err := x.riskManagement(); err != nil {
		t.Fatal(err)
	}
	for _, b := range []TVRBit{TVRFloorLimitExceeded, TVRLCOLExceeded, TVRUCOLExceeded} {
		if !x.res.TVR.Has(b) {
			t.Errorf("TVR lacks %q: %s", b, describeBits(x.res.TVR.Bits()))
		}
	}
	// A card that does not give its counters.
	x = stepTxn(Transaction{Amount: 100}, map[Tag][]byte{TagLCOL: {5}, TagUCOL: {9}})
	x.aip = [2]byte{aipTermRisk, 0}
	x.t = &tamper{card: newSimCard(t), match: isINS(0xCA), rewrite: answer("6A88")}
	if err := x.riskManagement(); err != nil {
		t.Fatal(err)
	}
	for _, b := range []TVRBit{TVRLCOLExceeded, TVRUCOLExceeded, TVRICCDataMissing} {
		if !x.res.TVR.Has(b) {
			t.Errorf("counters refused: TVR lacks %q", b)
		}
	}
}

func TestQCryptogramFromIAD(t *testing.T) {
	for iad, want := range map[string]Cryptogram{"0701010300000000": AAC, "0701010310000000": TC, "0701010320000000": ARQC} {
		x := stepTxn(Transaction{Contactless: true}, map[Tag][]byte{TagIAD: mustHex(iad)})
		if got, err := x.qCryptogram(); err != nil || got != want {
			t.Errorf("IAD %s: %s %v, want %s", iad, got, err, want)
		}
	}
	for _, iad := range []string{"0701010330000000", "07010104", "070101"} {
		x := stepTxn(Transaction{Contactless: true}, map[Tag][]byte{TagIAD: mustHex(iad)})
		if _, err := x.qCryptogram(); !errors.Is(err, ErrCardData) {
			t.Errorf("IAD %s: %v", iad, err)
		}
	}
}

// failingHost cannot be reached.
type failingHost struct{}

func (failingHost) Authorize(*AuthRequest) (*AuthResponse, error) {
	return nil, errors.New("network down")
}

func TestUnableToGoOnline(t *testing.T) {
	for _, tc := range []struct {
		name string
		iac  string
		want Outcome
	}{
		{"default codes decline", "", DeclinedOffline},
		{"issuer allows offline by default", "0000000000", ApprovedOffline},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := newSimCard(t)
			cfg, _ := simConfig(t)
			cfg.Host = failingHost{}
			cfg.TACDefault = TVR{}
			cfg.PIN = func(int) (string, bool) { return "1234", true }
			var k *Kernel = New(cfg)
			tr := &tamper{card: card, match: isRecord(2, 2), rewrite: func(r []byte) ([]byte, error) { return r, nil }}
			if tc.iac != "" {
				tr.rewrite = editTLV(func([]byte) []byte { return mustHex(tc.iac) }, TagRecord, TagIACDefault)
				// The IAC is signed static data: only SDA-less ODA keeps verifying.
				k.cfg.Capabilities[2] = 0
			}
			r, err := k.Run(tr, Transaction{Amount: 90000})
			if r.Outcome != tc.want {
				t.Fatalf("outcome %s (%v), want %s\n%s", r.Outcome, err, tc.want, logText(r))
			}
			arc := r.DB.Get(TagARC)
			if tc.want == ApprovedOffline && string(arc) != "Y3" || tc.want == DeclinedOffline && string(arc) != "Z3" {
				t.Errorf("ARC %q", arc)
			}
		})
	}
}

func TestWriteTextAndLog(t *testing.T) {
	card := newSimCard(t)
	cfg, _ := simConfig(t)
	cfg.PIN = func(int) (string, bool) { return "1234", true }
	is := cfg.Host.(*Issuer)
	is.Scripts = func(*AuthRequest) []Script {
		return []Script{{Template: TagScript71, ID: []byte{9, 9, 9, 9}, Commands: []ScriptCommand{{CLA: 0x84, INS: 0x18}}}}
	}
	r, err := New(cfg).Run(card, Transaction{Amount: 90000})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := r.WriteText(&sb); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteLog(&sb); err != nil {
		t.Fatal(err)
	}
	out := sb.String()
	for _, w := range []string{"outcome:     approved online", "CDA on the SM (SM2) path, verified", "TVR:         0000008000 (transaction exceeds floor limit)",
		`issuer:      ARC "00"`, "script:      71 ID 09090909, 1 commands, failed false", "PIN tries:   3 left",
		"9F27 Cryptogram Information Data: 80 (ARQC)", "5A Application PAN: 6212345678901234 (6212345678901234)",
		"84 DF Name: A000000333010101", "50 Application Label: 55494353204445424954 \"UICS DEBIT\"", "GENERATE AC 2"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	sb.Reset()
	if err := WriteTLV(&sb, mustHex("9F02060000000012349F3702"), ""); err != nil {
		t.Fatal(err)
	}
	if got := sb.String(); !strings.Contains(got, "(12.34)") || !strings.Contains(got, "(not TLV) 9F3702") {
		t.Errorf("WriteTLV:\n%s", got)
	}
	if s := r.Outcome.String() + r.Cryptogram.String() + Outcome(99).String() + Cryptogram(0xC0).String(); !strings.Contains(s, "outcome 99") {
		t.Error(s)
	}
	if TVRBit(4<<8|0x01).String() != "TVR byte 5 bit 01" || TVRNewCard.String() != "new card" {
		t.Error("TVR bit names")
	}
	if !bytes.Equal(r.DB.Get(TagScriptResults)[:1], []byte{0x20}) {
		t.Errorf("script results %X", r.DB.Get(TagScriptResults))
	}
}
