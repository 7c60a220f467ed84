// Package metricstest reads a Prometheus text scrape for tests: parsed by
// Prometheus's own text parser, then looked up by family and labels.
package metricstest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one parsed scrape.
type Scrape map[string]*dto.MetricFamily

// Parse parses a scrape in the text format, failing tb when it does not
// parse.
func Parse(tb testing.TB, r io.Reader) Scrape {
	tb.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		tb.Fatalf("the scrape does not parse: %v", err)
	}
	return families
}

// Get scrapes h's GET /metrics (asking for the text format).
func Get(tb testing.TB, h http.Handler) Scrape {
	tb.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept", "text/plain")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		tb.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	return Parse(tb, w.Body)
}

// Value is the counter, gauge or untyped value, or the histogram's count,
// of the series of family name whose labels are exactly labels (name,
// value pairs; every label of the series named). 0 when there is no such
// series.
func (s Scrape) Value(name string, labels ...string) float64 {
	m := s.series(name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// Series is how many series family name has.
func (s Scrape) Series(name string) int {
	if f := s[name]; f != nil {
		return len(f.Metric)
	}
	return 0
}

func (s Scrape) series(name string, labels []string) *dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		if len(m.Label)*2 != len(labels) {
			continue
		}
		match := true
		for _, l := range m.Label {
			if !hasPair(labels, l.GetName(), l.GetValue()) {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	return nil
}

func hasPair(labels []string, name, value string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		if labels[i] == name {
			return labels[i+1] == value
		}
	}
	return false
}

// Label is the value of label name on the first series of family, "" when
// there is none.
func (s Scrape) Label(family, name string) string {
	f := s[family]
	if f == nil || len(f.Metric) == 0 {
		return ""
	}
	for _, l := range f.Metric[0].Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
