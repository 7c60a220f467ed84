package golearn

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// artifacts trains one small model of every algorithm on iris.
func artifacts(tb testing.TB) map[string][]byte {
	tb.Helper()
	f := testdata(tb, "iris.csv")
	out := map[string][]byte{}
	for _, alg := range algorithmNames() {
		req := model.JobRequest{Target: "Species", Algorithm: alg}
		switch alg {
		case "random_forest":
			req.Params = map[string]any{"trees": 3}
		case "linear_regression":
			req.Target, req.Features = "Petal width", []string{"Sepal length", "Petal length"}
		}
		out[alg] = f.train(tb, f.spec(tb, req)).Artifact
	}
	return out
}

func TestLoadReadsBackWhatWasTrained(t *testing.T) {
	f := testdata(t, "iris.csv")
	spec := f.spec(t, model.JobRequest{Target: "Species", Algorithm: "knn", Features: []string{"Petal width", "Sepal length"},
		Params: map[string]any{"k": 7.0}})
	m := load(t, f.train(t, spec).Artifact)
	num := model.ColumnNumber
	if m.Algorithm() != "knn" || m.Task() != model.TaskClassification || m.Target() != "Species" ||
		!reflect.DeepEqual(m.Features(), []model.Column{{Name: "Petal width", Type: num}, {Name: "Sepal length", Type: num}}) ||
		!reflect.DeepEqual(m.Classes(), []string{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}) ||
		!reflect.DeepEqual(m.Params(), map[string]any{"k": 7, "distance": "euclidean"}) {
		t.Errorf("loaded %s: %v %v %v %v", m, m.Features(), m.Classes(), m.Params(), m.Task())
	}
}

// rewrite returns art with its header changed by editHeader (a JSON
// object) and its payload by editPayload; payload_bytes follows the
// payload unless editHeader sets it.
func rewrite(tb testing.TB, art []byte, editHeader func(h map[string]any), editPayload func(p []byte) []byte) []byte {
	tb.Helper()
	line, payload, _ := bytes.Cut(bytes.TrimPrefix(art, []byte(Magic)), []byte{'\n'})
	var h map[string]any
	if err := json.Unmarshal(line, &h); err != nil {
		tb.Fatal(err)
	}
	payload = bytes.Clone(payload)
	if editPayload != nil {
		payload = editPayload(payload)
	}
	h["payload_bytes"] = len(payload)
	if editHeader != nil {
		editHeader(h)
	}
	b, err := json.Marshal(h)
	if err != nil {
		tb.Fatal(err)
	}
	return append(append(append([]byte(Magic), b...), '\n'), payload...)
}

