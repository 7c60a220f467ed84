package api

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// mustOIP checks w's status and validates its body against the named
// protocol schema (strictly: no property the schema does not list), then
// decodes it into a T.
func mustOIP[T any](tb testing.TB, s oipSchemas, w *httptest.ResponseRecorder, status int, schema string) T {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q, want application/json; body: %s", ct, w.Body)
	}
	if err := s.validate(schema, w.Body.Bytes(), true); err != nil {
		tb.Fatalf("%s does not conform to %s: %v", w.Body, schema, err)
	}
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return v
}

// mustOIPError checks an OIP error answer: status, the protocol's error
// object and no problem+json; it returns the message.
func mustOIPError(tb testing.TB, s oipSchemas, w *httptest.ResponseRecorder, status int) string {
	tb.Helper()
	e := mustOIP[oipError](tb, s, w, status, "inference_error_response")
	if e.Error == "" {
		tb.Fatalf("empty error message")
	}
	return e.Error
}

// inferResponse mirrors inference_response.
type inferResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           *string
	Outputs      []struct {
		Name     string  `json:"name"`
		Datatype string  `json:"datatype"`
		Shape    []int64 `json:"shape"`
		Data     []any   `json:"data"`
	} `json:"outputs"`
}

func TestOIPServer(t *testing.T) {
	s := loadOIPSchemas(t)
	t.Run("server metadata names mlserve, its version and no extensions", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Version = "v1.2.3" })
		for _, path := range []string{"/v2", "/v2/"} {
			md := mustOIP[serverMetadata](t, s, e.do(t, "GET", path, ""), 200, "metadata_server_response")
			if want := (serverMetadata{Name: "mlserve", Version: "v1.2.3", Extensions: []string{}}); !reflect.DeepEqual(md, want) {
				t.Fatalf("GET %s = %+v", path, md)
			}
		}
	})
	t.Run("live answers live, without a key", func(t *testing.T) {
		e := newTestEnv(t, withKeys)
		h := mustOIP[serverHealth](t, s, e.do(t, "GET", "/v2/health/live", ""), 200, "live_server_response")
		if !h.Live {
			t.Fatalf("%+v", h)
		}
	})
	t.Run("ready answers ready while its checks pass, without a key", func(t *testing.T) {
		e := newTestEnv(t, withKeys)
		w := e.do(t, "GET", "/v2/health/ready", "")
		if err := s.validate("ready_server_response", w.Body.Bytes(), false); err != nil || w.Code != 200 ||
			!strings.Contains(w.Body.String(), `"ready":true`) {
			t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
		}
	})
	t.Run("ready is 503 naming the failing check", func(t *testing.T) {
		e := newTestEnv(t)
		e.queue.pingErr = errors.New("connection refused")
		w := e.do(t, "GET", "/v2/health/ready", "")
		if err := s.validate("ready_server_response", w.Body.Bytes(), false); err != nil || w.Code != 503 ||
			!strings.Contains(w.Body.String(), `"ready":false`) || !strings.Contains(w.Body.String(), "redis: connection refused") {
			t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
		}
	})
	t.Run("ready pings ServingChecks when they are set", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.ServingChecks = []Check{} })
		e.queue.pingErr = errors.New("connection refused")
		if w := e.do(t, "GET", "/v2/health/ready", ""); w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

