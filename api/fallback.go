package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// headAsGet routes HEAD as GET, so every GET route answers HEAD (RFC 9110
// 9.3.2); net/http sends the headers and drops the body. chi's own GetHead
// does not reach the routes of a nested router: at a mount point its
// look-ahead finds every method. No route registers HEAD itself.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil && r.Method == http.MethodHead {
			rctx.RouteMethod = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

// handleNotFound answers unknown paths with a 404 problem.
func handleNotFound(logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, logger, model.Errorf(model.CodeNotFound, "no route for %s", r.URL.Path))
	}
}

// handleMethodNotAllowed answers a known path with an unsupported method
// with a 405 problem and the Allow header RFC 9110 requires. chi gives a
// custom 405 handler no method list, so allowedMethods rebuilds it.
func handleMethodNotAllowed(logger *slog.Logger, allowed *allowedMethods) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if methods := allowed.For(r.URL.Path); len(methods) > 0 {
			w.Header().Set("Allow", strings.Join(methods, ", "))
		}
		writeError(w, r, logger, model.Errorf(codeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	}
}

// allowedMethods knows which methods each route accepts. It is a flat copy
// of the router's routes: chi's Find on the nested router itself reports
// every method as allowed at a mount point such as /v1/jobs.
type allowedMethods struct {
	flat *chi.Mux
}

// newAllowedMethods indexes every route of routes. Call it after the last
// route is registered.
func newAllowedMethods(routes chi.Routes) *allowedMethods {
	flat := chi.NewRouter()
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	_ = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		flat.Method(method, route, noop)
		// A nested "/" route answers both /v1/jobs and /v1/jobs/.
		if trimmed := strings.TrimSuffix(route, "/"); trimmed != route && trimmed != "" {
			flat.Method(method, trimmed, noop)
		}
		return nil
	})
	return &allowedMethods{flat: flat}
}

// For returns the methods path accepts, in a stable order.
func (a *allowedMethods) For(path string) []string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		match := m
		if m == http.MethodHead {
			match = http.MethodGet // headAsGet answers HEAD on every GET route
		}
		if a.flat.Match(chi.NewRouteContext(), match, path) {
			methods = append(methods, m)
		}
	}
	return methods
}
