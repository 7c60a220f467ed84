package api

import (
	"context"
	"fmt"
	"math"
	"sync"

	"gitlab.com/mlserve/mlserve/model"
)

// fakeModels is a model.Models over a fakeVersions: it resolves as the
// store does and answers the predictor registered for the version, or
// CodeCorrupt when there is none (a version whose artifact will not load).
type fakeModels struct {
	versions *fakeVersions

	mu         sync.Mutex
	predictors map[string]model.Predictor // by predictorKey
	err        error                      // when set, every Resolve fails with it
	calls      int
}

func predictorKey(name string, version int) string {
	return fmt.Sprintf("%s/%d", name, version)
}

// set registers p as the predictor of version v of name.
func (m *fakeModels) set(name string, v int, p model.Predictor) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.predictors == nil {
		m.predictors = map[string]model.Predictor{}
	}
	m.predictors[predictorKey(name, v)] = p
}

func (m *fakeModels) setErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

func (m *fakeModels) Resolve(ctx context.Context, name string, version int, alias string) (*model.ModelVersion, model.Predictor, error) {
	m.mu.Lock()
	m.calls++
	err := m.err
	m.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	mv, err := m.versions.ResolveVersion(ctx, name, version, alias)
	if err != nil {
		return nil, nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.predictors[predictorKey(mv.Name, mv.Version)]
	if !ok {
		return nil, nil, model.Errorf(model.CodeCorrupt, "artifact of %s v%d fails its checks", mv.Name, mv.Version)
	}
	return mv, p, nil
}

// fakePredictor predicts by a rule a test can compute by hand. A
// classifier predicts class int(|first feature|) mod C, with probability 0.5
// for it and the rest shared; a regression predicts the sum of the number
// features (missing ones left out) plus the length of every string feature.
type fakePredictor struct {
	features []model.Column
	classes  []string // nil for a regression
	probs    bool
	missing  bool // it takes missing values
	// last is the last batch predicted, copied, for tests to inspect.
	mu   sync.Mutex
	last model.Batch
}

func (p *fakePredictor) Predict(in *model.Batch, out *model.Output) {
	f := len(p.features)
	p.record(in)
	c := len(p.classes)
	for r := range in.Rows {
		if p.classes == nil {
			sum := 0.0
			for i, col := range p.features {
				switch v := in.Nums[r*f+i]; {
				case col.Type == model.ColumnString:
					sum += float64(len(in.Strs[r*f+i]))
				case v == v:
					sum += v
				}
			}
			out.Values[r] = sum
			continue
		}
		class := int(math.Mod(math.Abs(in.Nums[r*f]), float64(c)))
		out.Classes[r] = int32(class)
		if out.Probs != nil {
			for k := range c {
				out.Probs[r*c+k] = 0.5 / float64(c-1)
			}
			out.Probs[r*c+class] = 0.5
		}
	}
}

// record keeps a copy of in for lastBatch.
func (p *fakePredictor) record(in *model.Batch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := len(p.features)
	p.last = model.Batch{Rows: in.Rows, Nums: append([]float64(nil), in.Nums[:in.Rows*f]...)}
	if in.Strs != nil {
		p.last.Strs = append([]string(nil), in.Strs[:in.Rows*f]...)
	}
}

func (p *fakePredictor) lastBatch() model.Batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (p *fakePredictor) Features() []model.Column { return p.features }
func (p *fakePredictor) Classes() []string        { return p.classes }
func (p *fakePredictor) HasProbabilities() bool   { return p.probs }
func (p *fakePredictor) Missing(int) bool         { return p.missing }
func (p *fakePredictor) SizeBytes() int64         { return 1 }

func (p *fakePredictor) Task() string {
	if p.classes == nil {
		return model.TaskRegression
	}
	return model.TaskClassification
}