func TestOIPModelMetadata(t *testing.T) {
	s := loadOIPSchemas(t)
	e := newTestEnv(t)
	addHouses(e)
	fp64 := func(n string) metadataTensor { return metadataTensor{Name: n, Datatype: "FP64", Shape: []int64{-1}} }
	iris := []metadataTensor{fp64("sepal_length"), fp64("sepal_width"), fp64("petal_length"), fp64("petal_width")}
	tests := []struct {
		name, path string
		version    string
		want       modelMetadata
	}{
		{"a bare name describes the production version", "/v2/models/iris", "1", modelMetadata{
			Name: "iris", Versions: []string{"2", "1"}, Platform: oipPlatform, Inputs: iris,
			Outputs: []metadataTensor{{"predictions", "BYTES", []int64{-1}}, {"probabilities", "FP64", []int64{-1, 3}}},
		}},
		{"a version without probabilities lists predictions only", "/v2/models/iris/versions/2", "2", modelMetadata{
			Name: "iris", Versions: []string{"2", "1"}, Platform: oipPlatform, Inputs: append(iris[:4:4], fp64("petal_ratio")),
			Outputs: []metadataTensor{{"predictions", "BYTES", []int64{-1}}},
		}},
		{"a string feature is a BYTES input and a regression predicts FP64", "/v2/models/houses", "1", modelMetadata{
			Name: "houses", Versions: []string{"1"}, Platform: oipPlatform,
			Inputs:  []metadataTensor{{"city", "BYTES", []int64{-1}}, fp64("rooms")},
			Outputs: []metadataTensor{{"predictions", "FP64", []int64{-1}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(t, "GET", tt.path, "")
			md := mustOIP[modelMetadata](t, s, w, 200, "metadata_model_response")
			if !reflect.DeepEqual(md, tt.want) {
				t.Fatalf("metadata = %+v, want %+v", md, tt.want)
			}
			if got := w.Header().Get(headerModelVersion); got != tt.version {
				t.Fatalf("%s = %q, want %s", headerModelVersion, got, tt.version)
			}
		})
	}
	errs := []struct {
		name, path string
		status     int
	}{
		{"an unknown model is 404", "/v2/models/roses", 404},
		{"an unknown version is 404", "/v2/models/iris/versions/7", 404},
		{"a version that is no number is 404", "/v2/models/iris/versions/v1", 404},
		{"an impossible name is 404", "/v2/models/IRIS", 404},
		{"an unknown /v2 path is 404", "/v2/repository/index", 404},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			mustOIPError(t, s, e.do(t, "GET", tt.path, ""), tt.status)
		})
	}
	t.Run("the store down is 503", func(t *testing.T) {
		e := newTestEnv(t)
		e.models.setErr(model.Errorf(model.CodeUnavailable, "mongo is down"))
		mustOIPError(t, s, e.do(t, "GET", "/v2/models/iris", ""), 503)
	})
}

func TestOIPModelReady(t *testing.T) {
	s := loadOIPSchemas(t)
	e := newTestEnv(t)
	for _, path := range []string{"/v2/models/iris/ready", "/v2/models/iris/versions/2/ready"} {
		t.Run("a loadable version is ready: "+path, func(t *testing.T) {
			r := mustOIP[modelReady](t, s, e.do(t, "GET", path, ""), 200, "ready_model_response")
			if r != (modelReady{Name: "iris", Ready: true}) {
				t.Fatalf("%+v", r)
			}
		})
	}
	t.Run("an unknown model is 404", func(t *testing.T) {
		mustOIPError(t, s, e.do(t, "GET", "/v2/models/roses/ready", ""), 404)
	})
	t.Run("a version that cannot load is 503 and not ready", func(t *testing.T) {
		e := newTestEnv(t)
		delete(e.models.predictors, predictorKey("iris", 2))
		w := e.do(t, "GET", "/v2/models/iris/versions/2/ready", "")
		if err := s.validate("ready_model_response", w.Body.Bytes(), false); err != nil || w.Code != 503 ||
			!strings.Contains(w.Body.String(), `"ready":false`) {
			t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
		}
	})
}

