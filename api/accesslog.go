package api

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"gitlab.com/mlserve/mlserve/internal/jsonx"
)

// pathHealthz is the liveness probe, polled too often to be worth a line.
const pathHealthz = "/healthz"

// accessMsg is the msg of every access-log line.
const accessMsg = "http request"

// LineWriter takes whole log lines; keep says the line must not be
// dropped. logx.Async is the one a process uses.
type LineWriter interface {
	WriteLine(line []byte, keep bool)
}

// AccessLogOptions configure an AccessLog.
type AccessLogOptions struct {
	// Format is "json" or "text" (log.format): the lines read as the
	// process logger's.
	Format string
	// Level is the least level written: at info every request has a line;
	// at warn or error only those at level ERROR (5xx answers and
	// responses that could not be written).
	Level slog.Level
	// Attrs are on every line, after msg, as the process logger's own
	// (role=api, say).
	Attrs []slog.Attr
}

// AccessLog writes one line per request, after the handler ran, so the
// line carries the chi route pattern, the status and the body size. It
// never logs headers, so neither the Authorization header nor the key
// appears; the key's configured name does. Lines are formatted by appending
// to a pooled buffer, in the form slog's JSON or text handler gives, and
// handed whole to a LineWriter: a 5xx answer or a failed write is level
// ERROR and always kept; other lines may be dropped under pressure.
type AccessLog struct {
	out    LineWriter
	json   bool
	min    slog.Level
	prefix []byte // the Attrs, formatted
	bufs   sync.Pool
}

// NewAccessLog returns an AccessLog writing to out.
func NewAccessLog(out LineWriter, o AccessLogOptions) *AccessLog {
	l := &AccessLog{out: out, json: o.Format == "json", min: o.Level}
	for _, a := range o.Attrs {
		l.prefix = l.appendString(l.prefix, a.Key, a.Value.String())
	}
	l.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	return l
}

// accessEntry is what one line says about a request.
type accessEntry struct {
	requestID, method, route, path, remote, key string
	status, bytes                               int
	duration                                    time.Duration
	writeErr                                    error
}

// log writes e's line, unless its level is below the configured one.
func (l *AccessLog) log(e *accessEntry) {
	level := slog.LevelInfo
	if e.status >= 500 || e.writeErr != nil {
		level = slog.LevelError
	}
	if level < l.min {
		return
	}
	bp := l.bufs.Get().(*[]byte)
	b := l.appendLine((*bp)[:0], time.Now(), level, e)
	l.out.WriteLine(b, level == slog.LevelError)
	*bp = b
	l.bufs.Put(bp)
}

func (l *AccessLog) appendLine(b []byte, now time.Time, level slog.Level, e *accessEntry) []byte {
	if l.json {
		b = append(b, `{"time":"`...)
		b = now.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, level.String()...)
		b = append(b, `","msg":"`+accessMsg+`"`...)
	} else {
		b = append(b, "time="...)
		b = now.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, " level="...)
		b = append(b, level.String()...)
		b = append(b, ` msg="`+accessMsg+`"`...)
	}
	b = append(b, l.prefix...)
	b = l.appendString(b, "request_id", e.requestID)
	b = l.appendString(b, "method", e.method)
	b = l.appendString(b, "route", e.route)
	b = l.appendString(b, "path", e.path)
	b = strconv.AppendInt(l.appendKey(b, "status"), int64(e.status), 10)
	b = strconv.AppendInt(l.appendKey(b, "bytes"), int64(e.bytes), 10)
	b = strconv.AppendFloat(l.appendKey(b, "duration_ms"), float64(e.duration.Microseconds())/1000, 'f', -1, 64)
	b = l.appendString(b, "remote", e.remote)
	if e.key != "" {
		b = l.appendString(b, "key", e.key)
	}
	if e.writeErr != nil {
		b = l.appendString(b, "error", "write the response: "+e.writeErr.Error())
	}
	if l.json {
		b = append(b, '}')
	}
	return append(b, '\n')
}

// appendKey starts the attribute key: `,"key":` or ` key=`.
func (l *AccessLog) appendKey(b []byte, key string) []byte {
	if l.json {
		b = append(b, ',', '"')
		b = append(b, key...)
		return append(b, '"', ':')
	}
	b = append(b, ' ')
	b = append(b, key...)
	return append(b, '=')
}

// appendString appends the attribute key=value, the value quoted as JSON,
// or as slog's text handler quotes it: only when it must be.
func (l *AccessLog) appendString(b []byte, key, value string) []byte {
	b = l.appendKey(b, key)
	if l.json {
		return jsonx.AppendString(b, value)
	}
	if needsQuoting(value) {
		return strconv.AppendQuote(b, value)
	}
	return append(b, value...)
}

// needsQuoting is slog's text handler's rule: empty, or holding a space,
// '=', '"', a control character or invalid UTF-8.
func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
