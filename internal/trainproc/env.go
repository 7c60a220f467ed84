package trainproc

import (
	"strconv"
	"strings"
)

// childEnv marks a training child; its only value is "1".
const childEnv = "MLSERVE_TRAIN_CHILD"

// childGODEBUG are the settings the training library needs: cgocheck=0
// because golearn's liblinear binding passes Go pointers to C that hold Go
// pointers (Go 1.26 panics otherwise), randseednop=0 because golearn seeds
// the global math/rand and expects that to make it deterministic.
const childGODEBUG = "cgocheck=0,randseednop=0"

// buildEnv is the child's environment: base (the parent's, then the
// caller's extra entries, later entries winning) without MLSERVE_*
// settings, with MLSERVE_TRAIN_CHILD, GODEBUG merged with childGODEBUG,
// GOMEMLIMIT when memLimit > 0 and GOMAXPROCS when threads > 0.
func buildEnv(base []string, memLimit int64, threads int) []string {
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		// The child reads no configuration, so it gets none of mlserve's,
		// secrets (redis.password, mongo.uri, auth.keys) included.
		if !ok || k == "" || strings.HasPrefix(k, "MLSERVE_") {
			continue
		}
		set(k, v)
	}
	set(childEnv, "1")
	set("GODEBUG", mergeGODEBUG(vars["GODEBUG"], childGODEBUG))
	if memLimit > 0 {
		// 90%: the Go heap collects hard before the watchdog kills, and C
		// allocations (liblinear's) get the rest.
		set("GOMEMLIMIT", strconv.FormatInt(memLimit/10*9, 10))
	}
	if threads > 0 {
		set("GOMAXPROCS", strconv.Itoa(threads))
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// mergeGODEBUG returns godebug with settings (comma-separated) appended,
// after dropping the entries they replace: with childGODEBUG,
// "madvdontneed=1,cgocheck=1" becomes
// "madvdontneed=1,cgocheck=0,randseednop=0".
func mergeGODEBUG(godebug, settings string) string {
	replaced := map[string]bool{}
	for _, s := range strings.Split(settings, ",") {
		k, _, _ := strings.Cut(s, "=")
		replaced[k] = true
	}
	var out []string
	for _, s := range strings.Split(godebug, ",") {
		s = strings.TrimSpace(s)
		if k, _, _ := strings.Cut(s, "="); k == "" || replaced[k] {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(append(out, settings), ",")
}