func TestOIPInfer(t *testing.T) {
	s := loadOIPSchemas(t)
	e := newTestEnv(t)
	houses := addHouses(e)
	v1 := e.models.predictors[predictorKey("iris", 1)].(*fakePredictor)
	tests := []struct {
		name, path, body string
		nums             []float64 // the batch the predictor saw
		want             string    // the response, compacted
	}{
		{"one [N, F] tensor with flat data, the id echoed", "/v2/models/iris/infer",
			`{"id":"42","inputs":[{"name":"input0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6,2.9,4.5,1.5]}]}`,
			[]float64{5.1, 3.5, 1.4, 0.2, 6, 2.9, 4.5, 1.5},
			`{"model_name":"iris","model_version":"1","id":"42","outputs":[
			 {"name":"predictions","datatype":"BYTES","shape":[2],"data":["virginica","setosa"]},
			 {"name":"probabilities","datatype":"FP64","shape":[2,3],"data":[0.25,0.25,0.5,0.5,0.25,0.25]}]}`},
		{"one [N, F] tensor with nested data, parameters ignored", "/v2/models/iris/infer",
			`{"parameters":{"x":1},"inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","parameters":{"a":"b"},"data":[[5.1,3.5,1.4,0.2],[6,2.9,4.5,1.5]]}]}`,
			[]float64{5.1, 3.5, 1.4, 0.2, 6, 2.9, 4.5, 1.5},
			`{"model_name":"iris","model_version":"1","outputs":[
			 {"name":"predictions","datatype":"BYTES","shape":[2],"data":["virginica","setosa"]},
			 {"name":"probabilities","datatype":"FP64","shape":[2,3],"data":[0.25,0.25,0.5,0.5,0.25,0.25]}]}`},
		{"one tensor per feature, in any order, [N] and [N, 1], of several numeric types", "/v2/models/iris/infer",
			`{"inputs":[
			  {"name":"petal_width","shape":[2],"datatype":"FP64","data":[0.2,1.5]},
			  {"name":"sepal_length","shape":[2,1],"datatype":"INT32","data":[[5],[6]]},
			  {"name":"petal_length","shape":[2,1],"datatype":"UINT8","data":[1,4]},
			  {"name":"sepal_width","shape":[2],"datatype":"FP16","data":[3.5,2.9]}]}`,
			[]float64{5, 3.5, 1, 0.2, 6, 2.9, 4, 1.5},
			`{"model_name":"iris","model_version":"1","outputs":[
			 {"name":"predictions","datatype":"BYTES","shape":[2],"data":["virginica","setosa"]},
			 {"name":"probabilities","datatype":"FP64","shape":[2,3],"data":[0.25,0.25,0.5,0.5,0.25,0.25]}]}`},
		{"outputs filtered to probabilities", "/v2/models/iris/infer",
			`{"inputs":[{"name":"input0","shape":[2,4],"datatype":"FP64","data":[5,3.5,1.4,0.2,6,2.9,4.5,1.5]}],"outputs":[{"name":"probabilities"}]}`,
			[]float64{5, 3.5, 1.4, 0.2, 6, 2.9, 4.5, 1.5},
			`{"model_name":"iris","model_version":"1","outputs":[
			 {"name":"probabilities","datatype":"FP64","shape":[2,3],"data":[0.25,0.25,0.5,0.5,0.25,0.25]}]}`},
		{"outputs filtered to predictions", "/v2/models/iris/infer",
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[5,3.5,1.4,0.2]}],"outputs":[{"name":"predictions","parameters":{}}]}`,
			[]float64{5, 3.5, 1.4, 0.2},
			`{"model_name":"iris","model_version":"1","outputs":[
			 {"name":"predictions","datatype":"BYTES","shape":[1],"data":["virginica"]}]}`},
		{"a version by path answers with that version", "/v2/models/iris/versions/2/infer",
			`{"id":"","inputs":[{"name":"input0","shape":[1,5],"datatype":"FP64","data":[1,2,3,4,5]}]}`,
			nil,
			`{"model_name":"iris","model_version":"2","id":"","outputs":[
			 {"name":"predictions","datatype":"BYTES","shape":[1],"data":["versicolor"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(t, "POST", tt.path, tt.body)
			mustOIP[inferResponse](t, s, w, 200, "inference_response")
			var want, got any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("response = %s\nwant       %s", w.Body, tt.want)
			}
			if tt.nums != nil && !reflect.DeepEqual(v1.lastBatch().Nums, tt.nums) {
				t.Fatalf("batch = %v, want %v", v1.lastBatch().Nums, tt.nums)
			}
			if w.Header().Get(headerModelVersion) == "" {
				t.Fatalf("no %s header", headerModelVersion)
			}
		})
	}
	t.Run("string features come as BYTES tensors; a regression predicts FP64", func(t *testing.T) {
		w := e.do(t, "POST", "/v2/models/houses/infer",
			`{"inputs":[{"name":"city","shape":[2],"datatype":"BYTES","data":["Paris","Lyon"]},{"name":"rooms","shape":[2],"datatype":"INT64","data":[3,1]}]}`)
		resp := mustOIP[inferResponse](t, s, w, 200, "inference_response")
		if len(resp.Outputs) != 1 || resp.Outputs[0].Datatype != "FP64" || !reflect.DeepEqual(resp.Outputs[0].Data, []any{8.0, 5.0}) {
			t.Fatalf("response = %s", w.Body)
		}
		if got := houses.lastBatch(); !reflect.DeepEqual(got.Strs, []string{"Paris", "", "Lyon", ""}) || !reflect.DeepEqual(got.Nums, []float64{0, 3, 0, 1}) {
			t.Fatalf("batch = %+v", got)
		}
	})
	t.Run("the body is JSON whatever its declared content type", func(t *testing.T) {
		w := e.do(t, "POST", "/v2/models/iris/infer", `{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[5,3.5,1.4,0.2]}]}`,
			"Content-Type", "application/x-www-form-urlencoded")
		mustOIP[inferResponse](t, s, w, 200, "inference_response")
	})
}

