package trainproc

import (
	"slices"
	"strings"
	"testing"
)

func TestMergeGODEBUG(t *testing.T) {
	tests := []struct {
		name, godebug, want string
	}{
		{"an empty GODEBUG gets the child's settings", "", "cgocheck=0,randseednop=0"},
		{"other settings are kept, first", "madvdontneed=1,http2debug=1", "madvdontneed=1,http2debug=1,cgocheck=0,randseednop=0"},
		{"a setting the child needs is replaced, not repeated", "cgocheck=1,madvdontneed=1,randseednop=1", "madvdontneed=1,cgocheck=0,randseednop=0"},
		{"blanks and empty entries are dropped", " madvdontneed=1 ,,", "madvdontneed=1,cgocheck=0,randseednop=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mergeGODEBUG(tt.godebug, childGODEBUG); got != tt.want {
				t.Errorf("mergeGODEBUG(%q) = %q, want %q", tt.godebug, got, tt.want)
			}
		})
	}
}

func TestBuildEnvLetsLaterEntriesWinAndAddsTheChildsOwn(t *testing.T) {
	got := buildEnv([]string{"PATH=/bin", "GOMEMLIMIT=1GiB", "GODEBUG=cgocheck=1", "PATH=/usr/bin", "MLSERVE_TRAIN_CHILD=0"}, 200, 0)
	want := []string{"PATH=/usr/bin", "GOMEMLIMIT=180", "GODEBUG=cgocheck=0,randseednop=0", "MLSERVE_TRAIN_CHILD=1"}
	if !slices.Equal(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
}

func TestBuildEnvLeavesOutMlservesConfiguration(t *testing.T) {
	got := buildEnv([]string{"HOME=/root", "MLSERVE_REDIS_PASSWORD=s3cret", "MLSERVE_AUTH_KEYS=a:b:admin"}, 0, 0)
	want := []string{"HOME=/root", "MLSERVE_TRAIN_CHILD=1", "GODEBUG=cgocheck=0,randseednop=0"}
	if !slices.Equal(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
}

func TestBuildEnvWithoutAMemoryLimitKeepsTheParentsGOMEMLIMIT(t *testing.T) {
	got := buildEnv([]string{"GOMEMLIMIT=1GiB"}, 0, 0)
	if !slices.Contains(got, "GOMEMLIMIT=1GiB") {
		t.Errorf("env = %q, want GOMEMLIMIT=1GiB kept", got)
	}
}

func TestBuildEnvBoundsTheChildsThreads(t *testing.T) {
	if got := buildEnv([]string{"GOMAXPROCS=8"}, 0, 2); !slices.Contains(got, "GOMAXPROCS=2") || slices.Contains(got, "GOMAXPROCS=8") {
		t.Errorf("env = %q, want GOMAXPROCS=2", got)
	}
	if got := buildEnv([]string{"HOME=/root"}, 0, 0); slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") }) {
		t.Errorf("env = %q, want no GOMAXPROCS", got)
	}
}
