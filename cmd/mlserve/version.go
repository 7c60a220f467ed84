package main

import (
	"fmt"
	"runtime"

	"gitlab.com/mlserve/mlserve/internal/app"
)

// version and commit are stamped at build time:
// -ldflags "-X main.version=v1.2.3 -X main.commit=<git sha>" (build/mlserve.sh,
// which the image runs: its build context has no .git for Go to read).
var (
	version = "dev"
	commit  = ""
)

// versionString is the version, the commit (the stamped one, else the one
// the build recorded from .git) and the Go toolchain.
func versionString() string {
	b := app.NewBuild(version, commit)
	s := "mlserve " + b.Version
	if b.Commit != "" {
		s += " (" + b.Commit + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
