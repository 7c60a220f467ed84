package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// predictResponse is the native predict answer, decoded strictly.
type predictResponse struct {
	Model         string               `json:"model"`
	Version       int                  `json:"version"`
	Predictions   []any                `json:"predictions"`
	Probabilities []map[string]float64 `json:"probabilities"`
}

// mustPredict checks a 200 predict answer, strictly decoded, whose header
// and body name the same version.
func mustPredict(tb testing.TB, e *testEnv, path, body string, headers ...string) predictResponse {
	tb.Helper()
	w := e.do(tb, "POST", path, body, headers...)
	if w.Code != http.StatusOK {
		tb.Fatalf("status = %d, want 200; body: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q", ct)
	}
	dec := json.NewDecoder(strings.NewReader(w.Body.String()))
	dec.DisallowUnknownFields()
	var resp predictResponse
	if err := dec.Decode(&resp); err != nil {
		tb.Fatalf("decode %s: %v", w.Body, err)
	}
	if got, want := w.Header().Get(headerModelVersion), fmt.Sprint(resp.Version); got != want {
		tb.Fatalf("%s = %q, body version %s", headerModelVersion, got, want)
	}
	return resp
}

// addHouses adds model "houses", a regression over a string and a number
// feature, version 1.
func addHouses(e *testEnv) *fakePredictor {
	features := []model.Column{{Name: "city", Type: model.ColumnString}, {Name: "rooms", Type: model.ColumnNumber}}
	e.versions.mu.Lock()
	e.versions.versions["houses"] = []*model.ModelVersion{{Name: "houses", Version: 1, Algorithm: "linear_regression",
		Task: model.TaskRegression, Target: "price", Features: features}}
	e.versions.mu.Unlock()
	p := &fakePredictor{features: features}
	e.models.set("houses", 1, p)
	return p
}

func TestPredictMissingValues(t *testing.T) {
	e := newTestEnv(t)
	p := addHouses(e)
	t.Run("a model that does not take missing values refuses null and left-out features", func(t *testing.T) {
		p := mustProblem(t, e.do(t, "POST", "/v1/models/houses/predict", `{"instances": [{"city": "paris", "rooms": null}, {"city": "oslo"}]}`),
			http.StatusUnprocessableEntity)
		want := map[string]string{"instances[0].rooms": "must be a number, got null", "instances[1].rooms": "missing"}
		if !reflect.DeepEqual(p.Errors, want) {
			t.Errorf("errors %q, want %q", p.Errors, want)
		}
	})
	p.missing = true
	t.Run("a model that takes them gets NaN for a missing number and an empty string for a missing string", func(t *testing.T) {
		resp := mustPredict(t, e, "/v1/models/houses/predict",
			`{"instances": [{"city": "paris", "rooms": null}, {"city": "oslo"}, {"rooms": 3}, [null, null]]}`)
		if !reflect.DeepEqual(resp.Predictions, []any{5.0, 4.0, 3.0, 0.0}) {
			t.Errorf("predictions %v", resp.Predictions)
		}
		got := p.lastBatch()
		if got.Rows != 4 || !reflect.DeepEqual(got.Strs, []string{"paris", "", "oslo", "", "", "", "", ""}) {
			t.Fatalf("batch %+v", got)
		}
		for r, v := range []float64{got.Nums[1], got.Nums[3], got.Nums[7]} {
			if v == v {
				t.Errorf("missing number %d is %v, want NaN", r, v)
			}
		}
	})
}

