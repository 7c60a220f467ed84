package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The pipeline is checked with gitlab-ci-local
// (npm install -g gitlab-ci-local@4.73.0), listing only: it reads the branch
// from a throwaway git clone, evaluates every job's rules as GitLab does,
// and validates the file against GitLab's JSON schema before it lists
// anything. No job is executed, so no Docker engine or runner is needed.

// ciJob is one job of gitlab-ci-local's --list-json output.
type ciJob struct {
	Name         string `json:"name"`
	Stage        string `json:"stage"`
	When         string `json:"when"`
	AllowFailure bool   `json:"allow_failure"`
}

func TestGitLabPipelineJobsPerBranch(t *testing.T) {
	t.Parallel()
	bin := ciLocalBinary(t)
	pipeline := ciPipelineFile(t)

	tests := []struct {
		name   string
		branch string
		want   []ciJob
	}{
		{
			name:   "a feature branch is tested and its image built, but not tagged latest or deployed",
			branch: "feature/x",
			want: []ciJob{
				{Name: "test", Stage: "test", When: "on_success"},
				{Name: "build-image", Stage: "build", When: "on_success"},
			},
		},
		{
			name:   "master is tested, built, tagged latest and deployed, with a manual rollback that does not block the pipeline",
			branch: "master",
			want: []ciJob{
				{Name: "test", Stage: "test", When: "on_success"},
				{Name: "build-image", Stage: "build", When: "on_success"},
				{Name: "tag-latest", Stage: "tag", When: "on_success"},
				{Name: "deploy-production", Stage: "deploy", When: "on_success"},
				{Name: "rollback-production", Stage: "deploy", When: "manual", AllowFailure: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := ciClone(t, pipeline, tt.branch)
			got := ciListJobs(t, bin, dir)
			if !slices.Equal(got, tt.want) {
				t.Errorf("jobs on %s:\n got %s\nwant %s", tt.branch, ciJobsString(got), ciJobsString(tt.want))
			}
		})
	}
}

// gitlab-ci-local 4.73.0 evaluates workflow:rules only for the variables they
// set and lists jobs even where GitLab would start no pipeline. So the test
// gives a probe job the workflow's own rules (by !reference, the file's rules
// unchanged) and asks gitlab-ci-local's rule evaluator, which treats job rules
// with GitLab's if/when semantics, whether the probe would run: it runs
// exactly where a workflow rule admits the pipeline.
func TestGitLabPipelineWorkflowRunsOnePipelinePerCommit(t *testing.T) {
	t.Parallel()
	bin := ciLocalBinary(t)
	probe := append(ciPipelineFile(t), []byte(`
workflow-probe:
  stage: test
  script: [":"]
  rules: !reference [workflow, rules]
`)...)

	tests := []struct {
		name    string
		branch  string
		args    []string
		wantRun bool
	}{
		{
			name:    "a push to any branch starts a pipeline",
			branch:  "feature/x",
			wantRun: true,
		},
		{
			name:   "a merge request starts no second pipeline for the same commit",
			branch: "feature/x",
			// What GitLab sets for a merge request pipeline: the source is
			// merge_request_event and CI_COMMIT_BRANCH is absent.
			args: []string{
				"--variable", "CI_PIPELINE_SOURCE=merge_request_event",
				"--variable", "CI_MERGE_REQUEST_IID=1",
				"--unset-variable", "CI_COMMIT_BRANCH",
				"--ignore-predefined-vars", "CI_PIPELINE_SOURCE,CI_MERGE_REQUEST_IID,CI_COMMIT_BRANCH",
			},
			wantRun: false,
		},
		{
			name:   "a git tag starts no pipeline",
			branch: "master",
			args: []string{
				"--variable", "CI_COMMIT_TAG=v1.0.0",
				"--unset-variable", "CI_COMMIT_BRANCH",
				"--ignore-predefined-vars", "CI_COMMIT_TAG,CI_COMMIT_BRANCH",
			},
			wantRun: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := ciClone(t, probe, tt.branch)
			jobs := ciListJobs(t, bin, dir, tt.args...)
			i := slices.IndexFunc(jobs, func(j ciJob) bool { return j.Name == "workflow-probe" })
			if gotRun := i >= 0; gotRun != tt.wantRun {
				t.Errorf("pipeline starts = %v, want %v (jobs: %s)", gotRun, tt.wantRun, ciJobsString(jobs))
			}
		})
	}
}

