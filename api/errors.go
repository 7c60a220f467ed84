package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	"gitlab.com/mlserve/mlserve/model"
)

// Transport-level error codes: HTTP concerns the domain has no word for.
// They travel as model.Error codes so the one table below maps them too.
const (
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMethodNotAllowed = "method_not_allowed"
	codeRateLimited      = "rate_limited"
	// codeClientClosed marks a request whose client went away; nobody
	// reads the answer, the status only shows in the access log.
	codeClientClosed = "client_closed"
)

// statusClientClosed is nginx's "client closed request".
const statusClientClosed = 499

// problemTypeBase prefixes each problem's type; the code completes it.
const problemTypeBase = "https://mlserve.dev/problems/"

// statusOf is the one table from error codes to HTTP statuses. Unknown codes
// are internal errors.
func statusOf(code string) int {
	switch code {
	case model.CodeInvalid:
		return http.StatusUnprocessableEntity
	case model.CodeMalformed:
		return http.StatusBadRequest
	case model.CodeNotFound:
		return http.StatusNotFound
	case model.CodeConflict:
		return http.StatusConflict
	case model.CodeUnavailable:
		return http.StatusServiceUnavailable
	case model.CodeTimeout:
		return http.StatusGatewayTimeout
	case codeUnauthorized:
		return http.StatusUnauthorized
	case codeForbidden:
		return http.StatusForbidden
	case model.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codeRateLimited:
		return http.StatusTooManyRequests
	case codeClientClosed:
		return statusClientClosed
	default:
		return http.StatusInternalServerError
	}
}

// problem is an RFC 9457 problem detail plus mlserve's extension members.
type problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Instance  string            `json:"instance"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
	// Checks is /readyz's per-dependency result.
	Checks map[string]string `json:"checks,omitempty"`
}

// writeError answers with the problem+json that err's code maps to. Internal
// errors are logged with the request id and shown only as "internal error".
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	writeProblem(w, r, problemFor(r, logger, err))
}

// problemFor turns err into the problem a client sees, logging what the
// client must not see. A code the table does not know is an internal error.
func problemFor(r *http.Request, logger *slog.Logger, err error) *problem {
	ctx := r.Context()
	code, detail := model.ErrorCode(err), model.ErrorMessage(err)
	var fields map[string]string
	if e, ok := errors.AsType[*model.Error](err); ok {
		fields = e.Fields
	}
	if statusOf(code) == http.StatusInternalServerError {
		// Context errors that escaped an adapter unwrapped are not bugs:
		// either the client left or a dependency was too slow.
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			code, detail, fields = codeClientClosed, "client closed the request", nil
			logger.DebugContext(ctx, "client closed request", "request_id", requestID(ctx), "err", err)
		case errors.Is(err, context.DeadlineExceeded):
			code, detail, fields = model.CodeUnavailable, "a dependency did not answer in time", nil
			logger.WarnContext(ctx, "dependency timeout", "request_id", requestID(ctx), "path", r.URL.Path, "err", err)
		default:
			code, detail, fields = model.CodeInternal, "internal error", nil
			logger.ErrorContext(ctx, "internal error", "request_id", requestID(ctx),
				"method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	if code == model.CodeInvalid && len(fields) > 0 {
		// The detail alone should say what to fix, for clients that show
		// only it.
		var more int
		fields, more = capFields(fields)
		detail += ": " + joinFields(fields)
		if more > 0 {
			detail += fmt.Sprintf("; and %d more problems", more)
		}
	}
	status := statusOf(code)
	return &problem{
		Type:      problemTypeBase + code,
		Title:     statusTitle(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: requestID(ctx),
		Errors:    fields,
	}
}

// capFields keeps the first maxProblems field problems, by field name, and
// says how many it dropped: a body naming 80,000 unknown features gets an
// answer of a few kilobytes, not a second, larger copy of itself.
func capFields(fields map[string]string) (map[string]string, int) {
	if len(fields) <= maxProblems {
		return fields, 0
	}
	kept := make(map[string]string, maxProblems)
	for _, f := range slices.Sorted(maps.Keys(fields))[:maxProblems] {
		kept[f] = fields[f]
	}
	return kept, len(fields) - maxProblems
}

// joinFields renders field problems as "a: problem; b: problem", sorted.
func joinFields(fields map[string]string) string {
	parts := make([]string, 0, len(fields))
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, f+": "+fields[f])
	}
	return strings.Join(parts, "; ")
}

// writeProblem writes p as application/problem+json with p.Status; on the
// Open Inference Protocol routes, as the protocol's {"error": detail}.
func writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	if isOIPPath(r.URL.Path) {
		writeOIPError(w, p)
		return
	}
	if p.Title == "" {
		p.Title = statusTitle(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil {
		// A problem holds only strings and ints; this cannot fail.
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error"}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// statusTitle is a problem's title: the status text, which net/http lacks
// for nginx's 499.
func statusTitle(status int) string {
	if status == statusClientClosed {
		return "Client Closed Request"
	}
	return http.StatusText(status)
}

// writeJSON answers with v as JSON and the given status.
func writeJSON(w http.ResponseWriter, r *http.Request, logger *slog.Logger, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, r, logger, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
