package learn

import (
	"context"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

// rowPredictor predicts each row's first number plus its string's length,
// so a row predicted from another row's values shows.
type rowPredictor struct{ Base }

func (p *rowPredictor) Predict(in *model.Batch, out *model.Output) {
	for r := range in.Rows {
		out.Values[r] = in.Nums[r*2] + float64(len(in.Strs[r*2+1]))
	}
}

func TestPredictGivesEveryRowItsOwnAnswerOnAnyNumberOfThreads(t *testing.T) {
	n := 5000
	d := &Data{Rows: n, Features: []*csvdata.TableColumn{
		{Name: "a", Type: model.ColumnNumber, Numbers: make([]float64, n)},
		{Name: "b", Type: model.ColumnString, Strings: make([]string, n)},
	}}
	for i := range n {
		d.Features[0].Numbers[i] = float64(i)
		d.Features[1].Strings[i] = string(make([]byte, i%7))
	}
	rows := []int{4999, 0, 17, 2048}
	for i := 100; i < 4000; i += 3 {
		rows = append(rows, i)
	}
	p := &rowPredictor{Base{Kind: model.TaskRegression}}
	for _, threads := range []int{1, 2, 7} {
		classes, values, err := Predict(context.Background(), p, d, rows, threads)
		if err != nil || classes != nil || len(values) != len(rows) {
			t.Fatalf("%d threads: %d classes, %d values", threads, len(classes), len(values))
		}
		for k, r := range rows {
			if want := float64(r + r%7); values[k] != want {
				t.Fatalf("%d threads: row %d predicted %v, want %v", threads, r, values[k], want)
			}
		}
	}
}
