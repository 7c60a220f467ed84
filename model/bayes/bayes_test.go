package bayes

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

func readCSV(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func spec(tb testing.TB, raw []byte, req model.JobRequest) *model.TrainSpec {
	tb.Helper()
	sum, err := csvdata.Inspect(bytes.NewReader(raw), csvdata.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	req.Type, req.Model, req.Dataset, req.Algorithm = model.JobTrain, "m", "ds", "naive_bayes"
	s, err := model.PrepareTrain(&req, &model.Dataset{ID: "ds", Rows: sum.Rows, Columns: sum.Columns})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// fitAll fits on every row of raw, as a cross-validation's refit does.
func fitAll(tb testing.TB, raw []byte, req model.JobRequest) (*learn.Fitted, *learn.Data) {
	tb.Helper()
	s := spec(tb, raw, req)
	d, err := learn.ReadData(bytes.NewReader(raw), s, nil)
	if err != nil {
		tb.Fatal(err)
	}
	l, ok := Learner(s)
	if !ok {
		tb.Fatalf("no learner for %v", s.Params)
	}
	fitted, err := l.Fit(context.Background(), &learn.Fit{Spec: s, Data: d, Rows: learn.AllRows(d.Rows), Threads: 1, Progress: func(int) {}})
	if err != nil {
		tb.Fatal(err)
	}
	return fitted, d
}

func batch(d *learn.Data) *model.Batch {
	f := len(d.Features)
	b := &model.Batch{Rows: d.Rows, Nums: make([]float64, d.Rows*f), Strs: make([]string, d.Rows*f)}
	for i, c := range d.Features {
		for r := range d.Rows {
			if c.Type == model.ColumnString {
				b.Strs[r*f+i] = c.Strings[r]
			} else {
				b.Nums[r*f+i] = c.Numbers[r]
			}
		}
	}
	return b
}

func TestGaussianNaiveBayesPredictsAsScikitLearn(t *testing.T) {
	fitted, d := fitAll(t, readCSV(t, "iris.csv"), model.JobRequest{Target: "Species"})
	var want struct {
		Classes       []string
		Probabilities [][]float64
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "iris-sklearn.json"))
	if err != nil || json.Unmarshal(raw, &want) != nil {
		t.Fatal(err)
	}
	in := batch(d)
	out := &model.Output{Classes: make([]int32, in.Rows), Probs: make([]float64, 3*in.Rows)}
	fitted.Predictor.Predict(in, out)
	for r, probs := range want.Probabilities {
		for c, p := range probs {
			// The same formula summed in another order: equal to a few
			// ulps, tiny probabilities to within a part in a million.
			if got := out.Probs[3*r+c]; math.Abs(got-p) > 1e-12 && math.Abs(got-p) > 1e-6*p {
				t.Fatalf("row %d: probabilities %v, scikit-learn's %v", r, out.Probs[3*r:3*r+3], probs)
			}
		}
	}
}

func TestFastPredictorMatchesTheReference(t *testing.T) {
	for _, tt := range []struct {
		name, file, target string
	}{
		{"numbers", "iris.csv", "Species"},
		{"strings", "legacy/votes-strings.csv", "party"},
		{"numbers and a string", "legacy/iris-mixed.csv", "Species"},
	} {
		t.Run(tt.name+" predict every row as the reference, to the bit, without allocating", func(t *testing.T) {
			raw := readCSV(t, tt.file)
			fitted, d := fitAll(t, raw, model.JobRequest{Target: tt.target, Params: map[string]any{"var_smoothing": 1e-6}})
			env, m, err := load(fitted.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			p := fitted.Predictor
			in := batch(d)
			// A made-up row: numbers far out, a string never seen.
			for i, c := range d.Features {
				if c.Type == model.ColumnString {
					in.Strs[i] = "never seen"
				} else {
					in.Nums[i] = 1e6
				}
			}
			classes := len(d.Classes)
			out := &model.Output{Classes: make([]int32, in.Rows), Probs: make([]float64, classes*in.Rows)}
			p.Predict(in, out)
			en := learn.NewEncoder(env.Encodings)
			cols := make([]*csvdata.TableColumn, len(d.Features))
			copy(cols, d.Features)
			for r := range in.Rows {
				x := make([]float64, en.Width)
				if r == 0 {
					x = p.(*predictor).Enc.Row(in, 0, x)
				} else {
					en.EncodeRow(cols, r, x)
				}
				class, probs := m.predict(x)
				got := out.Probs[r*classes : (r+1)*classes]
				for c := range probs {
					if math.Float64bits(got[c]) != math.Float64bits(probs[c]) {
						t.Fatalf("row %d: %v, the reference %v", r, got, probs)
					}
				}
				if int(out.Classes[r]) != class {
					t.Fatalf("row %d: class %d, the reference %d", r, out.Classes[r], class)
				}
			}
			one := &model.Batch{Rows: 1, Nums: in.Nums[:len(d.Features)], Strs: in.Strs[:len(d.Features)]}
			if n := testing.AllocsPerRun(20, func() { p.Predict(one, out) }); n != 0 {
				t.Errorf("%v allocations per row", n)
			}
		})
	}
}

func TestGaussianNaiveBayesRefusesWhatItCannotFit(t *testing.T) {
	raw := []byte("a,b,y\n1,5,p\n1,6,q\n1,7,p\n1,8,q\n")
	s := spec(t, raw, model.JobRequest{Target: "y", Params: map[string]any{"var_smoothing": 0}})
	d, err := learn.ReadData(bytes.NewReader(raw), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := Learner(s)
	_, err = l.Fit(context.Background(), &learn.Fit{Spec: s, Data: d, Rows: learn.AllRows(d.Rows), Threads: 1, Progress: func(int) {}})
	if model.ErrorCode(err) != model.CodeInvalid || !strings.Contains(model.ErrorMessage(err), `feature "a" has the same value`) {
		t.Errorf("Fit = %v, want an invalid error naming feature a", err)
	}
}

func TestLoadRejectsCorruptArtifacts(t *testing.T) {
	fitted, _ := fitAll(t, readCSV(t, "legacy/iris-mixed.csv"), model.JobRequest{Target: "Species"})
	art := string(fitted.Artifact)
	for _, tt := range []struct{ name, old, new string }{
		{"another format", `"gaussian-nb/1"`, `"gaussian-nb/2"`},
		{"a variance of 0", `"variances":[[`, `"variances":[[0,`},
		{"a negative count", `"counts":[`, `"counts":[-1,`},
		{"wrong column kinds", `"kinds":"nnnnlll"`, `"kinds":"nnnnnll"`},
		{"a positive log likelihood", `"log_likelihoods":[[`, `"log_likelihoods":[[0.5,`},
		{"a payload", "}\n", "}\n!"},
	} {
		t.Run(tt.name+" is corrupt", func(t *testing.T) {
			if !strings.Contains(art, tt.old) {
				t.Fatalf("the artifact has no %q: %s", tt.old, art)
			}
			p, err := LoadPredictor([]byte(strings.Replace(art, tt.old, tt.new, 1)))
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Errorf("LoadPredictor = %v, %v; want CodeCorrupt", p, err)
			}
		})
	}
}

func FuzzLoadPredictor(f *testing.F) {
	fitted, _ := fitAll(f, readCSV(f, "legacy/iris-mixed.csv"), model.JobRequest{Target: "Species"})
	f.Add(fitted.Artifact)
	f.Add(fitted.Artifact[:len(fitted.Artifact)/2])
	f.Add([]byte(learn.Magic + "{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := LoadPredictor(data)
		if err != nil {
			if p != nil || model.ErrorCode(err) != model.CodeCorrupt {
				t.Fatalf("LoadPredictor = %v, %v", p, err)
			}
			return
		}
		f := len(p.Features())
		out := &model.Output{Classes: make([]int32, 1), Probs: make([]float64, len(p.Classes()))}
		p.Predict(&model.Batch{Rows: 1, Nums: make([]float64, f), Strs: make([]string, f)}, out)
		if c := out.Classes[0]; c < 0 || int(c) >= len(p.Classes()) {
			t.Fatalf("class %d", c)
		}
	})
}
