package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/mlserve/mlserve/internal/config"
)

// serveReal serves h through NewHTTPServer and Serve, as the api process
// does, and returns its address.
func serveReal(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := NewHTTPServer(config.HTTP{ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute}, h, slog.New(slog.DiscardHandler))
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, time.Minute) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// rawExchange sends raw requests on one connection and reads one response
// for each.
func rawExchange(tb testing.TB, addr string, raws ...string) []*http.Response {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var resps []*http.Response
	for _, raw := range raws {
		if _, err := io.WriteString(c, raw); err != nil {
			tb.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			tb.Fatalf("read the response to %.40q: %v", raw, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			tb.Fatal(err)
		}
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		resps = append(resps, resp)
	}
	return resps
}

// mustRawProblem checks that resp is a problem+json with status.
func mustRawProblem(tb testing.TB, resp *http.Response, status int) problem {
	tb.Helper()
	var p problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		tb.Fatalf("status %d, Content-Type %q: %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	if resp.StatusCode != status || p.Status != status || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p.Type == "" || p.Title != http.StatusText(status) || p.Detail == "" {
		tb.Fatalf("status %d, Content-Type %q, problem %+v; want a %d problem", resp.StatusCode, resp.Header.Get("Content-Type"), p, status)
	}
	return p
}

func TestGoOwnErrorsAreProblems(t *testing.T) {
	e := newTestEnv(t)
	addr := serveReal(t, e.handler)

	t.Run("headers over the limit are a 431 problem", func(t *testing.T) {
		raw := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*maxHeaderBytes) + "\r\n\r\n"
		p := mustRawProblem(t, rawExchange(t, addr, raw)[0], http.StatusRequestHeaderFieldsTooLarge)
		if !strings.Contains(p.Detail, "65536 bytes") || p.Type != problemTypeBase+"too_large" {
			t.Errorf("problem %+v", p)
		}
	})
	t.Run("a malformed header is a 400 problem", func(t *testing.T) {
		p := mustRawProblem(t, rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")[0], http.StatusBadRequest)
		if p.Detail != "the request is not valid HTTP/1.1" {
			t.Errorf("problem %+v", p)
		}
	})
	t.Run("a missing Host is a 400 problem saying so", func(t *testing.T) {
		p := mustRawProblem(t, rawExchange(t, addr, "GET /healthz HTTP/1.1\r\n\r\n")[0], http.StatusBadRequest)
		if !strings.Contains(p.Detail, "missing required Host header") {
			t.Errorf("problem %+v", p)
		}
	})
	t.Run("an unknown transfer coding is a 501 problem", func(t *testing.T) {
		raw := "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: rot13\r\n\r\n"
		mustRawProblem(t, rawExchange(t, addr, raw)[0], http.StatusNotImplemented)
	})
	t.Run("a bad request after a good one on the same connection is a problem too", func(t *testing.T) {
		resps := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n")
		if resps[0].StatusCode != http.StatusOK {
			t.Fatalf("first: status %d", resps[0].StatusCode)
		}
		mustRawProblem(t, resps[1], http.StatusBadRequest)
	})
}

func TestHandlerBytesLikeGoErrorsAreLeftAlone(t *testing.T) {
	lookalike := "HTTP/1.1 400 Bad Request" + goErrorHeaders + "400 Bad Request"
	pad := strings.Repeat(" ", 5000)
	addr := serveReal(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Flushed on its own, the lookalike reaches the connection as one
		// Write of exactly its bytes.
		w.Header().Set("Content-Length", strconv.Itoa(2*len(pad)+len(lookalike)))
		for _, b := range []string{pad, lookalike, pad} {
			_, _ = io.WriteString(w, b)
			w.(http.Flusher).Flush()
		}
	}))
	resp := rawExchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")[0]
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != pad+lookalike+pad {
		t.Errorf("status %d, body of %d bytes: the handler's bytes were changed", resp.StatusCode, len(body))
	}
}

func TestParseGoError(t *testing.T) {
	for _, tt := range []struct {
		in     string
		status int
		text   string
		ok     bool
	}{
		{"HTTP/1.1 431 Request Header Fields Too Large" + goErrorHeaders + "431 Request Header Fields Too Large", 431, "", true},
		{"HTTP/1.1 400 Bad Request: missing required Host header" + goErrorHeaders + "400 Bad Request: missing required Host header", 400, "missing required Host header", true},
		{"HTTP/1.1 501 Not Implemented" + goErrorHeaders + "Unsupported transfer encoding", 501, "Unsupported transfer encoding", true},
		{"HTTP/1.1 400 Bad Request" + goErrorHeaders + "something else", 0, "", false},
		{"HTTP/1.1 200 OK" + goErrorHeaders + "200 OK", 0, "", false},
		{"HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n\r\n{}", 0, "", false},
	} {
		status, text, ok := parseGoError([]byte(tt.in))
		if status != tt.status || text != tt.text || ok != tt.ok {
			t.Errorf("%.50q: %d %q %v, want %d %q %v", tt.in, status, text, ok, tt.status, tt.text, tt.ok)
		}
	}
}

func TestHeadOnGetRoutes(t *testing.T) {
	e := newTestEnv(t)
	addr := serveReal(t, e.handler)
	for _, path := range []string{"/healthz", "/v1/jobs", "/v1/datasets/" + irisDataset, "/v1/algorithms", "/v2"} {
		req, err := http.NewRequest(http.MethodHead, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		get, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: status %d, %d body bytes, Content-Type %q (GET: %q)", path, resp.StatusCode, len(body), resp.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
		}
	}
	if w := e.do(t, http.MethodHead, "/v1/jobs/"+strings.Repeat("f", 24), ""); w.Code != http.StatusNotFound {
		t.Errorf("HEAD of an unknown job: %d, want 404", w.Code)
	}
	w := e.do(t, http.MethodHead, "/v1/models/iris/predict", "")
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("HEAD of a POST route: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}