func TestPredict(t *testing.T) {
	e := newTestEnv(t)
	v1 := e.models.predictors[predictorKey("iris", 1)].(*fakePredictor)

	t.Run("instances as objects, keys in any order, are laid out in feature order", func(t *testing.T) {
		resp := mustPredict(t, e, "/v1/models/iris/predict",
			`{"instances": [{"petal_width": 0.2, "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4},
			                {"sepal_length": 1, "sepal_width": 2, "petal_length": 3, "petal_width": 4}]}`)
		want := predictResponse{Model: "iris", Version: 1, Predictions: []any{"virginica", "versicolor"},
			Probabilities: []map[string]float64{
				{"setosa": 0.25, "versicolor": 0.25, "virginica": 0.5},
				{"setosa": 0.25, "versicolor": 0.5, "virginica": 0.25},
			}}
		if !reflect.DeepEqual(resp, want) {
			t.Fatalf("response = %+v, want %+v", resp, want)
		}
		if got := v1.lastBatch(); got.Rows != 2 || !reflect.DeepEqual(got.Nums, []float64{5.1, 3.5, 1.4, 0.2, 1, 2, 3, 4}) {
			t.Fatalf("batch = %+v", got)
		}
	})
	t.Run("instances as arrays in feature order", func(t *testing.T) {
		resp := mustPredict(t, e, "/v1/models/iris/predict", `{"instances":[[5.1,3.5,1.4,0.2]]}`)
		if !reflect.DeepEqual(resp.Predictions, []any{"virginica"}) || len(resp.Probabilities) != 1 {
			t.Fatalf("response = %+v", resp)
		}
		if got := v1.lastBatch(); !reflect.DeepEqual(got.Nums, []float64{5.1, 3.5, 1.4, 0.2}) {
			t.Fatalf("batch = %+v", got)
		}
	})
	t.Run("one request may mix objects and arrays", func(t *testing.T) {
		resp := mustPredict(t, e, "/v1/models/iris/predict",
			`{"instances":[[0,0,0,0],{"sepal_length":1,"sepal_width":0,"petal_length":0,"petal_width":0},[2e0,0,0,-0.5]]}`)
		if !reflect.DeepEqual(resp.Predictions, []any{"setosa", "versicolor", "virginica"}) {
			t.Fatalf("predictions = %v", resp.Predictions)
		}
	})
	t.Run("escaped feature names and whitespace are read as JSON says", func(t *testing.T) {
		resp := mustPredict(t, e, "/v1/models/iris/predict",
			" \r\n{ \"instances\" :\t[ { \"sepal\\u005flength\" : 2 , \"sepal_width\":0,\"petal_length\":0,\"petal_width\":0 } ] } \n")
		if !reflect.DeepEqual(resp.Predictions, []any{"virginica"}) {
			t.Fatalf("predictions = %v", resp.Predictions)
		}
	})
	t.Run("a classifier without probabilities answers none", func(t *testing.T) {
		w := e.do(t, "POST", "/v1/models/iris/versions/2/predict", `{"instances":[[1,2,3,4,5]]}`)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "probabilities") {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
		if resp := mustPredict(t, e, "/v1/models/iris/versions/2/predict", `{"instances":[[1,2,3,4,5]]}`); resp.Version != 2 {
			t.Fatalf("version = %d", resp.Version)
		}
	})
	t.Run("a regression predicts numbers from string and number features", func(t *testing.T) {
		p := addHouses(e)
		resp := mustPredict(t, e, "/v1/models/houses/predict",
			`{"instances":[{"city":"Paris","rooms":3},["Zo\u00eb \"N\"",1.5]]}`)
		if !reflect.DeepEqual(resp.Predictions, []any{8.0, 9.5}) || resp.Probabilities != nil {
			t.Fatalf("response = %+v", resp)
		}
		if got := p.lastBatch(); !reflect.DeepEqual(got.Strs, []string{"Paris", "", `Zoë "N"`, ""}) {
			t.Fatalf("strings = %q", got.Strs)
		}
	})
	t.Run("class labels are escaped in the response", func(t *testing.T) {
		odd := []string{"a\"b", "line\nbreak", "ü"}
		e.models.set("iris", 2, &fakePredictor{features: v1.features[:1], classes: odd, probs: true})
		defer e.models.set("iris", 2, &fakePredictor{features: v1.features, classes: irisClasses})
		resp := mustPredict(t, e, "/v1/models/iris/versions/2/predict", `{"instances":[[0],[1],[2]]}`)
		if !reflect.DeepEqual(resp.Predictions, []any{odd[0], odd[1], odd[2]}) || resp.Probabilities[1][odd[1]] != 0.5 {
			t.Fatalf("response = %+v", resp)
		}
	})
}