func TestLoadRejectsCorruptArtifacts(t *testing.T) {
	arts := artifacts(t)
	replace := func(old, new string) func([]byte) []byte {
		return func(p []byte) []byte { return bytes.Replace(p, []byte(old), []byte(new), 1) }
	}
	tests := []struct {
		name    string
		alg     string
		header  func(h map[string]any)
		payload func(p []byte) []byte
		raw     []byte // instead of an edited artifact
	}{
		{name: "no bytes", raw: []byte{}},
		{name: "the Magic alone", raw: []byte(Magic)},
		{name: "another version", raw: bytes.Replace(arts["knn"], []byte("golearn 1\n"), []byte("golearn 2\n"), 1)},
		{name: "a header that never ends", raw: []byte(Magic + `{"algorithm":"knn"`)},
		{name: "a header that is not JSON", raw: []byte(Magic + "{nope}\n")},
		{name: "a truncated payload", raw: arts["random_forest"][:len(arts["random_forest"])-1]},
		{name: "a byte past the payload", raw: append(bytes.Clone(arts["naive_bayes"]), 0)},
		{name: "an unknown header field", alg: "knn", header: func(h map[string]any) { h["extra"] = 1 }},
		{name: "an unknown algorithm", alg: "knn", header: func(h map[string]any) { h["algorithm"] = "svm" }},
		{name: "another algorithm's payload", alg: "decision_tree", header: func(h map[string]any) { h["algorithm"] = "naive_bayes" }},
		{name: "a wrong task", alg: "knn", header: func(h map[string]any) { h["task"] = "regression" }},
		{name: "bad params", alg: "random_forest", header: func(h map[string]any) { h["params"] = map[string]any{"trees": 0} }},
		{name: "unsorted classes", alg: "knn", header: func(h map[string]any) {
			h["classes"] = []string{"Iris-virginica", "Iris-setosa", "Iris-versicolor"}
		}},
		{name: "a single class", alg: "knn", header: func(h map[string]any) { h["classes"] = []string{"Iris-setosa"} }},
		{name: "classes on a regression", alg: "linear_regression", header: func(h map[string]any) { h["classes"] = []string{"a", "b"} }},
		{name: "more columns than the encodings make", alg: "logistic_regression", header: func(h map[string]any) { h["dims"] = 5.0 }},
		{name: "a feature twice", alg: "knn", header: func(h map[string]any) {
			f := h["features"].([]any)
			f[1] = f[0]
			e := h["encodings"].([]any)
			e[1] = e[0]
		}},
		{name: "an encoding of another feature", alg: "knn", header: func(h map[string]any) {
			h["encodings"].([]any)[0].(map[string]any)["feature"] = "other"
		}},
		{name: "a number feature one-hot encoded", alg: "knn", header: func(h map[string]any) {
			h["encodings"].([]any)[0].(map[string]any)["kind"] = "one_hot"
		}},
		{name: "bins out of range", alg: "naive_bayes", header: func(h map[string]any) {
			h["encodings"].([]any)[0].(map[string]any)["occupied"] = []int{0, 9}
		}},
		{name: "knn settings that disagree with the params", alg: "knn", header: func(h map[string]any) {
			h["knn"].(map[string]any)["k"] = 3
		}},
		{name: "knn rows the payload does not hold", alg: "knn", header: func(h map[string]any) {
			h["knn"].(map[string]any)["rows"] = 121
		}},
		{name: "a payload size that disagrees", alg: "knn", header: func(h map[string]any) { h["payload_bytes"] = 10 }},
		{name: "a tree payload that is not JSON", alg: "decision_tree", payload: func([]byte) []byte { return []byte("[{") }},
		{name: "no trees", alg: "random_forest", payload: func([]byte) []byte { return []byte("[]") }},
		{name: "a null tree", alg: "random_forest", payload: func([]byte) []byte { return []byte("[null]") }},
		{name: "a tree child keyed 2", alg: "decision_tree", payload: replace(`"children":{"0":`, `"children":{"2":`)},
		{name: "a split on an unknown column", alg: "decision_tree", payload: replace(`"name":"x`, `"name":"x9`)},
		{name: "a split on the pad", alg: "decision_tree", payload: replace(`"name":"x`, `"name":"pad`)},
		{name: "a leaf of an unknown class", alg: "decision_tree", payload: replace(`"class_string":"Iris-setosa"`, `"class_string":"Iris"`)},
		{name: "a split without children", alg: "decision_tree", payload: func(p []byte) []byte {
			var roots []map[string]any
			json.Unmarshal(p, &roots)
			roots[0]["children"] = map[string]any{}
			b, _ := json.Marshal(roots)
			return b
		}},
		{name: "two decision trees", alg: "decision_tree", payload: func(p []byte) []byte {
			return append(append([]byte("["), p[1:len(p)-1]...), append([]byte(","), p[1:]...)...)
		}},
		{name: "a liblinear model of another solver", alg: "logistic_regression", payload: replace("L2R_LR", "MCSVM_CS")},
		{name: "a liblinear model with more features", alg: "logistic_regression", payload: replace("nr_feature 6", "nr_feature 7")},
		{name: "a liblinear label out of range", alg: "logistic_regression", payload: replace("label 0 1 2", "label 0 1 3")},
		{name: "a liblinear weight that is not a number", alg: "logistic_regression", payload: replace("\nw\n", "\nw\nNaN ")},
		{name: "a naive bayes file that is not gzip", alg: "naive_bayes", payload: func([]byte) []byte { return []byte("not gzip") }},
		{name: "a naive bayes file cut short", alg: "naive_bayes", payload: func(p []byte) []byte { return p[:len(p)/2] }},
		{name: "knn rows that are not numbers", alg: "knn", payload: func(p []byte) []byte {
			copy(p, []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) // NaN
			return p
		}},
		{name: "more coefficients than columns", alg: "linear_regression", payload: replace(`"coefficients":[`, `"coefficients":[1,`)},
		{name: "coefficients that are not JSON", alg: "linear_regression", payload: replace(`]`, ``)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused as corrupt", func(t *testing.T) {
			art := tt.raw
			if art == nil {
				art = rewrite(t, arts[tt.alg], tt.header, tt.payload)
			}
			m, err := Load(art)
			if m != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("Load = %v, %v; want a CodeCorrupt error", m, err)
			}
		})
	}
	t.Run("an artifact rewritten without changes still loads", func(t *testing.T) {
		for alg, art := range arts {
			if _, err := Load(rewrite(t, art, nil, nil)); err != nil {
				t.Errorf("%s: %v", alg, err)
			}
		}
	})
}

func TestArtifactsNameTheGolearnTheyWereTrainedWith(t *testing.T) {
	// Test binaries carry no module build info: go.mod is what builds.
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/sjwhitworth/golearn" {
			if want := f[0] + " " + f[1]; library != want {
				t.Errorf("artifacts record %q, go.mod requires %q", library, want)
			}
			return
		}
	}
	t.Error("go.mod does not require golearn")
}
