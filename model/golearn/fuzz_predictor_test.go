package golearn

import (
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// FuzzLoadPredictor checks that LoadPredictor never panics and refuses
// what it cannot read as CodeCorrupt, and that whatever it accepts
// predicts a row as the reference does.
func FuzzLoadPredictor(f *testing.F) {
	for _, art := range artifacts(f) {
		f.Add(art)
		f.Add(art[:len(art)/2])
	}
	for _, s := range []string{"", Magic, Magic + "{}\n", Magic + `{"algorithm":"random_forest"}` + "\n", "\x1f\x8b", "\x00\xff"} {
		f.Add([]byte(s))
	}
	loader := NewPredictorLoader()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := loader.LoadPredictor(data)
		if err != nil {
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("LoadPredictor = %v, %v; want nil and a CodeCorrupt error", p, err)
			}
			return
		}
		row := make(Row, len(p.Features()))
		for j, c := range p.Features() {
			if c.Type == model.ColumnString {
				row[j] = "x"
			} else {
				row[j] = float64(j)
			}
		}
		want, err := load(t, data).Predict(row)
		if err != nil {
			t.Fatal(err)
		}
		out := outputFor(p, 1, true)
		p.Predict(batchOf([]Row{row}), out)
		if p.Task() == model.TaskRegression {
			if !bitsEqual(out.Values, []float64{want[0].Value}) {
				t.Fatalf("value %v, the reference predicts %v", out.Values[0], want[0].Value)
			}
			return
		}
		if c := out.Classes[0]; c < 0 || int(c) >= len(p.Classes()) || p.Classes()[c] != want[0].Class || !bitsEqual(out.Probs, want[0].Probabilities) {
			t.Fatalf("class %d %v, the reference predicts %q %v", c, out.Probs, want[0].Class, want[0].Probabilities)
		}
	})
}
