package model

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// churnDataset is a table with what real data has: an id, missing cells,
// strings.
func churnDataset() *Dataset {
	return &Dataset{ID: "churn", Rows: 400, Columns: []Column{
		{Name: "id", Type: ColumnNumber, Distinct: 400},
		{Name: "age", Type: ColumnNumber, Distinct: 60, Empty: 40},
		{Name: "income", Type: ColumnNumber, Distinct: 400, Fractional: true},
		{Name: "plan", Type: ColumnString, Distinct: 3},
		{Name: "region", Type: ColumnString, Distinct: 4, Empty: 20},
		{Name: "churned", Type: ColumnString, Distinct: 2},
	}}
}

// decodeRequest reads a train request as the API does.
func decodeRequest(tb testing.TB, body string) *JobRequest {
	tb.Helper()
	var req JobRequest
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		tb.Fatal(err)
	}
	return &req
}

func TestPrepareTrainResolvesTheSteps(t *testing.T) {
	req := decodeRequest(t, `{"type":"train","model":"m","dataset":"churn","target":"churned","algorithm":"knn","preprocess":[
		{"step":"impute","strategy":"median","columns":"numbers"},
		{"step":"impute","strategy":"most_frequent","columns":"strings"},
		{"step":"impute","strategy":"constant","value":0,"columns":["age"]},
		{"step":"scale","method":"standard","columns":"numbers"},
		{"step":"one_hot","columns":"strings"},
		{"step":"drop","columns":["id"]}]}`)
	spec, err := PrepareTrain(req, churnDataset())
	if err != nil {
		t.Fatal(err)
	}
	numbers, strs := []string{"age", "income"}, []string{"plan", "region"}
	want := []Step{
		{Step: StepImpute, Strategy: ImputeMedian, Columns: Columns{Names: numbers}},
		{Step: StepImpute, Strategy: ImputeMostFrequent, Columns: Columns{Names: strs}},
		{Step: StepImpute, Strategy: ImputeConstant, Value: 0.0, Columns: Columns{Names: []string{"age"}}},
		{Step: StepScale, Method: ScaleStandard, Columns: Columns{Names: numbers}},
		{Step: StepOneHot, Unknown: UnknownZeros, Columns: Columns{Names: strs}},
		{Step: StepDrop, Columns: Columns{Names: []string{"id"}}},
	}
	if !reflect.DeepEqual(spec.Preprocess, want) {
		t.Errorf("steps %+v\nwant  %+v", spec.Preprocess, want)
	}
	if len(spec.Features) != 4 || spec.Features[0].Name != "age" {
		t.Errorf("features %+v: want every column but the target and the dropped id", spec.Features)
	}
	if got := spec.AcceptsMissing(); !reflect.DeepEqual(got, []bool{true, true, true, true}) {
		t.Errorf("AcceptsMissing = %v: every feature has an imputer", got)
	}
	// The API records the features it resolved in the request; the
	// worker prepares that request again and must get the same spec.
	for _, f := range spec.Features {
		req.Features = append(req.Features, f.Name)
	}
	again, err := PrepareTrain(req, churnDataset())
	if err != nil || !reflect.DeepEqual(again, spec) {
		t.Errorf("the recorded request prepares to %+v, %v; want %+v", again, err, spec)
	}
}