func TestGitLabPipelinePassesSchemaCheck(t *testing.T) {
	t.Parallel()
	bin := ciLocalBinary(t)
	pipeline := ciPipelineFile(t)

	t.Run("the pipeline is valid against GitLab's schema", func(t *testing.T) {
		t.Parallel()
		_, stderr, err := ciRun(t, bin, ciClone(t, pipeline, "master"))
		if err != nil {
			t.Fatalf("gitlab-ci-local: %v\n%s", err, stderr)
		}
		// Printed only after the schema check ran and passed.
		if !strings.Contains(stderr, "json schema validated") {
			t.Errorf("gitlab-ci-local did not report a schema check:\n%s", stderr)
		}
	})

	// The same check must reject a broken file, or the test above proves
	// nothing.
	t.Run("a job with an unknown keyword is rejected", func(t *testing.T) {
		t.Parallel()
		const job = "\ndeploy-production:\n"
		if !bytes.Contains(pipeline, []byte(job)) {
			t.Fatalf(".gitlab-ci.yml has no top-level %q job to break", strings.TrimSpace(job))
		}
		broken := bytes.Replace(pipeline, []byte(job), []byte(job+"  no_such_keyword: true\n"), 1)
		_, stderr, err := ciRun(t, bin, ciClone(t, broken, "master"))
		if err == nil {
			t.Fatalf("gitlab-ci-local accepted a job with an unknown keyword:\n%s", stderr)
		}
		if !strings.Contains(stderr, "no_such_keyword") || !strings.Contains(stderr, "Invalid .gitlab-ci.yml") {
			t.Errorf("gitlab-ci-local failed, but not on the schema:\n%s", stderr)
		}
	})
}

// ciLocalBinary returns the path of gitlab-ci-local, skipping the test when it
// (or git, which it reads the branch from) is not installed, unless
// MLSERVE_TEST_REQUIRE_REAL=1 makes that a failure.
func ciLocalBinary(tb testing.TB) string {
	tb.Helper()
	var bin string
	for _, tool := range []struct{ name, install string }{
		{"git", "apt-get install git"},
		{"gitlab-ci-local", "npm install -g gitlab-ci-local@4.73.0"},
	} {
		path, err := exec.LookPath(tool.name)
		if err != nil {
			if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
				tb.Fatalf("%s not installed and MLSERVE_TEST_REQUIRE_REAL=1 (%s): %v", tool.name, tool.install, err)
			}
			tb.Skipf("%s not installed (%s)", tool.name, tool.install)
		}
		bin = path
	}
	return bin
}

// ciPipelineFile returns the repository's .gitlab-ci.yml.
func ciPipelineFile(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", ".gitlab-ci.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ciClone makes a throwaway repository holding pipeline as .gitlab-ci.yml in
// one commit, on branches master and feature/x, with branch checked out.
// origin/HEAD points at master, which is how gitlab-ci-local learns the
// default branch (CI_DEFAULT_BRANCH) without overriding a predefined variable.
func ciClone(tb testing.TB, pipeline []byte, branch string) string {
	tb.Helper()
	dir := tb.TempDir()
	git := func(args ...string) {
		tb.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = ciEnv(dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", "-b", "master")
	git("config", "user.name", "mlserve test")
	git("config", "user.email", "test@mlserve.invalid")
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), pipeline, 0o644); err != nil {
		tb.Fatal(err)
	}
	git("add", ".gitlab-ci.yml")
	git("commit", "-q", "-m", "pipeline under test")
	git("branch", "feature/x")
	git("remote", "add", "origin", "git@gitlab.com:mlserve/mlserve.git")
	git("update-ref", "refs/remotes/origin/master", "master")
	git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/master")
	git("checkout", "-q", branch)
	return dir
}

// ciEnv is the whole environment of git and gitlab-ci-local: no GCL_* option,
// no user or system git config, no ~/.gitlab-ci-local variables, and none of
// the CI_* variables of a GitLab job the test itself may run in.
func ciEnv(dir string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, ".home"),
		"GIT_CONFIG_NOSYSTEM=1",
		"LANG=C",
	}
}

// ciRun runs gitlab-ci-local --list-json in dir with schema validation on
// and returns its stdout and stderr.
func ciRun(tb testing.TB, bin, dir string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	// A guard against a hung process, not a timed assertion.
	ctx, cancel := context.WithTimeout(tb.Context(), 5*time.Minute)
	defer cancel()
	args = append([]string{
		"--list-json", "--json-schema-validation", "--no-color",
		"--home", filepath.Join(dir, ".home"),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = ciEnv(dir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// ciListJobs returns the jobs gitlab-ci-local would run in dir, in file
// order; jobs whose rules resolve to when: never are left out, as GitLab
// leaves them out of the pipeline.
func ciListJobs(tb testing.TB, bin, dir string, args ...string) []ciJob {
	tb.Helper()
	stdout, stderr, err := ciRun(tb, bin, dir, args...)
	if err != nil {
		tb.Fatalf("gitlab-ci-local: %v\n%s%s", err, stdout, stderr)
	}
	// Warnings, if any, come first on stdout; the JSON list starts a line.
	start := strings.Index(stdout, "\n[")
	if start < 0 || strings.HasPrefix(stdout, "[") {
		start = 0
	}
	var all []ciJob
	if err := json.Unmarshal([]byte(stdout[start:]), &all); err != nil {
		tb.Fatalf("gitlab-ci-local --list-json: %v\n%s", err, stdout)
	}
	jobs := all[:0]
	for _, j := range all {
		if j.When != "never" {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

func ciJobsString(jobs []ciJob) string {
	var b strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&b, "[%s stage=%s when=%s allow_failure=%v] ", j.Name, j.Stage, j.When, j.AllowFailure)
	}
	return b.String()
}
