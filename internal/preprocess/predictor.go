package preprocess

import (
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"gitlab.com/mlserve/mlserve/model"
)

// chunkValues bounds the model columns times rows a predictor transforms
// before handing them to the model behind it.
const chunkValues = 4096

// Predictor is a pipeline's model.Predictor: it takes the input features,
// transforms each row as the fitted steps say (the same operations, in
// the same order, as Transform) into a pooled buffer, and predicts the
// transformed rows with the predictor of the model fitted on them. It
// allocates nothing per call once its pool is warm.
type Predictor struct {
	inner    model.Predictor
	features []model.Column
	progs    []program
	width    int // the inner model's columns
	numbers  bool
	strings  bool
	oneHot   bool
	checks   bool // some one_hot step refuses unknown categories
	missing  []bool
	chunk    int // rows per inner call
	pool     sync.Pool
	size     int64
}

// scratch is one call's transformed rows.
type scratch struct {
	batch model.Batch
	out   model.Output
	nums  []float64
	strs  []string
}

var _ model.RowChecker = (*Predictor)(nil)

// NewPredictor returns the predictor of fitted steps over the input
// features in front of inner, the predictor of the model fitted on their
// output. inner's features must be what the steps make of features
// (names, types, order): else an error, as for steps compile refuses.
func NewPredictor(features []model.Column, steps []model.FittedStep, inner model.Predictor) (*Predictor, error) {
	progs, cols, err := compile(features, steps)
	if err != nil {
		return nil, err
	}
	got := inner.Features()
	if !slices.EqualFunc(got, cols, func(a, b model.Column) bool { return a.Name == b.Name && a.Type == b.Type }) {
		return nil, fmt.Errorf("the model takes %d columns that the steps do not make (%d)", len(got), len(cols))
	}
	p := &Predictor{
		inner: inner, features: slices.Clip(slices.Clone(features)), progs: progs, width: len(cols),
		missing: make([]bool, len(features)),
	}
	p.size = inner.SizeBytes() + 256
	for i := range progs {
		g := &progs[i]
		p.oneHot = p.oneHot || g.oneHot
		p.checks = p.checks || g.unknownError
		switch {
		case g.oneHot:
			p.numbers = true
			p.missing[i] = g.hasFill || len(g.levels) > 0 && inner.Missing(g.out)
		case g.number:
			p.numbers = true
			p.missing[i] = g.imputes() || inner.Missing(g.out)
		default:
			p.strings = true
			p.missing[i] = g.hasFill || inner.Missing(g.out)
		}
		p.size += int64(unsafe.Sizeof(*g)) + int64(len(features[i].Name)) + 24*int64(len(g.ops)) + int64(len(g.fill))
		for l := range g.levels {
			p.size += 48 + int64(len(l))
		}
	}
	p.chunk = max(1, min(64, chunkValues/p.width))
	p.pool.New = func() any {
		sc := &scratch{}
		if p.numbers {
			sc.nums = make([]float64, p.chunk*p.width)
		}
		if p.strings {
			sc.strs = make([]string, p.chunk*p.width)
		}
		return sc
	}
	p.size += int64(p.chunk*p.width) * 8 * 2 // a pooled buffer or two
	return p, nil
}

// Predict implements model.Predictor.
func (p *Predictor) Predict(in *model.Batch, out *model.Output) {
	sc := p.pool.Get().(*scratch)
	defer p.pool.Put(sc)
	c := len(p.inner.Classes())
	for lo := 0; lo < in.Rows; lo += p.chunk {
		hi := min(in.Rows, lo+p.chunk)
		n := hi - lo
		b := &sc.batch
		*b = model.Batch{Rows: n}
		if sc.nums != nil {
			b.Nums = sc.nums[:n*p.width]
			if p.oneHot {
				clear(b.Nums)
			}
		}
		if sc.strs != nil {
			b.Strs = sc.strs[:n*p.width]
		}
		for r := lo; r < hi; r++ {
			p.transform(in, r, b, (r-lo)*p.width)
		}
		o := &sc.out
		*o = model.Output{}
		if out.Classes != nil {
			o.Classes = out.Classes[lo:hi]
		}
		if out.Values != nil {
			o.Values = out.Values[lo:hi]
		}
		if out.Probs != nil {
			o.Probs = out.Probs[lo*c : hi*c]
		}
		p.inner.Predict(b, o)
	}
	if sc.strs != nil {
		clear(sc.strs) // hold no request's strings in the pool
	}
}

// transform writes row r of in, transformed, at base in b, whose numbers
// are zero where indicators go.
func (p *Predictor) transform(in *model.Batch, r int, b *model.Batch, base int) {
	at := r * len(p.progs)
	for i := range p.progs {
		g := &p.progs[i]
		if g.number {
			x := in.Nums[at+i]
			for _, o := range g.ops {
				if !o.impute {
					x = (x - o.a) / o.b
				} else if x != x { // NaN: missing
					x = o.a
				}
			}
			b.Nums[base+g.out] = x
			continue
		}
		s := in.Strs[at+i]
		if s == "" && g.hasFill {
			s = g.fill
		}
		if !g.oneHot {
			b.Strs[base+g.out] = s
		} else if j, ok := g.levels[s]; ok {
			b.Nums[base+g.out+j] = 1
		}
	}
}

// CheckRow implements model.RowChecker: a category that a one_hot step
// whose unknown policy is "error" did not see in training is refused (a
// missing value is not a category).
func (p *Predictor) CheckRow(in *model.Batch, r int) (int, string) {
	if !p.checks {
		return -1, ""
	}
	at := r * len(p.progs)
	for i := range p.progs {
		g := &p.progs[i]
		if !g.unknownError {
			continue
		}
		s := in.Strs[at+i]
		if s == "" && g.hasFill {
			s = g.fill
		}
		if _, ok := g.levels[s]; !ok && s != "" {
			return i, fmt.Sprintf("category %q was not seen in training (one_hot unknown: error)", clip(s))
		}
	}
	return -1, ""
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Features implements model.Predictor: the input features, before any
// step. The slice is shared: callers must not modify it.
func (p *Predictor) Features() []model.Column { return p.features }

// Classes implements model.Predictor.
func (p *Predictor) Classes() []string { return p.inner.Classes() }

// Task implements model.Predictor.
func (p *Predictor) Task() string { return p.inner.Task() }

// HasProbabilities implements model.Predictor.
func (p *Predictor) HasProbabilities() bool { return p.inner.HasProbabilities() }

// Missing implements model.Predictor: a feature may be missing when a
// step imputes it, or when the model behind takes it missing.
func (p *Predictor) Missing(i int) bool { return p.missing[i] }

// SizeBytes implements model.Predictor.
func (p *Predictor) SizeBytes() int64 { return p.size }
