package emv

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/sscard/sscard/conformance/terminal"
)

// scriptedCard answers each command with the next response of a script:
// responses are 2-byte big-endian lengths followed by that many bytes;
// when the script runs out the card is gone.
type scriptedCard struct{ rest []byte }

var errScriptEnd = errors.New("scripted card: no more responses")

func (c *scriptedCard) Transmit([]byte) ([]byte, error) {
	if len(c.rest) < 2 {
		return nil, errScriptEnd
	}
	n := int(binary.BigEndian.Uint16(c.rest))
	c.rest = c.rest[2:]
	if n > len(c.rest) {
		n = len(c.rest)
	}
	out := c.rest[:n]
	c.rest = c.rest[n:]
	return out, nil
}

// recorder keeps a card's responses in the scripted card's encoding.
type recorder struct {
	card   terminal.Transport
	script []byte
}

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	resp, err := r.card.Transmit(cmd)
	if err == nil {
		r.script = binary.BigEndian.AppendUint16(r.script, uint16(len(resp)))
		r.script = append(r.script, resp...)
	}
	return resp, err
}

// fuzzSeeds records the sim card's answers to whole transactions: the
// fuzzer starts from transcripts that reach every step.
func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range []struct {
		mode   byte
		amount uint64
		card   func(*simCard)
	}{
		{1, 100, nil}, {1, 60000, nil}, {1, 100, func(c *simCard) { c.rsaOnly = true }},
		{0, 1000, nil}, {0, 90000, nil}, {0, 1000, func(c *simCard) { c.rsaOnly, c.format2 = true, true }},
		{2, 1000, nil},
	} {
		card := newSimCard(t)
		if s.card != nil {
			s.card(card)
		}
		cfg, _ := simConfig(t)
		cfg.PIN = func(int) (string, bool) { return "1234", true }
		if s.mode == 2 {
			cfg.Capabilities[2] = capDDA
		}
		rec := &recorder{card: card}
		New(cfg).Run(rec, Transaction{Amount: s.amount, Contactless: s.mode == 1})
		out = append(out, append([]byte{s.mode}, rec.script...))
	}
	return out
}

// FuzzKernelCardResponses puts a hostile card behind the transport: every
// response is fuzz bytes. The kernel must never panic, and never approve
// or ask to go online without an error: it trusts the test CA keys, but
// its unpredictable numbers are fresh, its terminal does not accept SDA
// alone, and its issuer holds other keys than the card that was recorded,
// so no replayed or forged answer can carry a transaction.
func FuzzKernelCardResponses(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0})
	f.Add([]byte{1, 0, 2, 0x90, 0x00})
	f.Add([]byte{0, 0, 3, 0x61, 0xFF, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg, _ := simConfig(t)
		seed := sha256.Sum256(data)
		cfg.Rand = rand.NewChaCha8(seed)
		cfg.Capabilities[2] = capDDA | capCDA
		cfg.SM = data[0]&2 == 0
		cfg.Host = &Issuer{DES: &IssuerKeys{AC: make([]byte, 16), MAC: make([]byte, 16)},
			SM: &IssuerKeys{AC: make([]byte, 16), MAC: make([]byte, 16)}}
		cfg.PIN = func(int) (string, bool) { return "1234", true }
		tx := Transaction{Amount: 1000, Contactless: data[0]&1 != 0}
		if data[0]&4 != 0 {
			tx.Amount = 90000
		}
		r, err := New(cfg).Run(&scriptedCard{rest: data[1:]}, tx)
		if r == nil {
			t.Fatal("no result")
		}
		if err == nil || r.Outcome.Approved() || r.Outcome == OnlineRequest {
			t.Fatalf("outcome %s, error %v\n%s", r.Outcome, err, logText(r))
		}
		if r.Err != err {
			t.Fatalf("result error %v, returned %v", r.Err, err)
		}
	})
}
