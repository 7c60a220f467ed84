package metrics

import (
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure a Set.
type Options struct {
	// ModelLabels labels the prediction families with model and version;
	// off, those labels are empty, for deployments with very many models.
	ModelLabels bool
	// Version and Commit are the build's, for mlserve_build_info.
	Version, Commit string
}

// Set is every family one process exports.
type Set struct {
	registry    *prometheus.Registry
	HTTP        *HTTP
	Predictions *Predictions
	Models      *Models
	Jobs        *Jobs
	Queue       *Queue
	AccessLog   *AccessLog
}

// New returns a Set with every family registered, the Go and process
// collectors included.
func New(o Options) *Set {
	reg := prometheus.NewRegistry()
	s := &Set{
		registry:    reg,
		HTTP:        newHTTP(reg),
		Predictions: newPredictions(reg, o.ModelLabels),
		Models:      newModels(reg),
		Jobs:        newJobs(reg),
		Queue:       newQueue(reg),
		AccessLog:   newAccessLog(reg),
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mlserve_build_info",
		Help: "Always 1: the version, commit and Go version of the running binary.",
	}, []string{"version", "commit", "goversion"})
	build.WithLabelValues(o.Version, o.Commit, runtime.Version()).Set(1)
	reg.MustRegister(build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Handler serves the Set in the Prometheus text format (or OpenMetrics,
// when the scraper asks for it).
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// durationBuckets resolve sub-millisecond predictions (100 µs up) and
// still place a slow upload or training request (up to 10 s).
var durationBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// jobBuckets span a job's life: a quick score job to an hour of training.
var jobBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
