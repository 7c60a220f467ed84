package golearn

import (
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

// FuzzLoad checks that Load never panics and refuses what it cannot read
// as CodeCorrupt, and that whatever it accepts predicts without panicking
// an answer of the right shape.
func FuzzLoad(f *testing.F) {
	for _, art := range artifacts(f) {
		f.Add(art)
	}
	for _, s := range []string{"", Magic, Magic + "{}\n", Magic + `{"algorithm":"knn"}` + "\n", "\x1f\x8b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(data)
		if err != nil {
			if m != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("Load = %v, %v; want nil and a CodeCorrupt error", m, err)
			}
			return
		}
		row := make(Row, len(m.Features()))
		for j, c := range m.Features() {
			if c.Type == model.ColumnString {
				row[j] = "x"
			} else {
				row[j] = float64(j)
			}
		}
		got, err := m.Predict(row)
		if err != nil {
			t.Fatal(err)
		}
		if m.Task() == model.TaskClassification && len(got[0].Probabilities) != len(m.Classes()) {
			t.Fatalf("prediction %+v for classes %q", got[0], m.Classes())
		}
	})
}