func TestPrepareTrainNamesEveryBadStep(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps string
		want  map[string]string
	}{
		{"an unknown step", `[{"step":"pca","columns":"all"}]`, map[string]string{"preprocess[0].step": `unknown step "pca"`}},
		{"columns that are neither a selector nor names", `[{"step":"drop","columns":3}]`, map[string]string{"preprocess[0].columns": "a list of column names"}},
		{"an unknown selector", `[{"step":"drop","columns":"some"}]`, map[string]string{"preprocess[0].columns": `unknown selector "some"`}},
		{"an unknown strategy", `[{"step":"impute","strategy":"mode","columns":"all"}]`, map[string]string{"preprocess[0].strategy": `unknown strategy "mode"`}},
		{"a constant without a value", `[{"step":"impute","strategy":"constant","columns":["age"]}]`, map[string]string{"preprocess[0].value": "required"}},
		{"a value of another step", `[{"step":"impute","strategy":"mean","value":1,"columns":["age"]}]`, map[string]string{"preprocess[0].value": "not a field of a mean impute step"}},
		{"a method for one_hot", `[{"step":"one_hot","method":"standard","columns":"strings"}]`, map[string]string{"preprocess[0].method": "not a field of a one_hot step"}},
		{"an unknown policy", `[{"step":"one_hot","unknown":"ignore","columns":"strings"}]`, map[string]string{"preprocess[0].unknown": `unknown policy "ignore"`}},
		{"a column that is not a feature", `[{"step":"scale","method":"standard","columns":["churned"]}]`, map[string]string{"preprocess[0].columns[0]": `no feature "churned"`}},
		{"a mean of strings", `[{"step":"impute","strategy":"mean","columns":["plan"]}]`, map[string]string{"preprocess[0].columns[0]": `cannot take string column "plan"`}},
		{"a string constant for a number", `[{"step":"impute","strategy":"constant","value":"x","columns":["age"]}]`, map[string]string{"preprocess[0].columns[0]": `cannot take number column "age"`}},
		{"a step on a dropped column", `[{"step":"drop","columns":["age"]},{"step":"scale","method":"minmax","columns":["age"]}]`, map[string]string{"preprocess[1].columns": "dropped by preprocess[0]"}},
		{"a step after one_hot on its column", `[{"step":"one_hot","columns":["plan"]},{"step":"impute","strategy":"most_frequent","columns":["plan"]}]`, map[string]string{"preprocess[1].columns": "one-hot encoded by preprocess[0]"}},
		{"every feature dropped", `[{"step":"drop","columns":"all"}]`, map[string]string{"preprocess": "every feature is dropped"}},
		{"a drop of a column the dataset has not", `[{"step":"drop","columns":["nope"]}]`, map[string]string{"preprocess[0].columns[0]": `no column "nope" in the dataset`}},
		{"missing values without an imputer", `[{"step":"one_hot","columns":"strings"}]`, map[string]string{"features": `column "age" has 40 empty cells`}},
	} {
		t.Run(c.name+" is refused naming the field", func(t *testing.T) {
			// gradient_boosting takes missing values, but for the last case.
			alg := map[bool]string{true: "knn", false: "gradient_boosting"}[strings.HasPrefix(c.name, "missing")]
			req := decodeRequest(t, `{"type":"train","model":"m","dataset":"churn","target":"churned","algorithm":"`+alg+`","preprocess":`+c.steps+`}`)
			_, err := PrepareTrain(req, churnDataset())
			wantFields(t, err, c.want)
		})
	}
	t.Run("a score job with steps is refused", func(t *testing.T) {
		req := &JobRequest{Type: JobScore, Model: "m", Dataset: "d", Preprocess: []Step{{Step: StepDrop}}}
		wantFields(t, req.Valid(), map[string]string{"preprocess": "not a field of a score job"})
	})
}

func TestStepsSurviveAJSONRoundTrip(t *testing.T) {
	in := []Step{{Step: StepDrop, Columns: Columns{Select: SelectStrings}}, {Step: StepImpute, Strategy: ImputeConstant, Value: 2.5, Columns: Columns{Names: []string{"a"}}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"step":"drop","columns":"strings"},{"step":"impute","columns":["a"],"strategy":"constant","value":2.5}]` {
		t.Errorf("JSON %s", b)
	}
	var out []Step
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("round trip = %+v, %v", out, err)
	}
}

func FuzzPreprocessRequest(f *testing.F) {
	for _, s := range []string{
		`[{"step":"impute","strategy":"median","columns":"numbers"},{"step":"one_hot","columns":"strings","unknown":"error"}]`,
		`[{"step":"impute","strategy":"constant","value":"none","columns":["region","plan"]},{"step":"drop","columns":["id"]}]`,
		`[{"step":"scale","method":"minmax","columns":["age","age"]}]`, `[{"columns":null}]`, `[{"step":"drop","columns":[""]}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, steps string) {
		var req JobRequest
		body := `{"type":"train","model":"m","dataset":"churn","target":"churned","algorithm":"random_forest","preprocess":` + steps + `}`
		if json.Unmarshal([]byte(body), &req) != nil {
			return
		}
		spec, err := PrepareTrain(&req, churnDataset())
		var e *Error
		switch {
		case err != nil && (!errors.As(err, &e) || e.Code != CodeInvalid):
			t.Fatalf("error %v is not CodeInvalid", err)
		case err == nil && len(spec.Preprocess) != len(req.Preprocess):
			t.Fatalf("%d steps resolved of %d", len(spec.Preprocess), len(req.Preprocess))
		}
	})
}
