package preprocess

import (
	"bytes"
	"encoding/json"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// columnsPredictor stands for the model behind a pipeline: its artifact
// is the JSON of its features; it predicts class 0 when a row's numbers
// sum above 0.
type columnsPredictor struct{ learn.Base }

func loadColumns(artifact []byte) (model.Predictor, error) {
	var features []model.Column
	if err := json.Unmarshal(artifact, &features); err != nil || len(features) == 0 {
		return nil, model.Errorf(model.CodeCorrupt, "artifact: columns: %v", err)
	}
	encs := make([]learn.Encoding, len(features))
	for i, f := range features {
		encs[i] = learn.Encoding{Feature: f.Name, Kind: learn.KindNumber}
	}
	return &columnsPredictor{Base: learn.NewBase(model.TaskClassification, features, encs, []string{"a", "b"})}, nil
}

func (p *columnsPredictor) Predict(in *model.Batch, out *model.Output) {
	w := len(p.Cols)
	for r := range in.Rows {
		sum := 0.0
		for i, c := range p.Cols {
			if c.Type == model.ColumnNumber {
				sum += in.Nums[r*w+i]
			}
		}
		out.Classes[r] = 1
		if sum > 0 {
			out.Classes[r] = 0
		}
	}
}

func FuzzLoadPredictor(f *testing.F) {
	features := []*csvdata.TableColumn{numbers("x", 1, nan, 3), strs("s", "b", "", "a"), numbers("y", 0, 1, 2)}
	steps := []model.Step{
		{Step: model.StepDrop, Columns: cols("id")},
		{Step: model.StepImpute, Strategy: model.ImputeMedian, Columns: cols("x")},
		{Step: model.StepImpute, Strategy: model.ImputeMostFrequent, Columns: cols("s")},
		{Step: model.StepScale, Method: model.ScaleStandard, Columns: cols("x", "y")},
		{Step: model.StepOneHot, Unknown: model.UnknownError, Columns: cols("s")},
	}
	fitted, table, err := Fit(steps, features, []int{0, 1, 2})
	if err != nil {
		f.Fatal(err)
	}
	inner, _ := json.Marshal(table.Features())
	input := []model.Column{{Name: "x", Type: model.ColumnNumber}, {Name: "s", Type: model.ColumnString}, {Name: "y", Type: model.ColumnNumber}}
	art, err := MarshalArtifact(input, fitted, inner)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := LoadPredictor(art, loadColumns); err != nil {
		f.Fatalf("the seed does not load: %v", err)
	}
	f.Add(art)
	for _, swap := range [][2]string{
		{`"scale":`, `"scale":0,"levels":[],"fill":`}, {`"levels":["`, `"levels":["","`}, {`"fill":`, `"fill":{},"center":`},
		{`"unknown":"error"`, `"unknown":"x"`}, {`"name":"id"`, `"name":"x"`}, {`"name":"y"`, `"name":"x"`},
		{`"model_bytes":`, `"model_bytes":1`}, {`s=a`, `s=b`},
	} {
		f.Add(bytes.Replace(art, []byte(swap[0]), []byte(swap[1]), 1))
	}
	f.Fuzz(func(t *testing.T, art []byte) {
		p, err := LoadPredictor(art, loadColumns)
		if err != nil {
			if model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("error %v is not CodeCorrupt", err)
			}
			return
		}
		n := len(p.Features())
		in := &model.Batch{Rows: 2, Nums: make([]float64, 2*n), Strs: make([]string, 2*n)}
		for i := range in.Nums {
			in.Nums[i], in.Strs[i] = nan, "?"
		}
		model.CheckRow(p, in, 1)
		p.Predict(in, &model.Output{Classes: make([]int32, 2)})
	})
}
