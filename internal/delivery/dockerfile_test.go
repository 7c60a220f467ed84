//go:build linux

package delivery

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// No Docker engine runs here, so these tests check the image in parts: the
// Dockerfile's text, dockerfilelint, and the builder stage run here on the
// build context .dockerignore lets through (image_build_test.go), its binary
// then started as the runtime image would start it (image_runner_test.go).
// This file holds the Dockerfile's parser and the checks of its text.

// TestDockerfileFollowsTheImageRules checks what reviewers look for in the
// Dockerfile's text (SPEC 9).
func TestDockerfileFollowsTheImageRules(t *testing.T) {
	root := imageRepoRoot(t)
	df := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	build, final := df.builderAndFinal(t)

	t.Run("it asks for BuildKit's Dockerfile syntax", func(t *testing.T) {
		if !strings.HasPrefix(df.firstLine, "# syntax=docker/dockerfile:1") {
			t.Errorf("first line %q, want a # syntax=docker/dockerfile:1 directive (cache mounts need BuildKit)", df.firstLine)
		}
	})

	t.Run("every base image is a build argument whose default names a tag", func(t *testing.T) {
		for _, st := range df.stages {
			name, ok := df.baseImageArg(st)
			if !ok {
				t.Errorf("line %d: FROM %s: a base image must be a build argument declared before the first FROM, so a mirror can supply it", st.line, st.image)
				continue
			}
			// dockerfilelint's missing_tag rule cannot see through the
			// argument (.dockerfilelintrc turns it off); this is its check.
			image := df.globalArgs[name]
			ref := image[strings.LastIndex(image, "/")+1:]
			if !strings.Contains(ref, ":") && !strings.Contains(ref, "@sha256:") || strings.HasSuffix(ref, ":latest") {
				t.Errorf("ARG %s=%s: the default needs a tag other than latest, or a digest", name, image)
			}
		}
	})

	t.Run("the builder's Go is at least go.mod's", func(t *testing.T) {
		arg, _ := df.baseImageArg(build)
		image := df.globalArgs[arg]
		m := regexp.MustCompile(`:(\d+)\.(\d+)`).FindStringSubmatch(image)
		if m == nil {
			t.Fatalf("ARG %s=%s: cannot tell its Go version from the tag", arg, image)
		}
		gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		w := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(gomod)
		if w == nil {
			t.Fatal("go.mod has no go directive")
		}
		// The official golang images set GOTOOLCHAIN=local: an older Go
		// fails the build instead of downloading a newer one.
		if goVersion(m[1], m[2]) < goVersion(string(w[1]), string(w[2])) {
			t.Errorf("ARG %s=%s is older than go.mod's go %s.%s", arg, image, w[1], w[2])
		}
	})

	t.Run("the builder keeps modules and builds in cache mounts and runs build/mlserve.sh", func(t *testing.T) {
		var download, script bool
		for _, in := range build.all("RUN") {
			flags, cmd := splitRunFlags(in.args)
			switch {
			case strings.Contains(cmd, "go mod download"):
				download = true
				requireCacheMounts(t, in, flags, "/go/pkg/mod")
			case strings.Contains(cmd, "build/mlserve.sh"):
				script = true
				requireCacheMounts(t, in, flags, "/go/pkg/mod", "/root/.cache/go-build")
			}
		}
		if !download || !script {
			t.Errorf("builder stage: go mod download in a RUN: %v; build/mlserve.sh in a RUN: %v; want both", download, script)
		}
	})

	t.Run("the image runs /mlserve as a non-root user, api by default, without a shell", func(t *testing.T) {
		if uid, gid, err := numericUser(final.last("USER")); err != nil || uid == 0 || gid == 0 {
			t.Errorf("final stage USER %q: want a numeric non-root uid:gid (Kubernetes' runAsNonRoot can only verify numbers): %v", final.last("USER"), err)
		}
		for _, in := range final.all("RUN") {
			t.Errorf("line %d: RUN in the final stage needs a shell the runtime image does not have", in.line)
		}
		for cmd, want := range map[string][]string{"ENTRYPOINT": {"/mlserve"}, "CMD": {"api"}} {
			var got []string
			if err := json.Unmarshal([]byte(final.last(cmd)), &got); err != nil || !slices.Equal(got, want) {
				t.Errorf("final stage %s %s, want the exec form %q", cmd, final.last(cmd), want)
			}
		}
		if !slices.Contains(strings.Fields(final.last("EXPOSE")), "8080") {
			t.Errorf("final stage EXPOSE %q, want 8080 (http.addr's default port)", final.last("EXPOSE"))
		}
	})

	t.Run("the build context leaves out version control, local data and binaries", func(t *testing.T) {
		ignore := readDockerignore(t, root)
		for path, want := range map[string]bool{
			".git/config": true, "data/mlserve.sqlite": true, "bin/mlserve": true, "mlserve.test": true,
			"go.mod": false, "go.sum": false, "build/mlserve.sh": false, "cmd/mlserve/main.go": false,
		} {
			if got := ignore.excludes(path); got != want {
				t.Errorf(".dockerignore excludes %s: %v, want %v", path, got, want)
			}
		}
	})
}

