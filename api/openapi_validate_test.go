package api

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// maxValidatedBody is the most of a response body the validator keeps; a
// longer body (a large score output) has its status, headers and content
// type checked, not its bytes.
const maxValidatedBody = 8 << 20

// loadOpenAPI parses and validates the embedded document once for every
// test, and builds the router that finds a request's operation in it.
var loadOpenAPI = sync.OnceValues(func() (*openapi3.T, routers.Router) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	if err != nil {
		panic("api/openapi.yaml does not parse: " + err.Error())
	}
	if err := doc.Validate(context.Background()); err != nil {
		panic("api/openapi.yaml is not a valid OpenAPI document: " + err.Error())
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	return doc, router
})

// filterOptions validate what the document says of each request and
// response. Security is left to the auth tests: the document states it,
// the validator cannot hold keys. Defaults are not written into requests.
var filterOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults:   true,
	IncludeResponseStatus: true,
}

// checkedByOpenAPI wraps the API so that every request a handler test makes
// through newTestEnv is checked against api/openapi.yaml:
//
//   - the response, with openapi3filter.ValidateResponse: an undocumented
//     status, content type, header value or body field fails tb;
//   - the request, with openapi3filter.ValidateRequest: a request the
//     document rejects must be rejected by the API too (a 4xx), or the
//     document says less than the API takes;
//   - a request for no documented operation must be the API's 404 or 405
//     problem, and a 404 or 405 for a documented one.
func checkedByOpenAPI(tb testing.TB, next http.Handler) http.Handler {
	tb.Helper()
	_, router := loadOpenAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, readErr := io.ReadAll(r.Body)
		r.Body = io.NopCloser(replayBody(body, readErr))
		// HEAD is GET without the body (every GET route answers it), and
		// a gzip body is the document's content once decoded.
		doc := r.Clone(r.Context())
		if r.Method == http.MethodHead {
			doc.Method = http.MethodGet
		}
		docBody := body
		if coding := strings.ToLower(r.Header.Get("Content-Encoding")); strings.Contains(coding, "gzip") {
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				if plain, err := io.ReadAll(zr); err == nil {
					docBody = plain
					doc.Header.Del("Content-Encoding")
				}
			}
		}
		route, params, findErr := findOperation(router, doc)

		var reqErr error
		if findErr == nil && readErr == nil {
			vr := doc.Clone(r.Context())
			vr.Body = io.NopCloser(bytes.NewReader(docBody))
			reqErr = openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
				Request: vr, PathParams: params, Route: route, Options: filterOptions,
			})
		}

		rec := &recordingWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.statusCode()
		what := r.Method + " " + r.URL.RequestURI()

		if findErr != nil {
			checkUndocumented(tb, what, r, rec, status, findErr)
			return
		}
		if reqErr != nil && status < 400 {
			tb.Errorf("openapi: the document rejects %s but the API answered %d:\n%v", what, status, reqErr)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: doc, PathParams: params, Route: route, Options: filterOptions},
			Status:                 status,
			Header:                 rec.Header(),
			Options:                filterOptions,
		}
		if rec.overflow || r.Method == http.MethodHead {
			opts := *filterOptions
			opts.ExcludeResponseBody = true
			in.Options = &opts
		}
		in.SetBodyBytes(rec.body.Bytes())
		if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
			tb.Errorf("openapi: %s answered %d (%s) as api/openapi.yaml does not say:\n%v\nbody: %.400s",
				what, status, rec.Header().Get("Content-Type"), err, rec.body.String())
		}
	})
}

// findOperation finds r's operation in the document. A path with a
// trailing slash is the same route as without, as chi serves both.
func findOperation(router routers.Router, r *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := router.FindRoute(r)
	if err == nil || !strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "/" {
		return route, params, err
	}
	trimmed := r.Clone(r.Context())
	trimmed.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
	trimmed.URL.RawPath = ""
	if route, params, err2 := router.FindRoute(trimmed); err2 == nil {
		return route, params, nil
	}
	return route, params, err
}

// checkUndocumented checks the answer to a request the document has no
// operation for: the path is unknown (404) or the method is not one the
// path takes (405), answered as a problem (an OIP error under /v2).
func checkUndocumented(tb testing.TB, what string, r *http.Request, rec *recordingWriter, status int, findErr error) {
	tb.Helper()
	want := http.StatusNotFound
	if errors.Is(findErr, routers.ErrMethodNotAllowed) {
		want = http.StatusMethodNotAllowed
	}
	if status == http.StatusUnauthorized && r.Header.Get("Authorization") == "" {
		// Authentication runs before routing under /v1 and /v2: a path
		// that is no route asks for a key first.
		want = status
	}
	if status != want {
		tb.Errorf("openapi: %s is no operation of api/openapi.yaml (%v), yet the API answered %d, not %d", what, findErr, status, want)
		return
	}
	doc, _ := loadOpenAPI()
	schema, ct := doc.Components.Schemas["Problem"].Value, "application/problem+json"
	if isOIPPath(r.URL.Path) {
		schema, ct = doc.Components.Schemas["OIPError"].Value, "application/json"
	}
	if got := rec.Header().Get("Content-Type"); got != ct {
		tb.Errorf("openapi: %s answered %d as %q, want %s", what, status, got, ct)
		return
	}
	var v any
	if err := json.Unmarshal(rec.body.Bytes(), &v); err != nil {
		tb.Errorf("openapi: %s answered %d with a body that is not JSON: %v", what, status, err)
		return
	}
	if err := schema.VisitJSON(v); err != nil {
		tb.Errorf("openapi: %s answered %d with a body that is not the documented error: %v", what, status, err)
	}
}

func init() {
	// /docs's page and script are text; kin-openapi knows only text/plain.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
	// NDJSON, which kin-openapi has no decoder for, must be one JSON
	// value a line.
	openapi3filter.RegisterBodyDecoder(mediaNDJSON, func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			if len(b) > 0 && !json.Valid(line) {
				return nil, fmt.Errorf("NDJSON line %d is not JSON: %.200q", i+1, line)
			}
		}
		return string(b), nil
	})
}

// replayBody yields the bytes read from a request body, then the error
// that ended the read, so a handler sees a failing body fail as before.
func replayBody(read []byte, err error) io.Reader {
	if err == nil {
		return bytes.NewReader(read)
	}
	return io.MultiReader(bytes.NewReader(read), errReader{err})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// recordingWriter passes a response through and keeps its status and up to
// maxValidatedBody of its body. It unwraps for http.ResponseController and
// flushes, so streaming handlers behave as without it.
type recordingWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.overflow {
		if w.body.Len()+len(p) > maxValidatedBody {
			w.overflow = true
		} else {
			w.body.Write(p)
		}
	}
	return w.ResponseWriter.Write(p)
}

func (w *recordingWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recordingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusCode is the status the client saw: 200 when the handler wrote
// nothing.
func (w *recordingWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
