package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"
)

// fuzzPost serves body to path as JSON.
func fuzzPost(h http.Handler, path string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// FuzzDecodeNativePredict sends arbitrary bodies to the native predict
// route of a number-only and a mixed model. Whatever the bytes: no panic,
// no 5xx, only the statuses bad input may get; never 200 for a body that
// is not JSON; a 200 predicts one row per instance.
func FuzzDecodeNativePredict(f *testing.F) {
	for _, seed := range []string{
		`{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}]}`,
		`{"instances":[[5.1,3.5,1.4,0.2],[1,2,3,4]]}`,
		`{"instances":[{"city":"Paris","rooms":3},["Lyon",1e2]]}`,
		`{"instances":[{"sepal\u005flength":-0.0e+1,"sepal_width":"x","petal_length":null,"petal_width":[{}]}]}`,
		`{"instances":[[1,2,3,4,5],[1],7,{"\ud800":1}]}`,
		`{"instances":[]}`, `{}`, `[]`, ``, `{"instances":[[1,2,3,4]]} x`, `{"instances":[[1e999,2,3,4]]}`,
		"{\"instances\":[[\"\\ud83d\\ude00\",\"\xff\"]]}",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	e := newTestEnv(f)
	addHouses(e)
	f.Fuzz(func(t *testing.T, body []byte, houses bool) {
		path := "/v1/models/iris/predict"
		if houses {
			path = "/v1/models/houses/predict"
		}
		w := fuzzPost(e.handler, path, body)
		switch w.Code {
		case http.StatusOK:
			if !json.Valid(body) {
				t.Fatalf("200 for a body that is not JSON: %q", body)
			}
			var req struct{ Instances []json.RawMessage }
			var resp struct{ Predictions []any }
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatalf("200 for %q, which encoding/json rejects: %v", body, err)
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Predictions) != len(req.Instances) {
				t.Fatalf("response %s (%v) for %d instances", w.Body, err, len(req.Instances))
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			var p problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code {
				t.Fatalf("status %d with a body that is no problem: %s", w.Code, w.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}

// FuzzDecodeOIPInfer sends arbitrary bodies to the OIP infer route of a
// number-only and a mixed model: no panic, no 5xx, every answer conforms to
// the protocol's schemas, and never 200 for a body that is not JSON.
func FuzzDecodeOIPInfer(f *testing.F) {
	for _, seed := range []string{
		`{"id":"42","inputs":[{"name":"input0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6,2.9,4.5,1.5]}]}`,
		`{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[[1,2,3,4]]}],"outputs":[{"name":"probabilities"}]}`,
		`{"inputs":[{"name":"sepal_length","shape":[1],"datatype":"INT8","data":[1]},{"name":"sepal_width","shape":[1,1],"datatype":"FP64","data":[[2]]},{"name":"petal_length","shape":[1],"datatype":"UINT64","data":[3]},{"name":"petal_width","shape":[1],"datatype":"FP16","data":[4]}]}`,
		`{"inputs":[{"name":"city","shape":[1],"datatype":"BYTES","data":["Paris"]},{"name":"rooms","shape":[1],"datatype":"FP64","data":[3]}]}`,
		`{"id":"42","inputs":[{"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}],"outputs":[{"name":"output0"}]}`,
		`{"inputs":[{"name":"input0","shape":[-1,4],"datatype":"FP64","data":[[[1]]]}]}`,
		`{"inputs":[]}`, `{}`, `null`, ``, `{"inputs":[{"name":"input0","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}{}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	s := loadOIPSchemas(f)
	e := newTestEnv(f)
	addHouses(e)
	f.Fuzz(func(t *testing.T, body []byte, houses bool) {
		path := "/v2/models/iris/infer"
		if houses {
			path = "/v2/models/houses/infer"
		}
		w := fuzzPost(e.handler, path, body)
		schema := "inference_error_response"
		switch w.Code {
		case http.StatusOK:
			if !json.Valid(body) {
				t.Fatalf("200 for a body that is not JSON: %q", body)
			}
			schema = "inference_response"
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if err := s.validate(schema, w.Body.Bytes(), true); err != nil {
			t.Fatalf("status %d: %s does not conform to %s: %v", w.Code, w.Body, schema, err)
		}
	})
}

// FuzzJSONScanner checks the prediction decoders' scanner against
// encoding/json: it accepts exactly the valid JSON documents (up to its
// nesting bound), and unescapes strings to the same text.
func FuzzJSONScanner(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,-0.5e+3,"x\u00e9\ud83d\ude00\"",true,false,null,{}]}`, `"\ud800\u0041"`, `"\udc00"`, `"\u12"`,
		`01`, `1.`, `-`, `1e`, `[1,]`, `{"a"}`, `"\x"`, "\"\x01\"", " [ ] ", `tru`, `nul`, `"abc`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s := jsonScanner{data: doc}
		err := s.skip(0)
		if err == nil {
			err = s.end()
		}
		if valid := json.Valid(doc); (err == nil) != valid && !(valid && bytes.Count(doc, []byte("[")) > maxSkipDepth) &&
			!(valid && bytes.Count(doc, []byte("{")) > maxSkipDepth) {
			t.Fatalf("scanner error %v, json.Valid %v, for %q", err, valid, doc)
		}
		var want string
		if json.Unmarshal(doc, &want) != nil || !utf8.Valid(doc) {
			return
		}
		s = jsonScanner{data: doc}
		got, err := s.str()
		if err != nil || string(got) != want {
			t.Fatalf("str() = %q, %v; encoding/json: %q", got, err, want)
		}
	})
}
