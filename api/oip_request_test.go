package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// jsonInferRequest is the inference_request as encoding/json reads it,
// for comparison.
type jsonInferRequest struct {
	ID     *string `json:"id"`
	Inputs []struct {
		Name     string          `json:"name"`
		Shape    []int64         `json:"shape"`
		Datatype string          `json:"datatype"`
		Data     json.RawMessage `json:"data"`
	} `json:"inputs"`
	Outputs []struct {
		Name string `json:"name"`
	} `json:"outputs"`
}

// FuzzDecodeInferRequestAgreesWithEncodingJSON: whatever the body, the
// hand-written decoder accepts what encoding/json accepts, with the same
// values, and refuses what it refuses; but for what encoding/json reads
// loosely (keys of any case, nesting past 64), which it may refuse.
func FuzzDecodeInferRequestAgreesWithEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`{"id":"42","inputs":[{"name":"input0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6,2.9,4.5,1.5]}]}`,
		`{"parameters":{"x":1},"inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","parameters":{"a":"b"},"data":[[5.1,3.5],[6,2.9]]}]}`,
		`{"inputs":[{"name":"a","shape":[1],"datatype":"BYTES","data":["\u00e9"]},null,{"shape":null,"data":null}],"outputs":[{"name":"predictions","parameters":{}},null]}`,
		`{"id":null,"inputs":[{"name":"a","shape":[-9223372036854775808,9223372036854775807]}]}`,
		`{"inputs":[{"shape":[9223372036854775808]}]}`, `{"inputs":[{"shape":[1.0]}]}`, `{"inputs":[{"shape":[1e2]}]}`,
		`{"id":42,"inputs":[]}`, `{"inputs":[`, ``, ` `, `[]`, `"x"`, `{"inputs":[{}]} x`, `{"inputs":{}}`,
		`{"inputs":[{"name":1}]}`, `{"outputs":[{"name":"a"}],"outputs":[],"inputs":[{}],"inputs":[{"name":"b"}]}`,
		"{\"id\":\"\xff\\ud800\",\"inputs\":[{}]}", `{"outputs":[{"nAme":"0"}],"inputs":[{}]}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want jsonInferRequest
		wantErr := json.Unmarshal(body, &want)
		var got inferRequest
		gotErr := decodeInferRequest(body, &got)
		if wantErr == nil && len(want.Inputs) == 0 {
			if gotErr == nil { // "inputs: required", or for null "want an object"
				t.Fatal("a request without inputs accepted")
			}
			return
		}
		if (wantErr == nil) == (gotErr == nil) {
			if gotErr == nil && !looselyRead(body) {
				compareInferRequests(t, &got, &want)
			}
			return
		}
		if gotErr != nil && looselyRead(body) {
			return
		}
		t.Fatalf("encoding/json: %v; decodeInferRequest: %v", wantErr, gotErr)
	})
}

// looselyRead reports whether encoding/json may accept body where the
// decoder does not: a key that matches a field only in another case, or
// deep nesting.
func looselyRead(body []byte) bool {
	lower := bytes.ToLower(body)
	for _, k := range []string{"id", "inputs", "outputs", "name", "shape", "datatype", "data"} {
		if bytes.Count(lower, []byte(`"`+k+`"`)) != bytes.Count(body, []byte(`"`+k+`"`)) {
			return true
		}
	}
	return bytes.Count(body, []byte("[")) > maxSkipDepth || bytes.Count(body, []byte("{")) > maxSkipDepth || bytes.Contains(body, []byte(`\`))
}

func compareInferRequests(t *testing.T, got *inferRequest, want *jsonInferRequest) {
	t.Helper()
	// The decoder keeps invalid UTF-8, which encoding/json reads as U+FFFD;
	// jsonx writes it as U+FFFD when the id is echoed.
	valid := func(s string) string { return string([]rune(s)) }
	if got.HasID != (want.ID != nil) || (want.ID != nil && valid(got.ID) != *want.ID) {
		t.Fatalf("id %q (%v), want %v", got.ID, got.HasID, want.ID)
	}
	if len(got.Inputs) != len(want.Inputs) || len(got.Outputs) != len(want.Outputs) {
		t.Fatalf("%d inputs and %d outputs, want %d and %d", len(got.Inputs), len(got.Outputs), len(want.Inputs), len(want.Outputs))
	}
	for i, w := range want.Inputs {
		g := got.Inputs[i]
		if valid(g.Name) != w.Name || g.Datatype != w.Datatype || !bytes.Equal(g.Data, w.Data) ||
			len(g.Shape) != len(w.Shape) || (len(w.Shape) > 0 && !reflect.DeepEqual(g.Shape, w.Shape)) {
			t.Fatalf("input %d = %+v, want %+v", i, g, w)
		}
	}
	for i, w := range want.Outputs {
		if valid(got.Outputs[i].Name) != w.Name {
			t.Fatalf("output %d = %q, want %q", i, got.Outputs[i].Name, w.Name)
		}
	}
}
