package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

const (
	sealedJSON = `{"extends":"default","name":"sealed-2","ssse":{"identity":{"cardSerial":"0216018500000002","cardNumber":"B00000002"}}}`
)

func TestActivateSealedCard(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	e := enrollPersona(t, a.st, "default")
	c := a.client(t, "hospital-01", Hospital)

	card, err := c.Lookup(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if card.State != Sealed || card.Chip != ChipDeactivated || !card.PINDefault || card.Expired || card.StopCauses != nil {
		t.Fatalf("enrolled card: %+v", card)
	}
	res, err := c.Activate(ctx, e.ID, ActivateRequest{SSN: e.SSN, Service: Outpatient})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Card.State != Enabled || len(res.Cancelled) != 0 {
		t.Fatalf("activation: %+v", res)
	}
	again, err := c.Activate(ctx, e.ID, ActivateRequest{SSN: e.SSN, Service: Inpatient})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.Card.State != Enabled {
		t.Fatalf("second activation changed something: %+v", again)
	}
	cr, err := c.ReportChip(ctx, e.ID, ChipActivated)
	if err != nil || !cr.Changed || cr.Card.Chip != ChipActivated {
		t.Fatalf("chip report: %+v %v", cr, err)
	}
	if _, err := c.RecordEvent(ctx, e.ID, EventRequest{Event: "registration", Service: Outpatient}); err != nil {
		t.Fatal(err)
	}
	js, err := a.st.Journal(ctx, JournalQuery{Card: e.ID})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, j := range js {
		events = append(events, j.Event+"/"+j.Outcome)
		if j.Event != "enroll" && (j.Terminal != "hospital-01" || j.Route != Hospital || !j.Time.Equal(testNow)) {
			t.Errorf("entry %+v: want terminal hospital-01, route hospital, time %v", j, testNow)
		}
	}
	// An activation with a service is a registration too.
	want := []string{"enroll/ok", "lookup/unchanged", "activate/ok", "registration/ok", "activate/unchanged", "registration/ok", "chip/ok", "registration/ok"}
	if !slices.Equal(events, want) {
		t.Errorf("journal %v, want %v", events, want)
	}
}

func TestActivateRefusals(t *testing.T) {
	cases := []struct {
		name    string
		persona string
		ssn     string // "" = the card's
		setup   func(t *testing.T, st *Store, e Enrollment)
		code    string
	}{
		{name: "wrong person", persona: "default", ssn: "110105194912310038", code: CodeIdentityMismatch},
		{name: "expired", persona: `{"extends":"expired","register":{"state":"sealed"}}`, code: CauseExpired},
		{name: "arrears", persona: `{"extends":"default","register":{"state":"sealed","arrears":true}}`, code: CauseArrears},
		{name: "formal loss", persona: "lost", code: string(FormalLoss)},
		{name: "cancelled", persona: "cancelled", code: string(Cancelled)},
		{name: "temporary loss", persona: `{"extends":"activated","register":{"state":"temporary-loss"}}`, code: string(TemporaryLoss)},
		{name: "another enabled card", persona: sealedJSON, setup: func(t *testing.T, st *Store, e Enrollment) {
			enrollPersona(t, st, "activated")
		}, code: CodeAnotherCardEnabled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPI(t)
			e := enrollPersona(t, a.st, tc.persona)
			if tc.setup != nil {
				tc.setup(t, a.st, e)
			}
			c := a.client(t, "bank-01", Bank)
			ssn := tc.ssn
			if ssn == "" {
				ssn = e.SSN
			}
			before, _ := a.st.Card(context.Background(), e.ID)
			_, err := c.Activate(context.Background(), e.ID, ActivateRequest{SSN: ssn})
			r, ok := IsRefusal(err)
			if !ok || r.Code != tc.code {
				t.Fatalf("got %v, want refusal %s", err, tc.code)
			}
			after, _ := a.st.Card(context.Background(), e.ID)
			if after.State != before.State || after.Version != before.Version {
				t.Errorf("a refused activation changed the card: %+v -> %+v", before, after)
			}
			js, _ := a.st.Journal(context.Background(), JournalQuery{Terminal: "bank-01"})
			if len(js) != 1 || js[0].Outcome != OutcomeRefused || js[0].Code != tc.code {
				t.Errorf("journal %+v: want one refusal %s", js, tc.code)
			}
		})
	}
}