func TestPredictRoutes(t *testing.T) {
	body := `{"instances":[[1,2,3,4]]}`
	tests := []struct {
		name    string
		path    string
		status  int
		version int
	}{
		{"a bare name predicts with the production alias", "/v1/models/iris/predict", 200, 1},
		{"a version predicts with that version", "/v1/models/iris/versions/1/predict", 200, 1},
		{"an alias predicts with the version it points at", "/v1/models/iris/aliases/production/predict", 200, 1},
		{"an unknown model is 404", "/v1/models/roses/predict", 404, 0},
		{"a model name that cannot be is 404", "/v1/models/Iris!/predict", 404, 0},
		{"an unknown version is 404", "/v1/models/iris/versions/9/predict", 404, 0},
		{"a version with a leading zero is 404", "/v1/models/iris/versions/01/predict", 404, 0},
		{"an unknown alias is 404", "/v1/models/iris/aliases/staging/predict", 404, 0},
		{"an alias name that cannot be is 404", "/v1/models/iris/aliases/No%20Way/predict", 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if tt.status != http.StatusOK {
				mustProblem(t, e.do(t, "POST", tt.path, body), tt.status)
				return
			}
			if resp := mustPredict(t, e, tt.path, body); resp.Version != tt.version {
				t.Fatalf("version = %d, want %d", resp.Version, tt.version)
			}
		})
	}
	t.Run("without production the bare name predicts with the latest version", func(t *testing.T) {
		e := newTestEnv(t)
		delete(e.versions.aliases["iris"], model.AliasProduction)
		if resp := mustPredict(t, e, "/v1/models/iris/predict", `{"instances":[[1,2,3,4,5]]}`); resp.Version != 2 {
			t.Fatalf("version = %d, want 2", resp.Version)
		}
	})
	t.Run("GET on a predict route is 405", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "GET", "/v1/models/iris/predict", "")
		mustProblem(t, w, http.StatusMethodNotAllowed)
		if allow := w.Header().Get("Allow"); allow != "POST" {
			t.Fatalf("Allow = %q", allow)
		}
	})
}

