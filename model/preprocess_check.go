package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// MaxConstantBytes bounds a constant imputation's string value.
const MaxConstantBytes = 1024

// validSteps checks the shape of a request's steps: known steps with the
// fields they take, and only those. Which columns they name is checked
// against the dataset by PrepareTrain.
func validSteps(steps []Step, p map[string]string) {
	if len(steps) > MaxSteps {
		p["preprocess"] = fmt.Sprintf("at most %d steps", MaxSteps)
		return
	}
	for i := range steps {
		s := &steps[i]
		key := fmt.Sprintf("preprocess[%d]", i)
		validColumns(s.Columns, key+".columns", p)
		allowed := map[string]bool{}
		switch s.Step {
		case StepImpute:
			allowed["strategy"] = true
			switch s.Strategy {
			case ImputeMean, ImputeMedian, ImputeMostFrequent:
			case ImputeConstant:
				allowed["value"] = true
				s.Value = asFloat(s.Value)
				if problem := constantProblem(s.Value); problem != "" {
					p[key+".value"] = problem
				}
			case "":
				p[key+".strategy"] = "required: mean, median, most_frequent or constant"
			default:
				p[key+".strategy"] = fmt.Sprintf("unknown strategy %q (want mean, median, most_frequent or constant)", s.Strategy)
			}
		case StepScale:
			allowed["method"] = true
			if s.Method != ScaleStandard && s.Method != ScaleMinMax {
				p[key+".method"] = fmt.Sprintf("unknown method %q (want standard or minmax)", s.Method)
			}
		case StepOneHot:
			allowed["unknown"] = true
			if s.Unknown != "" && s.Unknown != UnknownZeros && s.Unknown != UnknownError {
				p[key+".unknown"] = fmt.Sprintf("unknown policy %q (want zeros or error)", s.Unknown)
			}
		case StepDrop:
		case "":
			p[key+".step"] = "required: impute, scale, one_hot or drop"
			continue
		default:
			p[key+".step"] = fmt.Sprintf("unknown step %q (want impute, scale, one_hot or drop)", s.Step)
			continue
		}
		for _, f := range []struct {
			name string
			set  bool
		}{{"strategy", s.Strategy != ""}, {"value", s.Value != nil}, {"method", s.Method != ""}, {"unknown", s.Unknown != ""}} {
			if f.set && !allowed[f.name] {
				p[key+"."+f.name] = fmt.Sprintf("not a field of a %s step", stepNoun(s))
			}
		}
	}
}

func stepNoun(s *Step) string {
	if s.Step == StepImpute && s.Strategy != "" {
		return s.Strategy + " impute"
	}
	return s.Step
}

func validColumns(c Columns, key string, p map[string]string) {
	switch {
	case c.bad != "":
		p[key] = c.bad
	case c.Select != "":
		if c.Select != SelectNumbers && c.Select != SelectStrings && c.Select != SelectAll {
			p[key] = fmt.Sprintf("unknown selector %q (want numbers, strings, all or a list of column names)", c.Select)
		}
	case len(c.Names) == 0:
		p[key] = `required: "numbers", "strings", "all" or a list of column names`
	default:
		seen := make(map[string]bool, len(c.Names))
		for j, n := range c.Names {
			switch {
			case n == "":
				p[fmt.Sprintf("%s[%d]", key, j)] = "empty column name"
			case seen[n]:
				p[fmt.Sprintf("%s[%d]", key, j)] = fmt.Sprintf("column %q twice", n)
			}
			seen[n] = true
		}
	}
}

// asFloat returns a whole number as a float64, as JSON decodes it (BSON
// may give it back as an int32 or int64); any other value as it is.
func asFloat(v any) any {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	}
	return v
}

func constantProblem(v any) string {
	switch v := v.(type) {
	case nil:
		return "required for a constant impute: a number or a string"
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "must be a finite number"
		}
	case string:
		if v == "" || len(v) > MaxConstantBytes {
			return fmt.Sprintf("must be a non-empty string of at most %d bytes", MaxConstantBytes)
		}
	default:
		return fmt.Sprintf("must be a number or a string, got %T", v)
	}
	return ""
}

