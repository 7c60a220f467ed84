// Command mlserve is the production binary: one image, two roles.
//
//	mlserve api       serve the HTTP API
//	mlserve worker    process training and scoring jobs
//	mlserve keygen    print a new API key and its SHA-256 hash
//	mlserve version   print the version
//
// Configuration comes from defaults, a config file (--config), MLSERVE_*
// environment variables and flags, in that order of precedence.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"gitlab.com/mlserve/mlserve/internal/app"
)

func main() { app.Main("mlserve", run) }

const usage = `usage: mlserve <command> [flags]

commands:
  api       serve the HTTP API
  worker    process training and scoring jobs
  keygen    print a new API key, its SHA-256 hash and a config entry
  version   print the version

Run "mlserve <command> --help" for the flags of api and worker.
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "api":
		return runAPI(ctx, rest, getenv, stdout)
	case "worker":
		return runWorker(ctx, rest, getenv, stdout)
	case "keygen":
		return runKeygen(rest, stdout)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
