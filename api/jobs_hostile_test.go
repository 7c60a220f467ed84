package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestJobCreateCapsProblems(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Limits.BodyBytes = 1 << 20 })
	const n = 50_000
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf(`"u%d"`, i)
	}
	body := `{"type":"train","model":"iris","dataset":"` + irisDataset + `","target":"species","algorithm":"random_forest","features":[` +
		strings.Join(names, ",") + `]}`
	w := e.do(t, "POST", "/v1/jobs", body)
	if w.Body.Len() > 8<<10 {
		t.Errorf("the 422 is %d bytes for a %d-byte body; want a few KB", w.Body.Len(), len(body))
	}
	p := mustProblem(t, w, http.StatusUnprocessableEntity)
	if len(p.Errors) != maxProblems {
		t.Errorf("%d problems, want %d", len(p.Errors), maxProblems)
	}
	if got := p.Errors["features[0]"]; got != `no column "u0" in the dataset` {
		t.Errorf("features[0]: %q", got)
	}
	if want := fmt.Sprintf("; and %d more problems", n-maxProblems); !strings.HasSuffix(p.Detail, want) {
		t.Errorf("detail %q does not end %q", p.Detail, want)
	}
	if got := strings.Count(p.Detail, "no column"); got != maxProblems {
		t.Errorf("the detail repeats %d problems, want %d", got, maxProblems)
	}
}
