package app

import "runtime/debug"

// Build names the running binary: its version, and its commit (stamped at
// build time, else the one Go recorded from .git, else empty).
type Build struct {
	Version string
	Commit  string
}

// NewBuild returns the Build of version and the stamped commit, which may
// be empty.
func NewBuild(version, commit string) Build {
	if info, ok := debug.ReadBuildInfo(); ok && commit == "" {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				commit = kv.Value
			}
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return Build{Version: version, Commit: commit}
}