func TestPredictBadInput(t *testing.T) {
	const (
		row  = `"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4`
		path = "/v1/models/iris/predict"
	)
	tests := []struct {
		name   string
		path   string
		body   string
		fields map[string]string
	}{
		{"a missing feature is named with its row", path,
			`{"instances":[{` + row + `},{` + row + `},{` + row + `},{"sepal_length":1,"sepal_width":2,"petal_length":3}]}`,
			map[string]string{"instances[3].petal_width": "missing"}},
		{"an unknown feature is named with its row", path,
			`{"instances":[{` + row + `,"colour":"blue"}]}`,
			map[string]string{"instances[0].colour": "unknown feature"}},
		{"a feature given twice is named", path,
			`{"instances":[{` + row + `,"sepal_length":2}]}`,
			map[string]string{"instances[0].sepal_length": "given twice"}},
		{"a string for a number feature is a wrong type", path,
			`{"instances":[{"sepal_length":"5.1","sepal_width":2,"petal_length":3,"petal_width":4}]}`,
			map[string]string{"instances[0].sepal_length": "must be a number, got a string"}},
		{"NaN spelt as a string is a wrong type", path,
			`{"instances":[[1,2,3,"NaN"]]}`,
			map[string]string{"instances[0][3]": "feature petal_width: must be a number, got a string"}},
		{"Infinity spelt as a string is a wrong type", path,
			`{"instances":[{"sepal_length":"Infinity","sepal_width":2,"petal_length":3,"petal_width":4}]}`,
			map[string]string{"instances[0].sepal_length": "must be a number, got a string"}},
		{"a number beyond float64 is not finite", path,
			`{"instances":[[1,2,1e999,4]]}`,
			map[string]string{"instances[0][2]": "feature petal_length: must be a finite number"}},
		{"null, booleans, objects and arrays are wrong types", path,
			`{"instances":[{"sepal_length":null,"sepal_width":true,"petal_length":{"a":[1]},"petal_width":[4]}]}`,
			map[string]string{
				"instances[0].sepal_length": "must be a number, got null",
				"instances[0].sepal_width":  "must be a number, got a boolean",
				"instances[0].petal_length": "must be a number, got an object",
				"instances[0].petal_width":  "must be a number, got an array",
			}},
		{"an array instance with a wrong type names the position and the feature", path,
			`{"instances":[[1,2,"x",4]]}`,
			map[string]string{"instances[0][2]": "feature petal_length: must be a number, got a string"}},
		{"a short array names each missing position", path,
			`{"instances":[[1,2]]}`,
			map[string]string{"instances[0][2]": "missing: feature petal_length", "instances[0][3]": "missing: feature petal_width"}},
		{"a long array names the first extra position", path,
			`{"instances":[[1,2,3,4,5,6]]}`,
			map[string]string{"instances[0][4]": "unexpected: the model has 4 features (sepal_length, sepal_width, petal_length, petal_width)"}},
		{"an instance neither object nor array is named", path,
			`{"instances":[[1,2,3,4],7]}`,
			map[string]string{"instances[1]": "must be an object keyed by feature name or an array in feature order, got a number"}},
		{"a number for a string feature is a wrong type", "/v1/models/houses/predict",
			`{"instances":[{"city":75001,"rooms":3}]}`,
			map[string]string{"instances[0].city": "must be a string, got a number"}},
		{"more rows than the limit names instances", path,
			`{"instances":[[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4]]}`,
			map[string]string{"instances": "more than 5 instances: the limit is 5 per request"}},
		{"empty instances are invalid", path, `{"instances":[]}`,
			map[string]string{"instances": "must hold at least one instance"}},
		{"no instances are invalid", path, `{}`,
			map[string]string{"instances": "required: an array of instances, each an object keyed by feature name or an array in feature order"}},
		{"null instances are invalid", path, `{"instances":null}`,
			map[string]string{"instances": "required: an array of instances"}},
		{"instances that are not an array are invalid", path, `{"instances":{"sepal_length":1}}`,
			map[string]string{"instances": "must be an array of instances, got an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			addHouses(e)
			p := mustProblem(t, e.do(t, "POST", tt.path, tt.body), http.StatusUnprocessableEntity)
			if !reflect.DeepEqual(p.Errors, tt.fields) {
				t.Fatalf("errors = %q, want %q", p.Errors, tt.fields)
			}
			for field := range tt.fields {
				if !strings.Contains(p.Detail, field) {
					t.Fatalf("detail %q does not name %s", p.Detail, field)
				}
			}
		})
	}
	t.Run("problems are capped, not one per bad value of a large body", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Limits.PredictRows = 100 })
		body := `{"instances":[` + strings.Repeat(`["a","b","c","d"],`, 50) + `[1,2,3,4]]}`
		p := mustProblem(t, e.do(t, "POST", path, body), http.StatusUnprocessableEntity)
		if len(p.Errors) != maxProblems {
			t.Fatalf("%d problems, want %d", len(p.Errors), maxProblems)
		}
	})
}

func TestPredictMalformed(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		status                  int
	}{
		{"an empty body is 400", "", "application/json", 400},
		{"a truncated body is 400", `{"instances":[[1,2,3,4]`, "application/json", 400},
		{"data after the value is 400", `{"instances":[[1,2,3,4]]} {}`, "application/json", 400},
		{"an unknown top-level field is 400", `{"instances":[[1,2,3,4]],"inputs":[]}`, "application/json", 400},
		{"instances given twice is 400", `{"instances":[[1,2,3,4]],"instances":[[1,2,3,4]]}`, "application/json", 400},
		{"a body that is an array is 400", `[[1,2,3,4]]`, "application/json", 400},
		{"a bare NaN is 400", `{"instances":[[1,2,3,NaN]]}`, "application/json", 400},
		{"a number with a leading zero is 400", `{"instances":[[01,2,3,4]]}`, "application/json", 400},
		{"a raw control character in a string is 400", "{\"instances\":[{\"sepal_length\x01\":1}]}", "application/json", 400},
		{"single quotes are 400", `{'instances':[[1,2,3,4]]}`, "application/json", 400},
		{"a wrong content type is 415", `{"instances":[[1,2,3,4]]}`, "text/plain", 415},
		{"a body over the limit is 413", `{"instances":[[1,2,3,4]],"x":"` + strings.Repeat("a", testBodyLimit) + `"}`, "application/json", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			w := e.do(t, "POST", "/v1/models/iris/predict", tt.body, "Content-Type", tt.contentType)
			mustProblem(t, w, tt.status)
		})
	}
	t.Run("application/json with a utf-8 charset is accepted", func(t *testing.T) {
		e := newTestEnv(t)
		mustPredict(t, e, "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`, "Content-Type", "application/json; charset=UTF-8")
	})
}

