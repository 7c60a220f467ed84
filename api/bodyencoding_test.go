package api

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func gzipped(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

func TestContentEncoding(t *testing.T) {
	t.Run("a gzip JSON body is decoded", func(t *testing.T) {
		e := newTestEnv(t)
		for _, coding := range []string{"gzip", "x-gzip", "GZIP", "identity, gzip"} {
			job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", gzipped(t, trainBody), "Content-Encoding", coding), http.StatusAccepted)
			if job.Request.Model != "iris" {
				t.Errorf("%s: job %+v", coding, job)
			}
		}
	})
	t.Run("identity is the body as sent", func(t *testing.T) {
		e := newTestEnv(t)
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody, "Content-Encoding", "identity"), http.StatusAccepted)
	})
	t.Run("a gzip prediction is decoded", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "POST", "/v1/models/iris/predict", gzipped(t, `{"instances":[[5.1,3.5,1.4,0.2]]}`), "Content-Encoding", "gzip")
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
	t.Run("a gzip CSV upload is decoded", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "POST", "/v1/datasets?name=tiny", gzipped(t, "a,b\n1,x\n2,y\n"), "Content-Type", "text/csv", "Content-Encoding", "gzip")
		ds := mustJSON[model.Dataset](t, w, http.StatusCreated)
		if ds.Rows != 2 || len(ds.Columns) != 2 {
			t.Errorf("dataset %+v", ds)
		}
	})
	t.Run("another coding is a 415 naming it", func(t *testing.T) {
		e := newTestEnv(t)
		for _, coding := range []string{"br", "deflate", "zstd", "gzip, gzip"} {
			w := e.do(t, "POST", "/v1/jobs", trainBody, "Content-Encoding", coding)
			p := mustProblem(t, w, http.StatusUnsupportedMediaType)
			if !strings.Contains(p.Detail, strings.Split(coding, ",")[0]) || w.Header().Get("Accept-Encoding") != "gzip, identity" {
				t.Errorf("%s: detail %q, Accept-Encoding %q", coding, p.Detail, w.Header().Get("Accept-Encoding"))
			}
		}
		w := e.do(t, "POST", "/v1/datasets?name=tiny", "a\n1\n", "Content-Type", "text/csv", "Content-Encoding", "br")
		mustProblem(t, w, http.StatusUnsupportedMediaType)
	})
	t.Run("the limit holds for the decoded bytes: a gzip bomb is a 413", func(t *testing.T) {
		e := newTestEnv(t)
		bomb := `{"type":"train","model":"` + strings.Repeat("a", 2<<20) + `"}`
		body := gzipped(t, bomb)
		if len(body) >= testBodyLimit {
			t.Fatalf("the bomb is %d bytes compressed; it must fit the limit", len(body))
		}
		p := mustProblem(t, e.do(t, "POST", "/v1/jobs", body, "Content-Encoding", "gzip"), http.StatusRequestEntityTooLarge)
		if !strings.Contains(p.Detail, "4096 bytes") {
			t.Errorf("detail %q", p.Detail)
		}
		csvBomb := gzipped(t, "a\n"+strings.Repeat("1\n", 1<<20))
		w := e.do(t, "POST", "/v1/datasets?name=bomb", csvBomb, "Content-Type", "text/csv", "Content-Encoding", "gzip")
		mustProblem(t, w, http.StatusRequestEntityTooLarge)
	})
	t.Run("a broken gzip body is a 400 that says so", func(t *testing.T) {
		e := newTestEnv(t)
		z := gzipped(t, trainBody)
		for name, body := range map[string]string{"not gzip": trainBody, "truncated": z[:len(z)/2]} {
			p := mustProblem(t, e.do(t, "POST", "/v1/jobs", body, "Content-Encoding", "gzip"), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "gzip-encoded body is corrupt") {
				t.Errorf("%s: detail %q", name, p.Detail)
			}
		}
		w := e.do(t, "POST", "/v1/datasets?name=tiny", "a\n1\n", "Content-Type", "text/csv", "Content-Encoding", "gzip")
		if p := mustProblem(t, w, http.StatusBadRequest); !strings.Contains(p.Detail, "gzip-encoded body is corrupt") {
			t.Errorf("upload: detail %q", p.Detail)
		}
	})
}
