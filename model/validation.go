package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// ValidationRule states how a train request's validation is read; the
// catalog (GET /v1/algorithms) and the README show it.
const ValidationRule = "validation is omitted, or an object of holdout, folds and seed, each optional: " +
	"seed defaults to 1 whenever it is not given; folds defaults to 0 (no cross-validation); " +
	"holdout defaults to 0.2 unless folds is 2 or more, and must then be left out or 0. " +
	"Every model is tested, so holdout 0 without folds is a 422, never replaced by the default."

// validationJSON is a ValidationSpec as a client sends it: pointers tell a
// field left out from one given as zero.
type validationJSON struct {
	Holdout *float64 `json:"holdout"`
	Folds   *int     `json:"folds"`
	Seed    *int64   `json:"seed"`
}

// UnmarshalJSON reads a validation object and fills in, by ValidationRule,
// what it leaves out: Seed DefaultSeed, Folds 0, Holdout DefaultHoldout
// unless Folds > 1. What is given is kept as given, zeros included, for
// JobRequest.Valid to judge. Unknown fields are refused, as in the rest of
// a request.
func (v *ValidationSpec) UnmarshalJSON(b []byte) error {
	var in validationJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return validationError(err)
	}
	*v = ValidationSpec{Seed: DefaultSeed}
	if in.Folds != nil {
		v.Folds = *in.Folds
	}
	switch {
	case in.Holdout != nil:
		v.Holdout = *in.Holdout
	case v.Folds <= 1:
		v.Holdout = DefaultHoldout
	}
	if in.Seed != nil {
		v.Seed = *in.Seed
	}
	return nil
}

// validationError names an unknown field by its path in the request,
// "validation.holdot", as encoding/json names the field of a type error.
func validationError(err error) error {
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errors.New(`json: unknown field "validation.` + strings.Trim(field, `"`) + `"`)
	}
	return err
}
