package conformance_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sscard/sscard/conformance"
	"github.com/sscard/sscard/conformance/pcd"
	"github.com/sscard/sscard/emulator/contactless"
)

// The reference PCD passes the link-contactless suite.
func TestLinkContactlessReferencePCD(t *testing.T) {
	rep, err := conformance.Execute(conformance.Model(), conformance.Options{Selection: conformance.Selection{Suites: []string{"link-contactless"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Counts()
	if !rep.OK() || c[conformance.Pass] < 19 {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatal(sb.String())
	}
}

// brokenAir is the field as a broken reader uses it: it changes what the
// reference PCD sends or how long it listens.
type brokenAir struct {
	contactless.Air
	tx     func(tx contactless.Tx) contactless.Tx
	noWait bool
}

func (b brokenAir) Wait(d time.Duration) {
	if !b.noWait {
		b.Air.Wait(d)
	}
}

func (b brokenAir) Transceive(tx contactless.Tx) (contactless.Rx, error) {
	if b.tx != nil {
		tx = b.tx(tx)
	}
	return b.Air.Transceive(tx)
}

// brokenReader is the reference PCD seen through a brokenAir.
type brokenReader struct {
	*pcd.PCD
	wrap func(contactless.Air) contactless.Air
}

func (r brokenReader) Connect(air contactless.Air) (*pcd.Activation, error) {
	return r.PCD.Connect(r.wrap(air))
}

func blockOfTx(tx contactless.Tx) (contactless.Block, bool) {
	body, ok := contactless.CheckCRC(tx.Type, tx.Data)
	if !ok {
		return contactless.Block{}, false
	}
	b, err := contactless.ParseBlock(body)
	return b, err == nil
}

// The suite catches readers that get the link layer wrong: each broken
// reader fails at least the cases named.
func TestLinkContactlessCatchesBrokenReaders(t *testing.T) {
	for _, c := range []struct {
		name  string
		wrap  func(contactless.Air) contactless.Air
		cases []string
	}{
		{"listens 1 ms at most", func(a contactless.Air) contactless.Air {
			return brokenAir{Air: a, tx: func(tx contactless.Tx) contactless.Tx {
				tx.Timeout = min(tx.Timeout, time.Millisecond)
				return tx
			}}
		}, []string{"LINK-CL-001", "LINK-CL-005"}},
		{"ignores the SFGT", func(a contactless.Air) contactless.Air {
			return brokenAir{Air: a, noWait: true}
		}, []string{"LINK-CL-001"}},
		{"sends R(ACK) for R(NAK)", func(a contactless.Air) contactless.Air {
			return brokenAir{Air: a, tx: func(tx contactless.Tx) contactless.Tx {
				if b, ok := blockOfTx(tx); ok && b.Type == contactless.RBlock && b.NAK {
					b.NAK = false
					tx.Data = contactless.AppendCRC(tx.Type, b.Append(nil))
				}
				return tx
			}}
		}, []string{"LINK-CL-004", "LINK-CL-006"}},
		{"waits FWT, not FWT × WTXM", func(a contactless.Air) contactless.Air {
			return brokenAir{Air: a, tx: func(tx contactless.Tx) contactless.Tx {
				if b, ok := blockOfTx(tx); ok && b.Type == contactless.SBlock && b.S == contactless.WTX && b.WTXM() > 1 {
					tx.Timeout /= time.Duration(b.WTXM())
				}
				return tx
			}}
		}, []string{"LINK-CL-008"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			old := conformance.ContactlessReader
			conformance.ContactlessReader = func() (pcd.Reader, func() error, error) {
				return brokenReader{PCD: pcd.New(pcd.Options{}), wrap: c.wrap}, func() error { return nil }, nil
			}
			defer func() { conformance.ContactlessReader = old }()
			rep, err := conformance.Execute(conformance.Model(), conformance.Options{Parallel: 1, Selection: conformance.Selection{Suites: []string{"link-contactless"}}})
			if err != nil {
				t.Fatal(err)
			}
			failed := map[string]bool{}
			for _, r := range rep.Results {
				if r.Outcome == conformance.Fail || r.Outcome == conformance.Error {
					failed[r.ID] = true
				}
			}
			for _, id := range c.cases {
				if !failed[id] {
					t.Errorf("%s passes a reader that %s", id, c.name)
				}
			}
			t.Logf("caught by %v", failed)
		})
	}
}

// The suite runs as well against a reader behind the frame stream: the
// reference PCD served over a pipe, one per case.
func TestLinkContactlessOverFrameStream(t *testing.T) {
	old := conformance.ContactlessReader
	conformance.ContactlessReader = func() (pcd.Reader, func() error, error) {
		a, b := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- pcd.Serve(b, pcd.New(pcd.Options{})) }()
		sr := pcd.NewStreamReader(a, func() error {
			a.Close()
			err := <-done
			b.Close()
			return err
		})
		return sr, sr.Close, nil
	}
	defer func() { conformance.ContactlessReader = old }()
	rep, err := conformance.Execute(conformance.Model(), conformance.Options{Selection: conformance.Selection{Suites: []string{"link-contactless"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Counts()[conformance.Pass] < 19 {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatal(sb.String())
	}
}
