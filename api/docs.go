package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// redocScript is Redoc's standalone bundle (npm redoc 2.5.4,
// bundles/redoc.standalone.js, MIT; see redoc/README.md), stored gzipped:
// it is served as it is to every browser that accepts gzip, and it keeps
// the tracked file well under the repository's 1 MB bound.
//
//go:embed redoc/redoc.standalone.js.gz
var redocScript []byte

// redocETag names this build's script, so a browser revalidates it cheaply.
var redocETag = func() string {
	sum := sha256.Sum256(redocScript)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// docsPage renders /openapi.yaml with the script the binary serves. Both
// URLs are relative, so the page works behind a proxy that mounts the API
// under a prefix.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlserve API</title>
</head>
<body>
<redoc spec-url="openapi.yaml"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
`

// docsPolicy keeps every request of the page on this server: Redoc's
// styles are inline (styled-components) and its search runs in a blob:
// worker; nothing else is allowed, so no font, script or beacon is
// fetched from elsewhere even if a later Redoc tried.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// handleDocs serves the page that renders the API's document for a person.
func handleDocs() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", docsPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		_, _ = io.WriteString(w, docsPage)
	})
}

// handleDocsScript serves Redoc's script: the stored gzip bytes to a
// client that accepts gzip, else decompressed as it goes.
func handleDocsScript(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Vary", "Accept-Encoding")
		h.Set("ETag", redocETag)
		if r.Header.Get("If-None-Match") == redocETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if acceptsGzip(r.Header) {
			h.Set("Content-Encoding", "gzip")
			_, _ = w.Write(redocScript)
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(redocScript))
		if err != nil {
			writeError(w, r, logger, err) // the embedded file is broken: a bug
			return
		}
		_, _ = io.Copy(w, zr)
	})
}

// acceptsGzip reports whether Accept-Encoding lists gzip with a quality
// above 0.
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			name, q, ok := strings.Cut(strings.TrimSpace(params), "=")
			if !ok || strings.TrimSpace(name) != "q" {
				return true
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(q), 64)
			return err == nil && f > 0
		}
	}
	return false
}