func TestReissueCancelsTheOldCardOnActivation(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	old := enrollPersona(t, a.st, "activated")
	bureau := a.client(t, "bureau-01", Bureau)
	bank := a.client(t, "bank-01", Bank)
	req := ReissueRequest{NewCard: "110100D156000005AA00000000000001", Number: "B99999999", SSN: old.SSN, Generation: "3.00", Issued: "20250601", Expiry: "20350601"}
	r, err := bureau.Reissue(ctx, old.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	if r.Card.State != Sealed || r.Card.Replaces != old.ID {
		t.Fatalf("reissued card %+v", r.Card)
	}
	if r2, err := bureau.Reissue(ctx, old.ID, req); err != nil || r2.Changed {
		t.Fatalf("a repeated reissue: %+v %v", r2, err)
	}
	if _, err := bank.Reissue(ctx, old.ID, req); !isCode(err, CodeNotAllowed) {
		t.Fatalf("a bank reissued a card: %v", err)
	}
	res, err := bank.Activate(ctx, req.NewCard, ActivateRequest{SSN: old.SSN})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Cancelled, []string{old.ID}) {
		t.Fatalf("cancelled %v, want the old card", res.Cancelled)
	}
	oc, _ := a.st.Card(ctx, old.ID)
	if oc.State != Cancelled || oc.ReplacedBy != req.NewCard {
		t.Fatalf("old card %+v", oc)
	}
}

