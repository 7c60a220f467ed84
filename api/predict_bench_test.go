package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"gitlab.com/mlserve/mlserve/model"
)

// benchPredictor is a trivial allocation-free classifier with
// probabilities: the benchmarks measure the HTTP path, not a model.
type benchPredictor struct{ features []model.Column }

func (p benchPredictor) Predict(in *model.Batch, out *model.Output) {
	for r := range in.Rows {
		out.Classes[r] = 0
		if out.Probs != nil {
			out.Probs[r*3], out.Probs[r*3+1], out.Probs[r*3+2] = 0.9, 0.05, 0.05
		}
	}
}
func (p benchPredictor) Features() []model.Column { return p.features }
func (benchPredictor) Classes() []string          { return irisClasses }
func (benchPredictor) Task() string               { return model.TaskClassification }
func (benchPredictor) HasProbabilities() bool     { return true }
func (benchPredictor) Missing(int) bool           { return false }
func (benchPredictor) SizeBytes() int64           { return 1 }

// benchRequest serves one request to h and fails b unless it is 200.
func benchRequest(b *testing.B, h http.Handler, path string, body []byte, auth string) {
	r := httptest.NewRequest("POST", path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// benchCase is one request a benchmark serves.
type benchCase struct {
	name, path string
	body       []byte
}

// benchAPI serves each case through the whole API handler as production
// builds it (request id, metrics off, the access log formatted as JSON and
// discarded, auth with a predict key, routing, decoding, response), with
// a trivial predictor. newTestEnv's OpenAPI checker is left out: it is the
// tests', not the server's.
func benchAPI(b *testing.B, cases []benchCase) {
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			e := newTestEnv(b, withKeys, func(d *Deps) {
				d.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
				d.AccessLog = NewAccessLog(lineWriter{io.Discard}, AccessLogOptions{Format: "json"})
			})
			irisFeatures := e.models.predictors[predictorKey("iris", 1)].Features()
			e.models.set("iris", 1, benchPredictor{features: irisFeatures})
			h := NewServer(e.deps)
			benchRequest(b, h, bc.path, bc.body, "Bearer "+predictKey)
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				benchRequest(b, h, bc.path, bc.body, "Bearer "+predictKey)
			}
		})
	}
}

// BenchmarkNativePredict serves a single-row native predict (benchAPI).
// BenchmarkBareHandler is the same request to a handler that answers a
// fixed JSON body: the in-process side of SPEC 8's ratio.
func BenchmarkNativePredict(b *testing.B) {
	body := []byte(`{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}`)
	benchAPI(b, []benchCase{
		{"object", "/v1/models/iris/predict", body},
		{"array", "/v1/models/iris/predict", []byte(`{"instances":[[5.1,3.5,1.4,0.2]]}`)},
		{"object_by_version", "/v1/models/iris/versions/1/predict", body},
	})
}

// BenchmarkOIPInfer is BenchmarkNativePredict's request over the Open
// Inference Protocol: one [1, 4] FP64 tensor, and four tensors of one
// feature each.
func BenchmarkOIPInfer(b *testing.B) {
	benchAPI(b, []benchCase{
		{"matrix", "/v2/models/iris/infer", []byte(`{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}]}`)},
		{"per_feature", "/v2/models/iris/infer", []byte(`{"inputs":[{"name":"sepal_length","shape":[1],"datatype":"FP64","data":[5.1]},` +
			`{"name":"sepal_width","shape":[1],"datatype":"FP64","data":[3.5]},{"name":"petal_length","shape":[1],"datatype":"FP64","data":[1.4]},` +
			`{"name":"petal_width","shape":[1],"datatype":"FP64","data":[0.2]}]}`)},
	})
}

func BenchmarkBareHandler(b *testing.B) {
	fixed := []byte(`{"model":"iris","version":1,"predictions":["setosa"]}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(fixed)
	})
	body := []byte(`{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}`)
	b.ReportAllocs()
	for b.Loop() {
		benchRequest(b, h, "/v1/models/iris/predict", body, "Bearer "+predictKey)
	}
}

// BenchmarkDecodeInstances measures the native decoder alone.
func BenchmarkDecodeInstances(b *testing.B) {
	features := newTestEnv(b).models.predictors[predictorKey("iris", 1)].Features()
	body := []byte(`{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}`)
	var d instanceDecoder
	b.ReportAllocs()
	for b.Loop() {
		d.reset(body, features, 0, nil)
		if err := d.decode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictHandler is handlePredict alone behind a bare chi route:
// what the predict path itself costs, without the API's middleware.
func BenchmarkPredictHandler(b *testing.B) {
	e := newTestEnv(b)
	features := e.models.predictors[predictorKey("iris", 1)].Features()
	e.models.set("iris", 1, benchPredictor{features: features})
	r := chi.NewRouter()
	r.Method("POST", "/v1/models/{name}/predict", handlePredict(slog.New(slog.DiscardHandler), e.models, 1000, newScratchPool(), predictionCounter{}))
	body := []byte(`{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}`)
	benchRequest(b, r, "/v1/models/iris/predict", body, "")
	b.ReportAllocs()
	for b.Loop() {
		benchRequest(b, r, "/v1/models/iris/predict", body, "")
	}
}
