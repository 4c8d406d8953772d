package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/sscard/sscard/conformance/idauth"
	_ "github.com/sscard/sscard/conformance/pkisuite" // registers the "pki" conformance suite
	"github.com/sscard/sscard/emulator/nvm"
	"github.com/sscard/sscard/vectors/pki/testpki"
)

func init() {
	register(&command{
		name:    "pki",
		summary: "show the certificates on a card; regenerate the test PKI",
		run:     runPKI,
	})
}

const pkiUsage = `usage: sscard pki show [--card persona|file.json | --reader NAME] [--pem]
       sscard pki gen [--out DIR]

show  decodes the signing and encryption certificates and public keys of a
      card's PKI application (CARD.md §4).
gen   writes the test PKI (SM2 root CA, issuing CA, per-card certificates)
      to DIR (default vectors/pki), byte for byte the same on every run.
`

func runPKI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pkiUsage)
		return exitUsage
	}
	switch args[0] {
	case "show":
		return runPKIShow(args[1:], stdout, stderr)
	case "gen":
		return runPKIGen(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, pkiUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "sscard pki: unknown subcommand %q\n\n%s", args[0], pkiUsage)
	return exitUsage
}

func runPKIShow(args []string, stdout, stderr io.Writer) int {
	f := newFlags("pki show", "sscard pki show [--card persona|file.json | --reader NAME] [--pem]", `
Read the PKI application of a card and decode what it holds: the public keys
of files 0012 and 0014 and the certificates of 0018 and 0019 (subject,
issuer, serial number, validity, key usage, whether the certificate
certifies the key next to it). The card is an emulated card of --card
(default "activated") or the card in PC/SC reader --reader.`)
	card := f.String("card", "", "the card: a `persona|file.json` (default \"activated\")")
	reader := f.String("reader", "", "read the card in PC/SC reader `NAME`")
	pemOut := f.Bool("pem", false, "also print each certificate in PEM")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	t, _, closeFn, err := openPKICard(*card, *reader)
	if err != nil {
		fmt.Fprintf(stderr, "sscard pki show: %v\n", err)
		return exitFail
	}
	defer closeFn()
	cl := &idauth.Client{T: t}
	if err := cl.Select(); err != nil {
		fmt.Fprintf(stderr, "sscard pki show: %v\n", err)
		return exitFail
	}
	code = exitOK
	for _, pair := range []struct {
		name      string
		key, cert uint16
	}{{"signing", idauth.FileSignPublicKey, idauth.FileSignCert}, {"encryption", idauth.FileEncPublicKey, idauth.FileEncCert}} {
		fmt.Fprintf(stdout, "%s key pair\n", pair.name)
		key, err := cl.ReadPublicKey(pair.key)
		if err != nil {
			fmt.Fprintf(stdout, "  public key %04X: %v\n", pair.key, err)
		} else {
			fmt.Fprintf(stdout, "  public key %04X: SM2\n    X %X\n    Y %X\n", pair.key, key.X.FillBytes(make([]byte, 32)), key.Y.FillBytes(make([]byte, 32)))
		}
		der, err := cl.ReadCertificate(pair.cert)
		if err != nil {
			if errors.Is(err, idauth.ErrResponse) && strings.Contains(err.Error(), "empty") {
				fmt.Fprintf(stdout, "  certificate %04X: none\n", pair.cert)
				continue
			}
			fmt.Fprintf(stdout, "  certificate %04X: %v\n", pair.cert, err)
			code = exitFail
			continue
		}
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			fmt.Fprintf(stdout, "  certificate %04X: %d bytes, not a certificate: %v\n", pair.cert, len(der), err)
			code = exitFail
			continue
		}
		describeCert(stdout, pair.cert, c, key)
		if *pemOut {
			stdout.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		}
	}
	return code
}

func describeCert(w io.Writer, fid uint16, c *smx509.Certificate, key *ecdsa.PublicKey) {
	fmt.Fprintf(w, "  certificate %04X: %d bytes\n", fid, len(c.Raw))
	fmt.Fprintf(w, "    subject    %s\n", c.Subject)
	fmt.Fprintf(w, "    issuer     %s\n", c.Issuer)
	fmt.Fprintf(w, "    serial     %X\n", c.SerialNumber)
	fmt.Fprintf(w, "    validity   %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	alg := c.SignatureAlgorithm.String()
	if c.SignatureAlgorithm == smx509.SM2WithSM3 {
		alg = "SM2 with SM3 (1.2.156.10197.1.501)"
	}
	fmt.Fprintf(w, "    algorithm  %s\n", alg)
	fmt.Fprintf(w, "    key usage  %s\n", keyUsage(c.KeyUsage))
	if len(c.ExtKeyUsage) > 0 {
		var names []string
		for _, u := range c.ExtKeyUsage {
			names = append(names, extKeyUsage(u))
		}
		fmt.Fprintf(w, "    ext. usage %s\n", strings.Join(names, ", "))
	}
	switch {
	case key == nil:
		fmt.Fprintln(w, "    key        (no public key file to compare)")
	case key.Equal(c.PublicKey):
		fmt.Fprintln(w, "    key        certifies the public key of the pair")
	default:
		fmt.Fprintln(w, "    key        DOES NOT certify the public key of the pair")
	}
}

func keyUsage(u x509.KeyUsage) string {
	names := []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if u&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

func extKeyUsage(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageAny:
		return "any"
	}
	return fmt.Sprintf("usage %d", u)
}

func runPKIGen(args []string, stdout, stderr io.Writer) int {
	f := newFlags("pki gen", "sscard pki gen [--out DIR]", `
Write the test PKI to DIR: the SM2 root CA, the issuing CA, the rogue CA,
each card's signing and encryption key pairs and certificates with the
deliberately wrong variants, and manifest.json saying where each came from.
Every key and signature comes from a fixed seed, so the files are the same
on every run (go generate ./vectors/pki/testpki runs this).`)
	out := f.String("out", filepath.Join("vectors", "pki"), "write the files to `DIR`")
	pos, code, done := f.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) > 0 {
		return f.usageError(stderr, "unexpected argument "+pos[0])
	}
	files, err := testpki.Generate()
	if err != nil {
		fmt.Fprintf(stderr, "sscard pki gen: %v\n", err)
		return exitFail
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "sscard pki gen: %v\n", err)
		return exitFail
	}
	for _, fl := range files {
		if err := nvm.WriteFileAtomic(filepath.Join(*out, fl.Name), fl.Data, 0o644); err != nil {
			fmt.Fprintf(stderr, "sscard pki gen: %v\n", err)
			return exitFail
		}
	}
	fmt.Fprintf(stdout, "wrote %d files to %s\n", len(files), *out)
	return exitOK
}
