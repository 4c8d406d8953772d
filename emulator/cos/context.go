package cos

import (
	"io"

	"github.com/sscard/sscard/emulator/cardcrypto"
	"github.com/sscard/sscard/emulator/iso7816"
	"github.com/sscard/sscard/emulator/nvm"
)

// Context is what an App sees of the card while it handles one command.
type Context struct {
	os  *OS
	ch  *channel
	cla claInfo
	// Cmd is the command being processed.
	Cmd iso7816.Command
}

// SM reports whether the command's class indicates secure messaging (CLA 04/84).
func (x *Context) SM() bool { return x.cla.sm }

// Proprietary reports whether the class is proprietary (CLA 8x).
func (x *Context) Proprietary() bool { return x.cla.proprietary }

// Channel returns the logical channel number of the command.
func (x *Context) Channel() int { return x.cla.channel }

// Memory returns the card's NVM. State changes must happen inside a
// transaction ended by Commit.
func (x *Context) Memory() *nvm.Memory { return x.os.mem }

// Commit ends the command's NVM transaction; false means power was lost
// and the handler must return at once (its answer is discarded).
func (x *Context) Commit() bool { return x.os.commit() }

// Rand returns the card's random source.
func (x *Context) Rand() io.Reader { return x.os.rand }

// CurrentDF returns the current DF of the channel.
func (x *Context) CurrentDF() *Node { return x.ch.df }

// CurrentEF returns the current EF of the channel, or nil.
func (x *Context) CurrentEF() *Node { return x.ch.ef }

// Volatile returns the application's volatile state on this channel; it is
// cleared on reset and whenever the current DF changes application.
func (x *Context) Volatile() any { return x.ch.volatile }

// SetVolatile replaces the application's volatile state on this channel.
func (x *Context) SetVolatile(v any) { x.ch.volatile = v }

// TakeChallenge returns the last GET CHALLENGE value on this channel (nil
// if none) and forgets it: a challenge serves one command.
func (x *Context) TakeChallenge() []byte {
	return x.ch.takeChallenge()
}

// KeyAuthenticated reports whether external authentication with key id
// (of the current DF or above) holds in the security state.
func (x *Context) KeyAuthenticated(id byte) bool {
	return x.os.keyOK(x.ch, x.ch.df, id)
}

// PINVerified reports whether the PIN governing the current DF is verified.
func (x *Context) PINVerified() bool { return x.os.pinOK(x.ch, x.ch.df) }

// CheckMAC verifies the 4-byte MAC that ends the command data with the key
// of the given usage (CARD.md §3) and returns the data without it. A wrong
// or missing MAC, or no challenge, gives 6988; the challenge is consumed.
func (x *Context) CheckMAC(usage KeyUsage) ([]byte, iso7816.Status) {
	return x.os.checkMAC(x, usage)
}

// Alg returns the algorithm of the current DF.
func (x *Context) Alg() cardcrypto.Alg { return x.ch.df.alg }

func (ch *channel) takeChallenge() []byte {
	if ch.chalLen == 0 {
		return nil
	}
	c := ch.chal[:ch.chalLen]
	ch.chalLen = 0
	return c
}
