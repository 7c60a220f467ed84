package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Load results.
const (
	LoadOK    = "ok"
	LoadError = "error"
)

// CacheStats reports what one model cache holds.
type CacheStats func() (models int, bytes int64)

// Models is the model cache families. A process may run several caches
// (mlserve-dev's API and its worker's): the gauges sum them.
type Models struct {
	loads    *prometheus.CounterVec
	duration prometheus.Histogram

	mu     sync.Mutex
	caches []CacheStats
}

func newModels(reg prometheus.Registerer) *Models {
	m := &Models{
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_model_loads_total",
			Help: "Model versions loaded into a cache (artifact read and predictor built), by result: ok or error.",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mlserve_model_load_duration_seconds",
			Help:    "Time to load a model version: read its artifact and build its predictor.",
			Buckets: durationBuckets,
		}),
	}
	for _, r := range []string{LoadOK, LoadError} {
		m.loads.WithLabelValues(r) // both series from the start, so a rate over them exists
	}
	cached := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mlserve_models_cached",
		Help: "Model versions loaded in this process's caches.",
	}, func() float64 { n, _ := m.stats(); return float64(n) })
	bytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "mlserve_model_cache_bytes",
		Help: "Bytes the loaded model versions take, as the caches count them.",
	}, func() float64 { _, b := m.stats(); return float64(b) })
	reg.MustRegister(m.loads, m.duration, cached, bytes)
	return m
}

// Loaded counts one load that took d; err is its failure or nil.
func (m *Models) Loaded(d time.Duration, err error) {
	result := LoadOK
	if err != nil {
		result = LoadError
	}
	m.loads.WithLabelValues(result).Inc()
	m.duration.Observe(d.Seconds())
}

// Watch adds a cache to the gauges.
func (m *Models) Watch(stats CacheStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.caches = append(m.caches, stats)
}

func (m *Models) stats() (models int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.caches {
		n, b := s()
		models += n
		bytes += b
	}
	return models, bytes
}