// TestDockerfilelintFindsNothing runs dockerfilelint (npm) on the Dockerfile.
func TestDockerfilelintFindsNothing(t *testing.T) {
	bin := lookImageTool(t, "dockerfilelint")
	root := imageRepoRoot(t)

	// The only rule turned off is missing_tag, which TestDockerfileFollowsTheImageRules replaces.
	rc, err := os.ReadFile(filepath.Join(root, ".dockerfilelintrc"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*([\w-]+):\s*off\b`).FindAllStringSubmatch(string(rc), -1) {
		if m[1] != "missing_tag" {
			t.Errorf(".dockerfilelintrc turns off %s; only missing_tag has a replacement check", m[1])
		}
	}

	cmd := exec.Command(bin, "--json", "Dockerfile") // it reads .dockerfilelintrc beside the file
	cmd.Dir = root
	out, err := cmd.Output() // the exit status is the number of issues
	var report struct {
		Files []struct {
			Issues []struct{ Line, Content, Category, Title, Description string }
		}
		TotalIssues int
	}
	if jerr := json.Unmarshal(out, &report); jerr != nil {
		t.Fatalf("dockerfilelint: %v; output %q: %v", err, out, jerr)
	}
	for _, f := range report.Files {
		for _, is := range f.Issues {
			t.Errorf("Dockerfile:%s: %s: %s (%s): %s", is.Line, is.Content, is.Title, is.Category, is.Description)
		}
	}
	if report.TotalIssues != 0 || err != nil {
		t.Errorf("dockerfilelint: %d issues, %v", report.TotalIssues, err)
	}
}

// lookImageTool finds a real tool a test needs. When it is missing the test
// skips, or fails under MLSERVE_TEST_REQUIRE_REAL=1 (CI).
func lookImageTool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
			tb.Fatalf("%s is not installed and MLSERVE_TEST_REQUIRE_REAL=1: %v", name, err)
		}
		tb.Skipf("%s is not installed", name)
	}
	return path
}

func imageRepoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		tb.Fatalf("repository root: %v", err)
	}
	return root
}

func goVersion(major, minor string) int {
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	return a*1000 + b
}

// numericUser parses USER's uid[:gid]; the gid defaults to the uid.
func numericUser(s string) (uid, gid int, err error) {
	u, g, ok := strings.Cut(s, ":")
	if !ok {
		g = u
	}
	if uid, err = strconv.Atoi(u); err == nil {
		gid, err = strconv.Atoi(g)
	}
	return uid, gid, err
}

// --- the Dockerfile ---

// dfInstruction is one instruction, its continuation lines joined.
type dfInstruction struct {
	line      int // of its first line
	cmd, args string
}

// dfStage is a FROM and the instructions up to the next one.
type dfStage struct {
	line        int
	image, name string
	body        []dfInstruction
}

type dockerfile struct {
	firstLine  string
	globalArgs map[string]string // ARGs before the first FROM, with their defaults
	stages     []dfStage
}

// parseDockerfile reads the subset of the Dockerfile syntax the image uses:
// comments, continuation lines, ARG before FROM, FROM image [AS name].
func parseDockerfile(tb testing.TB, path string) *dockerfile {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	df := &dockerfile{firstLine: lines[0], globalArgs: map[string]string{}}
	var text strings.Builder
	start := 0
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue // Docker drops comments inside continuations too
		}
		if text.Len() == 0 {
			start = i + 1
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			text.WriteString(s + " ")
			continue
		}
		text.WriteString(line)
		cmd, args, _ := strings.Cut(text.String(), " ")
		in := dfInstruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		text.Reset()
		switch {
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			st := dfStage{line: in.line, image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			} else if len(f) != 1 {
				tb.Fatalf("Dockerfile:%d: FROM %s: this test reads only FROM image [AS name]", in.line, in.args)
			}
			df.stages = append(df.stages, st)
		case len(df.stages) == 0 && in.cmd == "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			df.globalArgs[name] = def
		case len(df.stages) == 0:
			tb.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
		default:
			st := &df.stages[len(df.stages)-1]
			st.body = append(st.body, in)
		}
	}
	if text.Len() > 0 || len(df.stages) < 2 {
		tb.Fatalf("Dockerfile: want a multi-stage build ending in a complete instruction")
	}
	return df
}

// builderAndFinal returns the stage the final stage copies its binary from,
// and the final stage.
func (df *dockerfile) builderAndFinal(tb testing.TB) (build, final dfStage) {
	tb.Helper()
	final = df.stages[len(df.stages)-1]
	for _, in := range final.all("COPY") {
		if from, ok := strings.CutPrefix(in.args, "--from="); ok {
			name, _, _ := strings.Cut(from, " ")
			for _, st := range df.stages {
				if st.name == name {
					return st, final
				}
			}
		}
	}
	tb.Fatalf("Dockerfile: the final stage copies from no named stage")
	return
}

// baseImageArg names the global ARG that st's FROM is, if it is one.
func (df *dockerfile) baseImageArg(st dfStage) (string, bool) {
	m := regexp.MustCompile(`^\$\{?(\w+)\}?$`).FindStringSubmatch(st.image)
	if m == nil {
		return "", false
	}
	_, ok := df.globalArgs[m[1]]
	return m[1], ok
}

func (st dfStage) all(cmd string) []dfInstruction {
	var ins []dfInstruction
	for _, in := range st.body {
		if in.cmd == cmd {
			ins = append(ins, in)
		}
	}
	return ins
}

// last is the arguments of st's last cmd, the one in effect; "" if none.
func (st dfStage) last(cmd string) string {
	ins := st.all(cmd)
	if len(ins) == 0 {
		return ""
	}
	return ins[len(ins)-1].args
}

// copyFrom returns the source and destination of st's one COPY --from=stage.
func (st dfStage) copyFrom(tb testing.TB, stage string) (src, dst string) {
	tb.Helper()
	var found []string
	for _, in := range st.all("COPY") {
		if rest, ok := strings.CutPrefix(in.args, "--from="+stage+" "); ok {
			found = strings.Fields(rest)
		}
	}
	if len(found) != 2 {
		tb.Fatalf("Dockerfile: want one COPY --from=%s SRC DST in the final stage, got %q", stage, found)
	}
	return found[0], found[1]
}

// splitRunFlags splits RUN's arguments into its --flags and the command.
func splitRunFlags(args string) (flags []string, cmd string) {
	for {
		f, rest, _ := strings.Cut(args, " ")
		if !strings.HasPrefix(f, "--") {
			return flags, args
		}
		flags = append(flags, f)
		args = strings.TrimSpace(rest)
	}
}

func requireCacheMounts(tb testing.TB, in dfInstruction, flags []string, targets ...string) {
	tb.Helper()
	for _, target := range targets {
		if !slices.ContainsFunc(flags, func(f string) bool {
			return strings.HasPrefix(f, "--mount=type=cache,") && slices.Contains(strings.Split(f, ","), "target="+target)
		}) {
			tb.Errorf("Dockerfile:%d: RUN %s has no --mount=type=cache,target=%s", in.line, in.args, target)
		}
	}
}
