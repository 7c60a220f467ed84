package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP is the API's request families, by chi route pattern, method and
// status code.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mlserve_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its handler's return, by route pattern, method and status code.",
			Buckets: durationBuckets,
		}, []string{"route", "method", "code"}),
	}
	reg.MustRegister(h.requests, h.duration)
	return h
}

// Observe counts one request. route must be a pattern of the router (or
// a fixed placeholder such as "unmatched"), method one the router knows.
func (h *HTTP) Observe(route, method string, code int, d time.Duration) {
	c := statusText(code)
	h.requests.WithLabelValues(route, method, c).Inc()
	h.duration.WithLabelValues(route, method, c).Observe(d.Seconds())
}

// statusText is code in decimal, without allocating for the usual ones.
func statusText(code int) string {
	if code >= 100 && code < 600 {
		return codes[code-100]
	}
	return strconv.Itoa(code)
}

// codes holds "100" to "599".
var codes = func() []string {
	s := make([]string, 500)
	for i := range s {
		s[i] = strconv.Itoa(i + 100)
	}
	return s
}()