// resolveSteps applies a request's steps to the candidate features: the
// dropped ones are left out (a drop may name any column of the dataset:
// one that is no candidate is left out already), and every other step
// gets its explicit list of columns and its defaults. It reports, under each step's JSON path, a
// column that is no feature, of a type the step cannot take, already
// one-hot encoded by an earlier step, or dropped by any step. The steps
// are shape-checked (validSteps) already; problems there are skipped.
func resolveSteps(steps []Step, candidates []Column, columns map[string]Column, p map[string]string) ([]Column, []Step) {
	dropped := map[string]int{}
	for i, s := range steps {
		if s.Step != StepDrop {
			continue
		}
		from := candidates
		if s.Columns.Select == "" {
			from = nil
			for _, name := range s.Columns.Names {
				if c, ok := columns[name]; ok {
					from = append(from, c)
				}
			}
		}
		for _, name := range selectColumns(&s, from, fmt.Sprintf("preprocess[%d].columns", i), p) {
			dropped[name] = i
		}
	}
	var kept []Column
	for _, c := range candidates {
		if _, gone := dropped[c.Name]; !gone {
			kept = append(kept, c)
		}
	}
	encoded := map[string]int{}
	var resolved []Step
	for i, s := range steps {
		key := fmt.Sprintf("preprocess[%d]", i)
		if hasProblem(p, key) {
			continue
		}
		if s.Step == StepDrop {
			resolved = append(resolved, s) // checked above
			continue
		}
		from := candidates // a listed dropped column is reported below
		if s.Columns.Select != "" {
			from = kept
		}
		s.Columns = Columns{Names: selectColumns(&s, from, key+".columns", p)}
		if s.Step == StepOneHot && s.Unknown == "" {
			s.Unknown = UnknownZeros
		}
		for _, name := range s.Columns.Names {
			if d, gone := dropped[name]; gone {
				p[key+".columns"] = fmt.Sprintf("column %q is dropped by preprocess[%d]", name, d)
			} else if e, done := encoded[name]; done {
				p[key+".columns"] = fmt.Sprintf("column %q is one-hot encoded by preprocess[%d] already", name, e)
			}
		}
		if s.Step == StepOneHot {
			for _, name := range s.Columns.Names {
				encoded[name] = i
			}
		}
		resolved = append(resolved, s)
	}
	if len(kept) == 0 && len(candidates) > 0 {
		p["preprocess"] = "every feature is dropped"
	}
	return kept, resolved
}

func hasProblem(p map[string]string, prefix string) bool {
	for k := range p {
		if k == prefix || strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// selectColumns returns the names of the columns step s applies to: its
// list, checked against the features and the types the step takes, or
// the features its selector picks that the step takes.
func selectColumns(s *Step, features []Column, key string, p map[string]string) []string {
	var names []string
	if s.Columns.Select != "" {
		for _, f := range features {
			if stepTakes(s, f.Type) && (s.Columns.Select == SelectAll || s.Columns.Select == selectorOf(f.Type)) {
				names = append(names, f.Name)
			}
		}
		return names
	}
	for j, name := range s.Columns.Names {
		at := slices.IndexFunc(features, func(f Column) bool { return f.Name == name })
		switch {
		case at < 0 && s.Step == StepDrop:
			p[fmt.Sprintf("%s[%d]", key, j)] = fmt.Sprintf("no column %q in the dataset", name)
		case at < 0:
			p[fmt.Sprintf("%s[%d]", key, j)] = fmt.Sprintf("no feature %q", name)
		case !stepTakes(s, features[at].Type):
			p[fmt.Sprintf("%s[%d]", key, j)] = fmt.Sprintf("a %s step cannot take %s column %q", stepNoun(s), features[at].Type, name)
		default:
			names = append(names, name)
		}
	}
	return names
}

func selectorOf(columnType string) string {
	if columnType == ColumnString {
		return SelectStrings
	}
	return SelectNumbers
}

// stepTakes reports whether s applies to a column of the given type.
func stepTakes(s *Step, columnType string) bool {
	number := columnType == ColumnNumber
	switch s.Step {
	case StepScale:
		return number
	case StepOneHot:
		return !number
	case StepImpute:
		switch s.Strategy {
		case ImputeMean, ImputeMedian:
			return number
		case ImputeConstant:
			_, isNumber := s.Value.(float64)
			return isNumber == number
		}
	}
	return true
}
