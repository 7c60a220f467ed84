package api

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestDatasetCreate(t *testing.T) {
	iris := readIris(t)
	for _, tt := range []struct {
		name   string
		upload func(e *testEnv) (*testEnv, string, string)
	}{
		{"a text/csv upload", func(e *testEnv) (*testEnv, string, string) { return e, "text/csv", iris }},
		{"a text/csv upload with charset=utf-8", func(e *testEnv) (*testEnv, string, string) { return e, "text/csv; charset=UTF-8", iris }},
		{"a multipart upload in field file", func(e *testEnv) (*testEnv, string, string) {
			ct, body := multipartBody(t, formFile{"file", iris})
			return e, ct, body
		}},
	} {
		t.Run(tt.name+" is 201 with Location and the dataset, and keeps the bytes", func(t *testing.T) {
			e, ct, body := tt.upload(newTestEnv(t))
			w := e.do(t, "POST", "/v1/datasets?name=iris", body, "Content-Type", ct)
			d := mustJSON[model.Dataset](t, w, http.StatusCreated)
			want := model.Dataset{ID: d.ID, Name: "iris", Rows: 150, Columns: irisColumns(),
				SizeBytes: int64(len(iris)), SHA256: sha256Hex(iris), CreatedAt: testNow}
			if !reflect.DeepEqual(d, want) {
				t.Fatalf("dataset\n%+v\nwant\n%+v", d, want)
			}
			if got := w.Header().Get("Location"); got != "/v1/datasets/"+d.ID {
				t.Fatalf("Location = %q", got)
			}
			if string(e.datasets.file(d.ID)) != iris {
				t.Fatal("the store holds other bytes than were uploaded")
			}
		})
	}
	t.Run("a CSV streamed without a length is accepted", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.doStreamed(t, "POST", "/v1/datasets?name=iris", "text/csv", strings.NewReader(iris))
		mustJSON[model.Dataset](t, w, http.StatusCreated)
	})
	t.Run("a store that goes down is 503", func(t *testing.T) {
		e := newTestEnv(t)
		e.datasets.setCreateErr(model.Errorf(model.CodeUnavailable, "the database is unavailable"))
		mustProblem(t, e.uploadCSV(t, "iris", iris), http.StatusServiceUnavailable)
	})
}

