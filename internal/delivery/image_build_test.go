//go:build linux

package delivery

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/testenv"
	"gitlab.com/mlserve/mlserve/model"
)

// TestImageBinary runs the Dockerfile's builder stage here, on the build
// context .dockerignore lets through, and then the binary the final stage
// copies: static, stamped, and able to serve and train as the image runs it.
func TestImageBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the image's binary with cgo (minutes); skipped with -short")
	}
	lookImageTool(t, "go")
	lookImageTool(t, "sh")
	root := imageRepoRoot(t)
	df := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	build, final := df.builderAndFinal(t)
	args := map[string]string{"VERSION": "v0.0.0-imagetest", "COMMIT": "0123456789abcdef0123456789abcdef01234567"}

	buildContext := copyBuildContext(t, root, readDockerignore(t, root))
	workdir := runBuilderStage(t, build, buildContext, args)
	src, dst := final.copyFrom(t, build.name)
	rel, ok := strings.CutPrefix(src, workdir+"/")
	if !ok || dst != "/mlserve" {
		t.Fatalf("final stage copies %s to %s; want a file of the builder's WORKDIR %s copied to /mlserve", src, dst, workdir)
	}
	bin := filepath.Join(buildContext, filepath.FromSlash(rel))

	t.Run("ldd and the ELF headers show a static executable", func(t *testing.T) {
		out, _ := exec.Command(lookImageTool(t, "ldd"), bin).CombinedOutput() // exits 1 for a static binary
		if !strings.Contains(string(out), "not a dynamic executable") {
			t.Errorf("ldd %s: %s; want \"not a dynamic executable\"", bin, out)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		libs, _ := f.ImportedLibraries()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("the binary names a dynamic loader (PT_INTERP) and needs %q", libs)
			}
		}
	})

	t.Run("version prints the stamped version and commit", func(t *testing.T) {
		out, err := exec.Command(bin, "version").CombinedOutput()
		want := fmt.Sprintf("mlserve %s (%s)", args["VERSION"], args["COMMIT"][:12])
		if err != nil || !strings.HasPrefix(string(out), want) {
			t.Errorf("mlserve version: %q, %v; want it to start with %q", out, err, want)
		}
	})

	t.Run("api and worker serve, train with liblinear, predict and stop on SIGTERM", func(t *testing.T) {
		uid, gid, err := numericUser(final.last("USER"))
		if err != nil {
			t.Fatal(err)
		}
		run := newImageRunner(t, bin, uid, gid)
		key := "mls_imagetest"
		sum := sha256.Sum256([]byte(key))
		mongo := testenv.Mongo(t)
		env := []string{
			"MLSERVE_HTTP_ADDR=127.0.0.1:0",
			"MLSERVE_MONGO_URI=" + mongo.URI,
			"MLSERVE_MONGO_DATABASE=" + mongo.Database,
			"MLSERVE_REDIS_ADDR=" + testenv.Redis(t),
			"MLSERVE_AUTH_KEYS=imagetest:" + hex.EncodeToString(sum[:]) + ":admin",
		}
		// The api needs no writable path; the worker's training writes
		// golearn's model files under /tmp (an emptyDir in Kubernetes).
		api := run.start(t, env, "api", false)
		worker := run.start(t, env, "worker", true)
		c := &imageClient{base: "http://" + api.listenAddr(t), key: key}

		c.waitReady(t)
		iris, err := os.ReadFile(filepath.Join(root, "testdata", "iris.csv"))
		if err != nil {
			t.Fatal(err)
		}
		var ds model.Dataset
		c.call(t, "POST", "/v1/datasets?name=iris", "text/csv", iris, http.StatusCreated, &ds)
		// logistic_regression is liblinear: the C++ linked into the binary,
		// run by the worker's re-exec of itself.
		var job model.Job
		c.callJSON(t, "POST", "/v1/jobs", map[string]any{
			"type": "train", "model": "iris", "dataset": ds.ID, "target": "Species",
			"algorithm": "logistic_regression", "validation": map[string]any{"holdout": 0.2, "seed": 1},
		}, http.StatusAccepted, &job)
		deadline := time.Now().Add(3 * time.Minute) // a hang guard, not a speed test
		for !job.Status.Terminal() && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			c.call(t, "GET", "/v1/jobs/"+job.ID, "", nil, http.StatusOK, &job)
		}
		if job.Status != model.StatusSucceeded || job.Result == nil || job.Result.Metrics == nil || job.Result.Metrics.Classification == nil {
			t.Fatalf("training job: status %s, error %+v", job.Status, job.Error)
		}
		if acc := job.Result.Metrics.Classification.Accuracy; acc < 0.9 {
			t.Errorf("logistic regression on iris: accuracy %.3f, want at least 0.9", acc)
		}
		var pred struct{ Predictions []string }
		c.callJSON(t, "POST", "/v1/models/iris/predict", map[string]any{"instances": [][]float64{{5.1, 3.5, 1.4, 0.2}}}, http.StatusOK, &pred)
		if !slices.Equal(pred.Predictions, []string{"Iris-setosa"}) {
			t.Errorf("predict a setosa: %q", pred.Predictions)
		}

		for _, p := range []*imageProcess{api, worker} {
			run.checkConfined(t, p)
			if err := p.stop(t); err != nil {
				t.Errorf("%s after SIGTERM: %v, want exit status 0", p.role, err)
			}
		}
	})
}

