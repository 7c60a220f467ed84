package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// readIris returns the repository's testdata/iris.csv.
func readIris(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "iris.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// irisColumns are the columns inspecting iris.csv gives, with their
// distinct value counts, which are facts about the data set (35 sepal
// lengths, 23 widths, ...), every measurement a fraction.
func irisColumns() []model.Column {
	num := func(n string, distinct int) model.Column {
		return model.Column{Name: n, Type: model.ColumnNumber, Distinct: distinct, Fractional: true}
	}
	return []model.Column{num("Sepal length", 35), num("Sepal width", 23), num("Petal length", 43), num("Petal width", 22),
		{Name: "Species", Type: model.ColumnString, Distinct: 3}}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// formFile is one file part of a multipart body.
type formFile struct{ field, content string }

// multipartBody encodes files as a multipart/form-data body and returns
// its Content-Type and bytes.
func multipartBody(tb testing.TB, files ...formFile) (contentType, body string) {
	tb.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.field+".csv")
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.WriteString(w, f.content); err != nil {
			tb.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return mw.FormDataContentType(), b.String()
}

// uploadCSV posts csv as a text/csv body to /v1/datasets?name=name.
func (e *testEnv) uploadCSV(tb testing.TB, name, csv string) *httptest.ResponseRecorder {
	tb.Helper()
	return e.do(tb, "POST", "/v1/datasets?name="+name, csv, "Content-Type", "text/csv")
}

// uploadMultipart posts csv in the multipart field file.
func (e *testEnv) uploadMultipart(tb testing.TB, name, csv string) *httptest.ResponseRecorder {
	tb.Helper()
	ct, body := multipartBody(tb, formFile{"file", csv})
	return e.do(tb, "POST", "/v1/datasets?name="+name, body, "Content-Type", ct)
}

// doStreamed serves a request whose body has no declared length, as a
// chunked upload has.
func (e *testEnv) doStreamed(tb testing.TB, method, path, contentType string, body io.Reader) *httptest.ResponseRecorder {
	tb.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.Body, r.ContentLength = io.NopCloser(body), -1
	r.Header.Set("Content-Type", contentType)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// badCSVs are CSVs that are not datasets and the line each problem is on.
var badCSVs = []struct {
	name, csv string
	line      int
}{
	{"an empty file", "", 1},
	{"a header only", "a,b\n", 2},
	{"a ragged row", "a,b\n1,2\n3\n", 3},
	{"a duplicate column name", "a,b,a\n1,2,3\n", 1},
	{"an empty column name", "a,,c\n1,2,3\n", 1},
	{"a quote left open", "a,b\n1,2\n3,\"4\n5,6\n", 3},
}

// mustNameLine checks that a 422 problem names the file field and the line.
func mustNameLine(tb testing.TB, w *httptest.ResponseRecorder, line int) {
	tb.Helper()
	p := mustProblem(tb, w, http.StatusUnprocessableEntity)
	want := "line " + strconv.Itoa(line) + ":"
	if !strings.Contains(p.Detail, want) || !strings.Contains(p.Errors["file"], want) {
		tb.Fatalf("problem does not name %q: detail %q, errors %v", want, p.Detail, p.Errors)
	}
}