func TestPharmacyMigration(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	orig := enrollPersona(t, a.st, "gen2")
	nc := enrollPersona(t, a.st, "default")
	ph := a.client(t, "pharmacy-01", Pharmacy)
	if _, err := ph.Activate(ctx, nc.ID, ActivateRequest{SSN: nc.SSN}); !isCode(err, CodeOriginalRequired) {
		t.Fatalf("pharmacy activation without the original card: %v", err)
	}
	res, err := ph.Activate(ctx, nc.ID, ActivateRequest{SSN: nc.SSN, Original: orig.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || !slices.Equal(res.Cancelled, []string{orig.ID}) || res.Card.Replaces != orig.ID {
		t.Fatalf("migration %+v", res)
	}
	// A retry after a lost answer changes nothing.
	res, err = ph.Activate(ctx, nc.ID, ActivateRequest{SSN: nc.SSN, Original: orig.ID})
	if err != nil || res.Changed || len(res.Cancelled) != 0 {
		t.Fatalf("repeated migration %+v %v", res, err)
	}
	oc, _ := a.st.Card(ctx, orig.ID)
	if oc.State != Cancelled || oc.ReplacedBy != nc.ID {
		t.Fatalf("original %+v", oc)
	}
}

func TestReactivateEachCause(t *testing.T) {
	cases := []struct {
		persona string
		expiry  string
		pay     bool
		cleared []string
	}{
		{persona: "expired", expiry: "20350101", cleared: []string{CauseExpired}},
		{persona: "cancelled", cleared: []string{CauseCancelled}},
		{persona: "lost", cleared: []string{CauseFormalLoss}},
		{persona: `{"extends":"activated","register":{"state":"temporary-loss"}}`, cleared: []string{CauseTemporaryLoss}},
		{persona: `{"extends":"activated","register":{"state":"enabled","arrears":true}}`, pay: true, cleared: nil},
	}
	for _, tc := range cases {
		t.Run(tc.persona, func(t *testing.T) {
			a := newAPI(t)
			ctx := context.Background()
			e := enrollPersona(t, a.st, tc.persona)
			b := a.client(t, "bureau-01", Bureau)
			if tc.expiry != "" {
				if _, err := b.Reactivate(ctx, e.ID, ReactivateRequest{SSN: e.SSN}); !isCode(err, CauseExpired) {
					t.Fatalf("renewal without a date: %v", err)
				}
			}
			if tc.pay {
				if _, err := b.Reactivate(ctx, e.ID, ReactivateRequest{SSN: e.SSN}); !isCode(err, CauseArrears) {
					t.Fatalf("reactivation before paying: %v", err)
				}
				p, err := b.Pay(ctx, e.SSN, 1_000_000)
				if err != nil || p.Paid != DefaultArrears || p.Person.Arrears != 0 {
					t.Fatalf("payment %+v %v", p, err)
				}
			}
			res, err := b.Reactivate(ctx, e.ID, ReactivateRequest{SSN: e.SSN, Expiry: tc.expiry})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Card.Usable() || !slices.Equal(res.Cleared, tc.cleared) {
				t.Fatalf("reactivated %+v (cleared %v, want %v)", res.Card, res.Cleared, tc.cleared)
			}
			if tc.expiry != "" && res.Card.Expiry != tc.expiry {
				t.Errorf("expiry %s, want %s", res.Card.Expiry, tc.expiry)
			}
		})
	}
}

func TestRoutesMayOnlyDoTheirOperations(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	e := enrollPersona(t, a.st, "lost")
	h := a.client(t, "hospital-01", Hospital)
	if _, err := h.Reactivate(ctx, e.ID, ReactivateRequest{SSN: e.SSN}); !isCode(err, CodeNotAllowed) {
		t.Errorf("hospital reactivation: %v", err)
	}
	if _, err := h.Pay(ctx, e.SSN, 100); !isCode(err, CodeNotAllowed) {
		t.Errorf("hospital payment: %v", err)
	}
	if _, err := h.RecordEvent(ctx, e.ID, EventRequest{Event: "bank-pin-set"}); !isCode(err, CodeNotAllowed) {
		t.Errorf("hospital bank PIN: %v", err)
	}
	if _, err := h.RecordEvent(ctx, e.ID, EventRequest{Event: "registration", Service: Outpatient}); !isCode(err, CodeNotUsable) {
		t.Errorf("registration on a lost card: %v", err)
	}
}

// Many terminals activating many cards at once: every activation is
// committed once, none is lost.
func TestConcurrentActivations(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	const n = 60
	var es []Enrollment
	for i := 0; i < n; i++ {
		p := fmt.Sprintf(`{"extends":"default","name":"c%d","ssse":{"identity":{"cardSerial":"%016X","ssn":"1101051949123%05d","cardNumber":"C%08d"}}}`, i, 0x0300000000000000+i, i, i)
		es = append(es, enrollPersona(t, a.st, p))
	}
	clients := []*Client{a.client(t, "h1", Hospital), a.client(t, "h2", Hospital), a.client(t, "h3", Hospital)}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i, e := range es {
		for k := 0; k < 2; k++ { // every card twice, by two terminals
			wg.Add(1)
			go func(c *Client, e Enrollment) {
				defer wg.Done()
				if _, err := c.Activate(ctx, e.ID, ActivateRequest{SSN: e.SSN, Service: Outpatient}); err != nil {
					errs <- err
				}
			}(clients[(i+k)%len(clients)], e)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	counts, _ := a.st.Counts(ctx)
	if counts[Enabled] != n {
		t.Errorf("%d enabled, want %d", counts[Enabled], n)
	}
	js, _ := a.st.Journal(ctx, JournalQuery{})
	changed := map[string]int{}
	for _, j := range js {
		if j.Event == "activate" && j.Outcome == OutcomeOK {
			changed[j.Card]++
		}
	}
	for _, e := range es {
		if changed[e.ID] != 1 {
			t.Errorf("card %s activated %d times", e.ID, changed[e.ID])
		}
	}
}

func TestEnrollIsIdempotentAndChecksHolders(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	e := enrollPersona(t, st, "default")
	if n, err := st.Enroll(ctx, e); err != nil || n != 0 {
		t.Fatalf("enrolling again: %d %v", n, err)
	}
	other := e
	other.SSN = "110105194912310038"
	if _, err := st.Enroll(ctx, other); err == nil {
		t.Fatal("enrolled a card under another holder")
	}
	renamed := e
	renamed.ID = "110100D156000005BB00000000000001"
	renamed.Name = "李四"
	if _, err := st.Enroll(ctx, renamed); err == nil {
		t.Fatal("enrolled a holder under another name")
	}
}

func isCode(err error, code string) bool {
	var r *Refusal
	return errors.As(err, &r) && r.Code == code
}
