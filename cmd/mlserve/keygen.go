package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"gitlab.com/mlserve/mlserve/internal/apikey"
)

// runKeygen prints a new key, its hash and the auth.keys entry that accepts
// it. Only the hash goes into configuration; the key is shown once.
func runKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stdout)
	name := fs.String("name", "default", "name of the key, shown in access logs")
	scopes := fs.String("scopes", "admin", "scopes joined by +: predict, read, admin")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	key, hash, err := apikey.Generate()
	if err != nil {
		return err
	}
	entry, err := apikey.Entry(*name, hash, strings.Split(*scopes, "+")...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key:    %s\nsha256: %s\nentry:  %s\n", key, hash, entry)
	fmt.Fprintln(stdout, "\nGive the key to the client (Authorization: Bearer <key>) and put only the entry in auth.keys (MLSERVE_AUTH_KEYS).")
	return nil
}
