package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"gitlab.com/mlserve/mlserve/internal/apikey"
	"gitlab.com/mlserve/mlserve/internal/config"
	"gitlab.com/mlserve/mlserve/model"
)

// principal is who made the request: the matched key, or everyone with
// every scope when auth is disabled.
type principal struct {
	name   string
	scopes []string
}

// can reports whether p holds admin or one of the given scopes.
func (p *principal) can(scopes []string) bool {
	if slices.Contains(p.scopes, config.ScopeAdmin) {
		return true
	}
	for _, s := range scopes {
		if slices.Contains(p.scopes, s) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// unrestricted is the principal of every request when auth is disabled.
func unrestricted() *principal {
	return &principal{scopes: []string{config.ScopeAdmin}}
}

// authenticate requires "Authorization: Bearer <key>" when auth is enabled:
// the key's SHA-256 is compared in constant time with every configured hash
// (all of them, so the timing tells nothing about which key matched), and
// the matching key becomes the request's principal. Missing or unknown keys
// get 401 with WWW-Authenticate. With auth disabled every request is
// unrestricted. The key and the header are never logged; the key's name is,
// by accessLog.
func authenticate(logger *slog.Logger, auth config.Auth) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !auth.Enabled {
				next.ServeHTTP(w, withPrincipal(r, unrestricted()))
				return
			}
			token, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mlserve"`)
				writeError(w, r, logger, model.Errorf(codeUnauthorized, "missing bearer token: send Authorization: Bearer <key>"))
				return
			}
			key := matchKey(auth.Keys, apikey.Sum(token))
			if key == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mlserve", error="invalid_token"`)
				writeError(w, r, logger, model.Errorf(codeUnauthorized, "unknown API key"))
				return
			}
			if info := infoFrom(r.Context()); info != nil {
				info.keyName = key.Name
			}
			next.ServeHTTP(w, withPrincipal(r, &principal{name: key.Name, scopes: key.Scopes}))
		})
	}
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110 11.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// matchKey returns the key whose hash is sum, or nil. It compares sum with
// every key, without branching on the outcome, so the time it takes depends
// only on the number of keys.
func matchKey(keys []config.APIKey, sum [32]byte) *config.APIKey {
	found := -1
	for i := range keys {
		eq := subtle.ConstantTimeCompare(sum[:], keys[i].Hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return nil
	}
	return &keys[found]
}

func withPrincipal(r *http.Request, p *principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

// requireScope lets a request through when its principal holds admin or
// one of scopes; otherwise 403 (or 401 outside authenticate, which is a
// wiring mistake that must fail closed).
func requireScope(logger *slog.Logger, scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := r.Context().Value(principalKey{}).(*principal)
			if p == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mlserve"`)
				writeError(w, r, logger, model.Errorf(codeUnauthorized, "missing bearer token"))
				return
			}
			if !p.can(scopes) {
				want := scopes
				if !slices.Contains(want, config.ScopeAdmin) {
					want = append(slices.Clone(want), config.ScopeAdmin)
				}
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="mlserve", error="insufficient_scope", scope=%q`, strings.Join(want, " ")))
				writeError(w, r, logger, model.Errorf(codeForbidden, "key %q lacks the scope for this route (want one of: %s)", p.name, strings.Join(want, ", ")))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
