package golearn

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// withSize returns iris with a string column "size" from the petal length
// (small, medium, large) and a "tint" that says nothing.
func withSize(t *testing.T) *csvFile {
	t.Helper()
	iris := testdata(t, "iris.csv")
	length := iris.column(t, "Petal length")
	var b strings.Builder
	b.WriteString("size,tint,Sepal width,Species\n")
	width, species := iris.column(t, "Sepal width"), iris.column(t, "Species")
	for i, l := range length {
		size := "large"
		switch {
		case l < "2":
			size = "small"
		case l < "5":
			size = "medium"
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", size, []string{"red", "blue", "green"}[i%3], width[i], species[i])
	}
	return readCSV(t, []byte(b.String()))
}

func TestStringFeatures(t *testing.T) {
	f := withSize(t)
	for _, a := range algorithms() {
		if !a.StringFeatures {
			continue
		}
		t.Run(a.Name+" one-hot encodes string features and predicts unseen values", func(t *testing.T) {
			spec := f.spec(t, model.JobRequest{Target: "Species", Algorithm: a.Name})
			res := f.train(t, spec)
			checkHoldout(t, f, spec, res)
			m := load(t, res.Artifact)
			if e := m.h.Encodings[0]; e.Kind != learn.KindOneHot || !slices.Equal(e.Levels, []string{"large", "medium", "small"}) {
				t.Errorf("size encoded %+v", e)
			}
			got, err := m.Predict(Row{"huge", "purple", 3.0})
			if err != nil || !slices.Contains(m.Classes(), got[0].Class) {
				t.Errorf("an unseen value: %+v, %v", got, err)
			}
			t.Logf("%s with string features: accuracy %.4f", a.Name, res.Metrics.Classification.Accuracy)
		})
	}
}

func TestPredict(t *testing.T) {
	f := withSize(t)
	m := load(t, f.train(t, f.spec(t, model.JobRequest{Target: "Species", Algorithm: "decision_tree"})).Artifact)
	t.Run("PredictTable and Predict agree, and PredictTable ignores other columns", func(t *testing.T) {
		tab, err := csvdata.ReadTable(bytes.NewReader(f.raw), append(m.Features(), model.Column{Name: "Species", Type: model.ColumnString}))
		if err != nil {
			t.Fatal(err)
		}
		byTable, err := m.PredictTable(tab)
		if err != nil {
			t.Fatal(err)
		}
		byRows := predict(t, m, f.rows(t, m.Features(), learn.AllRows(len(f.records))))
		if !reflect.DeepEqual(byTable, byRows) {
			t.Error("PredictTable and Predict differ")
		}
	})
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"a short row", []Row{{"small", "red"}}, "row 0 has 2 values; the model has 3 features"},
		{"a number for a string feature", []Row{{1.0, "red", 3.0}}, `row 0: feature "size" needs a string`},
		{"a string for a number feature", []Row{{"small", "red", 3.0}, {"small", "red", "3"}}, `row 1: feature "Sepal width" needs a finite number`},
		{"NaN", []Row{{"small", "red", nan()}}, "needs a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			_, err := m.Predict(tt.rows...)
			wantCode(t, err, model.CodeInvalid, tt.want)
		})
	}
	t.Run("a table without a feature or with the wrong type is refused", func(t *testing.T) {
		_, err := m.PredictTable(&csvdata.Table{Rows: 1})
		wantCode(t, err, model.CodeInvalid, `no column "size"`)
		_, err = m.PredictTable(&csvdata.Table{Rows: 1, Columns: []csvdata.TableColumn{
			{Name: "size", Type: model.ColumnNumber, Numbers: []float64{1}}}})
		wantCode(t, err, model.CodeInvalid, `column "size" is a number column; the model's feature is a string`)
	})
	t.Run("integers are numbers", func(t *testing.T) {
		a, b := predict(t, m, []Row{{"small", "red", 3}}), predict(t, m, []Row{{"small", "red", 3.0}})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%+v and %+v", a, b)
		}
	})
	t.Run("one model predicts from many goroutines", func(t *testing.T) {
		want := predict(t, m, []Row{{"medium", "red", 2.5}})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if got, err := m.Predict(Row{"medium", "red", 2.5}); err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%+v, %v", got, err)
				}
			})
		}
		wg.Wait()
	})
}