func TestOIPInferErrors(t *testing.T) {
	s := loadOIPSchemas(t)
	const path = "/v2/models/iris/infer"
	tests := []struct {
		name, path, body string
		status           int
		msg              string // a part of the error message
	}{
		// The request examples of open_inference_rest.yaml and inference_rest.md,
		// for a model that has none of their tensors.
		{"the spec's example 1 names an unknown input", path,
			`{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}],"outputs":[{"name":"output0"}]}`,
			400, `unknown output "output0"`},
		{"the spec's example 1 without its outputs names an unknown input", path,
			`{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}]}`,
			400, `unknown input "input0"`},
		{"the spec's example 1's first tensor alone has the wrong shape", path,
			`{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]}]}`,
			400, "shape [2, 2]: want [N, 4]"},
		{"the yaml's example 2, without inputs, is 400", path,
			`{"id":"42","outputs":[{"name":"output0","shape":[3,2],"datatype":"FP32","data":[1,1.1,2,2.1,3,3.1]}]}`,
			400, "inputs: required"},
		{"empty inputs are 400", path, `{"inputs":[]}`, 400, "inputs: required"},
		{"probabilities from a model without them are 400", "/v2/models/iris/versions/2/infer",
			`{"inputs":[{"name":"input0","shape":[1,5],"datatype":"FP64","data":[1,2,3,4,5]}],"outputs":[{"name":"probabilities"}]}`,
			400, `no "probabilities" output`},
		{"a missing feature tensor is named", path,
			`{"inputs":[{"name":"sepal_length","shape":[1],"datatype":"FP64","data":[1]},{"name":"sepal_width","shape":[1],"datatype":"FP64","data":[1]},{"name":"petal_length","shape":[1],"datatype":"FP64","data":[1]}]}`,
			400, `missing input "petal_width"`},
		{"a feature tensor given twice is named", path,
			`{"inputs":[{"name":"sepal_length","shape":[1],"datatype":"FP64","data":[1]},{"name":"sepal_length","shape":[1],"datatype":"FP64","data":[1]}]}`,
			400, `input "sepal_length" given twice`},
		{"feature tensors of different lengths are 400", path,
			`{"inputs":[{"name":"sepal_length","shape":[2],"datatype":"FP64","data":[1,2]},{"name":"sepal_width","shape":[1],"datatype":"FP64","data":[1]}]}`,
			400, `input "sepal_width" has 1 rows; the inputs before it have 2`},
		{"a feature tensor of shape [N, 2] is 400", path,
			`{"inputs":[{"name":"sepal_length","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`,
			400, "want [N] or [N, 1]"},
		{"BYTES for a number feature is 400", path,
			`{"inputs":[{"name":"sepal_length","shape":[1],"datatype":"BYTES","data":["1"]}]}`,
			400, `feature sepal_length is a number`},
		{"BOOL for a number feature is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"BOOL","data":[true,true,false,true]}]}`,
			400, `got "BOOL"`},
		{"a numeric tensor for a string feature is 400", "/v2/models/houses/infer",
			`{"inputs":[{"name":"city","shape":[1],"datatype":"FP64","data":[1]},{"name":"rooms","shape":[1],"datatype":"FP64","data":[1]}]}`,
			400, `feature city is a string: want datatype BYTES`},
		{"an [N, F] tensor for a model with a string feature is 400", "/v2/models/houses/infer",
			`{"inputs":[{"name":"input0","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`,
			400, "string feature (city)"},
		{"a string element in a numeric tensor names the element and the feature", path,
			`{"inputs":[{"name":"input0","shape":[2,4],"datatype":"FP64","data":[1,2,3,4,5,6,"NaN",8]}]}`,
			400, `input "input0": element [1, 2] (feature petal_length): must be a number, got a string`},
		{"a number element in a BYTES tensor is named", "/v2/models/houses/infer",
			`{"inputs":[{"name":"city","shape":[2],"datatype":"BYTES","data":["a",7]},{"name":"rooms","shape":[2],"datatype":"FP64","data":[1,2]}]}`,
			400, `input "city": element 1: must be a string, got a number`},
		{"a fraction in an INT tensor is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"INT32","data":[1,2,3.5,4]}]}`,
			400, "must be an integer for INT32"},
		{"a value beyond its type's range is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"UINT8","data":[1,2,300,4]}]}`,
			400, "out of the range of UINT8"},
		{"a number beyond float64 is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[1,2,1e400,4]}]}`,
			400, "out of the range of FP64"},
		{"null data is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":null}]}`,
			400, "data: required"},
		{"flat data shorter than the shape is 400", path,
			`{"inputs":[{"name":"input0","shape":[2,4],"datatype":"FP64","data":[1,2,3,4,5,6,7]}]}`,
			400, "data holds 7 elements; shape [2, 4] needs 8"},
		{"flat data longer than the shape is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[1,2,3,4,5]}]}`,
			400, "more elements than shape [1, 4] holds"},
		{"nested data that disagrees with the shape is 400", path,
			`{"inputs":[{"name":"input0","shape":[2,4],"datatype":"FP64","data":[[1,2,3,4],[5,6,7]]}]}`,
			400, "dimension 1 has 3 elements"},
		{"data mixing arrays and values is 400", path,
			`{"inputs":[{"name":"input0","shape":[2,4],"datatype":"FP64","data":[[1,2,3,4],5,6,7,8]}]}`,
			400, "mixes arrays and values"},
		{"data nested deeper than the shape is 400", path,
			`{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[[[1,2,3,4]]]}]}`,
			400, "nested deeper than shape"},
		{"more rows than the limit is 400", path,
			`{"inputs":[{"name":"input0","shape":[6,4],"datatype":"FP64","data":[` + strings.TrimSuffix(strings.Repeat("1,", 24), ",") + `]}]}`,
			400, "6 rows: the limit is 5"},
		{"zero rows is 400", path,
			`{"inputs":[{"name":"input0","shape":[0,4],"datatype":"FP64","data":[]}]}`,
			400, "want at least one row"},
		{"a shape over the row limit is 400", path,
			`{"inputs":[{"name":"sepal_length","shape":[4000000000000000000],"datatype":"FP64","data":[1]}]}`,
			400, "the limit is 5"},
		{"malformed JSON is 400", path, `{"inputs":[`, 400, "malformed JSON"},
		{"an empty body is 400", path, ``, 400, "empty"},
		{"an id that is no string is 400", path, `{"id":42,"inputs":[]}`, 400, "id"},
		{"a body over the limit is 413", path, `{"inputs":[],"x":"` + strings.Repeat("a", testBodyLimit) + `"}`, 413, "limit"},
		{"an unknown model is 404", "/v2/models/roses/infer", `{"inputs":[]}`, 404, "roses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			addHouses(e)
			msg := mustOIPError(t, s, e.do(t, "POST", tt.path, tt.body), tt.status)
			if !strings.Contains(msg, tt.msg) {
				t.Fatalf("error %q does not contain %q", msg, tt.msg)
			}
		})
	}
	t.Run("without a row limit, a shape larger than the body is 400, not an allocation", func(t *testing.T) {
		e := newTestEnv(t, func(d *Deps) { d.Limits.PredictRows = 0 })
		w := e.do(t, "POST", path, `{"inputs":[{"name":"input0","shape":[4000000000000000000,4],"datatype":"FP64","data":[1]}]}`)
		if msg := mustOIPError(t, s, w, 400); !strings.Contains(msg, "data holds fewer elements") {
			t.Fatalf("error = %q", msg)
		}
	})
	t.Run("GET on infer is 405 in the protocol's form", func(t *testing.T) {
		e := newTestEnv(t)
		w := e.do(t, "GET", path, "")
		mustOIPError(t, s, w, 405)
		if w.Header().Get("Allow") != "POST" {
			t.Fatalf("Allow = %q", w.Header().Get("Allow"))
		}
	})
	t.Run("the store down is 503", func(t *testing.T) {
		e := newTestEnv(t)
		e.models.setErr(model.Errorf(model.CodeUnavailable, "mongo is down"))
		mustOIPError(t, s, e.do(t, "POST", path, `{"inputs":[]}`), 503)
	})
}

