// Command paygen writes the generated files of vectors/pay (see package
// testpay): missing keys, capk.json and manifest.json.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sscard/sscard/vectors/pay/testpay"
)

func main() {
	out := flag.String("out", ".", "directory of vectors/pay")
	flag.Parse()
	files, err := testpay.Generate(func(name string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(*out, name))
		return b, err == nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "paygen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "paygen:", err)
			os.Exit(1)
		}
	}
}