func TestPredictModelErrors(t *testing.T) {
	t.Run("a model cache without the store is 503", func(t *testing.T) {
		e := newTestEnv(t)
		e.models.setErr(model.Errorf(model.CodeUnavailable, "mongo is down"))
		p := mustProblem(t, e.do(t, "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`), http.StatusServiceUnavailable)
		if !strings.Contains(p.Detail, "mongo is down") {
			t.Fatalf("detail = %q", p.Detail)
		}
	})
	t.Run("a corrupt artifact is a logged internal error", func(t *testing.T) {
		e := newTestEnv(t)
		delete(e.models.predictors, predictorKey("iris", 1))
		p := mustProblem(t, e.do(t, "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`), http.StatusInternalServerError)
		if p.Detail != "internal error" || !strings.Contains(e.logs.String(), "fails its checks") {
			t.Fatalf("detail = %q; logs: %s", p.Detail, e.logs)
		}
	})
	t.Run("without Models every prediction is 503", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Models = nil })
		mustProblem(t, e.do(t, "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`), http.StatusServiceUnavailable)
	})
}

func TestPredictScopes(t *testing.T) {
	tests := []struct {
		name          string
		method, path  string
		body          string
		authorization string
		status        int
	}{
		{"a predict key may predict", "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + predictKey, 200},
		{"a predict key may predict by version", "POST", "/v1/models/iris/versions/1/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + predictKey, 200},
		{"a predict key may predict by alias", "POST", "/v1/models/iris/aliases/production/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + predictKey, 200},
		{"an admin key may predict", "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + adminKey, 200},
		{"a read key may not predict", "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + readKey, 403},
		{"a read key may not predict by alias", "POST", "/v1/models/iris/aliases/production/predict", `{"instances":[[1,2,3,4]]}`, "Bearer " + readKey, 403},
		{"no key may not predict", "POST", "/v1/models/iris/predict", `{"instances":[[1,2,3,4]]}`, "", 401},
		{"a predict key may still read the model", "GET", "/v1/models/iris", "", "Bearer " + predictKey, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, withKeys)
			w := e.do(t, tt.method, tt.path, tt.body, "Authorization", tt.authorization)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}

// TestPredictConcurrent predicts from many goroutines at once: each answer
// must be its own request's, which pooled buffers shared by mistake would
// break (and -race would see).
func TestPredictConcurrent(t *testing.T) {
	e := newTestEnv(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				rows := 1 + (g+i)%testPredictRows
				var b strings.Builder
				b.WriteString(`{"instances":[`)
				want := make([]any, rows)
				for r := range rows {
					if r > 0 {
						b.WriteByte(',')
					}
					class := (g + i + r) % 3
					fmt.Fprintf(&b, `{"sepal_length":%d,"sepal_width":%d,"petal_length":0,"petal_width":0}`, class, g)
					want[r] = irisClasses[class]
				}
				b.WriteString(`]}`)
				w := e.do(t, "POST", "/v1/models/iris/predict", b.String())
				var resp predictResponse
				if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != 200 {
					t.Errorf("status %d, %v: %s", w.Code, err, w.Body)
					return
				}
				if !reflect.DeepEqual(resp.Predictions, want) || len(resp.Probabilities) != rows {
					t.Errorf("predictions = %v, want %v", resp.Predictions, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