func TestOIPScopes(t *testing.T) {
	s := loadOIPSchemas(t)
	infer := `{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[5,3.5,1.4,0.2]}]}`
	tests := []struct {
		name, method, path, body, key string
		status                        int
	}{
		{"health is open", "GET", "/v2/health/live", "", "", 200},
		{"server metadata needs a key", "GET", "/v2", "", "", 401},
		{"a read key may read server metadata", "GET", "/v2", "", readKey, 200},
		{"a predict key may read model metadata", "GET", "/v2/models/iris", "", predictKey, 200},
		{"a read key may read model metadata", "GET", "/v2/models/iris/versions/1", "", readKey, 200},
		{"a read key may ask whether a model is ready", "GET", "/v2/models/iris/ready", "", readKey, 200},
		{"a predict key may infer", "POST", "/v2/models/iris/infer", infer, predictKey, 200},
		{"an admin key may infer", "POST", "/v2/models/iris/versions/1/infer", infer, adminKey, 200},
		{"a read key may not infer", "POST", "/v2/models/iris/infer", infer, readKey, 403},
		{"no key may not infer", "POST", "/v2/models/iris/infer", infer, "", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, withKeys)
			auth := ""
			if tt.key != "" {
				auth = "Bearer " + tt.key
			}
			w := e.do(t, tt.method, tt.path, tt.body, "Authorization", auth)
			if tt.status >= 400 {
				mustOIPError(t, s, w, tt.status)
				return
			}
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body: %s", w.Code, tt.status, w.Body)
			}
		})
	}
}
