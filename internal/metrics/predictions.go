package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"gitlab.com/mlserve/mlserve/model"
)

// Protocols a prediction is made with.
const (
	Native = "native"
	OIP    = "oip"
)

// Predictions is the prediction families, by model, version and protocol.
// Only a version that resolved labels a series: a request for an unknown
// model or version counts under empty model and version labels.
type Predictions struct {
	labels bool
	calls  *prometheus.CounterVec
	rows   *prometheus.CounterVec
	errors *prometheus.CounterVec
}

func newPredictions(reg prometheus.Registerer, modelLabels bool) *Predictions {
	labels := []string{"model", "version", "protocol"}
	p := &Predictions{
		labels: modelLabels,
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_predictions_total",
			Help: "Prediction calls answered 200, by model, version and protocol.",
		}, labels),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_prediction_rows_total",
			Help: "Rows predicted by calls answered 200, by model, version and protocol.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlserve_prediction_errors_total",
			Help: "Prediction calls refused or failed, by model, version (empty when none resolved), protocol and reason (the error code).",
		}, append(labels, "reason")),
	}
	reg.MustRegister(p.calls, p.rows, p.errors)
	return p
}

// Predicted counts one successful call of rows rows on v.
func (p *Predictions) Predicted(v *model.ModelVersion, protocol string, rows int) {
	name, version := p.versionLabels(v)
	p.calls.WithLabelValues(name, version, protocol).Inc()
	p.rows.WithLabelValues(name, version, protocol).Add(float64(rows))
}

// Failed counts one call that err ended; v is nil when no version
// resolved. The reason is err's code, one of model's fixed set.
func (p *Predictions) Failed(v *model.ModelVersion, protocol string, err error) {
	name, version := p.versionLabels(v)
	p.errors.WithLabelValues(name, version, protocol, model.ErrorCode(err)).Inc()
}

func (p *Predictions) versionLabels(v *model.ModelVersion) (name, version string) {
	if v == nil || !p.labels {
		return "", ""
	}
	return v.Name, strconv.Itoa(v.Version)
}
