package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/internal/metrics"
)

func TestTheOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPIDocument())
	if err != nil {
		t.Fatalf("api/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid OpenAPI: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Fatalf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s %s lacks an operationId, summary or tag, which /docs shows", method, path)
			}
		}
	}
}

// documentedOperations returns every (method, path) of the document.
func documentedOperations(tb testing.TB) []string {
	tb.Helper()
	doc, _ := loadOpenAPI()
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}

// routedOperations returns every (method, route) of the router with every
// optional route on, a nested "/" route read without its trailing slash as
// chi serves it.
func routedOperations(tb testing.TB) []string {
	tb.Helper()
	e := newTestEnv(tb, func(d *Deps) { d.Metrics = metrics.New(metrics.Options{}) })
	router, ok := routes(e.deps).(chi.Routes)
	if !ok {
		tb.Fatalf("routes returns a %T, which chi.Walk cannot walk", routes(e.deps))
	}
	var ops []string
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if trimmed := strings.TrimSuffix(route, "/"); trimmed != "" {
			route = trimmed
		}
		ops = append(ops, method+" "+route)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(ops)
	return slices.Compact(ops)
}

func TestTheOpenAPIDocumentHasEveryRouteAndNoOther(t *testing.T) {
	documented, routed := documentedOperations(t), routedOperations(t)
	if len(routed) < 30 {
		t.Fatalf("the router walk found only %d routes: %v", len(routed), routed)
	}
	for _, op := range routed {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is not in api/openapi.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(routed, op) {
			t.Errorf("api/openapi.yaml documents %s, which is no route", op)
		}
	}
}

// exampleParams are path values the test environment knows: every
// operation reached with them finds its resource.
var exampleParams = strings.NewReplacer("{id}", irisDataset, "{name}", "iris", "{version}", "1", "{alias}", "production")

func TestTheOpenAPIDocumentSaysWhichRoutesAreOpen(t *testing.T) {
	e := newTestEnv(t, withKeys, func(d *Deps) { d.Metrics = metrics.New(metrics.Options{}) })
	doc, _ := loadOpenAPI()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			open := op.Security != nil && len(*op.Security) == 0
			t.Run(method+" "+path, func(t *testing.T) {
				w := e.do(t, method, exampleParams.Replace(path), "")
				if got := w.Code == http.StatusUnauthorized; got == open {
					t.Fatalf("without a key: %d, but the document says open=%v", w.Code, open)
				}
			})
		}
	}
}

func TestTheDocumentIsServedOpenAsEmbedded(t *testing.T) {
	e := newTestEnv(t, withKeys)
	w := e.do(t, "GET", "/openapi.yaml", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /openapi.yaml without a key: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w.Body.String() != string(OpenAPIDocument()) || !strings.HasPrefix(w.Body.String(), "openapi: 3.0.3\n") {
		t.Fatalf("GET /openapi.yaml served %d bytes that are not api/openapi.yaml", w.Body.Len())
	}
}
