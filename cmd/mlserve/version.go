package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
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
	s := "mlserve " + version
	rev := commit
	if info, ok := debug.ReadBuildInfo(); ok && rev == "" {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				rev = kv.Value
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		s += " (" + rev + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
