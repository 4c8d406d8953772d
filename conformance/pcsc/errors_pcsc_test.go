//go:build pcsc

package pcsc

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ebfe/scard"
)

// mapErr keeps the PC/SC status code in the chain behind the sscard value.
func TestMapErr(t *testing.T) {
	tests := []struct {
		code scard.Error
		want error
	}{
		{scard.ErrNoService, ErrNoService},
		{scard.ErrServiceStopped, ErrNoService},
		{scard.ErrNoSmartcard, ErrNoCard},
		{scard.ErrRemovedCard, ErrNoCard},
		{scard.ErrUnresponsiveCard, ErrMute},
		{scard.ErrUnpoweredCard, ErrMute},
		{scard.ErrSharingViolation, ErrBusy},
		{scard.ErrResetCard, ErrCardReset},
		{scard.ErrUnknownReader, ErrNoReader},
		{scard.ErrReaderUnavailable, ErrNoReader},
		{scard.ErrNotTransacted, nil},
	}
	for _, tt := range tests {
		err := mapErr(fmt.Errorf("doing x: %w", tt.code))
		if !errors.Is(err, tt.code) {
			t.Errorf("%v: the status code is lost: %v", tt.code, err)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%v: %v does not wrap %v", tt.code, err, tt.want)
		}
	}
	plain := errors.New("not PC/SC")
	if err := mapErr(plain); err != plain {
		t.Errorf("mapErr(%v) = %v", plain, err)
	}
}
