package learners

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

func TestEveryAlgorithmTrainsAndItsArtifactLoads(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := csvdata.Inspect(bytes.NewReader(raw), csvdata.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ds := &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns}
	for _, a := range model.Catalog() {
		if a.Name == "logistic_regression" {
			// liblinear needs GODEBUG=cgocheck=0, which the training
			// process has and model/golearn's tests set up; not this binary.
			continue
		}
		variants := []string{""}
		for _, v := range a.Variants {
			variants = append(variants, v.Name)
		}
		for _, variant := range variants[min(1, len(a.Variants)):] {
			req := &model.JobRequest{Type: model.JobTrain, Model: "m", Dataset: "ds", Target: "Species", Algorithm: a.Name}
			if a.Name == "linear_regression" {
				req.Target, req.Features = "Petal width", []string{"Sepal length", "Sepal width", "Petal length"}
			}
			if variant != "" {
				req.Params = map[string]any{a.Variant: variant}
			}
			t.Run(a.Name+" "+variant+" trains through its learner and loads through the loader", func(t *testing.T) {
				spec, err := model.PrepareTrain(req, ds)
				if err != nil {
					t.Fatal(err)
				}
				res, err := NewTrainer().Train(context.Background(), *spec, bytes.NewReader(raw), nil)
				if err != nil {
					t.Fatal(err)
				}
				p, err := NewPredictorLoader().LoadPredictor(res.Artifact)
				if err != nil || p.Task() != spec.Task || len(p.Features()) != len(spec.Features) {
					t.Fatalf("LoadPredictor = %v, %v", p, err)
				}
			})
		}
	}
}

func TestTheLoaderRefusesWhatNoLearnerWrote(t *testing.T) {
	for name, art := range map[string]string{
		"nothing":            "",
		"another file":       "PK\x03\x04",
		"an unknown format":  learn.Magic + `{"format":"svm/1"}` + "\n",
		"a header not JSON":  learn.Magic + "{\n",
		"a corrupt envelope": learn.Magic + `{"format":"trees/1"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, err := NewPredictorLoader().LoadPredictor([]byte(art))
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Errorf("LoadPredictor = %v, %v; want CodeCorrupt", p, err)
			}
		})
	}
}
