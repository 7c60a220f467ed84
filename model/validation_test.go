package model

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidationDefaults(t *testing.T) {
	for _, tt := range []struct {
		name, json string
		want       ValidationSpec
	}{
		{"an empty object is the default", `{}`, ValidationSpec{Holdout: 0.2, Seed: 1}},
		{"a holdout alone keeps seed 1", `{"holdout": 0.3}`, ValidationSpec{Holdout: 0.3, Seed: 1}},
		{"a seed alone gets the default holdout", `{"seed": 7}`, ValidationSpec{Holdout: 0.2, Seed: 7}},
		{"seed 0 is kept", `{"seed": 0}`, ValidationSpec{Holdout: 0.2, Seed: 0}},
		{"folds without a holdout have none", `{"folds": 5}`, ValidationSpec{Folds: 5, Seed: 1}},
		{"a given holdout 0 stays 0", `{"holdout": 0}`, ValidationSpec{Seed: 1}},
		{"folds 0 keep the default holdout", `{"folds": 0, "seed": 3}`, ValidationSpec{Holdout: 0.2, Seed: 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var v ValidationSpec
			if err := json.Unmarshal([]byte(tt.json), &v); err != nil {
				t.Fatal(err)
			}
			if v != tt.want {
				t.Errorf("%s decodes to %+v, want %+v", tt.json, v, tt.want)
			}
		})
	}
	t.Run("an unknown field is refused", func(t *testing.T) {
		var v ValidationSpec
		if err := json.Unmarshal([]byte(`{"holdot": 0.3}`), &v); err == nil || !strings.Contains(err.Error(), `"validation.holdot"`) {
			t.Errorf("err = %v, want one naming holdot", err)
		}
	})
	t.Run("holdout 0 without folds is invalid, not replaced", func(t *testing.T) {
		req := trainRequest("decision_tree")
		if err := json.Unmarshal([]byte(`{"holdout": 0}`), &req.Validation); err != nil {
			t.Fatal(err)
		}
		_, err := PrepareTrain(req, irisDataset())
		e, ok := err.(*Error)
		if !ok || !strings.Contains(e.Fields["validation.holdout"], "no rows to test") {
			t.Fatalf("err = %v, want a validation.holdout problem", err)
		}
	})
	t.Run("a stored, filled-in validation reads back unchanged", func(t *testing.T) {
		in := ValidationSpec{Folds: 5, Seed: 0}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var back ValidationSpec
		if err := json.Unmarshal(b, &back); err != nil || back != in {
			t.Errorf("%s reads back as %+v (%v)", b, back, err)
		}
	})
}
