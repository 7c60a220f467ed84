package nginx

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// securityHeaders are the headers nginx adds to every response.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}

// checkSecurityHeaders checks that h has each security header once, and one
// request id.
func checkSecurityHeaders(tb testing.TB, h http.Header) {
	tb.Helper()
	for name, want := range securityHeaders {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			tb.Errorf("%s: %q, want %q once", name, got, want)
		}
	}
	if got := h.Values("X-Request-ID"); len(got) != 1 {
		tb.Errorf("X-Request-ID: %q, want one", got)
	}
}

// problem is the part of an RFC 9457 problem the tests look at.
type problem struct {
	Type      string `json:"type"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// mustProblem checks that resp is a problem+json answer with status, and
// returns the problem.
func mustProblem(tb testing.TB, resp *http.Response, body []byte, status int) problem {
	tb.Helper()
	var p problem
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(body, &p) != nil || p.Status != status {
		tb.Fatalf("got %d %s %s, want a %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body, status)
	}
	return p
}

// header builds a request header from name, value pairs.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func jsonBody(tb testing.TB, v any) io.Reader {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.NewReader(b)
}

// irisInstances returns iris's 150 rows of features, in feature order.
func irisInstances(tb testing.TB, iris []byte) [][]float64 {
	tb.Helper()
	rows, err := csv.NewReader(bytes.NewReader(iris)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var instances [][]float64
	for _, row := range rows[1:] {
		var inst []float64
		for _, cell := range row[:4] {
			f, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
			if err != nil {
				tb.Fatal(err)
			}
			inst = append(inst, f)
		}
		instances = append(instances, inst)
	}
	return instances
}

// largeCSV returns a valid CSV of at least n bytes.
func largeCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("a,b,c,label\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d,%d.5,%d,class%d\n", i, i*3, i%97, i%3)
	}
	return b.Bytes()
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
