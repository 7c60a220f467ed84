package trees

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// artifacts trains a small model of every kind.
func artifacts(tb testing.TB) map[string][]byte {
	tb.Helper()
	iris := readTestdata(tb, "iris.csv")
	out := map[string][]byte{}
	for name, req := range map[string]model.JobRequest{
		"tree":       {Target: "Species", Algorithm: "decision_tree", Params: map[string]any{"max_depth": 3}},
		"forest":     {Target: "Species", Algorithm: "random_forest", Params: map[string]any{"trees": 3, "max_depth": 3}},
		"regression": {Target: "Petal width", Algorithm: "random_forest", Params: map[string]any{"trees": 2, "max_depth": 2}},
		"boost":      {Target: "Species", Algorithm: "gradient_boosting", Params: map[string]any{"iterations": 2, "max_leaf_nodes": 3}},
		"binary":     {Target: "label", Algorithm: "gradient_boosting", Params: map[string]any{"iterations": 2, "max_leaf_nodes": 3}},
	} {
		raw := iris
		if name == "binary" {
			raw = gappy(200, 4)
		}
		_, res := train(tb, raw, req)
		out[name] = res.Artifact
	}
	return out
}

// rewrite returns art with its header changed by editHeader (a JSON
// object) and its payload by editPayload; payload_bytes follows.
func rewrite(tb testing.TB, art []byte, editHeader func(h map[string]any), editPayload func(p []byte) []byte) []byte {
	tb.Helper()
	line, payload, _ := bytes.Cut(bytes.TrimPrefix(art, []byte(learn.Magic)), []byte{'\n'})
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
	return append(append(append([]byte(learn.Magic), b...), '\n'), payload...)
}

// firstNode is where the first tree's nodes start in a payload of iris
// (4 columns): after each column's thresholds and the node count.
func firstNode(tb testing.TB, p []byte) int {
	tb.Helper()
	at := 0
	for range 4 {
		n, k := binary.Uvarint(p[at:])
		at += k + 8*int(n)
	}
	_, k := binary.Uvarint(p[at:])
	return at + k
}

func TestLoadRejectsCorruptArtifacts(t *testing.T) {
	arts := artifacts(t)
	setModel := func(key string, v any) func(h map[string]any) {
		return func(h map[string]any) { h["model"].(map[string]any)[key] = v }
	}
	tests := []struct {
		name    string
		art     string
		header  func(h map[string]any)
		payload func(p []byte) []byte
		want    string
	}{
		{name: "another format", art: "tree", header: func(h map[string]any) { h["format"] = "trees/2" }, want: "format"},
		{name: "an unknown kind", art: "tree", header: setModel("kind", "jungle"), want: "unknown kind"},
		{name: "a forest of a decision tree", art: "tree", header: setModel("kind", "forest"), want: "a forest model of decision_tree"},
		{name: "a tree with two trees", art: "tree", header: setModel("trees", 2), want: "2 trees in"},
		{name: "the wrong leaf width", art: "forest", header: setModel("width", 2), want: "width"},
		{name: "a boosting without its baseline", art: "boost", header: setModel("baseline", nil), want: "baseline"},
		{name: "trees not a multiple of the outputs", art: "boost", header: setModel("trees", 5), want: "for 3 outputs"},
		{name: "more trees than the payload holds", art: "forest", header: setModel("trees", 4), want: "tree 3"},
		{name: "fewer trees than the payload holds", art: "forest", header: setModel("trees", 2), want: "bytes after the trees"},
		{name: "an unknown field", art: "forest", header: setModel("leaves", 2), want: "unknown field"},
		{name: "a truncated payload", art: "forest", payload: func(p []byte) []byte { return p[:len(p)-3] }, want: "tree 2"},
		{name: "a split on a column the model lacks", art: "tree", payload: func(p []byte) []byte {
			p[firstNode(t, p)] = 1 + 2*9
			return p
		}, want: "node 0"},
		{name: "a child before its parent", art: "tree", payload: func(p []byte) []byte {
			at := firstNode(t, p)
			p[at+2] = 0 // the left child's distance
			return p
		}, want: "node 0"},
		{name: "a threshold index past the column's", art: "tree", payload: func(p []byte) []byte {
			p[firstNode(t, p)+1] = 120
			return p
		}, want: "node 0"},
		{name: "thresholds out of order", art: "tree", payload: func(p []byte) []byte {
			n, k := binary.Uvarint(p)
			if n < 2 {
				t.Skip("the first column has one threshold")
			}
			copy(p[k:k+8], p[k+8:k+16])
			return p
		}, want: "not ascending"},
		{name: "the wrong payload length", art: "tree", header: func(h map[string]any) { h["payload_bytes"] = 7.0 }, want: "payload of"},
		{name: "a leaf value that is not finite", art: "regression", payload: func(p []byte) []byte {
			_, m, err := load(arts["regression"])
			if err != nil {
				t.Fatal(err)
			}
			first := binary.LittleEndian.AppendUint64(nil, math.Float64bits(m.trees[0].Values[0]))
			if bytes.Count(p, first) == 0 {
				t.Fatal("the first leaf value is not in the payload")
			}
			return bytes.Replace(p, first, binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(1))), 1)
		}, want: "not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is corrupt", func(t *testing.T) {
			art := rewrite(t, arts[tt.art], tt.header, tt.payload)
			p, err := LoadPredictor(art)
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt || !strings.Contains(model.ErrorMessage(err), tt.want) {
				t.Errorf("LoadPredictor = %v, %v; want a CodeCorrupt error about %q", p, err, tt.want)
			}
		})
	}
	t.Run("the artifacts themselves load", func(t *testing.T) {
		for name, art := range arts {
			if _, err := LoadPredictor(rewrite(t, art, nil, nil)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}
