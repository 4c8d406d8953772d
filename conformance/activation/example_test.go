package activation_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sscard/sscard/conformance/activation"
	"github.com/sscard/sscard/conformance/register"
	"github.com/sscard/sscard/emulator"
	"github.com/sscard/sscard/emulator/profile"
)

// A sealed card's first registration at a hospital activates it: the
// register enables it, then the chip follows.
func ExampleTerminal_Hospital() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	env, err := activation.NewEnv(ctx, filepath.Join(dir, "register.db"), register.Options{})
	if err != nil {
		panic(err)
	}
	defer env.Close()
	p, _ := profile.Load("default") // sealed: SSSE life cycle 04
	card, _ := emulator.New(p, emulator.WithSeed(1))
	if _, err := env.Enroll(ctx, p, ""); err != nil {
		panic(err)
	}
	hospital, err := env.Terminal(ctx, register.Hospital)
	if err != nil {
		panic(err)
	}
	o, err := hospital.Hospital(ctx, card, activation.Holder{Service: register.Inpatient})
	if err != nil {
		panic(err)
	}
	rec, _ := env.Store().Card(ctx, o.Card)
	chip, _, _ := activation.ReadChip(card)
	fmt.Println(o.Result, rec.State, chip)
	// Output: activated enabled activated
}
