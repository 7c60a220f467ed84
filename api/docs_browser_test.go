package api

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// chromium finds Debian's headless browser: missing, the test skips,
// unless MLSERVE_TEST_REQUIRE_REAL=1 (as .ci/run sets) makes it fail.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("MLSERVE_TEST_REQUIRE_REAL") == "1" {
		tb.Fatal("no chromium on PATH (apt-get install chromium)")
	}
	tb.Skip("no chromium on PATH")
	return ""
}

// TestDocsRenderEveryOperationInABrowser opens /docs in headless Chromium
// and finds every operation's summary in the page Redoc rendered: the page
// and its script come from the server alone (its Content-Security-Policy
// allows no other origin), so the document reached the browser whole.
func TestDocsRenderEveryOperationInABrowser(t *testing.T) {
	browser := chromium(t)
	if testing.Short() {
		t.Skip("starts a browser")
	}
	srv := httptest.NewServer(newTestEnv(t, withKeys).handler)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=20000", "--dump-dom", srv.URL+"/docs")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	page := string(out)

	doc, err := openapi3.NewLoader().LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatal(err)
	}
	operations := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			if op.Summary == "" {
				t.Errorf("%s %s has no summary to find", method, path)
				continue
			}
			if !strings.Contains(page, htmlEscape(op.Summary)) {
				t.Errorf("the rendered page lacks %s %s (%q)", method, path, op.Summary)
			}
		}
	}
	if operations == 0 {
		t.Fatal("the document has no operations")
	}
}

// htmlEscape escapes s as the DOM dump writes text.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
