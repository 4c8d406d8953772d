package activation

import (
	"fmt"

	"github.com/sscard/sscard/conformance/register"
)

// Step is one step of an activation route.
type Step struct {
	Route register.Route
	N     int
	Name  string
}

// ID is the step's stable name, e.g. "hospital/1".
func (s Step) ID() string { return fmt.Sprintf("%s/%d", s.Route, s.N) }

func (s Step) String() string { return fmt.Sprintf("%s step %d: %s", s.Route, s.N, s.Name) }

// RouteNumber is a route's number in CARD.md §6.
var RouteNumber = map[register.Route]int{
	register.Bank: 1, register.Hospital: 2, register.Pharmacy: 3, register.Bureau: 4, register.Online: 5,
}

// Steps are the steps of each route, in order (CARD.md §6 and the public
// service guides it cites; the split into steps is this project's).
var Steps = map[register.Route][]Step{
	register.Bank: steps(register.Bank,
		"read the card's identity (card identifier; internal authentication, RKSSSE, EF06)",
		"check the holder's identity document against the card",
		"look up the card in the register",
		"activate the card in the register",
		"make the chip follow the register (ACTIVATE FILE)",
		"set the social security PIN if it is still the default, or reset a blocked PIN",
		"set the bank card PIN (issuer script on the financial application)",
		"invalidate the original card of a reissue",
	),
	register.Hospital: steps(register.Hospital,
		"read the card's identity (card identifier; internal authentication, RKSSSE, EF06)",
		"look up the card in the register",
		"activate the card in the register with the registration",
		"make the chip follow the register (ACTIVATE FILE)",
		"register the holder for outpatient or inpatient service (with the activation, for a sealed card)",
	),
	register.Pharmacy: steps(register.Pharmacy,
		"read the original card's identity",
		"look up the original card in the register",
		"read the new card's identity",
		"the same social security number on both cards, or refusal",
		"look up the new card in the register",
		"enable the new card and cancel the original in the register",
		"make the new card's chip follow the register (ACTIVATE FILE)",
		"block the original card on-chip when it is next seen",
	),
	register.Bureau: steps(register.Bureau,
		"read the card's identity, or find the card by its printed number",
		"check the holder's identity document against the card",
		"look up the card in the register",
		"take payment of the arrears on the medical account",
		"reactivate the card in the register (a new expiry date for an expired card)",
		"make the chip follow the register (APPLICATION UNBLOCK, ACTIVATE FILE)",
		"write the new expiry date to the chip (EF05 record 06)",
		"reissue: enrol the new card in the register",
		"reissue: activate the new card, which cancels the old one",
		"reissue: block the old card on-chip",
	),
	register.Online: steps(register.Online,
		"read the card contactlessly (card identifier)",
		"authenticate the card with its PKI application (online verifier)",
		"check the app account's identity against the authenticated card",
		"look up the card in the register",
		"activate the card in the register (the chip follows at the next terminal with a PSAM)",
	),
}

func steps(r register.Route, names ...string) []Step {
	out := make([]Step, len(names))
	for i, n := range names {
		out[i] = Step{Route: r, N: i + 1, Name: n}
	}
	return out
}

// stepOf returns step n of route r.
func stepOf(r register.Route, n int) Step { return Steps[r][n-1] }
