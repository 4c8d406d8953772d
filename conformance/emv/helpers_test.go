package emv

import (
	"fmt"
	"time"
)

func fixedNow() time.Time { return time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC) }

func hexString(b []byte) string { return fmt.Sprintf("%X", b) }