func TestDatasetCreateRefused(t *testing.T) {
	overColumns := strings.Repeat("c,", testDatasetColumns) + "last\n" + strings.Repeat("1,", testDatasetColumns) + "2\n"
	overSize := "x\n" + strings.Repeat("1\n", testDatasetLimit/2)
	longName := "a," + strings.Repeat("n", testColumnNameBytes+1) + "\n1,2\n"
	longHeader := strings.Repeat("abcdefghijklmnopqrstuvwxyz12345,", testHeaderBytes/32) + "z\n" + strings.Repeat("1,", testHeaderBytes/32) + "2\n"
	tests := []struct {
		name        string
		query       string
		contentType string
		body        string
		status      int
		field       string // a field the problem must name, if any
	}{
		{"JSON is 415", "name=iris", "application/json", `{"csv":"a,b"}`, http.StatusUnsupportedMediaType, ""},
		{"no content type is 415", "name=iris", "", "a\n1\n", http.StatusUnsupportedMediaType, ""},
		{"a CSV in Latin-1 is 415", "name=iris", "text/csv; charset=iso-8859-1", "a\n1\n", http.StatusUnsupportedMediaType, ""},
		{"a missing name is 422 naming name", "", "text/csv", "a\n1\n", http.StatusUnprocessableEntity, "name"},
		{"an invalid name is 422 naming name", "name=Iris%20Data", "text/csv", "a\n1\n", http.StatusUnprocessableEntity, "name"},
		{"a repeated name is 422 naming name", "name=a&name=b", "text/csv", "a\n1\n", http.StatusUnprocessableEntity, "name"},
		{"an unknown query parameter is 422 naming it", "name=iris&kind=csv", "text/csv", "a\n1\n", http.StatusUnprocessableEntity, "kind"},
		{"a declared length over the limit is 413", "name=iris", "text/csv", overSize, http.StatusRequestEntityTooLarge, ""},
		{"too many columns is 422 naming the file", "name=iris", "text/csv", overColumns, http.StatusUnprocessableEntity, "file"},
		{"a column name over the limit is 422 naming the file", "name=iris", "text/csv", longName, http.StatusUnprocessableEntity, "file"},
		{"a header over the limit is 422 naming the file", "name=iris", "text/csv", longHeader, http.StatusUnprocessableEntity, "file"},
		{"a multipart body without a boundary is 400", "name=iris", "multipart/form-data", "a\n1\n", http.StatusBadRequest, ""},
		{"a multipart body cut short is 400", "name=iris", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\na,b\n1,", http.StatusBadRequest, ""},
		{"an empty multipart body is 422 naming file", "name=iris", "multipart/form-data; boundary=xyz", "--xyz--\r\n", http.StatusUnprocessableEntity, "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			p := mustProblem(t, e.do(t, "POST", "/v1/datasets?"+tt.query, tt.body, "Content-Type", tt.contentType), tt.status)
			if tt.field != "" && p.Errors[tt.field] == "" {
				t.Fatalf("errors = %v, want an entry for %q", p.Errors, tt.field)
			}
			if got := e.datasets.stored(); len(got) != 2 {
				t.Fatalf("the store holds %v after a refused upload", got)
			}
		})
	}

	multipartTests := []struct {
		name   string
		files  []formFile
		status int
		field  string
	}{
		{"a part other than file is 422 naming it", []formFile{{"data", "a\n1\n"}}, http.StatusUnprocessableEntity, "data"},
		{"a second part after the file is 422 naming it", []formFile{{"file", "a\n1\n"}, {"extra", "b\n2\n"}}, http.StatusUnprocessableEntity, "extra"},
		{"a file over the limit is 413", []formFile{{"file", overSize}}, http.StatusRequestEntityTooLarge, ""},
	}
	for _, tt := range multipartTests {
		t.Run("multipart: "+tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			ct, body := multipartBody(t, tt.files...)
			p := mustProblem(t, e.do(t, "POST", "/v1/datasets?name=x", body, "Content-Type", ct), tt.status)
			if tt.field != "" && p.Errors[tt.field] == "" {
				t.Fatalf("errors = %v, want an entry for %q", p.Errors, tt.field)
			}
			if got := e.datasets.stored(); len(got) != 2 {
				t.Fatalf("the store holds %v after a refused upload", got)
			}
		})
	}

	t.Run("a streamed body over the limit is 413", func(t *testing.T) {
		e := newTestEnv(t)
		mustProblem(t, e.doStreamed(t, "POST", "/v1/datasets?name=x", "text/csv", strings.NewReader(overSize)), http.StatusRequestEntityTooLarge)
	})
	t.Run("a body the client breaks off is 400", func(t *testing.T) {
		e := newTestEnv(t)
		body := &brokenReader{data: strings.NewReader("a,b\n1,2\n"), err: errors.New("connection reset by peer")}
		mustProblem(t, e.doStreamed(t, "POST", "/v1/datasets?name=x", "text/csv", body), http.StatusBadRequest)
	})
	t.Run("the header limits are named with their values", func(t *testing.T) {
		e := newTestEnv(t)
		p := mustProblem(t, e.uploadCSV(t, "x", longName), http.StatusUnprocessableEntity)
		if want := fmt.Sprintf("the name of column 2 is %d bytes long, the limit is %d bytes", testColumnNameBytes+1, testColumnNameBytes); !strings.Contains(p.Errors["file"], want) {
			t.Fatalf("errors = %v, want file to say %q", p.Errors, want)
		}
		p = mustProblem(t, e.uploadCSV(t, "x", longHeader), http.StatusUnprocessableEntity)
		if want := fmt.Sprintf("the header is longer than the limit of %d bytes", testHeaderBytes); !strings.Contains(p.Errors["file"], want) {
			t.Fatalf("errors = %v, want file to say %q", p.Errors, want)
		}
	})
	for _, bad := range badCSVs {
		t.Run(bad.name+" is 422 naming line "+fmt.Sprint(bad.line), func(t *testing.T) {
			e := newTestEnv(t)
			mustNameLine(t, e.uploadCSV(t, "bad", bad.csv), bad.line)
		})
	}
}

