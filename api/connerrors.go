package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"gitlab.com/mlserve/mlserve/model"
)

// net/http answers a request it cannot parse (headers over MaxHeaderBytes,
// a malformed request line or header, a transfer coding it does not know)
// itself, before any handler runs, by writing a text/plain response straight
// to the connection; http.Server has no hook to change it. problemConn
// rewrites those answers, and only those, into the API's problem+json:
//
//   - a new connection is unhandled; the server's ConnState hook marks it
//     unhandled again when it has read the first bytes of a request (StateActive) and
//     when a response is wholly written (StateIdle): net/http answers a
//     request it could not read after one of those, and reports Active only
//     when the read took bytes off the wire, which a short request already
//     buffered while the connection idled does not;
//   - the outermost handler marks it handled before any handler writes;
//   - a Write on an unhandled connection that is exactly net/http's error
//     answer ("HTTP/1.1 <status>" + goErrorHeaders + text) is replaced.
//
// So a handler's response, or a body that happens to hold those bytes, is
// never touched.
type problemConn struct {
	net.Conn
	handled atomic.Bool
}

// goErrorHeaders are the headers of net/http's own error answers
// (net/http.conn.serve).
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// Write passes p on, or the problem+json form of net/http's own answer.
func (c *problemConn) Write(p []byte) (int, error) {
	if c.handled.Load() {
		return c.Conn.Write(p)
	}
	status, text, ok := parseGoError(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(problemResponse(status, text)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// parseGoError recognizes net/http's own error answer and returns its
// status and what it says beyond the status text.
func parseGoError(p []byte) (status int, text string, ok bool) {
	rest, found := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !found {
		return 0, "", false
	}
	statusLine, body, found := bytes.Cut(rest, []byte(goErrorHeaders))
	if !found || len(statusLine) < 3 {
		return 0, "", false
	}
	status, err := strconv.Atoi(string(statusLine[:3]))
	if err != nil || status < 400 || status > 599 {
		return 0, "", false
	}
	switch {
	case status == http.StatusNotImplemented:
		text = string(body)
	case bytes.Equal(body, statusLine):
		_, t, _ := bytes.Cut(body, []byte(": "))
		text = string(t)
	default:
		return 0, "", false
	}
	return status, text, true
}

// problemResponse is a whole HTTP/1.1 response carrying the problem of one
// of net/http's own errors; the connection closes after it, as net/http
// closes it.
func problemResponse(status int, text string) []byte {
	detail := text
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		detail = fmt.Sprintf("the request's header fields exceed the limit of %d bytes", maxHeaderBytes)
	case detail == "":
		detail = "the request is not valid HTTP/1.1"
	}
	body, _ := json.Marshal(&problem{
		Type:   problemTypeBase + problemCode(status),
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
	})
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s\n",
		status, http.StatusText(status), len(body)+1, body)
}

// problemCode is the problem type of a status net/http answers itself.
func problemCode(status int) string {
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		return model.CodeTooLarge
	case http.StatusNotImplemented:
		return "not_implemented"
	}
	return model.CodeMalformed
}

// problemListener hands out problemConns.
type problemListener struct{ net.Listener }

// Accept implements net.Listener.
func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// markUnhandled is the http.Server's ConnState hook (see problemConn).
func markUnhandled(c net.Conn, state http.ConnState) {
	if pc, ok := c.(*problemConn); ok && (state == http.StateActive || state == http.StateIdle) {
		pc.handled.Store(false)
	}
}

type connKey struct{}

// withConn is the http.Server's ConnContext hook: it keeps the connection
// for markHandled.
func withConn(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*problemConn); ok {
		return context.WithValue(ctx, connKey{}, pc)
	}
	return ctx
}

// markHandled marks the request's connection handled before h writes.
func markHandled(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pc, ok := r.Context().Value(connKey{}).(*problemConn); ok {
			pc.handled.Store(true)
		}
		h.ServeHTTP(w, r)
	})
}