// dockerignore holds .dockerignore's patterns.
type dockerignore []string

// readDockerignore reads the patterns. It refuses the syntax its matcher
// does not implement ("**", "!"), so the copy it makes is the context.
func readDockerignore(tb testing.TB, root string) dockerignore {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		tb.Fatal(err)
	}
	var d dockerignore
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if strings.Contains(p, "**") || strings.HasPrefix(p, "!") {
			tb.Fatalf(".dockerignore: %q: this test's matcher handles plain patterns only", p)
		}
		d = append(d, strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/"))
	}
	return d
}

// excludes reports whether Docker leaves path (slash-separated, relative to
// the context) out: a pattern matches it or one of its parent directories.
func (d dockerignore) excludes(path string) bool {
	for p := path; p != "."; p = filepath.Dir(p) {
		for _, pattern := range d {
			if ok, _ := filepath.Match(pattern, p); ok {
				return true
			}
		}
	}
	return false
}

// copyBuildContext copies what docker build would send from root.
func copyBuildContext(tb testing.TB, root string, ignore dockerignore) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "context")
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel != "." && ignore.excludes(filepath.ToSlash(rel)) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		info, err := e.Info()
		switch {
		case err != nil:
			return err
		case e.IsDir():
			return os.MkdirAll(to, 0o755)
		case e.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case e.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("copy the build context: %v", err)
	}
	return dst
}

// runBuilderStage does here what docker build does in the builder stage,
// with dir, the build context's copy, as its WORKDIR, and returns the
// WORKDIR the stage names.
// It runs the stage's RUN commands as written, with sh, the stage's ARGs in
// their environment (args, else the defaults) and the host's Go caches in
// place of the cache mounts. It refuses an instruction it cannot reproduce.
func runBuilderStage(tb testing.TB, st dfStage, dir string, args map[string]string) (workdir string) {
	tb.Helper()
	// The golang images set GOTOOLCHAIN=local and no GOFLAGS.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		_, isArg := args[name]
		return isArg || name == "GOFLAGS" || name == "CGO_ENABLED" || name == "GOTOOLCHAIN"
	})
	env = append(env, "GOTOOLCHAIN=local")
	for _, in := range st.body {
		switch in.cmd {
		case "WORKDIR":
			workdir = in.args
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) < 2 || strings.HasPrefix(f[0], "--") || (f[len(f)-1] != "." && f[len(f)-1] != "./") {
				tb.Fatalf("Dockerfile:%d: COPY %s: this test copies the whole context into WORKDIR; it reads only COPY SRC... ./", in.line, in.args)
			}
			for _, src := range f[:len(f)-1] {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					tb.Fatalf("Dockerfile:%d: COPY %s: not in the build context (.dockerignore?): %v", in.line, src, err)
				}
			}
		case "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			if v, ok := args[name]; ok {
				def = v
			}
			env = append(env, name+"="+def)
		case "RUN":
			flags, cmd := splitRunFlags(in.args)
			for _, f := range flags {
				if !strings.HasPrefix(f, "--mount=type=cache,") {
					tb.Fatalf("Dockerfile:%d: RUN %s: this test reproduces cache mounts only", in.line, f)
				}
			}
			c := exec.Command("sh", "-c", cmd)
			c.Dir, c.Env = dir, env
			start := time.Now()
			out, err := c.CombinedOutput()
			tb.Logf("Dockerfile:%d: RUN %s: %s", in.line, cmd, time.Since(start).Round(time.Second))
			if err != nil {
				tb.Fatalf("Dockerfile:%d: RUN %s: %v\n%s", in.line, cmd, err, out)
			}
			// glibc's warning for what a static binary cannot do without the
			// shared libraries of the build machine (NSS, iconv, dlopen).
			if bytes.Contains(out, []byte("in statically linked applications requires at runtime")) {
				tb.Errorf("Dockerfile:%d: RUN %s: the static link needs glibc's shared libraries at run time:\n%s", in.line, cmd, out)
			}
		default:
			tb.Fatalf("Dockerfile:%d: %s in the builder stage: this test cannot reproduce it", in.line, in.cmd)
		}
	}
	if !filepath.IsAbs(workdir) {
		tb.Fatalf("builder stage: WORKDIR %q, want an absolute path", workdir)
	}
	return workdir
}