// brokenReader yields data, then fails with err instead of io.EOF.
type brokenReader struct {
	data *strings.Reader
	err  error
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.data.Len() == 0 {
		return 0, r.err
	}
	return r.data.Read(p)
}

func TestDatasetGet(t *testing.T) {
	e := newTestEnv(t)
	t.Run("a known dataset is 200 with the dataset", func(t *testing.T) {
		d := mustJSON[model.Dataset](t, e.do(t, "GET", "/v1/datasets/"+irisDataset, ""), http.StatusOK)
		if d.ID != irisDataset || d.Name != "iris" || d.Rows != 150 {
			t.Fatalf("got %+v", d)
		}
	})
	for _, id := range []string{strings.Repeat("f", 24), "not-an-id", strings.Repeat("A", 24)} {
		t.Run(fmt.Sprintf("dataset %q is a 404 problem", id), func(t *testing.T) {
			mustProblem(t, e.do(t, "GET", "/v1/datasets/"+id, ""), http.StatusNotFound)
			mustProblem(t, e.do(t, "GET", "/v1/datasets/"+id+"/csv", ""), http.StatusNotFound)
			mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+id, ""), http.StatusNotFound)
		})
	}
}

func TestDatasetList(t *testing.T) {
	t.Run("next_cursor pages through every dataset, newest first", func(t *testing.T) {
		e := newTestEnv(t)
		for i := range 3 {
			mustJSON[model.Dataset](t, e.uploadCSV(t, fmt.Sprintf("d%d", i), "a\n1\n"), http.StatusCreated)
		}
		want := slices.Clone(e.datasets.stored())
		slices.Reverse(want)
		var got []string
		path := "/v1/datasets?limit=2"
		for range len(want) + 1 {
			page := mustJSON[model.DatasetPage](t, e.do(t, "GET", path, ""), http.StatusOK)
			for _, d := range page.Datasets {
				got = append(got, d.ID)
			}
			if page.NextCursor == "" {
				break
			}
			path = "/v1/datasets?limit=2&cursor=" + page.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	})
	t.Run("a listing leaves the columns out, whatever their names", func(t *testing.T) {
		e := newTestEnv(t)
		name := strings.Repeat("n", testColumnNameBytes)
		mustJSON[model.Dataset](t, e.uploadCSV(t, "wide", name+",b\n1,2\n"), http.StatusCreated)
		w := e.do(t, "GET", "/v1/datasets", "")
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), name) || strings.Contains(w.Body.String(), `"columns"`) {
			t.Fatalf("status %d, body %s: want no columns", w.Code, w.Body)
		}
		page := mustJSON[model.DatasetPage](t, w, http.StatusOK)
		if d := page.Datasets[0]; d.Name != "wide" || d.ColumnCount != 2 || d.Rows != 1 {
			t.Fatalf("first summary %+v, want wide with 2 columns and 1 row", d)
		}
	})
	t.Run("an empty listing is an empty array", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Datasets = newFakeDatasets(nil, nil) })
		w := e.do(t, "GET", "/v1/datasets", "")
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"datasets":[]`) {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
	})
	for _, tt := range []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"limit=ten", "limit"},
		{"cursor=nope", "cursor"}, {"sort=name", "sort"}, {"limit=1&limit=2", "limit"},
	} {
		t.Run(tt.query+" is a 422 naming "+tt.field, func(t *testing.T) {
			e := newTestEnv(t)
			p := mustProblem(t, e.do(t, "GET", "/v1/datasets?"+tt.query, ""), http.StatusUnprocessableEntity)
			if p.Errors[tt.field] == "" {
				t.Fatalf("errors = %v", p.Errors)
			}
		})
	}
}

func TestDatasetCSV(t *testing.T) {
	e := newTestEnv(t)
	iris := readIris(t)
	d := mustJSON[model.Dataset](t, e.uploadCSV(t, "iris", iris), http.StatusCreated)

	t.Run("the CSV comes back as uploaded, as a named attachment with its sha256 as ETag", func(t *testing.T) {
		w := e.do(t, "GET", "/v1/datasets/"+d.ID+"/csv", "")
		if w.Code != http.StatusOK || w.Body.String() != iris {
			t.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
		}
		want := map[string]string{
			"Content-Type":        "text/csv",
			"Content-Length":      fmt.Sprint(len(iris)),
			"ETag":                `"` + sha256Hex(iris) + `"`,
			"Content-Disposition": `attachment; filename="iris.csv"`,
		}
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("a matching If-None-Match is 304 without a body", func(t *testing.T) {
		w := e.do(t, "GET", "/v1/datasets/"+d.ID+"/csv", "", "If-None-Match", `"other", W/"`+sha256Hex(iris)+`"`)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
		}
	})
	t.Run("another If-None-Match gets the CSV", func(t *testing.T) {
		w := e.do(t, "GET", "/v1/datasets/"+d.ID+"/csv", "", "If-None-Match", `"other"`)
		if w.Code != http.StatusOK || w.Body.String() != iris {
			t.Fatalf("status %d", w.Code)
		}
	})
}

func TestDatasetDelete(t *testing.T) {
	t.Run("a dataset no job uses is 204, then gone", func(t *testing.T) {
		e := newTestEnv(t)
		if w := e.do(t, "DELETE", "/v1/datasets/"+narrowDataset, ""); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
		mustProblem(t, e.do(t, "GET", "/v1/datasets/"+narrowDataset, ""), http.StatusNotFound)
		mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+narrowDataset, ""), http.StatusNotFound)
	})
	t.Run("a dataset a queued job uses is 409 until the job is canceled", func(t *testing.T) {
		e := newTestEnv(t)
		job := mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs", trainBody), http.StatusAccepted)
		p := mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+irisDataset, ""), http.StatusConflict)
		if !strings.Contains(p.Detail, job.ID) {
			t.Fatalf("detail %q does not name job %s", p.Detail, job.ID)
		}
		mustJSON[model.Job](t, e.do(t, "POST", "/v1/jobs/"+job.ID+"/cancel", ""), http.StatusAccepted)
		if w := e.do(t, "DELETE", "/v1/datasets/"+irisDataset, ""); w.Code != http.StatusNoContent {
			t.Fatalf("status %d after the cancel; body %s", w.Code, w.Body)
		}
	})
	t.Run("a store that is down is 503", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) {
			d.Datasets = failingDatasets{model.Errorf(model.CodeUnavailable, "the database is unavailable")}
		})
		mustProblem(t, e.do(t, "DELETE", "/v1/datasets/"+irisDataset, ""), http.StatusServiceUnavailable)
	})
}

func TestDatasetScopes(t *testing.T) {
	tests := []struct {
		name, method, path, key string
		status                  int
	}{
		{"a read key may list datasets", "GET", "/v1/datasets", readKey, http.StatusOK},
		{"a read key may get a dataset", "GET", "/v1/datasets/" + irisDataset, readKey, http.StatusOK},
		{"a read key may download a dataset", "GET", "/v1/datasets/" + irisDataset + "/csv", readKey, http.StatusOK},
		{"a predict key may not list datasets", "GET", "/v1/datasets", predictKey, http.StatusForbidden},
		{"a read key may not upload", "POST", "/v1/datasets?name=x", readKey, http.StatusForbidden},
		{"a read key may not delete", "DELETE", "/v1/datasets/" + narrowDataset, readKey, http.StatusForbidden},
		{"an admin key may upload", "POST", "/v1/datasets?name=x", adminKey, http.StatusCreated},
		{"an admin key may delete", "DELETE", "/v1/datasets/" + narrowDataset, adminKey, http.StatusNoContent},
		{"a request without a key is 401", "GET", "/v1/datasets", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, withKeys)
			w := e.do(t, tt.method, tt.path, "a\n1\n", "Content-Type", "text/csv", "Authorization", "Bearer "+tt.key)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}
