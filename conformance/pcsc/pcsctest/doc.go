// Package pcsctest puts emulated cards in the virtual readers of pcscd's
// vpcd driver for tests that go through PC/SC, and decides whether such a
// test can run: without pcscd, or without vpcd's readers, the test is
// skipped with the reason, or fails when SSCARD_REQUIRE_PCSC=1 (as in CI).
//
// Everything but this file needs the build tag pcsc.
package pcsctest

// Names of vpcd's readers and the variable that makes their absence a
// failure.
const (
	// CardReader is vpcd's slot 0, where the card goes.
	CardReader = "Virtual PCD 00 00"
	// PSAMReader is vpcd's slot 1, where the PSAM goes.
	PSAMReader = "Virtual PCD 00 01"
	// RequireEnv, set to 1, turns a missing pcscd or vpcd from a skip
	// into a failure.
	RequireEnv = "SSCARD_REQUIRE_PCSC"
)
