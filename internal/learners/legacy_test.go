package learners

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// legacyCase is one artifact of testdata/legacy, written by the code of
// ce64c17 (before mlserve had learners of its own), with the predictions
// that code's served predictor made for its rows.
type legacyCase struct {
	Name      string         `json:"name"`
	Algorithm string         `json:"algorithm"`
	Features  []model.Column `json:"features"`
	Classes   []string       `json:"classes"`
	Rows      [][]any        `json:"rows"`
	Predicted []int32        `json:"predicted_classes"`
	Probs     [][]float64    `json:"probabilities"`
	Values    []float64      `json:"values"`
}

func TestArtifactsOfEarlierReleasesPredictAsTheyDid(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "legacy")
	files, err := filepath.Glob(filepath.Join(dir, "*.artifact"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no artifacts in %s: %v", dir, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".artifact")
		t.Run(name+" predicts every row exactly as before", func(t *testing.T) {
			art, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var c legacyCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			p, err := NewPredictorLoader().LoadPredictor(art)
			if err != nil {
				t.Fatal(err)
			}
			checkLegacyPredictions(t, p, &c)
		})
	}
}

func checkLegacyPredictions(t *testing.T, p model.Predictor, c *legacyCase) {
	t.Helper()
	F := len(c.Features)
	if len(p.Features()) != F || len(p.Classes()) != len(c.Classes) {
		t.Fatalf("features %v classes %v, want %v %v", p.Features(), p.Classes(), c.Features, c.Classes)
	}
	for i, f := range p.Features() {
		if f != c.Features[i] {
			t.Fatalf("feature %d is %v, want %v", i, f, c.Features[i])
		}
	}
	b := &model.Batch{Rows: len(c.Rows), Nums: make([]float64, len(c.Rows)*F), Strs: make([]string, len(c.Rows)*F)}
	for r, row := range c.Rows {
		for i, v := range row {
			switch v := v.(type) {
			case float64:
				b.Nums[r*F+i] = v
			case string:
				b.Strs[r*F+i] = v
			}
		}
	}
	C := len(c.Classes)
	out := &model.Output{Classes: make([]int32, b.Rows), Values: make([]float64, b.Rows)}
	if p.HasProbabilities() {
		out.Probs = make([]float64, b.Rows*C)
	}
	p.Predict(b, out)
	for r := range c.Rows {
		if p.Task() == model.TaskRegression {
			if out.Values[r] != c.Values[r] {
				t.Fatalf("row %d %v: %v, want %v", r, c.Rows[r], out.Values[r], c.Values[r])
			}
			continue
		}
		if out.Classes[r] != c.Predicted[r] {
			t.Fatalf("row %d %v: class %d, want %d", r, c.Rows[r], out.Classes[r], c.Predicted[r])
		}
		for k := range C {
			if out.Probs[r*C+k] != c.Probs[r][k] {
				t.Fatalf("row %d %v: probabilities %v, want %v", r, c.Rows[r], out.Probs[r*C:(r+1)*C], c.Probs[r])
			}
		}
	}
}
