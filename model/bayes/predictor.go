package bayes

import (
	"fmt"
	"math"

	"gitlab.com/mlserve/mlserve/internal/learn"
	"gitlab.com/mlserve/mlserve/model"
)

// load reads an artifact of this package back, checking every parameter.
func load(artifact []byte) (*learn.Envelope, *nbModel, error) {
	var m nbModel
	env, payload, err := learn.ParseEnvelope(artifact, &m)
	if err == nil {
		err = check(env, &m, payload)
	}
	if err != nil {
		return nil, nil, model.Errorf(model.CodeCorrupt, "artifact: %v", err)
	}
	return env, &m, nil
}

func check(env *learn.Envelope, m *nbModel, payload []byte) error {
	classes, numbers := len(env.Classes), 0
	switch {
	case env.Format != Format:
		return fmt.Errorf("format %q, not %q", env.Format, Format)
	case env.Algorithm != "naive_bayes" || len(payload) != 0:
		return fmt.Errorf("a %s model with a payload of %d bytes", env.Algorithm, len(payload))
	case len(m.Kinds) != env.Dims || len(m.Counts) != classes || len(m.Means) != classes || len(m.Variances) != classes ||
		len(m.LogLikelihoods) != classes:
		return fmt.Errorf("parameters for %d classes and %d columns", classes, env.Dims)
	}
	col := 0
	for i, e := range env.Encodings {
		want := byte(columnNumber)
		if e.Kind == learn.KindOneHot {
			want = columnLevel
		}
		for range e.Width() {
			if m.Kinds[col] != want {
				return fmt.Errorf("feature %d: column kinds %q", i, m.Kinds)
			}
			if want == columnNumber {
				numbers++
			}
			col++
		}
	}
	total := 0
	for c, n := range m.Counts {
		switch {
		case n < 0 || n > 1<<40:
			return fmt.Errorf("class %d: %d rows", c, n)
		case len(m.Means[c]) != numbers || len(m.Variances[c]) != numbers || len(m.LogLikelihoods[c]) != env.Dims-numbers:
			return fmt.Errorf("class %d: parameters for other columns", c)
		}
		total += n
		for k := range numbers {
			if v := m.Variances[c][k]; !learn.Finite(m.Means[c][k]) || !learn.Finite(v) || !(v > 0) {
				return fmt.Errorf("class %d: mean %v and variance %v", c, m.Means[c][k], v)
			}
		}
		for _, l := range m.LogLikelihoods[c] {
			if !learn.Finite(l) || l > 0 {
				return fmt.Errorf("class %d: log likelihood %v", c, l)
			}
		}
	}
	if total == 0 {
		return fmt.Errorf("no training rows")
	}
	return nil
}

// LoadPredictor loads an artifact of this package as the predictor that
// serves it: a CodeCorrupt error for bytes that are not one, never a
// panic. It computes what the reference (nbModel.predict) computes, with
// the logarithms of each class's prior and variances taken once, in the
// reference's order, so the two agree bit for bit; it allocates nothing
// per call.
func LoadPredictor(artifact []byte) (model.Predictor, error) {
	env, m, err := load(artifact)
	if err != nil {
		return nil, err
	}
	p := &predictor{Base: learn.NewBase(env.Task, env.Features, env.Encodings, env.Classes), kinds: []byte(m.Kinds), m: m}
	total := 0
	for _, n := range m.Counts {
		total += n
	}
	for c, n := range m.Counts {
		p.present = append(p.present, n > 0)
		p.prior = append(p.prior, math.Log(float64(n)/float64(total)))
		for k, v := range m.Variances[c] {
			p.norm = append(p.norm, float64(-0.5*math.Log(2*math.Pi*v)))
			p.mean = append(p.mean, m.Means[c][k])
			p.variance = append(p.variance, v)
		}
		p.level = append(p.level, m.LogLikelihoods[c]...)
	}
	p.numbers = len(m.Means[0])
	p.Size += int64(8 * (len(p.norm)*3 + len(p.level) + len(p.prior)))
	return p, nil
}

// predictor serves a Gaussian naive Bayes model.
type predictor struct {
	learn.Base
	m        *nbModel
	kinds    []byte
	present  []bool
	prior    []float64 // per class
	norm     []float64 // per class and number column: −½·log(2π·variance)
	mean     []float64
	variance []float64
	level    []float64 // per class and level column
	numbers  int
}

// Predict implements model.Predictor.
func (p *predictor) Predict(in *model.Batch, out *model.Output) {
	var buf []float64
	if !p.Enc.Identity {
		var stack [learn.StackDims]float64
		var pooled *[]float64
		buf, pooled = p.Enc.Buffer(&stack)
		defer p.Enc.Release(pooled)
	}
	var scores, probs [model.MaxClasses]float64
	classes, levels := len(p.Labels), len(p.kinds)-p.numbers
	for r := range in.Rows {
		x := p.Enc.Row(in, r, buf)
		for c := range classes {
			if !p.present[c] {
				scores[c] = math.Inf(-1)
				continue
			}
			s := p.prior[c]
			num, lvl := c*p.numbers, c*levels
			for j, kind := range p.kinds {
				if kind == columnNumber {
					d := x[j] - p.mean[num]
					s += p.norm[num] - float64(0.5*float64(d*d))/p.variance[num]
					num++
					continue
				}
				if x[j] > 0 {
					s += p.level[lvl]
				}
				lvl++
			}
			scores[c] = s
		}
		learn.Softmax(scores[:classes], probs[:classes])
		out.Classes[r] = int32(learn.Argmax(probs[:classes]))
		if dst := p.ProbsRow(out, r); dst != nil {
			copy(dst, probs[:classes])
		}
	}
}
