package modelcache

import (
	"context"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/metrics"
	"gitlab.com/mlserve/mlserve/internal/metrics/metricstest"
)

// A load that works, one the loader refuses and one whose artifact fails
// its checksum each move their result; the gauges read what is cached.
func TestLoadsMoveTheirResultsAndTheGaugesReadTheCache(t *testing.T) {
	e := newEnv(t)
	good := e.addVersion(t, "m-ok", 40)
	refused := e.addBrokenVersion(t, "m-refused")
	corrupt := e.addVersion(t, "m-corrupt", 10)
	e.corruptArtifact(t, "m-corrupt", corrupt)

	m := metrics.New(metrics.Options{})
	c := e.newCache(1000, func(o *Options) { o.Loads = m.Models })
	m.Models.Watch(c.Stats)
	ctx := context.Background()
	for range 3 { // cached after the first: one load
		if _, _, err := c.Resolve(ctx, "m-ok", good, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Resolve(ctx, "m-refused", refused, ""); err == nil {
		t.Fatal("the refused artifact loaded")
	}
	if _, _, err := c.Resolve(ctx, "m-corrupt", corrupt, ""); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("the corrupt artifact: %v, want a checksum error", err)
	}

	s := metricstest.Get(t, m.Handler())
	for result, want := range map[string]float64{metrics.LoadOK: 1, metrics.LoadError: 2} {
		if got := s.Value("mlserve_model_loads_total", "result", result); got != want {
			t.Errorf("loads %s = %v, want %v", result, got, want)
		}
	}
	if got := s.Value("mlserve_model_load_duration_seconds"); got != 3 {
		t.Errorf("load durations observed %v, want 3", got)
	}
	if got := s.Value("mlserve_models_cached"); got != 1 {
		t.Errorf("models cached = %v, want 1", got)
	}
	if got := s.Value("mlserve_model_cache_bytes"); got != 40 {
		t.Errorf("cache bytes = %v, want 40", got)
	}
}
