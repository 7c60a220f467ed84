package scoring

import (
	"slices"
	"testing"

	"gitlab.com/mlserve/mlserve/model"
)

func TestNewLayoutListsTheOutputColumns(t *testing.T) {
	iris := inspect(t, testFile(t, "iris.csv"))
	names := func(cols []model.Column) []string {
		var out []string
		for _, c := range cols {
			out = append(out, c.Name+":"+c.Type)
		}
		return out
	}
	probs := []string{"probability_Iris-setosa:number", "probability_Iris-versicolor:number", "probability_Iris-virginica:number"}
	tests := []struct {
		name         string
		p            model.Predictor
		includeInput bool
		want         []string
	}{
		{"a classifier: its class and probabilities", irisForest(t), false, append([]string{"prediction:string"}, probs...)},
		{"a classifier, input included: the dataset's columns first", irisForest(t), true,
			append([]string{"Sepal length:number", "Sepal width:number", "Petal length:number", "Petal width:number",
				"Species:string", "prediction:string"}, probs...)},
		{"a regression: a number", irisRegression(t), false, []string{"prediction:number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLayout(iris, tt.p, tt.includeInput)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(l.Columns()); !slices.Equal(got, tt.want) {
				t.Fatalf("columns %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewLayoutRejectsADatasetThatDoesNotFit(t *testing.T) {
	iris := inspect(t, testFile(t, "iris.csv"))
	without := slices.DeleteFunc(slices.Clone(iris), func(c model.Column) bool { return c.Name == "Petal width" })
	text := slices.Clone(iris)
	text[1].Type = model.ColumnString
	clash := append(slices.Clone(iris), model.Column{Name: "prediction", Type: model.ColumnString})
	tests := []struct {
		name         string
		dataset      []model.Column
		includeInput bool
		part         string
	}{
		{"a feature missing", without, false, `no column "Petal width"`},
		{"a number feature of text", text, false, `column "Sepal width" holds text`},
		{"an echoed column named as an output column", clash, true, "the request is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLayout(tt.dataset, irisForest(t), tt.includeInput)
			wantCode(t, err, model.CodeInvalid, tt.part)
		})
	}
	if _, err := NewLayout(clash, irisForest(t), false); err != nil {
		t.Fatalf("a column named prediction, input not included: %v", err)
	}
	empty := slices.Clone(iris)
	empty[1].Type = model.ColumnEmpty
	if _, err := NewLayout(empty, irisForest(t), false); err != nil {
		t.Fatalf("an all-empty column for a number feature (its cells are missing values): %v", err)
	}
}

func TestColumnsIsACopy(t *testing.T) {
	l, _ := irisLayout(t, false)
	l.Columns()[0].Name = "changed"
	if l.Columns()[0].Name != model.ScorePredictionColumn {
		t.Fatal("changing Columns' result changed the layout")
	}
}
