package golearn

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/trees"

	"gitlab.com/mlserve/mlserve/model"
)

// irisSpec is a valid spec for iris, built by hand so tests can break it
// in ways PrepareTrain would not let through.
func irisSpec(algorithm string) model.TrainSpec {
	num := model.ColumnNumber
	return model.TrainSpec{
		Algorithm: algorithm, Task: model.TaskClassification, Target: "Species",
		Features: []model.Column{{Name: "Sepal length", Type: num}, {Name: "Petal width", Type: num}},
		// A spec decoded from JSON carries whole numbers as float64.
		Params:     map[string]any{"engine": "golearn", "trees": 5.0},
		Validation: model.ValidationSpec{Holdout: 0.2, Seed: 1},
	}
}

func TestTrainRejectsBadSpecsAndData(t *testing.T) {
	iris := testdata(t, "iris.csv").raw
	tests := []struct {
		name   string
		change func(s *model.TrainSpec)
		data   string // the CSV, iris when empty
		code   string
		want   string
	}{
		{"an empty file", nil, "\n", model.CodeInvalid, "line 1: the file has no header"},
		{"a header without rows", nil, "Sepal length,Petal width,Species\n", model.CodeInvalid, "line 2: no data rows"},
		{"a single row", nil, "Sepal length,Petal width,Species\n1,2,a\n", model.CodeInvalid, "training needs at least 2"},
		{"a word in a number feature", nil, "Sepal length,Petal width,Species\n1,2,a\n1,x,b\n", model.CodeInvalid,
			`line 3: column "Petal width": "x" is not a number`},
		{"a target with one class", nil, "Sepal length,Petal width,Species\n1,2,a\n3,4,a\n5,6,a\n", model.CodeInvalid,
			`column "Species" has a single value`},
		{"an empty class", nil, "Sepal length,Petal width,Species\n1,2,a\n3,4,\n5,6,b\n", model.CodeInvalid,
			`column "Species" has empty cells; every training row needs a target`},
		{"an empty string feature", func(s *model.TrainSpec) {
			s.Features = append(s.Features, model.Column{Name: "color", Type: model.ColumnString})
		}, "Sepal length,Petal width,color,Species\n1,2,red,a\n3,4,,b\n5,6,red,b\n", model.CodeInvalid,
			`column "color" has empty cells; this algorithm cannot handle missing values`},
		{"a target the file lacks", func(s *model.TrainSpec) { s.Target = "species" }, "", model.CodeInvalid,
			`the header has no column "species"`},
		{"an unknown algorithm", func(s *model.TrainSpec) { s.Algorithm = "svm" }, "", model.CodeInvalid, `unknown algorithm "svm"`},
		{"a parameter out of range", func(s *model.TrainSpec) { s.Params = map[string]any{"engine": "golearn", "trees": 0} }, "", model.CodeInvalid,
			"the request is invalid"},
		{"no features", func(s *model.TrainSpec) { s.Features = nil }, "", model.CodeInvalid, "no features"},
		{"one fold", func(s *model.TrainSpec) { s.Validation = model.ValidationSpec{Folds: 1} }, "", model.CodeInvalid, "folds must be"},
		{"no holdout", func(s *model.TrainSpec) { s.Validation = model.ValidationSpec{} }, "", model.CodeInvalid, "holdout must be"},
		{"more folds than rows", func(s *model.TrainSpec) { s.Validation = model.ValidationSpec{Folds: 4} },
			"Sepal length,Petal width,Species\n1,2,a\n3,4,b\n5,6,a\n", model.CodeInvalid, "4 folds need at least 4 rows"},
		{"a string feature of a numeric-only algorithm", func(s *model.TrainSpec) {
			s.Algorithm, s.Task, s.Target, s.Params = "linear_regression", model.TaskRegression, "Sepal length", nil
			s.Features = []model.Column{{Name: "Species", Type: model.ColumnString}}
		}, "", model.CodeInvalid, `linear_regression cannot take feature "Species"`},
		{"more neighbours than training rows", func(s *model.TrainSpec) {
			s.Algorithm, s.Params = "knn", map[string]any{"k": 3}
		}, "Sepal length,Petal width,Species\n1,2,a\n3,4,b\n5,6,a\n", model.CodeInvalid, "k is 3 but the model is fitted on 2 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" fails with a clear error", func(t *testing.T) {
			spec := irisSpec("random_forest")
			if tt.change != nil {
				tt.change(&spec)
			}
			data := iris
			if tt.data != "" {
				data = []byte(tt.data)
			}
			res, err := newTrainer().Train(context.Background(), spec, bytes.NewReader(data), nil)
			if res != nil {
				t.Errorf("result %+v", res)
			}
			wantCode(t, err, tt.code, tt.want)
		})
	}
	t.Run("a spec decoded from JSON trains, its params normalized", func(t *testing.T) {
		res, err := newTrainer().Train(context.Background(), irisSpec("random_forest"), bytes.NewReader(iris), nil)
		if err != nil {
			t.Fatal(err)
		}
		if p := load(t, res.Artifact).Params(); p["trees"] != 5 || p["features"] != 2 || p["engine"] != "golearn" {
			t.Errorf("params %v, want engine golearn, trees 5 and features 2", p)
		}
	})
}

func TestGolearnPanicsBecomeTrainingFailures(t *testing.T) {
	t.Run("a panic inside golearn is a CodeTrainFailed error naming the step", func(t *testing.T) {
		noClass := base.NewDenseInstances()
		noClass.AddAttribute(base.NewFloatAttribute("x0"))
		if err := noClass.Extend(2); err != nil {
			t.Fatal(err)
		}
		err := golearnCall("fit an ID3 tree", func() error {
			trees.InferID3Tree(noClass, new(trees.InformationGainRuleGenerator)) // no class attribute: golearn panics
			return nil
		})
		wantCode(t, err, model.CodeTrainFailed, "fit an ID3 tree: golearn failed: ")
	})
	t.Run("logistic regression without GODEBUG=cgocheck=0 fails the training, not the process", func(t *testing.T) {
		if os.Getenv(cgocheckProbe) != "" {
			t.Skip("this is the probe's own process")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCgocheckProbe$", "-test.v")
		cmd.Env = append(os.Environ(), noReexec+"=1", cgocheckProbe+"=1", "GODEBUG=cgocheck=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestCgocheckProbe") {
			t.Fatalf("the probe failed: %v\n%s", err, out)
		}
	})
}

// cgocheckProbe, set in the environment, makes TestCgocheckProbe run: in
// a test process started with the default cgo pointer check.
const cgocheckProbe = "MLSERVE_GOLEARN_TEST_CGOCHECK_PROBE"

func TestCgocheckProbe(t *testing.T) {
	if os.Getenv(cgocheckProbe) == "" {
		t.Skip("run by TestGolearnPanicsBecomeTrainingFailures in a process with GODEBUG=cgocheck=1")
	}
	f := testdata(t, "iris.csv")
	_, err := trainErr(f, f.spec(t, model.JobRequest{Target: "Species", Algorithm: "logistic_regression"}))
	wantCode(t, err, model.CodeTrainFailed, "needs GODEBUG=cgocheck=0 in the training process")
	t.Logf("the error: %v", err)
}
