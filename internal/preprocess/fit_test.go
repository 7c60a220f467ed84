package preprocess

import (
	"math"
	"reflect"
	"testing"

	"gitlab.com/mlserve/mlserve/internal/csvdata"
	"gitlab.com/mlserve/mlserve/model"
)

var nan = math.NaN()

func numbers(name string, v ...float64) *csvdata.TableColumn {
	return &csvdata.TableColumn{Name: name, Type: model.ColumnNumber, Numbers: v}
}

func strs(name string, v ...string) *csvdata.TableColumn {
	return &csvdata.TableColumn{Name: name, Type: model.ColumnString, Strings: v}
}

func ptr(v float64) *float64 { return &v }

func cols(names ...string) model.Columns { return model.Columns{Names: names} }

func TestEachStepLearnsWhatItShould(t *testing.T) {
	// x: 1, missing, 3, 10, 3 — the training rows are all but the last
	// (a 100 that no step may see).
	x := numbers("x", 1, nan, 3, 10, 3, 100)
	s := strs("s", "b", "", "a", "b", "a", "zzz")
	rows := []int{0, 1, 2, 3, 4}
	for _, c := range []struct {
		name string
		step model.Step
		want model.FittedStep
	}{
		{"a mean impute learns the mean of the values there are",
			model.Step{Step: model.StepImpute, Strategy: model.ImputeMean, Columns: cols("x")},
			model.FittedStep{Step: "impute", Strategy: "mean", Columns: []model.FittedColumn{{Name: "x", Fill: 17.0 / 4}}}},
		{"a median impute learns the middle of an even count as the mean of the two",
			model.Step{Step: model.StepImpute, Strategy: model.ImputeMedian, Columns: cols("x")},
			model.FittedStep{Step: "impute", Strategy: "median", Columns: []model.FittedColumn{{Name: "x", Fill: 3.0}}}},
		{"a most_frequent impute learns the commonest number and, among tied strings, the smallest",
			model.Step{Step: model.StepImpute, Strategy: model.ImputeMostFrequent, Columns: cols("x", "s")},
			model.FittedStep{Step: "impute", Strategy: "most_frequent", Columns: []model.FittedColumn{{Name: "x", Fill: 3.0}, {Name: "s", Fill: "a"}}}},
		{"a constant impute keeps its value",
			model.Step{Step: model.StepImpute, Strategy: model.ImputeConstant, Value: 0.0, Columns: cols("x")},
			model.FittedStep{Step: "impute", Strategy: "constant", Columns: []model.FittedColumn{{Name: "x", Fill: 0.0}}}},
		{"a standard scale learns the mean and the population deviation",
			model.Step{Step: model.StepScale, Method: model.ScaleStandard, Columns: cols("x")},
			model.FittedStep{Step: "scale", Method: "standard", Columns: []model.FittedColumn{{Name: "x", Center: ptr(4.25), Scale: ptr(math.Sqrt((3.25*3.25 + 1.25*1.25 + 5.75*5.75 + 1.25*1.25) / 4))}}}},
		{"a minmax scale learns the minimum and the range",
			model.Step{Step: model.StepScale, Method: model.ScaleMinMax, Columns: cols("x")},
			model.FittedStep{Step: "scale", Method: "minmax", Columns: []model.FittedColumn{{Name: "x", Center: ptr(1), Scale: ptr(9)}}}},
		{"a one_hot learns the sorted categories, missing not among them",
			model.Step{Step: model.StepOneHot, Unknown: model.UnknownZeros, Columns: cols("s")},
			model.FittedStep{Step: "one_hot", Unknown: "zeros", Columns: []model.FittedColumn{{Name: "s", Levels: []string{"a", "b"}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := Fit([]model.Step{c.step}, []*csvdata.TableColumn{x, s}, rows)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, []model.FittedStep{c.want}) {
				t.Errorf("fitted %+v\nwant   %+v", got[0], c.want)
			}
		})
	}
}

func TestStepsTransformEveryRowInOrder(t *testing.T) {
	x := numbers("x", 1, nan, 3, 10)
	s := strs("s", "b", "", "a", "new")
	steps := []model.Step{
		{Step: model.StepImpute, Strategy: model.ImputeMedian, Columns: cols("x")},
		{Step: model.StepScale, Method: model.ScaleMinMax, Columns: cols("x")},
		{Step: model.StepOneHot, Unknown: model.UnknownZeros, Columns: cols("s")},
	}
	fitted, table, err := Fit(steps, []*csvdata.TableColumn{x, s}, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// The median of 1 and 3 is 2; min 1, range 2 over 1, 2, 3; the
	// categories a and b; row 3 ("new", 10) was not a training row.
	want := []*csvdata.TableColumn{
		numbers("x", 0, 0.5, 1, 4.5),
		numbers("s=a", 0, 0, 1, 0),
		numbers("s=b", 1, 0, 0, 0),
	}
	if !reflect.DeepEqual(table.Columns, want) || !reflect.DeepEqual(table.Origin, []int{0, 1, 1}) {
		t.Errorf("columns %+v origin %v\nwant    %+v", table.Columns, table.Origin, want)
	}
	again, err := Transform(fitted, []*csvdata.TableColumn{x, s})
	if err != nil || !reflect.DeepEqual(again.Columns, want) {
		t.Errorf("Transform of the fitted steps = %+v, %v; want what Fit made", again, err)
	}
	if math.IsNaN(x.Numbers[1]) == false || s.Strings[1] != "" {
		t.Error("the input columns were modified")
	}
}

func TestAnImputerWithNothingToLearnFromIsAClearError(t *testing.T) {
	x := numbers("age", nan, nan, 5)
	_, _, err := Fit([]model.Step{{Step: model.StepImpute, Strategy: model.ImputeMean, Columns: cols("age")}}, []*csvdata.TableColumn{x}, []int{0, 1})
	if model.ErrorCode(err) != model.CodeInvalid {
		t.Fatalf("err = %v, want CodeInvalid naming the column", err)
	}
}
