package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// AccessLog exports how many access-log lines the API dropped because its
// writer fell behind (logx.Async): the one place the log is allowed to
// lose anything, so an operator must see it.
type AccessLog struct {
	dropped atomic.Pointer[func() uint64]
}

func newAccessLog(reg prometheus.Registerer) *AccessLog {
	a := &AccessLog{}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "mlserve_access_log_dropped_total",
		Help: "Access-log lines dropped because the log's destination fell behind.",
	}, func() float64 {
		if read := a.dropped.Load(); read != nil {
			return float64((*read)())
		}
		return 0
	}))
	return a
}

// CountDropped makes read, a monotonic count of dropped lines, the
// family's value.
func (a *AccessLog) CountDropped(read func() uint64) {
	a.dropped.Store(&read)
}
