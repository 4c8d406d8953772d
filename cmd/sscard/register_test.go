package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cardreg "github.com/sscard/sscard/conformance/register"
)

func TestRegisterCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	if code, out, errs := runCLI(t, "register", "init", "--db", db); code != exitOK || !strings.Contains(out, "schema") {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	code, out, errs := runCLI(t, "register", "enroll", "--db", db, "default", "gen2")
	if code != exitOK || !strings.Contains(out, "2 enrolled") {
		t.Fatalf("enroll: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "register", "enroll", "--db", db, "default"); code != exitOK || !strings.Contains(out, "0 enrolled, 1 there already") {
		t.Fatalf("enroll again: %d %s", code, out)
	}
	code, out, errs = runCLI(t, "register", "terminal", "add", "hospital-01", "--route", "hospital", "--db", db)
	key, err := hex.DecodeString(strings.TrimSpace(out))
	if code != exitOK || err != nil || len(key) != cardreg.KeySize {
		t.Fatalf("terminal add: %d %q %s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "register", "terminal", "add", "x", "--route", "garage", "--db", db); code != exitFail || !strings.Contains(errs, "route") {
		t.Fatalf("a terminal of no route: %d %s", code, errs)
	}
	if code, out, _ := runCLI(t, "register", "terminal", "list", "--db", db); code != exitOK || !strings.Contains(out, "hospital-01") {
		t.Fatalf("terminal list: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "register", "cards", "--db", db); code != exitOK || !strings.Contains(out, "sealed") || !strings.Contains(out, "enabled") {
		t.Fatalf("cards: %d %s", code, out)
	}
	if code, out, errs := runCLI(t, "register", "set", "B12345678", "--state", "temporary-loss", "--db", db); code != exitOK || !strings.Contains(out, "temporary-loss") {
		t.Fatalf("set: %d %s %s", code, out, errs)
	}
	if code, out, _ := runCLI(t, "register", "show", "B12345678", "--db", db); code != exitOK || !strings.Contains(out, "temporary-loss") || !strings.Contains(out, "enroll") {
		t.Fatalf("show: %d %s", code, out)
	}
	code, out, _ = runCLI(t, "register", "journal", "--json", "--db", db)
	var js []cardreg.Entry
	if code != exitOK || json.Unmarshal([]byte(out), &js) != nil || len(js) < 4 {
		t.Fatalf("journal: %d %s", code, out)
	}
	if code, _, _ := runCLI(t, "register", "terminal", "revoke", "hospital-01", "--db", db); code != exitOK {
		t.Fatalf("revoke: %d", code)
	}
	if code, out, _ := runCLI(t, "register", "terminal", "list", "--db", db); !strings.Contains(out, "revoked") {
		t.Fatalf("revoked terminal listed as %d %s", code, out)
	}
	for _, args := range [][]string{{"register"}, {"register", "explode"}, {"register", "show", "--db", db}, {"register", "set", "X", "--db", db}} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errs := runCLI(t, "register", "show", "nope", "--db", db); code != exitFail || !strings.Contains(errs, "no card") {
		t.Errorf("show of no card: %d %s", code, errs)
	}
}

func TestRegisterRefusesADamagedFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	if err := os.WriteFile(db, bytes.Repeat([]byte("garbage "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "register", "init", "--db", db)
	if code != exitFail || !strings.Contains(errs, "damaged") {
		t.Fatalf("init of a damaged file: %d %s", code, errs)
	}
}

func TestRegisterServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	_, out, _ := runCLI(t, "register", "terminal", "add", "bank-01", "--route", "bank", "--db", db)
	key, _ := hex.DecodeString(strings.TrimSpace(out))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- serveRegister(ctx, []string{"--db", db, "--addr", addr, "--enroll", "default"}, &stdout, &stderr)
	}()
	c := &cardreg.Client{BaseURL: "http://" + addr, Terminal: "bank-01", Key: key}
	var card *cardreg.Card
	for i := 0; i < 100; i++ {
		if card, err = c.Lookup(context.Background(), "110100D15600000501160185D3A5C7E9"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || card.State != cardreg.Sealed {
		t.Fatalf("lookup through the served API: %+v %v", card, err)
	}
	forged := &cardreg.Client{BaseURL: "http://" + addr, Terminal: "bank-01", Key: make([]byte, 32)}
	if _, err := forged.Lookup(context.Background(), card.ID); err == nil {
		t.Fatal("a forged request was answered")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "refused") || !strings.Contains(stderr.String(), "API on http://"+addr) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if code, _, _ := runCLI(t, "register", "serve", "--addr", "0.0.0.0:35961", "--db", db); code != exitUsage {
		t.Errorf("serve on a non-loopback address: exit %d", code)
	}
}
