package preprocess

import (
	"fmt"
	"math"
	"slices"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// program is what the fitted steps do to one input feature, compiled for
// the per-row loop: a number runs its ops in step order; a string takes
// its first imputer's fill when missing, then passes through or becomes
// indicators.
type program struct {
	number  bool
	ops     []op
	fill    string // string: the first imputer's value, when hasFill
	hasFill bool
	// out is the model column the feature becomes, or its first
	// indicator; levels maps a category to its indicator (one_hot).
	out          int
	levels       map[string]int
	oneHot       bool
	unknownError bool
}

// op is one number step: impute (NaN becomes a) or scale ((x - a) / b).
type op struct {
	impute bool
	a, b   float64
}

// imputes reports whether a step of the program replaces missing values.
func (g *program) imputes() bool {
	return g.hasFill || slices.ContainsFunc(g.ops, func(o op) bool { return o.impute })
}

// compile checks fitted steps against the input features they apply to
// and returns a program per feature and the columns the model behind them
// was fitted on, named and ordered as Transform makes them. It checks
// everything an artifact could get wrong: known steps, strategies and
// policies; columns that are features (drop's: that are not), of a type
// the step takes, not yet one-hot encoded, once per step; a value per
// column, of the column's type, finite, scales not 0; categories sorted,
// distinct, not empty, at most model.MaxClasses per column.
func compile(features []model.Column, steps []model.FittedStep) ([]program, []model.Column, error) {
	at := make(map[string]int, len(features))
	progs := make([]program, len(features))
	for i, f := range features {
		if _, dup := at[f.Name]; dup || f.Name == "" {
			return nil, nil, fmt.Errorf("feature %d: no name, or a name twice", i)
		}
		at[f.Name] = i
		progs[i].number = f.Type == model.ColumnNumber
	}
	for k := range steps {
		if err := compileStep(&steps[k], at, progs); err != nil {
			return nil, nil, fmt.Errorf("step %d (%s): %v", k, steps[k].Step, err)
		}
	}
	var cols []model.Column
	for i, f := range features {
		g := &progs[i]
		g.out = len(cols)
		if !g.oneHot {
			cols = append(cols, model.Column{Name: f.Name, Type: f.Type})
			continue
		}
		names := make([]string, len(g.levels))
		for l, j := range g.levels {
			names[j] = IndicatorName(f.Name, l)
		}
		for _, n := range names {
			cols = append(cols, model.Column{Name: n, Type: model.ColumnNumber})
		}
	}
	if len(cols) == 0 || len(cols) > learn.MaxDims {
		return nil, nil, fmt.Errorf("%d model columns", len(cols))
	}
	return progs, cols, nil
}

func compileStep(s *model.FittedStep, at map[string]int, progs []program) error {
	switch s.Step {
	case model.StepImpute:
		switch s.Strategy {
		case model.ImputeMean, model.ImputeMedian, model.ImputeMostFrequent, model.ImputeConstant:
		default:
			return fmt.Errorf("strategy %q", s.Strategy)
		}
	case model.StepScale:
		if s.Method != model.ScaleStandard && s.Method != model.ScaleMinMax {
			return fmt.Errorf("method %q", s.Method)
		}
	case model.StepOneHot:
		if s.Unknown != model.UnknownZeros && s.Unknown != model.UnknownError {
			return fmt.Errorf("unknown policy %q", s.Unknown)
		}
	case model.StepDrop:
	default:
		return fmt.Errorf("unknown step")
	}
	seen := map[string]bool{}
	for k := range s.Columns {
		c := &s.Columns[k]
		if seen[c.Name] {
			return fmt.Errorf("column %q twice", c.Name)
		}
		seen[c.Name] = true
		set := map[string]bool{"fill": c.Fill != nil, "center": c.Center != nil, "scale": c.Scale != nil, "levels": c.Levels != nil}
		want := map[string]bool{"fill": s.Step == model.StepImpute, "center": s.Step == model.StepScale, "scale": s.Step == model.StepScale, "levels": s.Step == model.StepOneHot}
		for name, given := range set {
			if given != want[name] && (given || name != "levels") { // a column with no category has no levels
				return fmt.Errorf("column %q: %s given %v for a %s step", c.Name, name, given, s.Step)
			}
		}
		i, ok := at[c.Name]
		switch {
		case s.Step == model.StepDrop && ok:
			return fmt.Errorf("dropped column %q is a feature", c.Name)
		case s.Step == model.StepDrop:
			continue
		case !ok:
			return fmt.Errorf("no feature %q", c.Name)
		case progs[i].oneHot:
			return fmt.Errorf("column %q is one-hot encoded already", c.Name)
		}
		if err := progs[i].add(s, c); err != nil {
			return fmt.Errorf("column %q: %v", c.Name, err)
		}
	}
	return nil
}

// add compiles column c of step s into g.
func (g *program) add(s *model.FittedStep, c *model.FittedColumn) error {
	switch s.Step {
	case model.StepImpute:
		if g.number {
			x, ok := c.Fill.(float64)
			if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("fill %v for a number", c.Fill)
			}
			g.ops = append(g.ops, op{impute: true, a: x})
			return nil
		}
		v, ok := c.Fill.(string)
		if !ok || v == "" || len(v) > model.MaxConstantBytes || s.Strategy == model.ImputeMean || s.Strategy == model.ImputeMedian {
			return fmt.Errorf("fill %v for a string by %s", c.Fill, s.Strategy)
		}
		if !g.hasFill {
			g.fill, g.hasFill = v, true
		}
	case model.StepScale:
		a, b := *c.Center, *c.Scale
		if !g.number || math.IsNaN(a) || math.IsInf(a, 0) || !(b != 0) || math.IsInf(b, 0) {
			return fmt.Errorf("scale (x - %v) / %v", a, b)
		}
		g.ops = append(g.ops, op{a: a, b: b})
	case model.StepOneHot:
		levels := c.Levels
		if g.number || len(levels) > model.MaxClasses || !learn.SortedUnique(levels) || slices.Contains(levels, "") {
			return fmt.Errorf("%d categories, or not sorted, distinct and non-empty", len(levels))
		}
		g.oneHot, g.unknownError = true, s.Unknown == model.UnknownError
		g.levels = make(map[string]int, len(levels))
		for k, l := range levels {
			g.levels[l] = k
		}
	}
	return nil
}
