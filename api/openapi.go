package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.0 document of every route of routes.go.
// The tests hold it to the router and to every response the handler tests
// produce, so it cannot drift from what the API does.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// OpenAPIDocument returns the API's OpenAPI 3.0 document, as served at
// /openapi.yaml. The caller must not modify it.
func OpenAPIDocument() []byte { return openAPIDocument }

// handleOpenAPI serves the document, open to anyone: it describes the API,
// it grants nothing.
func handleOpenAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/yaml")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(openAPIDocument)
	})
}
