package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

// redocSHA256 is the sha256 of npm redoc@2.5.4's bundles/redoc.standalone.js,
// as redoc/README.md records it.
const redocSHA256 = "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b"

func TestDocsPageLoadsOnlyFromThisServer(t *testing.T) {
	e := newTestEnv(t, withKeys)
	w := e.do(t, "GET", "/docs", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs without a key: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	for _, want := range []string{`<redoc spec-url="openapi.yaml">`, `<script src="docs/redoc.standalone.js">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") || strings.Contains(page, "//") {
		t.Errorf("the page names another origin:\n%s", page)
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %s", csp, want)
		}
	}
}

func TestDocsScriptIsRedocGzippedOrNot(t *testing.T) {
	e := newTestEnv(t, withKeys)
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	w := e.do(t, "GET", "/docs/redoc.standalone.js", "", "Accept-Encoding", "br, gzip;q=0.8")
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("with gzip accepted: %d, Content-Encoding %q, Vary %q", w.Code, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if sum(unzipped) != redocSHA256 {
		t.Fatalf("the gzipped script is not redoc 2.5.4's bundle (sha256 %s)", sum(unzipped))
	}

	for _, accept := range []string{"", "gzip;q=0", "identity"} {
		w := e.do(t, "GET", "/docs/redoc.standalone.js", "", "Accept-Encoding", accept)
		if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "" || sum(w.Body.Bytes()) != redocSHA256 {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, %d bytes that are not the bundle",
				accept, w.Code, w.Header().Get("Content-Encoding"), w.Body.Len())
		}
	}

	etag := w.Header().Get("ETag")
	if w := e.do(t, "GET", "/docs/redoc.standalone.js", "", "If-None-Match", etag); etag == "" || w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("If-None-Match %q: %d with %d bytes, want 304 and none", etag, w.Code, w.Body.Len())
	}
}
