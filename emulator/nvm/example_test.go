package nvm_test

import (
	"fmt"

	"github.com/sscard/sscard/emulator/nvm"
)

// A try counter is decremented in a transaction; the power is lost after the
// commit marker is written, and recovery completes the commit.
func ExampleMemory_TearAfter() {
	m := nvm.New([][]byte{{3}})

	m.Begin()
	m.SetByte(0, 0, m.Get(0)[0]-1)
	m.TearAfter(2) // journal write, marker write, then power loss
	fmt.Println(m.Commit(), m.Powered())

	m.PowerUp()
	fmt.Println("tries left:", m.Get(0)[0], "writes:", m.Writes())
	// Output:
	// power lost during NVM write false
	// tries left: 2 writes: 2
}
